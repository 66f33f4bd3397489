package api

import (
	"net/http"

	"github.com/deskflow/deskflow/internal/workflow"
)

func (s *Server) createWorkflow(w http.ResponseWriter, r *http.Request, p principal) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	wf, err := s.workflows.Create(r.Context(), p.WorkspaceID, body)
	if err != nil {
		return err
	}
	if wf, err = s.saveWorkflow(r, p, wf); err != nil {
		return err
	}
	return created(w, wf)
}

func (s *Server) updateWorkflow(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "workflow")
	if err != nil {
		return err
	}
	current, err := s.db.GetWorkflow(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	return s.updateWith(w, r, p, current, body)
}

// updateWith applies body to the current workflow as an update (omitted
// fields stay), saves it and answers it.
func (s *Server) updateWith(w http.ResponseWriter, r *http.Request, p principal, current *workflow.Workflow, body any) error {
	wf, err := s.workflows.Update(r.Context(), p.WorkspaceID, current, body)
	if err != nil {
		return err
	}
	if wf, err = s.saveWorkflow(r, p, wf); err != nil {
		return err
	}
	return ok(w, wf)
}

// saveWorkflow saves a validated workflow as the principal's and adds the
// warnings of the save (a loop it closes).
func (s *Server) saveWorkflow(r *http.Request, p principal, wf *workflow.Workflow) (*workflow.Workflow, error) {
	wf.Author = author(p)
	wf, err := s.engine.SaveWorkflow(r.Context(), p.WorkspaceID, wf)
	if err != nil {
		return nil, err
	}
	if wf.Warnings, err = s.engine.LoopWarnings(r.Context(), p.WorkspaceID, wf); err != nil {
		return nil, err
	}
	return wf, nil
}

func (s *Server) deleteWorkflow(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "workflow")
	if err != nil {
		return err
	}
	if err := s.engine.DeleteWorkflow(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	return noContent(w)
}
