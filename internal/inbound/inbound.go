// Package inbound turns the emails an email channel receives into tickets
// and messages: it reads each one (package mail), recognises a second
// delivery of the same email, threads it onto its ticket (the Message-IDs
// deskflow sent or received, else the "[#ref]" deskflow puts in its
// subjects, else a new ticket), finds or creates the sender's contact, and
// stores it with the same events as the API, so every trigger, timer and
// loop rule works unchanged. The IMAP poller and the SMTP receiver feed it.
package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/mail"
	"github.com/deskflow/deskflow/internal/storage"
)

// Outcome is what became of one email.
type Outcome string

const (
	// Imported: stored as a message (of a new or an existing ticket).
	Imported Outcome = "imported"
	// Duplicate: the channel had received it before; nothing changed.
	Duplicate Outcome = "duplicate"
	// Rejected: it cannot become a message (Reason says why); it is
	// counted as failed and logged.
	Rejected Outcome = "rejected"
)

// Result is what Import did with an email.
type Result struct {
	Outcome   Outcome
	TicketID  string
	MessageID string
	// NewTicket: the email opened a ticket.
	NewTicket bool
	Reason    string
}

// Importer imports emails into the database.
type Importer struct {
	DB     *storage.DB
	Limits mail.Limits
	// MaxMessageBytes bounds a message's text, as the API's does.
	MaxMessageBytes int
	Log             *slog.Logger
}

// Import reads raw and imports it into the channel's workspace. An error
// is returned only when the database failed (the email can be tried
// again); an email that cannot be imported is Rejected.
func (im *Importer) Import(ctx context.Context, workspaceID int64, channel helpdesk.Channel, raw []byte) (Result, error) {
	results, err := im.ImportAll(ctx, workspaceID, channel, [][]byte{raw})
	if err != nil {
		return Result{}, err
	}
	return results[0], nil
}

// ImportAll imports emails in one transaction (a fetched batch of a
// mailbox), each under a savepoint; it fails as a whole only when the
// database does.
func (im *Importer) ImportAll(ctx context.Context, workspaceID int64, channel helpdesk.Channel, raws [][]byte) ([]Result, error) {
	parsed := make([]*mail.Message, len(raws))
	results := make([]Result, len(raws))
	for i, raw := range raws {
		m, err := mail.Parse(raw, im.limits())
		var rejected *mail.RejectedError
		if errors.As(err, &rejected) {
			results[i] = Result{Outcome: Rejected, Reason: rejected.Reason}
			continue
		}
		if err != nil {
			return nil, err
		}
		parsed[i] = m
	}
	err := im.DB.InTx(ctx, func(tx *storage.Tx) error {
		var imported, duplicates, failed int
		for i, m := range parsed {
			if m != nil {
				res, err := im.importOne(ctx, tx, workspaceID, channel, m)
				if err != nil {
					return fmt.Errorf("import email %s: %w", m.MessageID, err)
				}
				results[i] = res
			}
			switch results[i].Outcome {
			case Imported:
				imported++
			case Duplicate:
				duplicates++
			case Rejected:
				failed++
			}
		}
		return tx.CountIntake(ctx, workspaceID, channel.ID, imported, duplicates, failed)
	})
	if err != nil {
		return nil, err
	}
	for _, res := range results {
		if res.Outcome == Rejected && im.Log != nil {
			im.Log.Warn("email rejected", "workspace", workspaceID, "channel", channel.ID, "reason", res.Reason)
		}
	}
	return results, nil
}

// importOne imports one email inside the batch's transaction, under a
// savepoint: a failure of its own leaves the others.
func (im *Importer) importOne(ctx context.Context, tx *storage.Tx, workspaceID int64, channel helpdesk.Channel, m *mail.Message) (Result, error) {
	own, err := tx.OwnAddress(ctx, workspaceID, m.From)
	if err != nil {
		return Result{}, err
	}
	if own {
		return Result{Outcome: Rejected, Reason: fmt.Sprintf("sent from %s, an address of deskflow's own", m.From)}, nil
	}
	const sp = "deskflow_email"
	if err := tx.Savepoint(ctx, sp); err != nil {
		return Result{}, err
	}
	res, err := func() (Result, error) {
		fresh, err := tx.RecordInbound(ctx, workspaceID, storage.InboundEmail{
			ChannelID: channel.ID, EmailID: m.MessageID, Header: m.Header, Automatic: m.Automatic, Problems: m.Problems,
		})
		if err != nil || !fresh {
			return Result{Outcome: Duplicate}, err
		}
		return im.store(ctx, tx, workspaceID, channel, m)
	}()
	if err != nil {
		if storage.Unavailable(err) {
			return res, err
		}
		if rbErr := tx.RollbackTo(ctx, sp); rbErr != nil {
			return res, errors.Join(err, rbErr)
		}
		return Result{Outcome: Rejected, Reason: "could not be stored: " + err.Error()}, nil
	}
	return res, tx.Release(ctx, sp)
}

