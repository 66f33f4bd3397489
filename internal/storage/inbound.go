package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/helpdesk"
)

// Email received on email channels: which channel an address belongs to,
// the record of every email (so a second delivery is recognised), threading
// lookups, attachments, and each channel's intake status and poller lease.

// ChannelRef is a channel with its workspace.
type ChannelRef struct {
	WorkspaceID int64
	Channel     helpdesk.Channel
}

// ChannelByAddress finds the email channel that receives mail for address,
// in whichever workspace: the SMTP receiver routes by it (addresses are
// unique among all channels).
func (db *DB) ChannelByAddress(ctx context.Context, address string) (ChannelRef, error) {
	var ref ChannelRef
	c, err := get(ctx, db, func(r row) (helpdesk.Channel, error) {
		return scanChannelAfter(r, &ref.WorkspaceID)
	}, "channel", address, `SELECT workspace_id, `+channelColumns+` FROM channels WHERE address = ? AND type = ?`, strings.ToLower(address), helpdesk.ChannelEmail)
	ref.Channel = c
	return ref, err
}

// MailboxChannels lists the email channels of every workspace that have an
// IMAP mailbox, for the pollers.
func (db *DB) MailboxChannels(ctx context.Context) ([]ChannelRef, error) {
	refs, err := queryAll(ctx, db.b.reader(), func(r row) (ChannelRef, error) {
		var ref ChannelRef
		var settings string
		if err := r.Scan(&ref.WorkspaceID, &ref.Channel.ID, &ref.Channel.Name, &settings); err != nil {
			return ref, err
		}
		ref.Channel.Type = helpdesk.ChannelEmail
		return ref, json.Unmarshal([]byte(settings), &ref.Channel.Settings)
	}, `SELECT workspace_id, id, name, settings FROM channels WHERE type = ? AND settings LIKE ? ORDER BY id`, helpdesk.ChannelEmail, `%"imap":{%`)
	if err != nil {
		return nil, fmt.Errorf("list mailbox channels: %w", err)
	}
	return refs, nil
}

// InboundEmail is the record of one email received on a channel.
type InboundEmail struct {
	ChannelID string
	// EmailID is its Message-ID, without angle brackets.
	EmailID   string
	Header    string
	Automatic string
	Problems  []string
}

// RecordInbound records an email's arrival; false when the channel has
// received it before (it is then not imported again).
func (tx *Tx) RecordInbound(ctx context.Context, workspaceID int64, e InboundEmail) (bool, error) {
	problems, err := json.Marshal(append([]string{}, e.Problems...))
	if err != nil {
		return false, err
	}
	n, err := tx.q.exec(ctx, `INSERT INTO inbound_emails (channel_id, email_id, workspace_id, headers, automatic, problems, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, email_id) DO NOTHING`,
		e.ChannelID, e.EmailID, workspaceID, e.Header, e.Automatic, string(problems), micros(tx.db.Now()))
	if err != nil {
		return false, fmt.Errorf("record email %s: %w", e.EmailID, err)
	}
	return n == 1, nil
}

// InboundImported links a recorded email to the message it became.
func (tx *Tx) InboundImported(ctx context.Context, workspaceID int64, channelID, emailID, messageID, ticketID string) error {
	_, err := tx.q.exec(ctx, `UPDATE inbound_emails SET message_id = ?, ticket_id = ? WHERE workspace_id = ? AND channel_id = ? AND email_id = ?`,
		messageID, ticketID, workspaceID, channelID, emailID)
	return err
}

// ThreadOf finds the ticket of the workspace that holds a message sent or
// received under one of ids (Message-IDs without angle brackets), the
// most recent first.
func (tx *Tx) ThreadOf(ctx context.Context, workspaceID int64, ids []string) (string, bool, error) {
	if len(ids) == 0 {
		return "", false, nil
	}
	// Outbound messages keep the angle brackets, inbound ones not.
	var keys []any
	for _, id := range ids {
		keys = append(keys, id, "<"+id+">")
	}
	var ticketID string
	err := tx.q.queryRow(ctx, `SELECT ticket_id FROM messages WHERE workspace_id = ? AND email_message_id IN (`+placeholders(len(keys))+`) ORDER BY created_at DESC LIMIT 1`,
		append([]any{workspaceID}, keys...)...).Scan(&ticketID)
	if tx.db.b.isNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("thread email: %w", err)
	}
	return ticketID, true, nil
}

