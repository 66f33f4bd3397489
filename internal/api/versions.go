package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// versionDiff is the structured difference between two versions.
type versionDiff struct {
	From    int               `json:"from"`
	To      int               `json:"to"`
	Changes []workflow.Change `json:"changes"`
}

// author names who saves: the user behind the session or token.
func author(p principal) string { return p.UserID }

// workflowVersion reads the {workflow} and {version} of the path and
// loads that version (404 when the workflow is another workspace's).
func (s *Server) workflowVersion(r *http.Request, p principal) (storage.Version, error) {
	id, err := pathID(r, "workflow")
	if err != nil {
		return storage.Version{}, err
	}
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n < 1 {
		return storage.Version{}, storage.ErrNotFound
	}
	return s.db.GetVersion(r.Context(), p.WorkspaceID, id, n)
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "workflow")
	if err != nil {
		return err
	}
	if _, err := s.db.GetWorkflow(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	list, total, err := s.db.ListVersions(r.Context(), p.WorkspaceID, id, page)
	if err != nil {
		return err
	}
	return paged(w, list, page, total)
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request, p principal) error {
	v, err := s.workflowVersion(r, p)
	if err != nil {
		return err
	}
	return ok(w, v)
}

// diffVersion compares a version with ?from (default: the version before
// it; nothing before version 1).
func (s *Server) diffVersion(w http.ResponseWriter, r *http.Request, p principal) error {
	to, err := s.workflowVersion(r, p)
	if err != nil {
		return err
	}
	fromNumber := to.Number - 1
	if q := r.URL.Query().Get("from"); q != "" {
		if fromNumber, err = strconv.Atoi(q); err != nil || fromNumber < 1 {
			return validate.Field("from", "must be a version number")
		}
	}
	var from workflow.Definition
	if fromNumber >= 1 {
		v, err := s.db.GetVersion(r.Context(), p.WorkspaceID, to.WorkflowID, fromNumber)
		if err == storage.ErrNotFound {
			return validate.Field("from", "the workflow has no version %d (kept: the last %d)", fromNumber, storage.DefaultKeepVersions)
		}
		if err != nil {
			return err
		}
		from = v.Definition
	}
	return ok(w, versionDiff{From: fromNumber, To: to.Number, Changes: workflow.Diff(from, to.Definition)})
}

// restoreVersion saves a version's definition as the workflow's (a new
// version equal to it), validated as any save is: a tag or connector it
// names may be gone (422).
func (s *Server) restoreVersion(w http.ResponseWriter, r *http.Request, p principal) error {
	v, err := s.workflowVersion(r, p)
	if err != nil {
		return err
	}
	current, err := s.db.GetWorkflow(r.Context(), p.WorkspaceID, v.WorkflowID)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(v.Definition)
	if err != nil {
		return err
	}
	body, err := validate.Decode(raw)
	if err != nil {
		return err
	}
	return s.updateWith(w, r, p, current, body)
}
