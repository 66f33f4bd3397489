package engine

import (
	"context"
	"fmt"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// ManualWorkflows lists the enabled manual workflows whose conditions match
// the ticket (its latest customer message stands for "the message").
func (e *Engine) ManualWorkflows(ctx context.Context, ws int64, ticketID string) ([]*workflow.Workflow, error) {
	facts, err := e.db.Facts(ctx, ws, ticketID, nil)
	if err != nil {
		return nil, err
	}
	all, err := e.db.EnabledWorkflows(ctx, ws, workflow.TriggerManual)
	if err != nil {
		return nil, err
	}
	out := []*workflow.Workflow{}
	for _, wf := range all {
		if ok, _ := condition.Match(facts, wf.ConditionMatchType, specs(wf.Conditions)); ok {
			out = append(out, wf)
		}
	}
	return out, nil
}

// RunManual runs a manual workflow on a ticket at a user's request. The
// workflow must be enabled, manual, and match the ticket.
func (e *Engine) RunManual(ctx context.Context, ws int64, workflowID, ticketID, userID string) (*run.Run, error) {
	wf, err := e.db.GetWorkflow(ctx, ws, workflowID)
	if err != nil {
		return nil, err
	}
	if wf.TriggerType != workflow.TriggerManual {
		return nil, validate.Field("workflow", "is triggered by %s, not manually", wf.TriggerType)
	}
	if !wf.IsEnabled {
		return nil, validate.Field("workflow", "is disabled")
	}
	facts, err := e.db.Facts(ctx, ws, ticketID, nil)
	if err == storage.ErrNotFound {
		return nil, validate.Field("ticket_id", "no ticket with id %q in this workspace", ticketID)
	}
	if err != nil {
		return nil, err
	}
	matched, results := condition.Match(facts, wf.ConditionMatchType, specs(wf.Conditions))
	if !matched {
		return nil, validate.Field("ticket_id", "the workflow's conditions do not match this ticket")
	}
	var r *run.Run
	err = e.db.InTx(ctx, func(tx *storage.Tx) error {
		ev, err := tx.Emit(ctx, ws, helpdesk.Event{Type: helpdesk.EventManualRun, TicketID: ticketID, Cause: helpdesk.Cause{}})
		if err != nil {
			return err
		}
		r = e.newRun(wf, ev, facts, results)
		if err := e.startRun(ctx, tx, ws, r, &liveFacts{facts: *facts, stale: true}); err != nil {
			return err
		}
		return tx.SaveEvaluation(ctx, ws, run.Evaluation{EventID: ev.ID, TicketID: ticketID, EventType: ev.Type, CreatedAt: e.Now(),
			Results: []run.WorkflowResult{{WorkflowID: wf.ID, Name: wf.Name, Outcome: run.OutcomeMatched, Conditions: results, RunID: r.ID, Detail: "run manually by user " + userID}}})
	})
	if err != nil {
		return nil, fmt.Errorf("run workflow %s manually: %w", workflowID, err)
	}
	return e.db.GetRun(ctx, ws, r.ID)
}
