package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"

	"github.com/deskflow/deskflow/internal/helpdesk"
)

// NewTicket is a ticket to create with its first inbound message.
type NewTicket struct {
	Subject string
	Body    string
	// Status and Priority are open and medium when empty.
	Status       string
	Priority     string
	ChannelID    *string
	ContactEmail string
	ContactName  string
	CustomFields map[string]any
}

const ticketColumns = `id, subject, status, priority, channel_id, contact_id, assignee_type, assignee_user_id, assignee_team_id, custom_fields, created_at, updated_at, waiting_since`

func scanTicket(r row) (helpdesk.Ticket, error) {
	var (
		t                        helpdesk.Ticket
		channel, contact         nullString
		assigneeUser, assigneeTm nullString
		fields                   string
		created, updated         int64
		waiting                  nullInt
	)
	err := r.Scan(&t.ID, &t.Subject, &t.Status, &t.Priority, &channel, &contact, &t.Assignee.Type, &assigneeUser, &assigneeTm, &fields, &created, &updated, &waiting)
	if err != nil {
		return t, err
	}
	t.ChannelID, t.ContactID = channel.ptr(), contact.ptr()
	t.Assignee.UserID, t.Assignee.TeamID = assigneeUser.ptr(), assigneeTm.ptr()
	t.CreatedAt, t.UpdatedAt, t.WaitingSince = fromMicros(created), fromMicros(updated), waiting.time()
	t.CustomFields = map[string]any{}
	if err := json.Unmarshal([]byte(fields), &t.CustomFields); err != nil {
		return t, fmt.Errorf("decode custom fields of ticket %s: %w", t.ID, err)
	}
	t.TagIDs, t.TagNames = []string{}, []string{}
	return t, nil
}

// CreateTicket stores a ticket, its contact (found by email or created) and
// its first inbound message, and emits ticket.created and message.inbound,
// all in one transaction.
func (db *DB) CreateTicket(ctx context.Context, workspaceID int64, in NewTicket) (helpdesk.Ticket, error) {
	var t helpdesk.Ticket
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		t, _, err = tx.CreateTicket(ctx, workspaceID, in, helpdesk.Message{})
		return err
	})
	if err != nil {
		return t, fmt.Errorf("create ticket: %w", err)
	}
	return t, nil
}

