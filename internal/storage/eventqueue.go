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

// EnqueueEvent queues an event of a ticket for processing in the
// transaction that stores it; it is due at once, whatever the clocks say.
func (tx *Tx) EnqueueEvent(ctx context.Context, workspaceID int64, ticketID, eventID string) error {
	if _, err := tx.q.exec(ctx, `INSERT INTO event_queue (workspace_id, ticket_id, event_id, available_at) VALUES (?, ?, ?, 0)`, workspaceID, ticketID, eventID); err != nil {
		return fmt.Errorf("queue event %s: %w", eventID, err)
	}
	return nil
}

// ClaimEvents returns up to limit events due at now for the transaction to
// process, shared fairly between the workspaces that have events waiting:
// each gets an equal share of the batch (at least one event), taking its
// oldest events first, and what a workspace leaves unused goes to the
// others. Workspaces are served in turn from the one after after (a
// workspace id), which matters when more workspaces wait than a batch
// holds; next is where the following claim should start. So one
// workspace's backlog delays another's events by about one batch, not by
// the backlog. On PostgreSQL the claimed rows stay locked until the
// transaction ends and other nodes skip them; SQLite has a single writer.
//
// Events of one ticket are claimed in order, one at a time: an event is
// not claimed while an earlier event of its ticket is queued, whether
// another transaction is processing it or it waits for a retry (until it
// is discarded). So two processors never take a ticket's events at once,
// and a failed event is not overtaken by the ticket's later ones.
func (tx *Tx) ClaimEvents(ctx context.Context, now time.Time, limit int, after int64) (events []QueuedEvent, next int64, err error) {
	waiting, err := tx.queuedWorkspaces(ctx)
	if err != nil || len(waiting) == 0 {
		return nil, after, err
	}
	waiting = inTurn(waiting, after, limit)
	next = waiting[0]
	share := max(1, limit/len(waiting))
	last := make(map[int64]int64, len(waiting)) // the newest seq claimed per workspace
	full := waiting[:0:0]                       // workspaces that used their whole share
	claim := func(ws int64, n int) error {
		got, err := tx.claimOf(ctx, ws, now, last[ws], n)
		if err != nil {
			return err
		}
		if len(got) > 0 {
			last[ws] = got[len(got)-1].Seq
		}
		events = append(events, got...)
		if len(got) == n {
			full = append(full, ws)
		}
		return nil
	}
	for _, ws := range waiting {
		if err := claim(ws, min(share, limit-len(events))); err != nil {
			return nil, after, err
		}
		if len(events) == limit {
			break
		}
	}
	// What the others left unused goes to the workspaces with more.
	for _, ws := range full {
		if len(events) == limit {
			break
		}
		if err := claim(ws, limit-len(events)); err != nil {
			return nil, after, err
		}
	}
	return events, next, nil
}

// inTurn orders the waiting workspaces (ascending ids) to start after the
// workspace after, and keeps at most limit of them.
func inTurn(waiting []int64, after int64, limit int) []int64 {
	start := 0
	for start < len(waiting) && waiting[start] <= after {
		start++
	}
	turn := append(waiting[start:len(waiting):len(waiting)], waiting[:start]...)
	return turn[:min(len(turn), limit)]
}

// queuedWorkspaces lists the workspaces with queued events, ascending, by
// one index probe per workspace rather than a scan of the queue.
func (tx *Tx) queuedWorkspaces(ctx context.Context) ([]int64, error) {
	ids, err := queryAll(ctx, tx.q, func(r row) (int64, error) {
		var id int64
		err := r.Scan(&id)
		return id, err
	}, `WITH RECURSIVE queued (id) AS (
		SELECT MIN(workspace_id) FROM event_queue
		UNION ALL
		SELECT (SELECT MIN(workspace_id) FROM event_queue WHERE workspace_id > queued.id) FROM queued WHERE queued.id IS NOT NULL
	) SELECT id FROM queued WHERE id IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("list workspaces with queued events: %w", err)
	}
	return ids, nil
}

// claimOf claims up to n due events of one workspace queued after seq,
// each the earliest queued event of its ticket.
func (tx *Tx) claimOf(ctx context.Context, workspaceID int64, now time.Time, afterSeq int64, n int) ([]QueuedEvent, error) {
	query := `SELECT seq, workspace_id, event_id, attempts FROM event_queue q
		WHERE workspace_id = ? AND seq > ? AND available_at <= ?
		AND NOT EXISTS (SELECT 1 FROM event_queue earlier WHERE earlier.workspace_id = q.workspace_id AND earlier.ticket_id = q.ticket_id AND earlier.seq < q.seq AND earlier.available_at < ?)
		ORDER BY seq LIMIT ?`
	if tx.db.b.name() == BackendPostgres {
		query += ` FOR UPDATE SKIP LOCKED`
	}
	events, err := queryAll(ctx, tx.q, func(r row) (QueuedEvent, error) {
		var q QueuedEvent
		err := r.Scan(&q.Seq, &q.WorkspaceID, &q.EventID, &q.Attempts)
		return q, err
	}, query, workspaceID, afterSeq, micros(now), int64(discardedAt), n)
	if err != nil {
		return nil, fmt.Errorf("claim events of workspace %d: %w", workspaceID, err)
	}
	return events, nil
}

// QueuedEvents counts the workspace's events waiting to be processed, now
// or after a failed attempt, counting no further than atMost.
func (tx *Tx) QueuedEvents(ctx context.Context, workspaceID int64, atMost int) (int, error) {
	var n int
	err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM event_queue WHERE workspace_id = ? AND available_at < ? LIMIT ?) AS queued`,
		workspaceID, int64(discardedAt), atMost).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count queued events of workspace %d: %w", workspaceID, err)
	}
	return n, nil
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