// TicketByReference finds the workspace's ticket whose id ends with ref,
// the reference deskflow puts in its subjects ("[#ref]").
func (tx *Tx) TicketByReference(ctx context.Context, workspaceID int64, ref string) (string, bool, error) {
	var ticketID string
	err := tx.q.queryRow(ctx, `SELECT id FROM tickets WHERE workspace_id = ? AND id LIKE ? ORDER BY created_at DESC LIMIT 1`, workspaceID, "%"+ref).Scan(&ticketID)
	if tx.db.b.isNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find ticket by reference: %w", err)
	}
	return ticketID, true, nil
}

// OwnAddress says whether address is one deskflow sends from or receives
// at in the workspace: a channel's, or an smtp connector's from_address.
// Such an address never becomes a contact.
func (tx *Tx) OwnAddress(ctx context.Context, workspaceID int64, address string) (bool, error) {
	address = strings.ToLower(address)
	var n int
	err := tx.q.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM channels WHERE address = ?) + (SELECT COUNT(*) FROM connectors WHERE workspace_id = ? AND type = 'smtp' AND lower(settings) LIKE ?)`,
		address, workspaceID, `%"from_address":"`+strings.NewReplacer(`%`, ``, `_`, ``).Replace(address)+`"%`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check own address: %w", err)
	}
	return n > 0, nil
}

// AddAttachment stores a file of a message.
func (tx *Tx) AddAttachment(ctx context.Context, workspaceID int64, a helpdesk.Attachment, content []byte) error {
	_, err := tx.q.exec(ctx, `INSERT INTO attachments (id, workspace_id, message_id, name, content_type, size, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, workspaceID, a.MessageID, a.Name, a.ContentType, a.Size, content, micros(tx.db.Now()))
	if err != nil {
		return fmt.Errorf("store attachment %q: %w", a.Name, err)
	}
	return nil
}

func scanAttachment(r row) (helpdesk.Attachment, error) {
	var (
		a       helpdesk.Attachment
		created int64
		kept    bool
	)
	err := r.Scan(&a.ID, &a.MessageID, &a.Name, &a.ContentType, &a.Size, &kept, &created)
	a.Omitted, a.CreatedAt = !kept, fromMicros(created)
	return a, err
}

const attachmentColumns = `id, message_id, name, content_type, size, content IS NOT NULL, created_at`

// Attachments lists a message's attachments.
func (db *DB) Attachments(ctx context.Context, workspaceID int64, messageID string) ([]helpdesk.Attachment, error) {
	return queryAll(ctx, db.b.reader(), scanAttachment, `SELECT `+attachmentColumns+` FROM attachments WHERE workspace_id = ? AND message_id = ? ORDER BY id`, workspaceID, messageID)
}

// AttachmentContent loads one attachment with its content (nil when it was
// over the size limit).
func (db *DB) AttachmentContent(ctx context.Context, workspaceID int64, id string) (helpdesk.Attachment, []byte, error) {
	var content []byte
	a, err := get(ctx, db, func(r row) (helpdesk.Attachment, error) {
		var (
			a       helpdesk.Attachment
			created int64
		)
		err := r.Scan(&a.ID, &a.MessageID, &a.Name, &a.ContentType, &a.Size, &content, &created)
		a.Omitted, a.CreatedAt = content == nil, fromMicros(created)
		return a, err
	}, "attachment", id, `SELECT id, message_id, name, content_type, size, content, created_at FROM attachments WHERE workspace_id = ? AND id = ?`, workspaceID, id)
	return a, content, err
}

// MessageSource is what deskflow kept of the email a message came in as.
type MessageSource struct {
	ChannelID string   `json:"channel_id"`
	EmailID   string   `json:"email_message_id"`
	Header    string   `json:"header"`
	Automatic string   `json:"automatic"`
	Problems  []string `json:"problems"`
}

// MessageSource loads the raw header and notes of the email a message came
// in as; ErrNotFound when it did not come by email.
func (db *DB) MessageSource(ctx context.Context, workspaceID int64, messageID string) (MessageSource, error) {
	return get(ctx, db, func(r row) (MessageSource, error) {
		var (
			s        MessageSource
			problems string
		)
		if err := r.Scan(&s.ChannelID, &s.EmailID, &s.Header, &s.Automatic, &problems); err != nil {
			return s, err
		}
		return s, json.Unmarshal([]byte(problems), &s.Problems)
	}, "message source", messageID, `SELECT channel_id, email_id, headers, automatic, problems FROM inbound_emails WHERE workspace_id = ? AND message_id = ?`, workspaceID, messageID)
}

