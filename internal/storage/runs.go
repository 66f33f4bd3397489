package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/validate"
)

const runColumns = `id, workflow_id, workflow_name, ticket_id, event_id, event_type, status, match, definition, cause, created_at, updated_at, finished_at, workflow_version`

func scanRun(r row) (*run.Run, error) {
	var (
		x                        run.Run
		match, definition, cause string
		created, updated         int64
		finished                 nullInt
	)
	err := r.Scan(&x.ID, &x.WorkflowID, &x.WorkflowName, &x.TicketID, &x.EventID, &x.EventType, &x.Status, &match, &definition, &cause, &created, &updated, &finished, &x.WorkflowVersion)
	if err != nil {
		return nil, err
	}
	x.CreatedAt, x.UpdatedAt, x.FinishedAt = fromMicros(created), fromMicros(updated), finished.time()
	for _, f := range []struct {
		text string
		into any
	}{{match, &x.Match}, {definition, &x.Paths}, {cause, &x.Cause}} {
		if err := validate.DecodeInto([]byte(f.text), f.into); err != nil {
			return nil, fmt.Errorf("decode run %s: %w", x.ID, err)
		}
	}
	x.Steps = []run.Step{}
	return &x, nil
}

func encodeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// CreateRun stores a run and its pending steps unless the event already has
// a run of that workflow (a retried job); created says which.
func (tx *Tx) CreateRun(ctx context.Context, workspaceID int64, r *run.Run) (bool, error) {
	match, err := encodeJSON(r.Match)
	if err != nil {
		return false, err
	}
	// The definition is what drives the run's paths; a run stored
	// finished is never driven, so it is not kept (runs show their steps).
	definition := "[]"
	if r.FinishedAt == nil {
		if definition, err = encodeJSON(r.Paths); err != nil {
			return false, err
		}
	}
	cause, err := encodeJSON(r.Cause)
	if err != nil {
		return false, err
	}
	n, err := tx.q.exec(ctx, `INSERT INTO workflow_runs (`+runColumns+`, workspace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, workflow_id) DO NOTHING`,
		r.ID, r.WorkflowID, r.WorkflowName, r.TicketID, r.EventID, r.EventType, r.Status, match, definition, cause, micros(r.CreatedAt), micros(r.UpdatedAt), timeMicros(r.FinishedAt), r.WorkflowVersion, workspaceID)
	if err != nil {
		return false, fmt.Errorf("insert run: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	return true, tx.AddSteps(ctx, workspaceID, r.ID, r.Steps)
}

// AddSteps stores new steps of a run, in whatever state they are (pending,
// or already finished when the run was executed before it was stored).
func (tx *Tx) AddSteps(ctx context.Context, workspaceID int64, runID string, steps []run.Step) error {
	for _, s := range steps {
		input, output, err := encodeStepData(s)
		if err != nil {
			return err
		}
		_, err = tx.q.exec(ctx, `INSERT INTO run_steps (run_id, path, position, workspace_id, action_type, label, status, attempts, input, output, error, save_as, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			runID, s.Path, s.Position, workspaceID, s.ActionType, s.Label, s.Status, s.Attempts, input, output, s.Error, s.SaveAs, timeMicros(s.StartedAt), timeMicros(s.FinishedAt))
		if err != nil {
			return fmt.Errorf("insert step %d.%d of run %s: %w", s.Path, s.Position, runID, err)
		}
	}
	return nil
}

// encodeStepData encodes a step's input and output (nil stays NULL).
func encodeStepData(s run.Step) (input, output any, err error) {
	if s.Input != nil {
		if input, err = encodeJSON(s.Input); err != nil {
			return nil, nil, fmt.Errorf("encode step input: %w", err)
		}
	}
	if s.Output != nil {
		if output, err = encodeJSON(s.Output); err != nil {
			return nil, nil, fmt.Errorf("encode step output: %w", err)
		}
	}
	return input, output, nil
}

// SaveRunMatch records how the run's conditions evaluated (paths evaluated
// late change it).
func (tx *Tx) SaveRunMatch(ctx context.Context, workspaceID int64, runID string, m run.Match) error {
	text, err := encodeJSON(m)
	if err != nil {
		return fmt.Errorf("encode run match: %w", err)
	}
	return execOne(ctx, tx.q, "run", runID, `UPDATE workflow_runs SET match = ? WHERE workspace_id = ? AND id = ?`, text, workspaceID, runID)
}

const stepColumns = `run_id, path, position, action_type, label, status, attempts, input, output, error, save_as, started_at, finished_at`

func scanStep(r row) (run.Step, error) {
	var (
		s               run.Step
		input, output   nullString
		started, finish nullInt
	)
	err := r.Scan(&s.RunID, &s.Path, &s.Position, &s.ActionType, &s.Label, &s.Status, &s.Attempts, &input, &output, &s.Error, &s.SaveAs, &started, &finish)
	if err != nil {
		return s, err
	}
	s.StartedAt, s.FinishedAt = started.time(), finish.time()
	if input.Valid {
		if s.Input, err = validate.Decode([]byte(input.String)); err != nil {
			return s, fmt.Errorf("decode step input: %w", err)
		}
	}
	if output.Valid {
		if s.Output, err = validate.Decode([]byte(output.String)); err != nil {
			return s, fmt.Errorf("decode step output: %w", err)
		}
	}
	return s, nil
}

func (db *DB) loadRun(ctx context.Context, q querier, workspaceID int64, id string) (*run.Run, error) {
	r, err := getWith(ctx, db, q, scanRun, "run", id, `SELECT `+runColumns+` FROM workflow_runs WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return nil, err
	}
	steps, err := queryAll(ctx, q, scanStep, `SELECT `+stepColumns+` FROM run_steps WHERE run_id = ? ORDER BY path, position`, id)
	if err != nil {
		return nil, fmt.Errorf("load steps of run %s: %w", id, err)
	}
	r.Steps = steps
	return r, nil
}

// GetRun loads a run with its steps.
func (db *DB) GetRun(ctx context.Context, workspaceID int64, id string) (*run.Run, error) {
	return db.loadRun(ctx, db.b.reader(), workspaceID, id)
}

// LockRun loads a run with its steps inside the transaction, holding the
// run's row so that concurrent paths finishing together serialize.
func (tx *Tx) LockRun(ctx context.Context, workspaceID int64, id string) (*run.Run, error) {
	if err := execOne(ctx, tx.q, "run", id, `UPDATE workflow_runs SET updated_at = ? WHERE workspace_id = ? AND id = ?`, micros(tx.db.Now()), workspaceID, id); err != nil {
		return nil, err
	}
	return tx.db.loadRun(ctx, tx.q, workspaceID, id)
}

// RunIDsForEvent lists the runs an event created.
func (db *DB) RunIDsForEvent(ctx context.Context, workspaceID int64, eventID string) ([]string, error) {
	return queryAll(ctx, db.b.reader(), scanString, `SELECT id FROM workflow_runs WHERE workspace_id = ? AND event_id = ? ORDER BY id`, workspaceID, eventID)
}

// ListRuns lists runs, newest first, of one workflow or one ticket.
func (db *DB) ListRuns(ctx context.Context, workspaceID int64, column, id string, page Page) ([]*run.Run, int, error) {
	if column != "workflow_id" && column != "ticket_id" {
		return nil, 0, fmt.Errorf("list runs by %q", column)
	}
	runs, total, err := list(ctx, db, page, scanRun,
		`SELECT COUNT(*) FROM workflow_runs WHERE workspace_id = ? AND `+column+` = ?`,
		`SELECT `+runColumns+` FROM workflow_runs WHERE workspace_id = ? AND `+column+` = ? ORDER BY id DESC LIMIT ? OFFSET ?`, workspaceID, id)
	if err != nil {
		return nil, 0, err
	}
	for _, r := range runs {
		steps, err := queryAll(ctx, db.b.reader(), scanStep, `SELECT `+stepColumns+` FROM run_steps WHERE run_id = ? ORDER BY path, position`, r.ID)
		if err != nil {
			return nil, 0, fmt.Errorf("load steps of run %s: %w", r.ID, err)
		}
		r.Steps = steps
	}
	return runs, total, nil
}

// SaveStep writes a step's state.
func (tx *Tx) SaveStep(ctx context.Context, workspaceID int64, s run.Step) error {
	input, output, err := encodeStepData(s)
	if err != nil {
		return err
	}
	return execOne(ctx, tx.q, "step", s.RunID, `UPDATE run_steps SET status = ?, attempts = ?, input = ?, output = ?, error = ?, started_at = ?, finished_at = ? WHERE workspace_id = ? AND run_id = ? AND path = ? AND position = ?`,
		s.Status, s.Attempts, input, output, s.Error, timeMicros(s.StartedAt), timeMicros(s.FinishedAt), workspaceID, s.RunID, s.Path, s.Position)
}

// SetRunStatus records a run's status (and finish time once final).
func (tx *Tx) SetRunStatus(ctx context.Context, workspaceID int64, id, status string, finished *time.Time) error {
	return execOne(ctx, tx.q, "run", id, `UPDATE workflow_runs SET status = ?, finished_at = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		status, timeMicros(finished), micros(tx.db.Now()), workspaceID, id)
}

// SaveEvaluation records how the workflows fared against an event (once).
func (tx *Tx) SaveEvaluation(ctx context.Context, workspaceID int64, ev run.Evaluation) error {
	results, err := encodeJSON(ev.Results)
	if err != nil {
		return fmt.Errorf("encode evaluation: %w", err)
	}
	ruledOut := "[]"
	if len(ev.RuledOut) > 0 {
		if ruledOut, err = encodeJSON(ev.RuledOut); err != nil {
			return fmt.Errorf("encode evaluation: %w", err)
		}
	}
	stop := ""
	if ev.Stop != nil {
		if stop, err = encodeJSON(ev.Stop); err != nil {
			return fmt.Errorf("encode evaluation: %w", err)
		}
	}
	_, err = tx.q.exec(ctx, `INSERT INTO evaluations (event_id, workspace_id, ticket_id, event_type, results, ruled_out, stop, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
		ev.EventID, workspaceID, ev.TicketID, ev.EventType, results, ruledOut, stop, micros(ev.CreatedAt))
	if err != nil {
		return fmt.Errorf("save evaluation of event %s: %w", ev.EventID, err)
	}
	return nil
}

func scanEvaluation(r row) (run.Evaluation, error) {
	var (
		ev                      run.Evaluation
		results, ruledOut, stop string
		created                 int64
	)
	if err := r.Scan(&ev.EventID, &ev.TicketID, &ev.EventType, &results, &ruledOut, &stop, &created); err != nil {
		return ev, err
	}
	if stop != "" {
		if err := validate.DecodeInto([]byte(stop), &ev.Stop); err != nil {
			return ev, err
		}
	}
	ev.CreatedAt = fromMicros(created)
	if err := validate.DecodeInto([]byte(results), &ev.Results); err != nil {
		return ev, err
	}
	if err := validate.DecodeInto([]byte(ruledOut), &ev.RuledOut); err != nil {
		return ev, err
	}
	if ev.RuledOut == nil {
		ev.RuledOut = []string{} // the API always shows the list
	}
	return ev, nil
}

// ListEvaluations lists a ticket's evaluations, newest first.
func (db *DB) ListEvaluations(ctx context.Context, workspaceID int64, ticketID string, page Page) ([]run.Evaluation, int, error) {
	return list(ctx, db, page, scanEvaluation,
		`SELECT COUNT(*) FROM evaluations WHERE workspace_id = ? AND ticket_id = ?`,
		`SELECT event_id, ticket_id, event_type, results, ruled_out, stop, created_at FROM evaluations WHERE workspace_id = ? AND ticket_id = ? ORDER BY event_id DESC LIMIT ? OFFSET ?`, workspaceID, ticketID)
}

func timeMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// ClaimStep marks a step running for claimer (a job) and counts the
// attempt, if it is pending or already claimed by the same claimer (a job
// retried after its node died). ok is false when someone else holds it or
// it is done.
func (tx *Tx) ClaimStep(ctx context.Context, workspaceID int64, runID string, path, position int, claimer string, at time.Time) (bool, error) {
	n, err := tx.q.exec(ctx, `UPDATE run_steps SET status = ?, claimed_by = ?, attempts = attempts + 1, started_at = ? WHERE workspace_id = ? AND run_id = ? AND path = ? AND position = ? AND (status = ? OR (status = ? AND claimed_by = ?))`,
		run.StepRunning, claimer, micros(at), workspaceID, runID, path, position, run.StepPending, run.StepRunning, claimer)
	if err != nil {
		return false, fmt.Errorf("claim step %d.%d of run %s: %w", path, position, runID, err)
	}
	return n == 1, nil
}

// SkipRest marks the pending steps of a path after position as skipped.
func (tx *Tx) SkipRest(ctx context.Context, workspaceID int64, runID string, path, position int, at time.Time) error {
	_, err := tx.q.exec(ctx, `UPDATE run_steps SET status = ?, finished_at = ? WHERE workspace_id = ? AND run_id = ? AND path = ? AND position > ? AND status = ?`,
		run.StepSkipped, micros(at), workspaceID, runID, path, position, run.StepPending)
	if err != nil {
		return fmt.Errorf("skip rest of path %d of run %s: %w", path, runID, err)
	}
	return nil
}

// PendingJobs counts the queue's unfinished jobs of the given kinds (all
// kinds when none is given): work that is waiting, running or to be retried.
func (db *DB) PendingJobs(ctx context.Context, kinds ...string) (int, error) {
	query := `SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'running', 'retryable', 'pending')`
	args := []any{}
	if len(kinds) > 0 {
		query += ` AND kind IN (` + placeholders(len(kinds)) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	var n int
	if err := db.b.writer().queryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending jobs: %w", err)
	}
	return n, nil
}

// ReplaySteps sets a run's failed or timed-out steps, and the steps that
// were skipped after them, back to pending, and the run to running; it
// returns the paths to drive again. Succeeded steps stay as they are.
func (tx *Tx) ReplaySteps(ctx context.Context, workspaceID int64, runID string) ([]int, error) {
	type start struct{ path, position int }
	starts, err := queryAll(ctx, tx.q, func(r row) (start, error) {
		var s start
		err := r.Scan(&s.path, &s.position)
		return s, err
	}, `SELECT path, MIN(position) FROM run_steps WHERE workspace_id = ? AND run_id = ? AND status IN (?, ?) GROUP BY path ORDER BY path`,
		workspaceID, runID, run.StepFailed, run.StepTimedOut)
	if err != nil {
		return nil, fmt.Errorf("find failed steps of run %s: %w", runID, err)
	}
	var paths []int
	for _, s := range starts {
		if _, err := tx.q.exec(ctx, `UPDATE run_steps SET status = ?, error = '', claimed_by = NULL, started_at = NULL, finished_at = NULL
			WHERE workspace_id = ? AND run_id = ? AND path = ? AND position >= ? AND status IN (?, ?, ?)`,
			run.StepPending, workspaceID, runID, s.path, s.position, run.StepFailed, run.StepTimedOut, run.StepSkipped); err != nil {
			return nil, fmt.Errorf("replay path %d of run %s: %w", s.path, runID, err)
		}
		paths = append(paths, s.path)
	}
	if len(paths) > 0 {
		if err := tx.SetRunStatus(ctx, workspaceID, runID, run.StatusRunning, nil); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
