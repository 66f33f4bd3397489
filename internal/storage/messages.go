package storage

import (
	"context"
	"fmt"

	"github.com/deskflow/deskflow/internal/helpdesk"
)

const messageColumns = `id, ticket_id, direction, body, sender_name, sender_email, author_user_id, workflow_run_id, email_message_id, created_at`

func scanMessage(r row) (helpdesk.Message, error) {
	var (
		m           helpdesk.Message
		author, run nullString
		created     int64
	)
	err := r.Scan(&m.ID, &m.TicketID, &m.Direction, &m.Body, &m.SenderName, &m.SenderEmail, &author, &run, &m.EmailMessageID, &created)
	m.AuthorUserID, m.WorkflowRunID, m.CreatedAt = author.ptr(), run.ptr(), fromMicros(created)
	return m, err
}

func (tx *Tx) insertMessage(ctx context.Context, workspaceID int64, m helpdesk.Message) (helpdesk.Message, error) {
	m.ID, m.CreatedAt = helpdesk.NewID(), tx.db.Now()
	_, err := tx.q.exec(ctx, `INSERT INTO messages (id, workspace_id, ticket_id, direction, body, sender_name, sender_email, author_user_id, workflow_run_id, email_message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, workspaceID, m.TicketID, m.Direction, m.Body, m.SenderName, m.SenderEmail, nullable(m.AuthorUserID), nullable(m.WorkflowRunID), m.EmailMessageID, micros(m.CreatedAt))
	if err != nil {
		return m, fmt.Errorf("insert message: %w", err)
	}
	return m, nil
}

// AddMessage adds a message to a ticket inside the transaction. An inbound
// message emits message.inbound, an outbound reply message.outbound; an
// internal note emits nothing. Inbound messages take the sender from the
// ticket's contact when not given.
func (tx *Tx) AddMessage(ctx context.Context, workspaceID int64, m helpdesk.Message, cause helpdesk.Cause) (helpdesk.Message, error) {
	contactID, err := tx.touch(ctx, workspaceID, m.TicketID)
	if err != nil {
		return m, err
	}
	if m.Direction == helpdesk.DirectionInbound && m.SenderEmail == "" && contactID.Valid {
		c, err := getWith(ctx, tx.db, tx.q, scanContact, "contact", contactID.String,
			`SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? AND id = ?`, workspaceID, contactID.String)
		if err != nil && err != ErrNotFound {
			return m, err
		}
		m.SenderName, m.SenderEmail = c.Name, c.Email
	}
	m, err = tx.insertMessage(ctx, workspaceID, m)
	if err != nil {
		return m, err
	}
	var eventType string
	switch m.Direction {
	case helpdesk.DirectionInbound:
		eventType = helpdesk.EventInboundMessage
	case helpdesk.DirectionOutbound:
		eventType = helpdesk.EventOutboundMessage
	default:
		return m, nil
	}
	_, err = tx.Emit(ctx, workspaceID, helpdesk.Event{Type: eventType, TicketID: m.TicketID, MessageID: &m.ID, Cause: cause})
	return m, err
}

// AddMessage adds a message in a transaction of its own.
func (db *DB) AddMessage(ctx context.Context, workspaceID int64, m helpdesk.Message) (helpdesk.Message, error) {
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		m, err = tx.AddMessage(ctx, workspaceID, m, helpdesk.Cause{})
		return err
	})
	return m, err
}

// ListMessages lists a ticket's messages (and notes), oldest first.
func (db *DB) ListMessages(ctx context.Context, workspaceID int64, ticketID string) ([]helpdesk.Message, error) {
	return queryAll(ctx, db.b.reader(), scanMessage,
		`SELECT `+messageColumns+` FROM messages WHERE workspace_id = ? AND ticket_id = ? ORDER BY id`, workspaceID, ticketID)
}

// GetMessage loads one message.
func (db *DB) GetMessage(ctx context.Context, workspaceID int64, id string) (helpdesk.Message, error) {
	return get(ctx, db, scanMessage, "message", id, `SELECT `+messageColumns+` FROM messages WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}
