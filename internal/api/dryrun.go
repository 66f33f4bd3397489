package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/deskflow/deskflow/internal/engine"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// dryRunInput selects the tickets of a dry run; workflow is a draft (the
// body of a create) for POST /api/workflows/dry-run.
type dryRunInput struct {
	Workflow map[string]any `json:"workflow,omitempty" doc:"The draft: the same body as POST /api/workflows (not saved). Only for /api/workflows/dry-run."`
	TicketID string         `json:"ticket_id,omitempty" doc:"One ticket to try the workflow on."`
	Since    *time.Time     `json:"since,omitempty" doc:"Or the tickets created since then, newest first."`
	Limit    int            `json:"limit,omitempty" minimum:"1" maximum:"1000" doc:"How many of those at most (default 100)."`
	Version  int            `json:"version,omitempty" minimum:"1" doc:"A saved workflow's version to try (default: the current one)."`
}

// dryRunAnswer is what the workflow would do on each ticket.
type dryRunAnswer struct {
	// Version is the version tried (0 for a draft).
	Version int `json:"version"`
	// Warnings: a loop among workflows the workflow would close.
	Warnings []string              `json:"warnings"`
	Tickets  []engine.DryRunTicket `json:"tickets"`
}

const maxDryRunTickets = 1000

// readDryRun reads the selection of tickets (and the draft, when draft).
func (s *Server) readDryRun(w http.ResponseWriter, r *http.Request, p principal, draft bool) (map[string]any, []string, int, error) {
	body, err := readJSON(w, r)
	if err != nil {
		return nil, nil, 0, err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	var wf map[string]any
	if draft {
		o, ok := obj.Object("workflow", true)
		if ok {
			wf = o.Values
		}
	}
	var version int64
	if !draft {
		version, _ = obj.Int("version", false)
	}
	var tickets []string
	ticketID, byTicket := obj.String("ticket_id", false)
	since, bySince := obj.String("since", false)
	limit, hasLimit := obj.Int("limit", false)
	if !hasLimit {
		limit = 100
	} else if limit < 1 || limit > maxDryRunTickets {
		errs.Add("limit", "must be between 1 and %d", maxDryRunTickets)
	}
	switch {
	case byTicket && bySince:
		errs.Add("since", "give ticket_id or since, not both")
	case byTicket:
		if _, err := s.db.GetTicket(r.Context(), p.WorkspaceID, ticketID); err != nil {
			errs.Add("ticket_id", "no ticket with id %q in this workspace", ticketID)
		}
		tickets = []string{ticketID}
	case bySince:
		at, err := time.Parse(time.RFC3339, since)
		if err != nil {
			errs.Add("since", "must be a date-time (RFC 3339)")
			break
		}
		if tickets, err = s.db.RecentTickets(r.Context(), p.WorkspaceID, at, int(limit)); err != nil {
			return nil, nil, 0, err
		}
	default:
		errs.Add("ticket_id", "give ticket_id, or since (with limit) for the recent tickets")
	}
	accepted := []string{"ticket_id", "since", "limit"}
	if draft {
		accepted = append(accepted, "workflow")
	} else {
		accepted = append(accepted, "version")
	}
	obj.RejectUnknown(accepted...)
	return wf, tickets, int(version), errs.Err()
}

// dryRunDraft tries a draft workflow, not saved, on tickets.
func (s *Server) dryRunDraft(w http.ResponseWriter, r *http.Request, p principal) error {
	body, tickets, _, err := s.readDryRun(w, r, p, true)
	if err != nil {
		return err
	}
	wf, err := s.workflows.Create(r.Context(), p.WorkspaceID, body)
	if err != nil {
		return prefixed("workflow", err)
	}
	return s.dryRun(w, r, p, wf, tickets)
}

// dryRunSaved tries a saved workflow (or one of its versions) on tickets.
func (s *Server) dryRunSaved(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "workflow")
	if err != nil {
		return err
	}
	wf, err := s.db.GetWorkflow(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	_, tickets, version, err := s.readDryRun(w, r, p, false)
	if err != nil {
		return err
	}
	if version > 0 {
		v, err := s.db.GetVersion(r.Context(), p.WorkspaceID, id, version)
		if err != nil {
			return validate.Field("version", "the workflow has no version %d", version)
		}
		d := v.Definition
		wf.Name, wf.Description, wf.TriggerType, wf.TriggerParameters, wf.ConditionMatchType = d.Name, d.Description, d.TriggerType, d.TriggerParameters, d.ConditionMatchType
		wf.Conditions, wf.Actions, wf.Paths, wf.Version = d.Conditions, d.Actions, d.Paths, v.Number
	}
	return s.dryRun(w, r, p, wf, tickets)
}

func (s *Server) dryRun(w http.ResponseWriter, r *http.Request, p principal, wf *workflow.Workflow, tickets []string) error {
	results, err := s.engine.DryRun(r.Context(), p.WorkspaceID, wf, tickets)
	if err != nil {
		return err
	}
	warnings, err := s.engine.LoopWarnings(r.Context(), p.WorkspaceID, wf)
	if err != nil {
		return err
	}
	return ok(w, dryRunAnswer{Version: wf.Version, Warnings: append([]string{}, warnings...), Tickets: results})
}

// prefixed puts a user error's field paths under key: the draft's errors
// name workflow.actions.1.parameters.url.
func prefixed(key string, err error) error {
	var v *validate.Error
	if !errors.As(err, &v) {
		return err
	}
	out := &validate.Error{Fields: map[string][]string{}, Dropped: v.Dropped}
	for path, msgs := range v.Fields {
		out.Fields[validate.Join(key, path)] = msgs
	}
	return out
}