// CreateTicket is CreateTicket inside the transaction; first gives the
// first message's email fields (EmailMessageID, Automatic).
func (tx *Tx) CreateTicket(ctx context.Context, workspaceID int64, in NewTicket, first helpdesk.Message) (helpdesk.Ticket, helpdesk.Message, error) {
	contact, _, err := tx.contactByEmail(ctx, workspaceID, in.ContactEmail, in.ContactName)
	if err != nil {
		return helpdesk.Ticket{}, first, err
	}
	fields, err := json.Marshal(nonNilMap(in.CustomFields))
	if err != nil {
		return helpdesk.Ticket{}, first, fmt.Errorf("encode custom fields: %w", err)
	}
	now := tx.db.Now()
	t := helpdesk.Ticket{
		ID: helpdesk.NewID(), Subject: in.Subject, Status: cmp.Or(in.Status, helpdesk.StatusOpen), Priority: cmp.Or(in.Priority, helpdesk.PriorityMedium),
		ChannelID: in.ChannelID, ContactID: &contact.ID, Assignee: helpdesk.Assignee{Type: helpdesk.AssigneeNone},
		TagIDs: []string{}, CustomFields: nonNilMap(in.CustomFields), CreatedAt: now, UpdatedAt: now,
	}
	_, err = tx.q.exec(ctx, `INSERT INTO tickets (id, workspace_id, subject, status, priority, channel_id, contact_id, assignee_type, custom_fields, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, workspaceID, t.Subject, t.Status, t.Priority, nullable(t.ChannelID), contact.ID, t.Assignee.Type, string(fields), micros(now), micros(now))
	if err != nil {
		return t, first, fmt.Errorf("insert ticket: %w", err)
	}
	first.TicketID, first.Direction, first.Body, first.SenderName, first.SenderEmail = t.ID, helpdesk.DirectionInbound, in.Body, contact.Name, contact.Email
	msg, err := tx.insertMessage(ctx, workspaceID, first)
	if err != nil {
		return t, msg, err
	}
	if _, err := tx.Emit(ctx, workspaceID, helpdesk.Event{Type: helpdesk.EventTicketCreated, TicketID: t.ID, MessageID: &msg.ID}); err != nil {
		return t, msg, err
	}
	_, err = tx.Emit(ctx, workspaceID, helpdesk.Event{Type: helpdesk.EventInboundMessage, TicketID: t.ID, MessageID: &msg.ID})
	return t, msg, err
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// GetTicket loads a ticket with its tags.
func (db *DB) GetTicket(ctx context.Context, workspaceID int64, id string) (helpdesk.Ticket, error) {
	return db.getTicket(ctx, db.b.reader(), workspaceID, id)
}

// Ticket loads a ticket with its tags inside the transaction.
func (tx *Tx) Ticket(ctx context.Context, workspaceID int64, id string) (helpdesk.Ticket, error) {
	return tx.db.getTicket(ctx, tx.q, workspaceID, id)
}

func (db *DB) getTicket(ctx context.Context, q querier, workspaceID int64, id string) (helpdesk.Ticket, error) {
	t, err := getWith(ctx, db, q, scanTicket, "ticket", id, `SELECT `+ticketColumns+` FROM tickets WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	if err != nil {
		return t, err
	}
	tags, err := queryAll(ctx, q, scanTicketTag, `SELECT tt.ticket_id, tt.tag_id, tg.name FROM ticket_tags tt JOIN tags tg ON tg.id = tt.tag_id WHERE tt.ticket_id = ? ORDER BY tt.created_at, tt.tag_id`, id)
	if err != nil {
		return t, fmt.Errorf("load tags of ticket %s: %w", id, err)
	}
	for _, tag := range tags {
		t.TagIDs, t.TagNames = append(t.TagIDs, tag.id), append(t.TagNames, tag.name)
	}
	return t, nil
}

// ticketTag is one tag of a ticket, with its name.
type ticketTag struct{ ticket, id, name string }

func scanTicketTag(r row) (ticketTag, error) {
	var t ticketTag
	err := r.Scan(&t.ticket, &t.id, &t.name)
	return t, err
}

func scanString(r row) (string, error) {
	var s string
	err := r.Scan(&s)
	return s, err
}

// ListTickets lists tickets, newest first, with their tags.
func (db *DB) ListTickets(ctx context.Context, workspaceID int64, page Page) ([]helpdesk.Ticket, int, error) {
	tickets, total, err := list(ctx, db, page, scanTicket, `SELECT COUNT(*) FROM tickets WHERE workspace_id = ?`,
		`SELECT `+ticketColumns+` FROM tickets WHERE workspace_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, workspaceID)
	if err != nil || len(tickets) == 0 {
		return tickets, total, err
	}
	ids := make([]string, len(tickets))
	index := make(map[string]int, len(tickets))
	for i, t := range tickets {
		ids[i] = t.ID
		index[t.ID] = i
	}
	list, args := inList(ids)
	tags, err := queryAll(ctx, db.b.reader(), scanTicketTag, `SELECT tt.ticket_id, tt.tag_id, tg.name FROM ticket_tags tt JOIN tags tg ON tg.id = tt.tag_id WHERE tt.ticket_id IN (`+list+`) ORDER BY tt.created_at, tt.tag_id`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("load ticket tags: %w", err)
	}
	for _, tag := range tags {
		t := &tickets[index[tag.ticket]]
		t.TagIDs, t.TagNames = append(t.TagIDs, tag.id), append(t.TagNames, tag.name)
	}
	return tickets, total, nil
}

// UpdateTicket applies a change.
func (db *DB) UpdateTicket(ctx context.Context, workspaceID int64, id string, ch helpdesk.TicketChange) (helpdesk.Ticket, error) {
	var t helpdesk.Ticket
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		t, err = tx.UpdateTicket(ctx, workspaceID, id, ch)
		return err
	})
	return t, err
}

// UpdateTicket applies a change inside the transaction.
func (tx *Tx) UpdateTicket(ctx context.Context, workspaceID int64, id string, ch helpdesk.TicketChange) (helpdesk.Ticket, error) {
	t, err := tx.Ticket(ctx, workspaceID, id)
	if err != nil {
		return t, err
	}
	if ch.Subject != nil {
		t.Subject = *ch.Subject
	}
	if ch.Status != nil {
		t.Status = *ch.Status
	}
	if ch.Priority != nil {
		t.Priority = *ch.Priority
	}
	if ch.Assignee != nil {
		t.Assignee = *ch.Assignee
	}
	for k, v := range ch.CustomFields {
		if v == nil {
			delete(t.CustomFields, k)
		} else {
			t.CustomFields[k] = v
		}
	}
	fields, err := json.Marshal(t.CustomFields)
	if err != nil {
		return t, fmt.Errorf("encode custom fields: %w", err)
	}
	t.UpdatedAt = tx.db.Now()
	err = execOne(ctx, tx.q, "ticket", id, `UPDATE tickets SET subject = ?, status = ?, priority = ?, assignee_type = ?, assignee_user_id = ?, assignee_team_id = ?, custom_fields = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		t.Subject, t.Status, t.Priority, t.Assignee.Type, nullable(t.Assignee.UserID), nullable(t.Assignee.TeamID), string(fields), micros(t.UpdatedAt), workspaceID, id)
	return t, err
}

// AddTags adds tags to a ticket and emits tag.added for each tag that was
// not on it yet; it returns the ids actually added.
func (tx *Tx) AddTags(ctx context.Context, workspaceID int64, ticketID string, tagIDs []string, cause helpdesk.Cause) ([]string, error) {
	added := []string{}
	for _, tagID := range tagIDs {
		n, err := tx.q.exec(ctx, `INSERT INTO ticket_tags (ticket_id, tag_id, workspace_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (ticket_id, tag_id) DO NOTHING`,
			ticketID, tagID, workspaceID, micros(tx.db.Now()))
		if err != nil {
			return nil, fmt.Errorf("add tag %s to ticket %s: %w", tagID, ticketID, err)
		}
		if n == 0 {
			continue
		}
		added = append(added, tagID)
		if _, err := tx.Emit(ctx, workspaceID, helpdesk.Event{Type: helpdesk.EventTagAdded, TicketID: ticketID, TagID: &tagID, Cause: cause}); err != nil {
			return nil, err
		}
	}
	return added, tx.touchIf(ctx, workspaceID, ticketID, len(added) > 0)
}

// RemoveTags removes tags from a ticket and emits tag.removed for each tag
// that was on it; it returns the ids actually removed.
func (tx *Tx) RemoveTags(ctx context.Context, workspaceID int64, ticketID string, tagIDs []string, cause helpdesk.Cause) ([]string, error) {
	removed := []string{}
	for _, tagID := range tagIDs {
		n, err := tx.q.exec(ctx, `DELETE FROM ticket_tags WHERE workspace_id = ? AND ticket_id = ? AND tag_id = ?`, workspaceID, ticketID, tagID)
		if err != nil {
			return nil, fmt.Errorf("remove tag %s from ticket %s: %w", tagID, ticketID, err)
		}
		if n == 0 {
			continue
		}
		removed = append(removed, tagID)
		if _, err := tx.Emit(ctx, workspaceID, helpdesk.Event{Type: helpdesk.EventTagRemoved, TicketID: ticketID, TagID: &tagID, Cause: cause}); err != nil {
			return nil, err
		}
	}
	return removed, tx.touchIf(ctx, workspaceID, ticketID, len(removed) > 0)
}

// touchIf touches the ticket when its tags changed.
func (tx *Tx) touchIf(ctx context.Context, workspaceID int64, ticketID string, changed bool) error {
	if !changed {
		return nil
	}
	_, err := tx.touch(ctx, workspaceID, ticketID)
	return err
}

// touch marks the ticket updated and returns its contact; touching also
// tells that the ticket exists. A transaction touches a ticket once: the
// runs of one event add several notes and tags to the same ticket, and
// their changes share one time anyway.
func (tx *Tx) touch(ctx context.Context, workspaceID int64, ticketID string) (contactID nullString, err error) {
	if contactID, ok := tx.touched[ticketID]; ok {
		return contactID, nil
	}
	err = tx.q.queryRow(ctx, `UPDATE tickets SET updated_at = ? WHERE workspace_id = ? AND id = ? RETURNING contact_id`, micros(tx.db.Now()), workspaceID, ticketID).Scan(&contactID)
	if err != nil {
		if tx.db.b.isNoRows(err) {
			return contactID, ErrNotFound
		}
		return contactID, fmt.Errorf("touch ticket %s: %w", ticketID, err)
	}
	if tx.touched == nil {
		tx.touched = map[string]nullString{}
	}
	tx.touched[ticketID] = contactID
	return contactID, nil
}

// ChangeTags runs AddTags or RemoveTags in a transaction of its own.
func (db *DB) ChangeTags(ctx context.Context, workspaceID int64, ticketID string, tagIDs []string, add bool) ([]string, error) {
	var changed []string
	err := db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.Ticket(ctx, workspaceID, ticketID); err != nil {
			return err
		}
		var err error
		if add {
			changed, err = tx.AddTags(ctx, workspaceID, ticketID, tagIDs, helpdesk.Cause{})
		} else {
			changed, err = tx.RemoveTags(ctx, workspaceID, ticketID, tagIDs, helpdesk.Cause{})
		}
		return err
	})
	return changed, err
}
