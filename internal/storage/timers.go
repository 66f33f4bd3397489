package storage

import (
	"context"
	"fmt"
	"time"
)

// Timer statuses: a timer is pending until it fires; timers of a period
// that ended, or of a workflow that changed, are deleted. A timer whose due
// time cannot be computed (the business hours have no business time within
// the search horizon) is never due: it is kept, so that the ticket's timers
// say why its workflow will not fire, until its workflow or the business
// hours change (re-arming replaces it) or the period ends.
const (
	TimerPending  = "pending"
	TimerFired    = "fired"
	TimerNeverDue = "never_due"
)

// NeverDueReason is the reason a never-due timer is listed with.
const NeverDueReason = "no business time in the business hours within the search horizon: the due time cannot be computed, so the workflow will not fire for this waiting period"

// Timer is an on_no_reply timer: one per waiting period and workflow.
// DueAt is nil when the timer is never due.
type Timer struct {
	ID              string     `json:"-"`
	WorkspaceID     int64      `json:"-"`
	TicketID        string     `json:"ticket_id"`
	WorkflowID      string     `json:"workflow_id"`
	MessageID       string     `json:"message_id"`
	PeriodStartedAt time.Time  `json:"period_started_at"`
	DueAt           *time.Time `json:"due_at"`
	Status          string     `json:"status"`
	Reason          string     `json:"reason,omitempty"`
}

// WaitingPeriod is a ticket's open waiting period.
type WaitingPeriod struct {
	TicketID  string
	MessageID string
	Since     time.Time
}

// StartWaiting opens a waiting period at the customer message unless one is
// open already; started says whether this message opened it.
func (tx *Tx) StartWaiting(ctx context.Context, workspaceID int64, ticketID, messageID string, at time.Time) (bool, error) {
	n, err := tx.q.exec(ctx, `UPDATE tickets SET waiting_since = ?, waiting_message_id = ? WHERE workspace_id = ? AND id = ? AND waiting_since IS NULL`,
		micros(at), messageID, workspaceID, ticketID)
	if err != nil {
		return false, fmt.Errorf("start waiting period of ticket %s: %w", ticketID, err)
	}
	return n == 1, nil
}

// EndWaiting closes the ticket's waiting period and deletes its pending
// timers.
func (tx *Tx) EndWaiting(ctx context.Context, workspaceID int64, ticketID string) error {
	if _, err := tx.q.exec(ctx, `UPDATE tickets SET waiting_since = NULL, waiting_message_id = NULL WHERE workspace_id = ? AND id = ?`, workspaceID, ticketID); err != nil {
		return fmt.Errorf("end waiting period of ticket %s: %w", ticketID, err)
	}
	if _, err := tx.q.exec(ctx, `DELETE FROM no_reply_timers WHERE workspace_id = ? AND ticket_id = ? AND status <> ?`, workspaceID, ticketID, TimerFired); err != nil {
		return fmt.Errorf("cancel timers of ticket %s: %w", ticketID, err)
	}
	return nil
}

// WaitingPeriodOf returns the ticket's open period, if any.
func (db *DB) WaitingPeriodOf(ctx context.Context, workspaceID int64, ticketID string) (*WaitingPeriod, error) {
	return db.waitingPeriodOf(ctx, db.b.reader(), workspaceID, ticketID)
}

// WaitingPeriodOf is the same inside the transaction.
func (tx *Tx) WaitingPeriodOf(ctx context.Context, workspaceID int64, ticketID string) (*WaitingPeriod, error) {
	return tx.db.waitingPeriodOf(ctx, tx.q, workspaceID, ticketID)
}

