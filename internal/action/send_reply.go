package action

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/integration/smtpmail"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

var sendReply = Definition{
	Type:        "send_reply",
	Effect:      EffectExternal,
	Run:         runSendReply,
	Category:    CategoryCommunication,
	Description: "Send an email reply to the ticket's customer; content is a template, includeSignature appends the workspace signature; sent through the SMTP connector connectorId.",
	Params: []spec.Param{
		{Name: "content", Type: spec.Template, Required: true, Example: "Hi {{customer.name}}, your request has been received.",
			Description: "The text of the reply."},
		{Name: "includeSignature", Type: spec.Boolean, Default: false, Example: true,
			Description: "Append the workspace's signature."},
		smtpConnectorParam,
	},
}

// smtpConnectorParam chooses the SMTP connector that sends an email.
var smtpConnectorParam = spec.Param{Name: "connectorId", Type: spec.Reference, Reference: param.KindConnector, ConnectorTypes: []string{smtpmail.Type},
	Example: "3f2c6c1e-9a4b-4d3e-8f7a-2b1c0d9e8f7a", Description: "An smtp connector; default: the workspace's only one."}

// runSendReply emails content to the ticket's customer, threaded with the
// conversation, and records it as an outbound message of the ticket made
// by the run (so it is not an agent's reply). The Message-ID comes from
// the step's idempotency key: a retried step sends the same one, and a
// retry after the reply was recorded does not send it again.
func runSendReply(ctx context.Context, x *Exec) (any, error) {
	hd := x.Services.Helpdesk
	if x.Ticket.ContactID == nil || *x.Ticket.ContactID == "" {
		return nil, Failf("the ticket has no customer (contact) to reply to")
	}
	contact, err := hd.Contact(ctx, x.WorkspaceID, *x.Ticket.ContactID)
	if err != nil {
		return nil, fmt.Errorf("load the ticket's customer: %w", err)
	}
	addrs, err := smtpmail.ParseAddressList(contact.Email)
	if err != nil || len(addrs) != 1 {
		return nil, Failf("the ticket's customer has no usable email address (%q)", contact.Email)
	}
	to := mail.Address{Name: smtpmail.SanitizeHeaderText(contact.Name), Address: addrs[0].Address}
	x.record("to", []string{to.Address})

	body, err := x.Text(ctx, "content")
	if err != nil {
		return nil, err
	}
	if x.Bool("includeSignature") {
		ws, err := hd.Workspace(ctx, x.WorkspaceID)
		if err != nil {
			return nil, fmt.Errorf("load the workspace signature: %w", err)
		}
		if strings.TrimSpace(ws.Signature) != "" {
			body += "\n\n-- \n" + ws.Signature
		}
	}
	if err := x.checkMessage("content", body); err != nil {
		return nil, err
	}
	subject := smtpmail.SanitizeHeaderText(replySubject(x.Ticket.Subject, x.Ticket.ID))
	x.record("subject", subject)

	cfg, err := smtpConnector(ctx, x)
	if err != nil {
		return nil, err
	}
	messageID := smtpmail.MessageID(x.IdempotencyKey)
	emailID := "<" + messageID + ">"
	output := func(stored string) map[string]any {
		return map[string]any{"message_id": stored, "email_message_id": emailID, "to": []string{to.Address}}
	}
	// A retry of a step whose reply was sent and recorded sends nothing.
	sent, found, err := hd.SentEmail(ctx, x.WorkspaceID, x.Ticket.ID, messageID)
	if err != nil {
		return nil, fmt.Errorf("look for the reply sent before: %w", err)
	}
	if found {
		x.record("already_sent", true)
		return output(sent.ID), nil
	}
	thread, err := hd.EmailThread(ctx, x.WorkspaceID, x.Ticket.ID, smtpmail.MaxReferences)
	if err != nil {
		return nil, fmt.Errorf("load the conversation's Message-IDs: %w", err)
	}
	if err := mayAutoReply(ctx, x, thread, to.Address); err != nil {
		return nil, err
	}
	inReplyTo, references := threading(thread)
	msg := &smtpmail.Message{
		From:          cfg.From(),
		To:            []mail.Address{to},
		Subject:       subject,
		Body:          body,
		MessageID:     messageID,
		InReplyTo:     inReplyTo,
		References:    references,
		AutoSubmitted: smtpmail.AutoReplied,
	}
	if err := smtpmail.Send(ctx, cfg, smtpNet(x), msg); err != nil {
		return nil, sendFailure(err)
	}
	runID := x.RunID
	stored, err := hd.RecordMessage(ctx, x.WorkspaceID, helpdesk.Message{
		TicketID:       x.Ticket.ID,
		Direction:      helpdesk.DirectionOutbound,
		Body:           body,
		SenderName:     cfg.FromName,
		SenderEmail:    cfg.FromAddress,
		WorkflowRunID:  &runID,
		EmailMessageID: emailID,
	}, x.Cause)
	if err != nil {
		return output(""), fmt.Errorf("the reply was sent (Message-ID %s) but could not be recorded on the ticket: %w", emailID, err)
	}
	return output(stored.ID), nil
}

// replySubject is "Re: <subject>", without doubling an existing "Re:",
// with the ticket's reference ("[#…]") that threads the customer's answer
// even when their mail client drops In-Reply-To.
func replySubject(subject, ticketID string) string {
	s := smtpmail.SanitizeHeaderText(subject)
	switch {
	case s == "":
		s = "Re: (no subject)"
	case len(s) < 3 || !strings.EqualFold(s[:3], "re:"):
		s = "Re: " + s
	}
	if ref := helpdesk.TicketReference(ticketID); !strings.Contains(s, ref) {
		s += " " + ref
	}
	return s
}

// MaxAutoRepliesPerHour caps the replies workflows send to one address in
// an hour, so that no robot deskflow fails to recognise can keep it
// answering.
const MaxAutoRepliesPerHour = 10

// mayAutoReply refuses to answer an automatic message (an auto-reply, a
// bounce, a list: RFC 3834) and to send an address more than
// MaxAutoRepliesPerHour replies.
func mayAutoReply(ctx context.Context, x *Exec, thread []helpdesk.Message, to string) error {
	for i := len(thread) - 1; i >= 0; i-- {
		if m := thread[i]; m.Direction == helpdesk.DirectionInbound {
			if m.Automatic != "" {
				return Failf("not answered: the customer's latest message is automatic (%s), and automatic messages are never answered (RFC 3834)", m.Automatic)
			}
			break
		}
	}
	n, err := x.Services.Helpdesk.AutoRepliesTo(ctx, x.WorkspaceID, to)
	if err != nil {
		return fmt.Errorf("count the replies sent to %s: %w", to, err)
	}
	if n >= MaxAutoRepliesPerHour {
		return Failf("not sent: workflows already sent %d replies to %s in the last hour (at most %d)", n, to, MaxAutoRepliesPerHour)
	}
	return nil
}

// threading returns the In-Reply-To (the latest inbound message with a
// Message-ID) and References (the Message-IDs of the thread, oldest first)
// of a reply to the thread's messages, given oldest first.
func threading(thread []helpdesk.Message) (inReplyTo string, references []string) {
	for _, m := range thread {
		if m.Direction == helpdesk.DirectionNote {
			continue
		}
		id, ok := smtpmail.NormalizeMessageID(m.EmailMessageID)
		if !ok {
			continue
		}
		references = append(references, id)
		if m.Direction == helpdesk.DirectionInbound {
			inReplyTo = id
		}
	}
	return inReplyTo, references
}
