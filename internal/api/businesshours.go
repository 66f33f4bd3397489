package api

import (
	"net/http"

	"github.com/deskflow/deskflow/internal/businesshours"
)

func (s *Server) showBusinessHours(w http.ResponseWriter, r *http.Request, p principal) error {
	sched, err := s.db.BusinessHours(r.Context(), p.WorkspaceID)
	if err != nil {
		return err
	}
	return ok(w, sched)
}

func (s *Server) updateBusinessHours(w http.ResponseWriter, r *http.Request, p principal) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	sched, err := businesshours.Parse(body)
	if err != nil {
		return err
	}
	if err := s.engine.SetBusinessHours(r.Context(), p.WorkspaceID, sched); err != nil {
		return err
	}
	return ok(w, sched)
}
