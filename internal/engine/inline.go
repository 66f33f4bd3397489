package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
)

// Paths made only of ticket actions run inline: inside the transaction that
// creates their run, with no job of their own. Their changes, their steps'
// results and the events they emit commit together with the run, so a crash
// leaves either nothing or everything; a failing step is rolled back to a
// savepoint, recorded as failed, and skips the rest of its path as usual.

// errRunExists rolls back an event whose run exists already, which the
// event queue rules out; it guards against a bug, not a race.
var errRunExists = errors.New("the run was stored concurrently; processing the event again")

// fullyInline reports whether every step of r runs inline and no path
// waits for the main path: then r is executed first and stored once,
// finished.
func fullyInline(r *run.Run) bool {
	steps := false
	for pi, p := range r.Paths {
		if pi > 0 && r.Match.Paths[pi-1].Waiting {
			return false
		}
		if len(p.Actions) > 0 {
			if !inlinable(r, pi) {
				return false
			}
			steps = true
		}
	}
	return steps
}

// runWhole executes a fully inline run and stores it with its finished
// steps: one insert per row instead of an insert and an update.
//
// An event is processed once (its queue row leaves in the same
// transaction), so the run cannot exist yet; should it, the unique key on
// (event, workflow) refuses the insert and the whole event rolls back.
func (e *Engine) runWhole(ctx context.Context, tx *storage.Tx, ws int64, r *run.Run, facts *liveFacts) error {
	for pi, p := range r.Paths {
		if len(p.Actions) == 0 {
			continue
		}
		if err := e.inline(ctx, tx, ws, r, pi, facts, false); err != nil {
			return err
		}
	}
	now := e.Now()
	r.Status, r.FinishedAt, r.UpdatedAt = statusOf(r.Steps), &now, now
	created, err := tx.CreateRun(ctx, ws, r)
	if err != nil {
		return err
	}
	if !created {
		return errRunExists
	}
	e.countFinished(tx, r.EventType, r.Status)
	return nil
}

// inlinable reports whether every step of path pi is a ticket action that
// needs no approval.
func inlinable(r *run.Run, pi int) bool {
	for _, a := range r.Paths[pi].Actions {
		def, known := action.Lookup(a.Type)
		if !known || def.Effect != action.EffectTicket || action.CommonOf(a.Parameters).RequireApproval {
			return false
		}
	}
	return len(r.Paths[pi].Actions) > 0
}

// liveFacts are the facts of the event being processed, shared by the runs
// it starts inline: the ticket is reloaded only after a step that may have
// changed it.
type liveFacts struct {
	facts condition.Facts
	stale bool
}

// runInline executes path pi of r in tx; each step sees the ticket as the
// previous steps (of this run and of earlier runs of the event) left it.
func (e *Engine) runInline(ctx context.Context, tx *storage.Tx, ws int64, r *run.Run, pi int, eventFacts *liveFacts) error {
	return e.inline(ctx, tx, ws, r, pi, eventFacts, true)
}

// inline executes path pi; with persist, each step's result is saved as it
// finishes (the run row exists), otherwise only r.Steps is updated.
func (e *Engine) inline(ctx context.Context, tx *storage.Tx, ws int64, r *run.Run, pi int, eventFacts *liveFacts, persist bool) error {
	facts := eventFacts.facts
	for i := range r.Steps {
		s := r.Steps[i]
		if s.Path != pi {
			continue
		}
		def, _ := action.Lookup(s.ActionType)
		if eventFacts.stale {
			t, err := tx.Ticket(ctx, ws, r.TicketID)
			if errors.Is(err, storage.ErrNotFound) {
				return e.failInline(ctx, tx, ws, r, i, nil, errors.New("the ticket no longer exists"), ctx, persist)
			}
			if err != nil {
				return err
			}
			facts.Ticket, eventFacts.stale = &t, false
			eventFacts.facts.Ticket = &t
		}
		x := &action.Exec{
			WorkspaceID: ws, RunID: r.ID, Ticket: *facts.Ticket,
			Parameters:     r.Paths[pi].Actions[s.Position].Parameters,
			Data:           templateData(&facts, variables(r)),
			Tickets:        tx,
			Cause:          r.Cause,
			IdempotencyKey: fmt.Sprintf("%s-%d-%d", r.ID, s.Path, s.Position),
			Services:       e.services,
		}
		started := e.Now()
		s.StartedAt = &started
		r.Steps[i] = s
		stepCtx, cancel := context.WithTimeout(ctx, action.CommonOf(x.Parameters).Timeout)
		const sp = "deskflow_step"
		if err := tx.Savepoint(ctx, sp); err != nil {
			cancel()
			return err
		}
		out, runErr := def.Run(stepCtx, x)
		// Whatever the outcome, a step that may have changed the ticket
		// makes the next one reload it.
		eventFacts.stale = eventFacts.stale || !def.KeepsTicket
		if runErr != nil {
			if err := tx.RollbackTo(ctx, sp); err != nil {
				cancel()
				return err
			}
			err := e.failInline(ctx, tx, ws, r, i, x, runErr, stepCtx, persist)
			cancel()
			return err
		}
		cancel()
		if err := tx.Release(ctx, sp); err != nil {
			return err
		}
		r.Steps[i] = e.finished(s, run.StepSucceeded, x, out, "")
		if !persist {
			continue
		}
		if err := tx.SaveStep(ctx, ws, r.Steps[i]); err != nil {
			return err
		}
	}
	return nil
}

// failInline records step i of r as failed (or timed out) and skips the
// rest of its path.
func (e *Engine) failInline(ctx context.Context, tx *storage.Tx, ws int64, r *run.Run, i int, x *action.Exec, runErr error, stepCtx context.Context, persist bool) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s := r.Steps[i]
	status, msg := run.StepFailed, runErr.Error()
	if errors.Is(stepCtx.Err(), context.DeadlineExceeded) {
		status = run.StepTimedOut
	}
	r.Steps[i] = e.finished(s, status, x, nil, msg)
	now := e.Now()
	for j := range r.Steps {
		if r.Steps[j].Path == s.Path && r.Steps[j].Position > s.Position && r.Steps[j].Status == run.StepPending {
			r.Steps[j].Status, r.Steps[j].FinishedAt = run.StepSkipped, &now
		}
	}
	if !persist {
		return nil
	}
	if err := tx.SaveStep(ctx, ws, r.Steps[i]); err != nil {
		return err
	}
	return tx.SkipRest(ctx, ws, s.RunID, s.Path, s.Position, now)
}
