package api

import (
	"net/http"
	"strings"

	"github.com/deskflow/deskflow/internal/validate"
)

const maxSignatureLength = 10_000

func (s *Server) showWorkspace(w http.ResponseWriter, r *http.Request, p principal) error {
	ws, err := s.db.GetWorkspace(r.Context(), p.WorkspaceID)
	if err != nil {
		return err
	}
	return ok(w, ws)
}

func (s *Server) updateWorkspace(w http.ResponseWriter, r *http.Request, p principal) error {
	ws, err := s.db.GetWorkspace(r.Context(), p.WorkspaceID)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	if obj.Has("name") {
		ws.Name = requiredName(obj, "name")
	}
	if sig, ok := obj.String("signature", false); ok {
		ws.Signature = strings.TrimRight(sig, " \n\t")
		if len(sig) > maxSignatureLength {
			errs.Add("signature", "must be at most %d bytes", maxSignatureLength)
		}
	}
	obj.RejectUnknown("id", "created_at")
	if err := errs.Err(); err != nil {
		return err
	}
	ws, err = s.db.UpdateWorkspace(r.Context(), ws)
	if err != nil {
		return err
	}
	return ok(w, ws)
}
