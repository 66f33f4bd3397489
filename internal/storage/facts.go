package storage

import (
	"context"

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
	// Each read below also fetches, as a subquery, what a condition
	// compares it with: one statement instead of two, for every event.
	var m helpdesk.Message
	if messageID != nil {
		var first nullString
		m, err = getWith(ctx, db, q, withExtra(scanMessage, &first), "message", *messageID,
			`SELECT `+messageColumns+`, (SELECT f.id FROM messages f WHERE f.workspace_id = ? AND f.ticket_id = ? AND f.direction = ? ORDER BY f.id LIMIT 1) FROM messages WHERE workspace_id = ? AND id = ?`,
			workspaceID, ticketID, helpdesk.DirectionInbound, workspaceID, *messageID)
		f.IsFirstMessage = err == nil && first.Valid && m.ID == first.String
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
		var earliest nullString
		c, err := getWith(ctx, db, q, withExtra(scanContact, &earliest), "contact", *t.ContactID,
			`SELECT `+contactColumns+`, (SELECT e.id FROM tickets e WHERE e.workspace_id = ? AND e.contact_id = ? ORDER BY e.id LIMIT 1) FROM contacts WHERE workspace_id = ? AND id = ?`,
			workspaceID, *t.ContactID, workspaceID, *t.ContactID)
		switch {
		case err == nil:
			f.Contact = &c
			f.ContactIsNew = earliest.Valid && earliest.String == t.ID
		case err != ErrNotFound:
			return nil, err
		}
	}
	if t.ChannelID != nil {
		ch, err := getWith(ctx, db, q, scanChannel, "channel", *t.ChannelID, `SELECT `+channelColumns+` FROM channels WHERE workspace_id = ? AND id = ?`, workspaceID, *t.ChannelID)
		switch {
		case err == nil:
			f.Channel = &ch
		case err != ErrNotFound:
			return nil, err
		}
	}
	return f, nil
}

// withExtra scans a row that has one more column than scan reads, into
// extra.
func withExtra[T any](scan func(row) (T, error), extra any) func(row) (T, error) {
	return func(r row) (T, error) { return scan(extraColumn{r, extra}) }
}

type extraColumn struct {
	row
	extra any
}

func (e extraColumn) Scan(dest ...any) error { return e.row.Scan(append(dest, e.extra)...) }