// CountIntake adds to a channel's intake counters.
func (db *DB) CountIntake(ctx context.Context, workspaceID int64, channelID string, imported, duplicates, failed int) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.CountIntake(ctx, workspaceID, channelID, imported, duplicates, failed) })
}

// CountIntake adds to a channel's intake counters inside the transaction.
func (tx *Tx) CountIntake(ctx context.Context, workspaceID int64, channelID string, imported, duplicates, failed int) error {
	_, err := tx.q.exec(ctx, `INSERT INTO channel_status (channel_id, workspace_id, imported, duplicates, failed) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (channel_id) DO UPDATE SET imported = channel_status.imported + excluded.imported, duplicates = channel_status.duplicates + excluded.duplicates, failed = channel_status.failed + excluded.failed`,
		channelID, workspaceID, imported, duplicates, failed)
	if err != nil {
		return fmt.Errorf("count intake of channel %s: %w", channelID, err)
	}
	return nil
}

// RecordPoll records a look at a channel's mailbox and its error ("" when
// it went well).
func (db *DB) RecordPoll(ctx context.Context, workspaceID int64, channelID string, at time.Time, pollErr string) error {
	_, err := db.b.writer().exec(ctx, `INSERT INTO channel_status (channel_id, workspace_id, last_poll_at, last_error) VALUES (?, ?, ?, ?)
		ON CONFLICT (channel_id) DO UPDATE SET last_poll_at = excluded.last_poll_at, last_error = excluded.last_error`,
		channelID, workspaceID, micros(at), pollErr)
	if err != nil {
		return fmt.Errorf("record poll of channel %s: %w", channelID, err)
	}
	return nil
}

// ChannelStatus reads a channel's intake status.
func (db *DB) ChannelStatus(ctx context.Context, workspaceID int64, channelID string) (helpdesk.ChannelStatus, error) {
	var (
		s    helpdesk.ChannelStatus
		poll nullInt
	)
	err := db.b.reader().queryRow(ctx, `SELECT last_poll_at, last_error, imported, duplicates, failed FROM channel_status WHERE workspace_id = ? AND channel_id = ?`, workspaceID, channelID).
		Scan(&poll, &s.LastError, &s.Imported, &s.Duplicates, &s.Failed)
	if db.b.isNoRows(err) {
		return s, nil
	}
	s.LastPollAt = poll.time()
	return s, err
}

// TakeLease makes owner the poller of a channel's mailbox until until,
// unless another owner holds an unexpired lease; it says whether owner
// holds it now. Renewing is taking it again.
func (db *DB) TakeLease(ctx context.Context, workspaceID int64, channelID, owner string, now, until time.Time) (bool, error) {
	n, err := db.b.writer().exec(ctx, `INSERT INTO channel_status (channel_id, workspace_id, lease_owner, lease_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (channel_id) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
		WHERE channel_status.lease_until < ? OR channel_status.lease_owner = excluded.lease_owner`,
		channelID, workspaceID, owner, micros(until), micros(now))
	if err != nil {
		return false, fmt.Errorf("lease channel %s: %w", channelID, err)
	}
	return n == 1, nil
}

// AutoRepliesTo counts the replies workflows sent to address since.
func (db *DB) AutoRepliesTo(ctx context.Context, workspaceID int64, address string, since time.Time) (int, error) {
	var n int
	err := db.b.reader().queryRow(ctx, `SELECT COUNT(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN contacts c ON c.id = t.contact_id
		WHERE m.workspace_id = ? AND m.direction = ? AND m.workflow_run_id IS NOT NULL AND m.email_message_id <> '' AND m.created_at >= ? AND lower(c.email) = ?`,
		workspaceID, helpdesk.DirectionOutbound, micros(since), strings.ToLower(address)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count replies to %s: %w", address, err)
	}
	return n, nil
}

// ReleaseLease gives up owner's lease of a channel's mailbox (a node
// stopping), so that another node polls it at once.
func (db *DB) ReleaseLease(ctx context.Context, workspaceID int64, channelID, owner string) error {
	_, err := db.b.writer().exec(ctx, `UPDATE channel_status SET lease_until = 0 WHERE workspace_id = ? AND channel_id = ? AND lease_owner = ?`, workspaceID, channelID, owner)
	return err
}
