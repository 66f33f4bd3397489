package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deskflow/deskflow/internal/businesshours"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/metrics"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// on_no_reply (seed 003, DESIGN.md §5). A waiting period opens at the first
// customer message after the last agent reply (or at ticket creation) and
// closes with an agent reply; replies sent by workflows do not close it.
// Each open period arms one timer per enabled on_no_reply workflow, stored
// with its due time; a scheduler fires due timers as no_reply.due events,
// which run that workflow once if the period is still open and the ticket
// is not solved, closed or spam.

// timerPoll bounds how long the scheduler sleeps: other nodes may arm
// timers it was not told about.
const timerPoll = 5 * time.Second

// trackWaiting keeps the waiting period of a ticket in step with its
// messages, inside the transaction that stores each message.
func (e *Engine) trackWaiting(ctx context.Context, tx *storage.Tx, ws int64, ev helpdesk.Event) error {
	switch {
	case ev.Type == helpdesk.EventInboundMessage && ev.MessageID != nil:
		started, err := tx.StartWaiting(ctx, ws, ev.TicketID, *ev.MessageID, ev.CreatedAt)
		if err != nil || !started {
			return err
		}
		wfs, err := tx.EnabledWorkflowsCached(ctx, ws, workflow.TriggerNoReply)
		if err != nil || len(wfs) == 0 {
			return err
		}
		sched, err := tx.BusinessHours(ctx, ws)
		if err != nil {
			return err
		}
		period := storage.WaitingPeriod{TicketID: ev.TicketID, MessageID: *ev.MessageID, Since: ev.CreatedAt}
		return e.arm(ctx, tx, ws, wfs, sched, []storage.WaitingPeriod{period})
	case ev.Type == helpdesk.EventOutboundMessage && ev.Cause.RunID == "":
		// An agent's reply ends the period; a workflow's does not.
		return tx.EndWaiting(ctx, ws, ev.TicketID)
	}
	return nil
}

// arm stores the timers of the workflows for the periods. A timer whose
// due time lies beyond the business-hours search horizon is stored as
// never due (and logged): the message or change that armed it goes on,
// and the ticket's timers say why the workflow will not fire.
func (e *Engine) arm(ctx context.Context, tx *storage.Tx, ws int64, wfs []*workflow.Workflow, sched businesshours.Schedule, periods []storage.WaitingPeriod) error {
	var cal *businesshours.Calendar
	timers := make([]storage.Timer, 0, len(wfs)*len(periods))
	for _, wf := range wfs {
		p, ok := wf.NoReply()
		if !ok || !wf.IsEnabled {
			continue
		}
		if p.OnlyBusinessHours && cal == nil {
			var err error
			if cal, err = sched.Compile(); err != nil {
				return fmt.Errorf("business hours of workspace %d: %w", ws, err)
			}
		}
		neverDue := 0
		for _, period := range periods {
			t := storage.Timer{
				ID: helpdesk.NewID(), WorkspaceID: ws, TicketID: period.TicketID, WorkflowID: wf.ID,
				MessageID: period.MessageID, PeriodStartedAt: period.Since,
			}
			due, err := businesshours.Due(cal, period.Since, p.Value, p.Unit, p.OnlyBusinessHours)
			switch {
			case errors.Is(err, businesshours.ErrNoBusinessTime):
				neverDue++
			case err != nil:
				return fmt.Errorf("due time of workflow %s: %w", wf.ID, err)
			default:
				t.DueAt = &due
			}
			timers = append(timers, t)
		}
		if neverDue > 0 {
			e.log.Warn("no-reply timers never due: the business hours have no business time within the search horizon",
				"workspace", ws, "workflow", wf.ID, "periods", neverDue, "first_ticket", periods[0].TicketID)
		}
	}
	if len(timers) == 0 {
		return nil
	}
	if err := tx.ArmTimers(ctx, timers); err != nil {
		return err
	}
	e.wakeTimers()
	return nil
}

