package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
)

// runView is a run with the event that triggered it.
type runView struct {
	run.Run
	Event *helpdesk.Event `json:"event"`
}

func (s *Server) viewRuns(ctx context.Context, ws int64, runs []*run.Run) ([]runView, error) {
	out := make([]runView, len(runs))
	for i, r := range runs {
		out[i] = runView{Run: *r}
		ev, err := s.db.GetEvent(ctx, ws, r.EventID)
		if err != nil && err != storage.ErrNotFound {
			return nil, err
		}
		if err == nil {
			out[i].Event = &ev
		}
	}
	return out, nil
}

func (s *Server) listRunsBy(w http.ResponseWriter, r *http.Request, p principal, param, column string, exists func(context.Context, int64, string) error) error {
	id, err := pathID(r, param)
	if err != nil {
		return err
	}
	if err := exists(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	runs, total, err := s.db.ListRuns(r.Context(), p.WorkspaceID, column, id, page)
	if err != nil {
		return err
	}
	views, err := s.viewRuns(r.Context(), p.WorkspaceID, runs)
	if err != nil {
		return err
	}
	return paged(w, views, page, total)
}

func (s *Server) workflowExists(ctx context.Context, ws int64, id string) error {
	_, err := s.db.GetWorkflow(ctx, ws, id)
	return err
}

func (s *Server) ticketExists(ctx context.Context, ws int64, id string) error {
	_, err := s.db.GetTicket(ctx, ws, id)
	return err
}

func (s *Server) listWorkflowRuns(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.listRunsBy(w, r, p, "workflow", "workflow_id", s.workflowExists)
}

func (s *Server) listTicketRuns(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.listRunsBy(w, r, p, "ticket", "ticket_id", s.ticketExists)
}

func (s *Server) showRun(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.answerRun(w, r, p, s.db.GetRun)
}

// answerRun answers the view of the path's run as get gives it.
func (s *Server) answerRun(w http.ResponseWriter, r *http.Request, p principal, get func(ctx context.Context, ws int64, id string) (*run.Run, error)) error {
	id, err := pathID(r, "run")
	if err != nil {
		return err
	}
	x, err := get(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	views, err := s.viewRuns(r.Context(), p.WorkspaceID, []*run.Run{x})
	if err != nil {
		return err
	}
	return ok(w, views[0])
}

func (s *Server) listManualWorkflows(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "ticket")
	if err != nil {
		return err
	}
	wfs, err := s.engine.ManualWorkflows(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	return ok(w, wfs)
}

func (s *Server) runWorkflow(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "workflow")
	if err != nil {
		return err
	}
	if err := s.workflowExists(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	ticket, _ := obj.String("ticket_id", true)
	obj.RejectUnknown()
	if err := errs.Err(); err != nil {
		return err
	}
	if !helpdesk.IsID(ticket) {
		return validate.Field("ticket_id", "no ticket with id %q in this workspace", ticket)
	}
	x, err := s.engine.RunManual(r.Context(), p.WorkspaceID, id, ticket, p.UserID)
	if err != nil {
		return err
	}
	views, err := s.viewRuns(r.Context(), p.WorkspaceID, []*run.Run{x})
	if err != nil {
		return err
	}
	return created(w, views[0])
}

var approvalStatuses = []string{run.ApprovalPending, run.ApprovalApproved, run.ApprovalRejected, run.ApprovalExpired}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request, p principal) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	if status != "" && !contains(approvalStatuses, status) {
		return validate.Field("status", "must be one of: %s", strings.Join(approvalStatuses, ", "))
	}
	list, total, err := s.db.ListApprovals(r.Context(), p.WorkspaceID, status, page)
	if err != nil {
		return err
	}
	return paged(w, list, page, total)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) decide(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p principal) error {
		id, err := pathID(r, "approval")
		if err != nil {
			return err
		}
		if _, err := s.db.GetApproval(r.Context(), p.WorkspaceID, id); err != nil {
			return err
		}
		reason := ""
		if r.ContentLength != 0 {
			body, err := readJSON(w, r)
			if err != nil {
				return err
			}
			var errs validate.Errors
			obj := validate.NewObject(&errs, "", body)
			reason = text(obj, "reason", false, 2000)
			obj.RejectUnknown()
			if err := errs.Err(); err != nil {
				return err
			}
		}
		a, err := s.engine.Decide(r.Context(), p.WorkspaceID, id, p.UserID, approve, reason)
		if err != nil {
			return err
		}
		return ok(w, a)
	}
}

func (s *Server) listTicketTimers(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "ticket")
	if err != nil {
		return err
	}
	if err := s.ticketExists(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	timers, err := s.db.TicketTimers(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	return ok(w, timers)
}

func (s *Server) replayRun(w http.ResponseWriter, r *http.Request, p principal) error {
	return s.answerRun(w, r, p, s.engine.Replay)
}
