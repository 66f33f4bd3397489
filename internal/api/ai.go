package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/integration/llm"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
)

// readSavedReply reads {title, body} over sr.
func readSavedReply(w http.ResponseWriter, r *http.Request, sr helpdesk.SavedReply) (helpdesk.SavedReply, error) {
	body, err := readJSON(w, r)
	if err != nil {
		return sr, err
	}
	var errs validate.Errors
	sr = helpdesk.ReadSavedReply(validate.NewObject(&errs, "", body), sr, readOnly...)
	return sr, errs.Err()
}

func (s *Server) createSavedReply(w http.ResponseWriter, r *http.Request, p principal) error {
	sr, err := readSavedReply(w, r, helpdesk.SavedReply{})
	if err != nil {
		return err
	}
	sr, err = s.db.SaveSavedReply(r.Context(), p.WorkspaceID, sr)
	if err != nil {
		return err
	}
	return created(w, sr)
}

func (s *Server) updateSavedReply(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "reply")
	if err != nil {
		return err
	}
	current, err := s.db.GetSavedReply(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	sr, err := readSavedReply(w, r, current)
	if err != nil {
		return err
	}
	sr, err = s.db.SaveSavedReply(r.Context(), p.WorkspaceID, sr)
	if err != nil {
		return err
	}
	return ok(w, sr)
}

func (s *Server) deleteSavedReply(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "reply")
	if err != nil {
		return err
	}
	if err := s.db.DeleteSavedReply(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) showAISettings(w http.ResponseWriter, r *http.Request, p principal) error {
	settings, err := s.db.AISettings(r.Context(), p.WorkspaceID)
	if err != nil {
		return err
	}
	return ok(w, settings)
}

func (s *Server) updateAISettings(w http.ResponseWriter, r *http.Request, p principal) error {
	ctx := r.Context()
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	settings := helpdesk.AISettings{Categories: []string{}, Keywords: map[string][]string{}}
	if id, ok := obj.String("connector_id", false); ok {
		var c connector.Connector
		err := storage.ErrNotFound // what is not a UUID cannot exist
		if connector.IsID(id) {
			c, err = s.db.GetConnector(ctx, p.WorkspaceID, id)
		}
		switch {
		case errors.Is(err, storage.ErrNotFound):
			errs.Add("connector_id", "no connector with id %q in this workspace", id)
		case err != nil:
			return err
		case c.Type != llm.Type:
			errs.Add("connector_id", "connector %q is of type %s; expected %s", id, c.Type, llm.Type)
		default:
			settings.ConnectorID = &id
		}
	}
	seen := map[string]bool{}
	if cats, ok := obj.StringList("categories", false, helpdesk.MaxCategories, "categories"); ok {
		var twice validate.Seen
		for i, c := range cats {
			c = strings.TrimSpace(c)
			folded := strings.ToLower(c)
			if seen[folded] && twice.First(folded) {
				errs.Add(validate.Index("categories", i), "is listed twice")
			}
			seen[folded] = true
			settings.Categories = append(settings.Categories, c)
		}
	}
	if key, ok := obj.String("category_field", false); ok && key != "" {
		fields, err := s.db.CustomFieldsByKey(ctx, p.WorkspaceID)
		if err != nil {
			return err
		}
		if _, defined := fields[key]; !defined {
			errs.Add("category_field", "is not a custom field of this workspace")
		}
		settings.CategoryField = key
	}
	if kw, given := obj.Object("keywords", false); given {
		for _, cat := range kw.Keys() {
			if !seen[strings.ToLower(cat)] {
				errs.Add(kw.FieldPath(cat), "is not one of the categories")
				continue
			}
			words, _ := kw.StringList(cat, true, helpdesk.MaxKeywords, "keywords")
			settings.Keywords[cat] = words
		}
	}
	obj.RejectUnknown()
	if err := errs.Err(); err != nil {
		return err
	}
	if err := s.db.SetAISettings(ctx, p.WorkspaceID, settings); err != nil {
		return err
	}
	return ok(w, settings)
}