// rearm replaces a workflow's pending timers by ones computed from its
// current parameters, for every open period of the workspace. Periods whose
// timer already fired keep it, so no period fires twice.
func (e *Engine) rearm(ctx context.Context, tx *storage.Tx, ws int64, wf *workflow.Workflow, sched businesshours.Schedule) error {
	if err := tx.DeleteWorkflowTimers(ctx, ws, wf.ID); err != nil {
		return err
	}
	if wf.TriggerType != workflow.TriggerNoReply || !wf.IsEnabled {
		return nil
	}
	after := ""
	for {
		periods, err := tx.WaitingPeriods(ctx, ws, after, 1000)
		if err != nil {
			return err
		}
		if len(periods) == 0 {
			return nil
		}
		if err := e.arm(ctx, tx, ws, []*workflow.Workflow{wf}, sched, periods); err != nil {
			return err
		}
		after = periods[len(periods)-1].TicketID
	}
}

// businessNeed is what an enabled on_no_reply workflow counting business
// hours asks of the workspace's schedule (ok false: nothing).
func businessNeed(wf *workflow.Workflow) (businesshours.Need, bool) {
	p, ok := wf.NoReply()
	if !ok || !wf.IsEnabled || !p.OnlyBusinessHours {
		return businesshours.Need{}, false
	}
	return businesshours.Need{Workflow: wf.Name, Value: p.Value, Unit: p.Unit}, true
}

// checkNeed refuses (422 on trigger_parameters.only_business_hours) a
// workflow whose due time, counted from now, the schedule cannot give.
func (e *Engine) checkNeed(wf *workflow.Workflow, sched businesshours.Schedule) error {
	need, ok := businessNeed(wf)
	if !ok {
		return nil
	}
	cal, err := sched.Compile()
	if err != nil {
		return err
	}
	if lacks, err := cal.Lacks(e.Now(), need); err != nil || !lacks {
		return err
	}
	return validate.Field("trigger_parameters.only_business_hours",
		"cannot be used with the workspace's business hours: they have no business time within the next %s to compute the due time (%s after a customer's message); change the business hours or set only_business_hours to false",
		businesshours.Horizon, need)
}

// SaveWorkflow stores a validated workflow (new when its id is empty) and
// re-computes its pending timers in the same transaction. An enabled
// business-hours on_no_reply workflow whose due time the workspace's
// business hours cannot give is refused (*validate.Error).
func (e *Engine) SaveWorkflow(ctx context.Context, ws int64, wf *workflow.Workflow) (*workflow.Workflow, error) {
	var saved *workflow.Workflow
	err := e.db.InTx(ctx, func(tx *storage.Tx) (err error) {
		saved, err = e.SaveWorkflowIn(ctx, tx, ws, wf)
		return err
	})
	return saved, err
}

// SaveWorkflowIn is SaveWorkflow inside the caller's transaction.
func (e *Engine) SaveWorkflowIn(ctx context.Context, tx *storage.Tx, ws int64, wf *workflow.Workflow) (*workflow.Workflow, error) {
	sched, err := tx.BusinessHours(ctx, ws)
	if err != nil {
		return nil, err
	}
	if err := e.checkNeed(wf, sched); err != nil {
		return nil, err
	}
	var saved *workflow.Workflow
	if wf.ID == "" {
		saved, err = tx.CreateWorkflow(ctx, ws, wf)
	} else {
		saved, err = tx.UpdateWorkflow(ctx, ws, wf)
	}
	if err != nil {
		return nil, err
	}
	return saved, e.rearm(ctx, tx, ws, saved, sched)
}

// DeleteWorkflow deletes a workflow; its pending timers go with it.
func (e *Engine) DeleteWorkflow(ctx context.Context, ws int64, id string) error {
	return e.db.InTx(ctx, func(tx *storage.Tx) error { return tx.DeleteWorkflow(ctx, ws, id) })
}

// SetBusinessHours stores the workspace's schedule and re-computes the
// timers of its business-hours workflows. A schedule that never opens in
// the search horizon, or cannot give the due time of an enabled
// business-hours workflow, is refused (*validate.Error naming weekly or
// closed_dates).
func (e *Engine) SetBusinessHours(ctx context.Context, ws int64, sched businesshours.Schedule) error {
	return e.db.InTx(ctx, func(tx *storage.Tx) error { return e.SetBusinessHoursIn(ctx, tx, ws, sched) })
}