func (db *DB) waitingPeriodOf(ctx context.Context, q querier, workspaceID int64, ticketID string) (*WaitingPeriod, error) {
	var (
		since   nullInt
		message nullString
	)
	err := q.queryRow(ctx, `SELECT waiting_since, waiting_message_id FROM tickets WHERE workspace_id = ? AND id = ?`, workspaceID, ticketID).Scan(&since, &message)
	if err != nil {
		if db.b.isNoRows(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("waiting period of ticket %s: %w", ticketID, err)
	}
	if !since.Valid || !message.Valid {
		return nil, nil
	}
	return &WaitingPeriod{TicketID: ticketID, MessageID: message.String, Since: fromMicros(since.Int64)}, nil
}

// WaitingPeriods lists open periods of the workspace after ticket id
// `after`, at most limit, for re-arming timers in batches.
func (tx *Tx) WaitingPeriods(ctx context.Context, workspaceID int64, after string, limit int) ([]WaitingPeriod, error) {
	return queryAll(ctx, tx.q, func(r row) (WaitingPeriod, error) {
		var (
			p     WaitingPeriod
			since int64
		)
		err := r.Scan(&p.TicketID, &p.MessageID, &since)
		p.Since = fromMicros(since)
		return p, err
	}, `SELECT id, waiting_message_id, waiting_since FROM tickets WHERE workspace_id = ? AND waiting_since IS NOT NULL AND id > ? ORDER BY id LIMIT ?`, workspaceID, after, limit)
}

// ArmTimers stores timers, pending or (DueAt nil) never due; a period that
// already has a timer of the workflow keeps it, so a period never fires
// twice.
func (tx *Tx) ArmTimers(ctx context.Context, timers []Timer) error {
	const perStatement = 100
	now := micros(tx.db.Now())
	for start := 0; start < len(timers); start += perStatement {
		batch := timers[start:min(start+perStatement, len(timers))]
		args := make([]any, 0, len(batch)*9)
		values := make([]byte, 0, len(batch)*32)
		for i, t := range batch {
			if i > 0 {
				values = append(values, ", "...)
			}
			values = append(values, "(?, ?, ?, ?, ?, ?, ?, ?, ?)"...)
			// A never-due timer's due_at is its period's start: never
			// read, and not NULL, so that the due index stays as it is.
			status, due := TimerPending, t.PeriodStartedAt
			if t.DueAt == nil {
				status = TimerNeverDue
			} else {
				due = *t.DueAt
			}
			args = append(args, t.ID, t.WorkspaceID, t.TicketID, t.WorkflowID, t.MessageID, micros(t.PeriodStartedAt), micros(due), status, now)
		}
		_, err := tx.q.exec(ctx, `INSERT INTO no_reply_timers (id, workspace_id, ticket_id, workflow_id, message_id, period_started_at, due_at, status, created_at) VALUES `+string(values)+` ON CONFLICT (ticket_id, workflow_id, message_id) DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("arm timers: %w", err)
		}
	}
	return nil
}

// DeleteWorkflowTimers deletes a workflow's timers that have not fired.
func (tx *Tx) DeleteWorkflowTimers(ctx context.Context, workspaceID int64, workflowID string) error {
	if _, err := tx.q.exec(ctx, `DELETE FROM no_reply_timers WHERE workspace_id = ? AND workflow_id = ? AND status <> ?`, workspaceID, workflowID, TimerFired); err != nil {
		return fmt.Errorf("delete timers of workflow %s: %w", workflowID, err)
	}
	return nil
}

const timerColumns = `id, workspace_id, ticket_id, workflow_id, message_id, period_started_at, due_at, status`

func scanTimer(r row) (Timer, error) {
	var (
		t           Timer
		started, at int64
	)
	err := r.Scan(&t.ID, &t.WorkspaceID, &t.TicketID, &t.WorkflowID, &t.MessageID, &started, &at, &t.Status)
	t.PeriodStartedAt = fromMicros(started)
	if t.Status == TimerNeverDue {
		t.Reason = NeverDueReason
	} else {
		due := fromMicros(at)
		t.DueAt = &due
	}
	return t, err
}

// TicketTimers lists a ticket's timers that have not fired: the pending
// ones soonest first, then the never-due ones.
func (db *DB) TicketTimers(ctx context.Context, workspaceID int64, ticketID string) ([]Timer, error) {
	return queryAll(ctx, db.b.reader(), scanTimer,
		`SELECT `+timerColumns+` FROM no_reply_timers WHERE workspace_id = ? AND ticket_id = ? AND status <> ? ORDER BY status = ?, due_at, id`, workspaceID, ticketID, TimerFired, TimerNeverDue)
}

// DueTimers lists pending timers due at or before now, in every workspace,
// soonest first: an index range scan, never a full scan.
func (db *DB) DueTimers(ctx context.Context, now time.Time, limit int) ([]Timer, error) {
	return queryAll(ctx, db.b.writer(), scanTimer,
		`SELECT `+timerColumns+` FROM no_reply_timers WHERE status = ? AND due_at <= ? ORDER BY due_at LIMIT ?`, TimerPending, micros(now), limit)
}

// NextTimer returns when the soonest pending timer is due (ok false: none).
func (db *DB) NextTimer(ctx context.Context) (time.Time, bool, error) {
	var due nullInt
	if err := db.b.reader().queryRow(ctx, `SELECT MIN(due_at) FROM no_reply_timers WHERE status = ?`, TimerPending).Scan(&due); err != nil {
		return time.Time{}, false, fmt.Errorf("next timer: %w", err)
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(due.Int64), true, nil
}

// FireTimer marks a pending timer fired; ok is false when another node
// fired it first or it was cancelled.
func (tx *Tx) FireTimer(ctx context.Context, t Timer, at time.Time) (bool, error) {
	n, err := tx.q.exec(ctx, `UPDATE no_reply_timers SET status = ?, fired_at = ? WHERE id = ? AND status = ?`, TimerFired, micros(at), t.ID, TimerPending)
	if err != nil {
		return false, fmt.Errorf("fire timer %s: %w", t.ID, err)
	}
	return n == 1, nil
}

// FiringLateness returns, for fired timers due in [from, to], how late each
// fired (fired_at - due_at): the measure of the scheduler's promptness.
func (db *DB) FiringLateness(ctx context.Context, from, to time.Time) ([]time.Duration, error) {
	return queryAll(ctx, db.b.reader(), func(r row) (time.Duration, error) {
		var late int64
		err := r.Scan(&late)
		return time.Duration(late) * time.Microsecond, err
	}, `SELECT fired_at - due_at FROM no_reply_timers WHERE status = ? AND due_at BETWEEN ? AND ? ORDER BY 1`, TimerFired, micros(from), micros(to))
}
