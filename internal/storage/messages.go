package storage

import (
	"context"
	"fmt"
	"slices"

	"github.com/deskflow/deskflow/internal/helpdesk"
)

const (
	messageColumns = `id, ticket_id, direction, body, ` + messageMeta
	// messageHeaders read a message without its body ('' instead), for
	// callers that need everything else.
	messageHeaders = `id, ticket_id, direction, '', ` + messageMeta
	messageMeta    = `sender_name, sender_email, author_user_id, workflow_run_id, email_message_id, automatic, created_at`
)

func scanMessage(r row) (helpdesk.Message, error) {
	var (
		m           helpdesk.Message
		author, run nullString
		created     int64
	)
	err := r.Scan(&m.ID, &m.TicketID, &m.Direction, &m.Body, &m.SenderName, &m.SenderEmail, &author, &run, &m.EmailMessageID, &m.Automatic, &created)
	m.AuthorUserID, m.WorkflowRunID, m.CreatedAt = author.ptr(), run.ptr(), fromMicros(created)
	return m, err
}

func (tx *Tx) insertMessage(ctx context.Context, workspaceID int64, m helpdesk.Message) (helpdesk.Message, error) {
	m.ID, m.CreatedAt = helpdesk.NewID(), tx.db.Now()
	_, err := tx.q.exec(ctx, `INSERT INTO messages (id, workspace_id, ticket_id, direction, body, sender_name, sender_email, author_user_id, workflow_run_id, email_message_id, automatic, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, workspaceID, m.TicketID, m.Direction, m.Body, m.SenderName, m.SenderEmail, nullable(m.AuthorUserID), nullable(m.WorkflowRunID), m.EmailMessageID, m.Automatic, micros(m.CreatedAt))
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

// A conversation reads oldest first: by creation time, then by id, so that
// messages of the same microsecond keep one order on both back ends.
const (
	ticketMessages = ` FROM messages WHERE workspace_id = ? AND ticket_id = ?`
	oldestFirst    = ` ORDER BY created_at, id`
	newestFirst    = ` ORDER BY created_at DESC, id DESC`
)

// ListMessages lists one page of a ticket's messages (and notes), oldest
// first, and how many it has in all.
func (db *DB) ListMessages(ctx context.Context, workspaceID int64, ticketID string, page Page) ([]helpdesk.Message, int, error) {
	return list(ctx, db, page, scanMessage, `SELECT COUNT(*)`+ticketMessages,
		`SELECT `+messageColumns+ticketMessages+oldestFirst+` LIMIT ? OFFSET ?`, workspaceID, ticketID)
}

// LatestMessages returns a ticket's latest n messages, oldest first, and
// how many it has in all.
func (db *DB) LatestMessages(ctx context.Context, workspaceID int64, ticketID string, n int) ([]helpdesk.Message, int, error) {
	msgs, total, err := list(ctx, db, Page{Number: 1, Size: n}, scanMessage, `SELECT COUNT(*)`+ticketMessages,
		`SELECT `+messageColumns+ticketMessages+newestFirst+` LIMIT ? OFFSET ?`, workspaceID, ticketID)
	slices.Reverse(msgs)
	return msgs, total, err
}

// EmailThread returns, oldest first and without their bodies, the messages
// of a ticket that an emailed reply threads with (those with an email
// Message-ID, notes excepted), however long the conversation: the first,
// the latest inbound one and the latest n.
func (db *DB) EmailThread(ctx context.Context, workspaceID int64, ticketID string, n int) ([]helpdesk.Message, error) {
	const thread = `SELECT id` + ticketMessages + ` AND direction <> ? AND email_message_id <> ''`
	args := []any{workspaceID, ticketID, helpdesk.DirectionNote}
	msgs, err := queryAll(ctx, db.b.reader(), scanMessage, `SELECT `+messageHeaders+` FROM messages WHERE workspace_id = ? AND (`+
		`id IN (`+thread+oldestFirst+` LIMIT 1) OR `+
		`id IN (`+thread+` AND direction = ?`+newestFirst+` LIMIT 1) OR `+
		`id IN (`+thread+newestFirst+` LIMIT ?))`+oldestFirst,
		slices.Concat([]any{workspaceID}, args, args, []any{helpdesk.DirectionInbound}, args, []any{n})...)
	if err != nil {
		return nil, fmt.Errorf("email thread of ticket %s: %w", ticketID, err)
	}
	return msgs, nil
}

// SentEmail finds, without its body, the ticket's outbound message
// recorded with the email Message-ID id (given without angle brackets,
// stored with or without them); ErrNotFound when there is none.
func (db *DB) SentEmail(ctx context.Context, workspaceID int64, ticketID, id string) (helpdesk.Message, error) {
	return get(ctx, db, scanMessage, "message with Message-ID", id,
		`SELECT `+messageHeaders+ticketMessages+` AND direction = ? AND email_message_id IN (?, ?)`+oldestFirst+` LIMIT 1`,
		workspaceID, ticketID, helpdesk.DirectionOutbound, "<"+id+">", id)
}

// GetMessage loads one message.
func (db *DB) GetMessage(ctx context.Context, workspaceID int64, id string) (helpdesk.Message, error) {
	return get(ctx, db, scanMessage, "message", id, `SELECT `+messageColumns+` FROM messages WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}