// SetBusinessHoursIn is SetBusinessHours inside the caller's transaction.
func (e *Engine) SetBusinessHoursIn(ctx context.Context, tx *storage.Tx, ws int64, sched businesshours.Schedule) error {
	wfs, err := tx.EnabledWorkflowsCached(ctx, ws, workflow.TriggerNoReply)
	if err != nil {
		return err
	}
	var (
		business []*workflow.Workflow
		needs    []businesshours.Need
	)
	for _, wf := range wfs {
		if need, ok := businessNeed(wf); ok {
			business, needs = append(business, wf), append(needs, need)
		}
	}
	if err := sched.CheckHorizon(e.Now(), needs); err != nil {
		return err
	}
	if err := tx.SetBusinessHours(ctx, ws, sched); err != nil {
		return err
	}
	for _, wf := range business {
		if err := e.rearm(ctx, tx, ws, wf, sched); err != nil {
			return err
		}
	}
	return nil
}

// FireDueTimers fires every timer due by the engine's clock; each becomes a
// no_reply.due event processed like any other. It returns how many fired.
func (e *Engine) FireDueTimers(ctx context.Context) (int, error) {
	fired := 0
	for {
		now := e.Now()
		due, err := e.db.DueTimers(ctx, now, 200)
		if err != nil || len(due) == 0 {
			return fired, err
		}
		err = e.db.InTx(ctx, func(tx *storage.Tx) error {
			for _, t := range due {
				ok, err := tx.FireTimer(ctx, t, now)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				if t.DueAt != nil {
					late := now.Sub(*t.DueAt).Seconds()
					tx.AfterCommit(func() { metrics.TimerLateness.WithLabelValues().Observe(late) })
				}
				if _, err := tx.Emit(ctx, t.WorkspaceID, helpdesk.Event{
					Type: helpdesk.EventNoReplyDue, TicketID: t.TicketID, MessageID: &t.MessageID, WorkflowID: &t.WorkflowID,
				}); err != nil {
					return err
				}
				fired++
			}
			return nil
		})
		if err != nil {
			return fired, fmt.Errorf("fire timers: %w", err)
		}
		if len(due) < 200 {
			return fired, nil
		}
	}
}

// wakeTimers tells the scheduler that a timer was armed.
func (e *Engine) wakeTimers() {
	select {
	case e.timerWake <- struct{}{}:
	default:
	}
}

// timerLoop fires due timers: at start (timers that fell due while the
// service was down), when woken, when the soonest timer is due, and at
// least every timerPoll.
func (e *Engine) timerLoop(ctx context.Context) {
	for {
		if _, err := e.FireDueTimers(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("fire no-reply timers", "error", err)
		}
		wait := timerPoll
		if next, ok, err := e.db.NextTimer(ctx); err == nil && ok {
			wait = min(max(next.Sub(e.Now()), 0), timerPoll)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-e.timerWake:
			t.Stop()
		case <-t.C:
		}
	}
}

// noReplyGate decides, for a no_reply.due event, whether its workflow may
// still run: it must exist and be an enabled on_no_reply workflow, the
// period must still be open, and the ticket not solved, closed or spam.
func (e *Engine) noReplyGate(ctx context.Context, tx *storage.Tx, ws int64, ev helpdesk.Event, ticket *helpdesk.Ticket) ([]*workflow.Workflow, *run.WorkflowResult, error) {
	wf, err := tx.Workflow(ctx, ws, *ev.WorkflowID)
	if err == storage.ErrNotFound {
		return nil, &run.WorkflowResult{WorkflowID: *ev.WorkflowID, Outcome: run.OutcomeWorkflowGone, Detail: "the workflow was deleted"}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	blocked := func(outcome, detail string) ([]*workflow.Workflow, *run.WorkflowResult, error) {
		return nil, &run.WorkflowResult{WorkflowID: wf.ID, Name: wf.Name, Outcome: outcome, Detail: detail}, nil
	}
	if !wf.IsEnabled || wf.TriggerType != workflow.TriggerNoReply {
		return blocked(run.OutcomeWorkflowGone, "the workflow is disabled or no longer on_no_reply")
	}
	switch ticket.Status {
	case helpdesk.StatusSolved, helpdesk.StatusClosed, helpdesk.StatusSpam:
		return blocked(run.OutcomeTicketClosed, "the ticket is "+ticket.Status)
	}
	period, err := tx.WaitingPeriodOf(ctx, ws, ev.TicketID)
	if err != nil {
		return nil, nil, err
	}
	if period == nil || ev.MessageID == nil || period.MessageID != *ev.MessageID {
		return blocked(run.OutcomePeriodEnded, "an agent replied before the timer fired")
	}
	return []*workflow.Workflow{wf}, nil, nil
}
