package storage

import (
	"context"
	"fmt"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
)

// Facts loads what conditions and templates need about a ticket: the ticket,
// the message the event concerns (messageID; nil means the latest customer
// message), its contact and channel, whether the contact is new (this is
// their first ticket) and whether the message is the ticket's first
// customer message.
func (db *DB) Facts(ctx context.Context, workspaceID int64, ticketID string, messageID *string) (*condition.Facts, error) {
	return db.facts(ctx, db.b.reader(), workspaceID, ticketID, messageID)
}

// Facts loads the facts inside the transaction, seeing its changes.
func (tx *Tx) Facts(ctx context.Context, workspaceID int64, ticketID string, messageID *string) (*condition.Facts, error) {
	return tx.db.facts(ctx, tx.q, workspaceID, ticketID, messageID)
}

func (db *DB) facts(ctx context.Context, q querier, workspaceID int64, ticketID string, messageID *string) (*condition.Facts, error) {
	t, err := db.getTicket(ctx, q, workspaceID, ticketID)
	if err != nil {
		return nil, err
	}
	f := &condition.Facts{Ticket: &t}
	var first string
	err = q.queryRow(ctx, `SELECT id FROM messages WHERE workspace_id = ? AND ticket_id = ? AND direction = ? ORDER BY id LIMIT 1`,
		workspaceID, ticketID, helpdesk.DirectionInbound).Scan(&first)
	if err != nil && !db.b.isNoRows(err) {
		return nil, fmt.Errorf("first message of ticket %s: %w", ticketID, err)
	}
	var m helpdesk.Message
	if messageID != nil {
		m, err = getWith(ctx, db, q, scanMessage, "message", *messageID, `SELECT `+messageColumns+` FROM messages WHERE workspace_id = ? AND id = ?`, workspaceID, *messageID)
		f.IsFirstMessage = err == nil && m.ID == first
	} else {
		m, err = getWith(ctx, db, q, scanMessage, "message", ticketID, `SELECT `+messageColumns+` FROM messages WHERE workspace_id = ? AND ticket_id = ? AND direction = ? ORDER BY id DESC LIMIT 1`,
			workspaceID, ticketID, helpdesk.DirectionInbound)
	}
	switch {
	case err == nil:
		f.Message = &m
	case err != ErrNotFound:
		return nil, err
	}
	if t.ContactID != nil {
		c, err := getWith(ctx, db, q, scanContact, "contact", *t.ContactID, `SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? AND id = ?`, workspaceID, *t.ContactID)
		switch {
		case err == nil:
			f.Contact = &c
			var earliest string
			if err := q.queryRow(ctx, `SELECT id FROM tickets WHERE workspace_id = ? AND contact_id = ? ORDER BY id LIMIT 1`, workspaceID, c.ID).Scan(&earliest); err != nil {
				return nil, fmt.Errorf("first ticket of contact %s: %w", c.ID, err)
			}
			f.ContactIsNew = earliest == t.ID
		case err != ErrNotFound:
			return nil, err
		}
	}
	if t.ChannelID != nil {
		ch, err := getWith(ctx, db, q, scanChannel, "channel", *t.ChannelID, `SELECT id, name, type, created_at FROM channels WHERE workspace_id = ? AND id = ?`, workspaceID, *t.ChannelID)
		switch {
		case err == nil:
			f.Channel = &ch
		case err != ErrNotFound:
			return nil, err
		}
	}
	return f, nil
}
