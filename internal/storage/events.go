package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/deskflow/deskflow/internal/helpdesk"
)

// EventHook is called for every event inside the transaction that stores
// it, so that the engine can enqueue its processing atomically with the
// change.
type EventHook func(ctx context.Context, tx *Tx, workspaceID int64, ev helpdesk.Event) error

// SetEventHook installs the hook; nil stores events only.
func (db *DB) SetEventHook(h EventHook) { db.eventHook = h }

// Emit stores an event in the transaction and hands it to the event hook.
func (tx *Tx) Emit(ctx context.Context, workspaceID int64, ev helpdesk.Event) (helpdesk.Event, error) {
	ev.ID = helpdesk.NewID()
	ev.CreatedAt = tx.db.Now()
	cause, err := json.Marshal(ev.Cause)
	if err != nil {
		return ev, fmt.Errorf("encode event cause: %w", err)
	}
	_, err = tx.q.exec(ctx, `INSERT INTO events (id, workspace_id, type, ticket_id, message_id, tag_id, workflow_id, cause, depth, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, workspaceID, ev.Type, ev.TicketID, nullable(ev.MessageID), nullable(ev.TagID), nullable(ev.WorkflowID), string(cause), ev.Cause.Depth(), micros(ev.CreatedAt))
	if err != nil {
		return ev, fmt.Errorf("store event %s: %w", ev.Type, err)
	}
	if tx.db.eventHook != nil {
		if err := tx.db.eventHook(ctx, tx, workspaceID, ev); err != nil {
			return ev, fmt.Errorf("event hook %s: %w", ev.Type, err)
		}
	}
	return ev, nil
}

func scanEvent(r row) (helpdesk.Event, error) {
	var (
		ev           helpdesk.Event
		message, tag nullString
		workflow     nullString
		cause        string
		created      int64
	)
	err := r.Scan(&ev.ID, &ev.Type, &ev.TicketID, &message, &tag, &workflow, &cause, &created)
	if err != nil {
		return ev, err
	}
	ev.MessageID, ev.TagID, ev.WorkflowID, ev.CreatedAt = message.ptr(), tag.ptr(), workflow.ptr(), fromMicros(created)
	if err := json.Unmarshal([]byte(cause), &ev.Cause); err != nil {
		return ev, fmt.Errorf("decode cause of event %s: %w", ev.ID, err)
	}
	return ev, nil
}

// ListTicketEvents lists a ticket's events, oldest first.
func (db *DB) ListTicketEvents(ctx context.Context, workspaceID int64, ticketID string) ([]helpdesk.Event, error) {
	return queryAll(ctx, db.b.reader(), scanEvent,
		`SELECT id, type, ticket_id, message_id, tag_id, workflow_id, cause, created_at FROM events WHERE workspace_id = ? AND ticket_id = ? ORDER BY id`, workspaceID, ticketID)
}

// GetEvent loads one event.
func (db *DB) GetEvent(ctx context.Context, workspaceID int64, id string) (helpdesk.Event, error) {
	return get(ctx, db, scanEvent, "event", id,
		`SELECT id, type, ticket_id, message_id, tag_id, workflow_id, cause, created_at FROM events WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// CountEvents counts the workspace's events of one type.
func (db *DB) CountEvents(ctx context.Context, workspaceID int64, eventType string) (int, error) {
	var n int
	if err := db.b.reader().queryRow(ctx, `SELECT COUNT(*) FROM events WHERE workspace_id = ? AND type = ?`, workspaceID, eventType).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s events: %w", eventType, err)
	}
	return n, nil
}

// Event loads one event inside the transaction.
func (tx *Tx) Event(ctx context.Context, workspaceID int64, id string) (helpdesk.Event, error) {
	return getWith(ctx, tx.db, tx.q, scanEvent, "event", id,
		`SELECT id, type, ticket_id, message_id, tag_id, workflow_id, cause, created_at FROM events WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// TicketHadEvent says whether the ticket has had an event of one of types
// (as far as retention keeps them).
func (db *DB) TicketHadEvent(ctx context.Context, workspaceID int64, ticketID string, types []string) (bool, error) {
	if len(types) == 0 {
		return false, nil
	}
	var n int
	args := append([]any{workspaceID, ticketID}, anySlice(types)...)
	err := db.b.reader().queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE workspace_id = ? AND ticket_id = ? AND type IN (`+placeholders(len(types))+`) LIMIT 1) AS seen`, args...).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for events of ticket %s: %w", ticketID, err)
	}
	return n > 0, nil
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// RecentTickets lists the ids of the workspace's tickets created since
// since, newest first, at most limit.
func (db *DB) RecentTickets(ctx context.Context, workspaceID int64, since time.Time, limit int) ([]string, error) {
	return queryAll(ctx, db.b.reader(), scanString, `SELECT id FROM tickets WHERE workspace_id = ? AND created_at >= ? ORDER BY created_at DESC, id DESC LIMIT ?`, workspaceID, micros(since), limit)
}
