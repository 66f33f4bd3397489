package storage

import (
	"context"
	"fmt"
	"math"
	"time"
)

// The event queue holds the events that wait to be matched against the
// workflows. It is a plain table rather than a job-queue job per event:
// the engine claims many events at once and processes them in one
// transaction that also deletes their rows, so an event costs one insert
// and one delete instead of a job's insert, fetch and completion, each a
// transaction of its own.

// QueuedEvent is one event waiting to be processed.
type QueuedEvent struct {
	Seq         int64
	WorkspaceID int64
	EventID     string
	// Attempts counts the earlier failed attempts.
	Attempts int
}

// discardedAt marks an event that failed too often: it stays in the queue
// with its last error, for an operator to see, and is never claimed again.
const discardedAt = math.MaxInt64

// EnqueueEvent queues an event for processing in the transaction that
// stores it; it is due at once, whatever the clocks say.
func (tx *Tx) EnqueueEvent(ctx context.Context, workspaceID int64, eventID string) error {
	if _, err := tx.q.exec(ctx, `INSERT INTO event_queue (workspace_id, event_id, available_at) VALUES (?, ?, 0)`, workspaceID, eventID); err != nil {
		return fmt.Errorf("queue event %s: %w", eventID, err)
	}
	return nil
}

// ClaimEvents returns up to limit events due at now, oldest first, for the
// transaction to process. On PostgreSQL their rows stay locked until the
// transaction ends and other nodes skip them; SQLite has a single writer.
func (tx *Tx) ClaimEvents(ctx context.Context, now time.Time, limit int) ([]QueuedEvent, error) {
	query := `SELECT seq, workspace_id, event_id, attempts FROM event_queue WHERE available_at <= ? ORDER BY seq LIMIT ?`
	if tx.db.b.name() == BackendPostgres {
		query += ` FOR UPDATE SKIP LOCKED`
	}
	events, err := queryAll(ctx, tx.q, func(r row) (QueuedEvent, error) {
		var q QueuedEvent
		err := r.Scan(&q.Seq, &q.WorkspaceID, &q.EventID, &q.Attempts)
		return q, err
	}, query, micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim events: %w", err)
	}
	return events, nil
}

// EventProcessed removes a processed event from the queue.
func (tx *Tx) EventProcessed(ctx context.Context, seq int64) error {
	if _, err := tx.q.exec(ctx, `DELETE FROM event_queue WHERE seq = ?`, seq); err != nil {
		return fmt.Errorf("dequeue event %d: %w", seq, err)
	}
	return nil
}

// RetryEvent records a failed attempt: the event is claimed again from
// retryAt on, or never again when retryAt is the zero time (discarded).
func (tx *Tx) RetryEvent(ctx context.Context, seq int64, retryAt time.Time, cause error) error {
	at := int64(discardedAt)
	if !retryAt.IsZero() {
		at = micros(retryAt)
	}
	if _, err := tx.q.exec(ctx, `UPDATE event_queue SET attempts = attempts + 1, available_at = ?, last_error = ? WHERE seq = ?`, at, cause.Error(), seq); err != nil {
		return fmt.Errorf("record failed attempt of event %d: %w", seq, err)
	}
	return nil
}

// PendingEvents counts the events waiting to be processed, now or after a
// failed attempt; discarded events are not counted.
func (db *DB) PendingEvents(ctx context.Context) (int, error) {
	var n int
	if err := db.b.reader().queryRow(ctx, `SELECT COUNT(*) FROM event_queue WHERE available_at < ?`, int64(discardedAt)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count queued events: %w", err)
	}
	return n, nil
}

// DiscardedEvent is an event whose processing failed too often.
type DiscardedEvent struct {
	EventID   string
	Attempts  int
	LastError string
}

// DiscardedEvents lists the workspace's discarded events.
func (db *DB) DiscardedEvents(ctx context.Context, workspaceID int64) ([]DiscardedEvent, error) {
	return queryAll(ctx, db.b.reader(), func(r row) (DiscardedEvent, error) {
		var d DiscardedEvent
		err := r.Scan(&d.EventID, &d.Attempts, &d.LastError)
		return d, err
	}, `SELECT event_id, attempts, last_error FROM event_queue WHERE workspace_id = ? AND available_at = ? ORDER BY seq`, workspaceID, int64(discardedAt))
}
