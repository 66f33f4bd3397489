package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/metrics"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// errClaimed means another job holds the step: this one stops.
var errClaimed = errors.New("step claimed by another job")

// drivePath runs the steps of one path in order until the path is done,
// fails, or waits for an approval. It is safe to run twice at once or again
// after a crash: steps are claimed, ticket actions commit with their
// result, and finished steps are never run again.
func (e *Engine) drivePath(ctx context.Context, ws int64, runID string, path int, jobID int64) error {
	claimer := "job:" + strconv.FormatInt(jobID, 10)
	for {
		r, err := e.db.GetRun(ctx, ws, runID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load run %s: %w", runID, err)
		}
		step, found := nextStep(r, path)
		if !found {
			return e.settle(ctx, ws, runID)
		}
		proceed, err := e.gate(ctx, ws, r, step)
		if err != nil || !proceed {
			return err
		}
		err = e.execute(ctx, ws, r, step, claimer)
		if errors.Is(err, errClaimed) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// nextStep is the first step of the path that is not final.
func nextStep(r *run.Run, path int) (run.Step, bool) {
	for _, s := range r.Steps {
		if s.Path == path && !run.StepFinal(s.Status) {
			return s, true
		}
	}
	return run.Step{}, false
}

// gate decides whether a step may run now: steps with requireApproval wait
// for an admin's decision.
func (e *Engine) gate(ctx context.Context, ws int64, r *run.Run, s run.Step) (bool, error) {
	if s.Status == run.StepWaitingApproval {
		return false, nil
	}
	params := r.Paths[s.Path].Actions[s.Position].Parameters
	if !action.CommonOf(params).RequireApproval {
		return true, nil
	}
	// The preview reads outside the transaction: a transaction must never
	// wait for a second connection of the pool.
	preview, err := e.preview(ctx, ws, r, s)
	if err != nil {
		return false, err
	}
	proceed := false
	err = e.db.InTx(ctx, func(tx *storage.Tx) error {
		a, err := tx.ApprovalForStep(ctx, ws, r.ID, s.Path, s.Position)
		switch {
		case err == nil:
			proceed = a.Status == run.ApprovalApproved
			return nil
		case !errors.Is(err, storage.ErrNotFound):
			return err
		}
		now := e.Now()
		if err := tx.CreateApproval(ctx, ws, run.Approval{
			ID: helpdesk.NewID(), RunID: r.ID, Path: s.Path, Position: s.Position, Status: run.ApprovalPending,
			ActionType: s.ActionType, Parameters: preview, RequestedAt: now, ExpiresAt: now.Add(e.cfg.ApprovalTTL),
		}); err != nil {
			return err
		}
		s.Status = run.StepWaitingApproval
		s.Input = preview
		if err := tx.SaveStep(ctx, ws, s); err != nil {
			return err
		}
		return e.settleTx(ctx, tx, ws, r.ID)
	})
	return proceed, err
}

// preview renders a step's text parameters as they would be sent, for the
// admin who approves it.
func (e *Engine) preview(ctx context.Context, ws int64, r *run.Run, s run.Step) (map[string]any, error) {
	x, err := e.exec(ctx, ws, r, s)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for k, v := range x.Parameters {
		src, isString := v.(string)
		if !isString {
			out[k] = v
			continue
		}
		rendered, err := action.Render(ctx, src, x.Data, 0)
		if err != nil {
			out[k] = src
			continue
		}
		out[k] = rendered
	}
	return out, nil
}

// exec prepares the execution of a step: parameters, template data with
// the run's variables, the causal chain for the events it emits.
func (e *Engine) exec(ctx context.Context, ws int64, r *run.Run, s run.Step) (*action.Exec, error) {
	ev, err := e.db.GetEvent(ctx, ws, r.EventID)
	if err != nil {
		return nil, fmt.Errorf("load event of run %s: %w", r.ID, err)
	}
	facts, err := e.db.Facts(ctx, ws, r.TicketID, ev.MessageID)
	if err != nil {
		return nil, fmt.Errorf("load facts of run %s: %w", r.ID, err)
	}
	return &action.Exec{
		WorkspaceID:    ws,
		RunID:          r.ID,
		Ticket:         *facts.Ticket,
		Parameters:     r.Paths[s.Path].Actions[s.Position].Parameters,
		Data:           templateData(facts, variables(r)),
		Cause:          r.Cause,
		IdempotencyKey: fmt.Sprintf("%s-%d-%d", r.ID, s.Path, s.Position),
		Services:       e.services,
	}, nil
}

// execute runs one step and records its outcome; a failure skips the rest
// of its path.
func (e *Engine) execute(ctx context.Context, ws int64, r *run.Run, s run.Step, claimer string) error {
	def, known := action.Lookup(s.ActionType)
	x, err := e.exec(ctx, ws, r, s)
	if errors.Is(err, storage.ErrNotFound) {
		return e.fail(ctx, ws, s, "the ticket no longer exists", run.StepFailed)
	}
	if err != nil {
		return err
	}
	if !known {
		return e.fail(ctx, ws, s, fmt.Sprintf("unknown action type %q", s.ActionType), run.StepFailed)
	}
	timeout := action.CommonOf(x.Parameters).Timeout
	started := e.Now()
	s.StartedAt = &started
	stepCtx, cancel := context.WithTimeout(metrics.OutboundScope(ctx, s.ActionType), timeout)
	defer cancel()

	if def.Effect == action.EffectTicket {
		var runErr error
		err := e.db.InTx(ctx, func(tx *storage.Tx) error {
			ok, err := tx.ClaimStep(ctx, ws, r.ID, s.Path, s.Position, claimer, started)
			if err != nil {
				return err
			}
			if !ok {
				return errClaimed
			}
			x.Tickets = tx
			out, err := def.Run(stepCtx, x)
			if err != nil {
				runErr = err
				return err
			}
			return tx.SaveStep(ctx, ws, e.finished(s, run.StepSucceeded, x, out, ""))
		})
		switch {
		case err == nil:
			return nil
		case errors.Is(err, errClaimed):
			return err
		case runErr != nil && !storage.Unavailable(runErr):
			return e.failStep(ctx, ws, s, x, nil, runErr, stepCtx)
		default:
			return err
		}
	}

	var claimed bool
	err = e.db.InTx(ctx, func(tx *storage.Tx) error {
		var err error
		claimed, err = tx.ClaimStep(ctx, ws, r.ID, s.Path, s.Position, claimer, started)
		return err
	})
	if err != nil {
		return err
	}
	if !claimed {
		return errClaimed
	}
	out, runErr := def.Run(stepCtx, x)
	if runErr != nil {
		return e.failStep(ctx, ws, s, x, out, runErr, stepCtx)
	}
	return e.db.InTx(ctx, func(tx *storage.Tx) error {
		return tx.SaveStep(ctx, ws, e.finished(s, run.StepSucceeded, x, out, ""))
	})
}

// finished is s after its attempt, with its recorded input and output.
func (e *Engine) finished(s run.Step, status string, x *action.Exec, out any, msg string) run.Step {
	now := e.Now()
	s.Status, s.Error, s.FinishedAt = status, msg, &now
	if s.StartedAt == nil {
		s.StartedAt = &now
	}
	s.Attempts++
	if x != nil && x.Input != nil {
		s.Input = x.Input
	}
	s.Output = validate.StripNULTree(out) // outputs come from outside: see validate.StripNUL
	metrics.StepDuration.WithLabelValues(s.ActionType, status).Observe(now.Sub(*s.StartedAt).Seconds())
	return s
}

// failStep records a failed attempt: timed_out when the step's own timeout
// cut it, failed otherwise.
func (e *Engine) failStep(ctx context.Context, ws int64, s run.Step, x *action.Exec, out any, runErr error, stepCtx context.Context) error {
	status, msg := run.StepFailed, runErr.Error()
	if errors.Is(stepCtx.Err(), context.DeadlineExceeded) {
		status, msg = run.StepTimedOut, fmt.Sprintf("timed out after %s: %v", action.CommonOf(x.Parameters).Timeout, runErr)
	}
	if ctx.Err() != nil {
		return ctx.Err() // the node is stopping: the job is retried
	}
	e.log.Info("step failed", "run", s.RunID, "path", s.Path, "position", s.Position, "action", s.ActionType, "status", status, "error", msg)
	return e.db.InTx(ctx, func(tx *storage.Tx) error {
		if err := tx.SaveStep(ctx, ws, e.finished(s, status, x, out, msg)); err != nil {
			return err
		}
		return tx.SkipRest(ctx, ws, s.RunID, s.Path, s.Position, e.Now())
	})
}

// fail records a step that could not even start.
func (e *Engine) fail(ctx context.Context, ws int64, s run.Step, msg, status string) error {
	return e.db.InTx(ctx, func(tx *storage.Tx) error {
		if err := tx.SaveStep(ctx, ws, e.finished(s, status, nil, nil, msg)); err != nil {
			return err
		}
		return tx.SkipRest(ctx, ws, s.RunID, s.Path, s.Position, e.Now())
	})
}

// settle updates a run's status from its steps.
func (e *Engine) settle(ctx context.Context, ws int64, runID string) error {
	return e.db.InTx(ctx, func(tx *storage.Tx) error { return e.settleTx(ctx, tx, ws, runID) })
}

func (e *Engine) settleTx(ctx context.Context, tx *storage.Tx, ws int64, runID string) error {
	r, err := tx.LockRun(ctx, ws, runID)
	if err != nil {
		return err
	}
	if err := e.startWaitingPaths(ctx, tx, ws, r); err != nil {
		return err
	}
	status := statusOf(r.Steps)
	for _, pm := range r.Match.Paths {
		if pm.Waiting {
			status = run.StatusRunning
		}
	}
	if status == run.StatusSucceeded || status == run.StatusFailed {
		if r.FinishedAt != nil && r.Status == status {
			return nil
		}
		now := e.Now()
		return e.setFinished(ctx, tx, ws, runID, r.EventType, status, &now)
	}
	if r.Status == status {
		return nil
	}
	return tx.SetRunStatus(ctx, ws, runID, status, nil)
}

// statusOf derives a run's status from its steps: a path is active while
// its next unfinished step is pending or running, waiting while it is held
// for approval.
func statusOf(steps []run.Step) string {
	waiting, active, failed := false, false, false
	next := map[int]string{}
	for _, s := range steps {
		switch s.Status {
		case run.StepFailed, run.StepTimedOut, run.StepRejected:
			failed = true
		}
		if _, seen := next[s.Path]; !seen && !run.StepFinal(s.Status) {
			next[s.Path] = s.Status
		}
	}
	for _, status := range next {
		if status == run.StepWaitingApproval {
			waiting = true
		} else {
			active = true
		}
	}
	switch {
	case active:
		return run.StatusRunning
	case waiting:
		return run.StatusWaitingApproval
	case failed:
		return run.StatusFailed
	}
	return run.StatusSucceeded
}

// setFinished records a run's final status and counts it once the
// transaction commits.
func (e *Engine) setFinished(ctx context.Context, tx *storage.Tx, ws int64, runID, eventType, status string, at *time.Time) error {
	if err := tx.SetRunStatus(ctx, ws, runID, status, at); err != nil {
		return err
	}
	e.countFinished(tx, eventType, status)
	return nil
}

func (e *Engine) countFinished(tx *storage.Tx, eventType, status string) {
	trigger := triggerLabel(eventType)
	tx.AfterCommit(func() { metrics.RunsFinished.WithLabelValues(trigger, status).Inc() })
}

// triggerLabel is the trigger type a run's event fired ("manual" for a run
// started by a person).
func triggerLabel(eventType string) string {
	if t := workflow.TriggerOf(eventType); t != "" {
		return t
	}
	return workflow.TriggerManual
}