func (im *Importer) limits() mail.Limits {
	if im.Limits.MaxParts == 0 {
		return mail.DefaultLimits
	}
	return im.Limits
}

// store threads and stores a fresh email.
func (im *Importer) store(ctx context.Context, tx *storage.Tx, workspaceID int64, channel helpdesk.Channel, m *mail.Message) (Result, error) {
	ticketID, found, err := im.thread(ctx, tx, workspaceID, m)
	if err != nil {
		return Result{}, err
	}
	msg := helpdesk.Message{
		Direction: helpdesk.DirectionInbound, Body: im.body(m), SenderName: m.FromName, SenderEmail: m.From,
		EmailMessageID: m.MessageID, Automatic: m.Automatic,
	}
	res := Result{Outcome: Imported}
	if found {
		t, err := tx.Ticket(ctx, workspaceID, ticketID)
		if err != nil {
			return res, err
		}
		// A customer writing again reopens a solved or closed ticket
		// (spam stays spam).
		if t.Status == helpdesk.StatusSolved || t.Status == helpdesk.StatusClosed {
			open := helpdesk.StatusOpen
			if _, err := tx.UpdateTicket(ctx, workspaceID, ticketID, helpdesk.TicketChange{Status: &open}); err != nil {
				return res, err
			}
		}
		msg.TicketID = ticketID
		if msg, err = tx.AddMessage(ctx, workspaceID, msg, helpdesk.Cause{}); err != nil {
			return res, err
		}
	} else {
		subject := m.Subject
		if subject == "" {
			subject = "(no subject)"
		}
		channelID := channel.ID
		var t helpdesk.Ticket
		t, msg, err = tx.CreateTicket(ctx, workspaceID, storage.NewTicket{
			Subject: truncate(subject, 500), Body: msg.Body, ChannelID: &channelID, ContactEmail: m.From, ContactName: m.FromName,
		}, msg)
		if err != nil {
			return res, err
		}
		ticketID, res.NewTicket = t.ID, true
	}
	for _, a := range m.Attachments {
		att := helpdesk.Attachment{ID: helpdesk.NewID(), MessageID: msg.ID, Name: truncate(a.Name, 255), ContentType: truncate(a.ContentType, 255), Size: a.Size}
		if err := tx.AddAttachment(ctx, workspaceID, att, a.Content); err != nil {
			return res, err
		}
	}
	res.TicketID, res.MessageID = ticketID, msg.ID
	return res, tx.InboundImported(ctx, workspaceID, channel.ID, m.MessageID, msg.ID, ticketID)
}

// thread finds the ticket an email answers: one whose messages carry an
// id of its In-Reply-To or References (never another workspace's: the
// lookup is the workspace's), else the ticket of a "[#ref]" in its subject.
func (im *Importer) thread(ctx context.Context, tx *storage.Tx, workspaceID int64, m *mail.Message) (string, bool, error) {
	ids := append(append([]string{}, m.InReplyTo...), m.References...)
	if id, found, err := tx.ThreadOf(ctx, workspaceID, ids); err != nil || found {
		return id, found, err
	}
	if ref := helpdesk.TicketReferencePattern.FindStringSubmatch(m.Subject); ref != nil {
		return tx.TicketByReference(ctx, workspaceID, strings.ToUpper(ref[1]))
	}
	return "", false, nil
}

// body is the message's text within the size limit, with a note of what
// could not be read.
func (im *Importer) body(m *mail.Message) string {
	body := m.Text
	if body == "" {
		body = "(no text)"
	}
	if len(m.Problems) > 0 {
		body += "\n\n[deskflow could not read all of this email: " + strings.Join(m.Problems, "; ") + "]"
	}
	limit := im.MaxMessageBytes
	if limit <= 0 {
		limit = helpdesk.DefaultMaxMessageBytes
	}
	return truncate(body, limit)
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut]
}
