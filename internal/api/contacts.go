package api

import (
	"net/http"
	"net/mail"
	"strings"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/validate"
)

const maxEmailLength = 254

// email reads an email address field; it must be a bare address.
func email(obj *validate.Object, key string, required bool) (string, bool) {
	s, ok := obj.String(key, required)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > maxEmailLength {
		obj.Errs.Add(obj.FieldPath(key), "must be a valid email address")
		return "", false
	}
	return s, true
}

func readContact(w http.ResponseWriter, r *http.Request, c helpdesk.Contact, isNew bool) (helpdesk.Contact, error) {
	body, err := readJSON(w, r)
	if err != nil {
		return c, err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	if isNew || obj.Has("email") {
		c.Email, _ = email(obj, "email", true)
	}
	if name, ok := obj.String("name", false); ok {
		c.Name = strings.TrimSpace(name)
		if len(c.Name) > maxNameLength {
			errs.Add("name", "must be at most %d characters", maxNameLength)
		}
	}
	if vip, ok := obj.Bool("is_vip", false); ok {
		c.IsVIP = vip
	}
	obj.RejectUnknown(readOnly...)
	return c, errs.Err()
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, p principal) error {
	c, err := readContact(w, r, helpdesk.Contact{}, true)
	if err != nil {
		return err
	}
	c, err = s.db.SaveContact(r.Context(), p.WorkspaceID, c)
	if err != nil {
		return err
	}
	return created(w, c)
}

func (s *Server) updateContact(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "contact")
	if err != nil {
		return err
	}
	current, err := s.db.GetContact(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	c, err := readContact(w, r, current, false)
	if err != nil {
		return err
	}
	c, err = s.db.SaveContact(r.Context(), p.WorkspaceID, c)
	if err != nil {
		return err
	}
	return ok(w, c)
}
