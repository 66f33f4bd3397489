package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/integration/smtpmail/smtptest"
)

// TestSendReplyEndToEnd: an auto-acknowledgement workflow replies by email
// through a real SMTP server; the reply is recorded on the ticket, threads
// with the customer's email, and does not end the no-reply waiting period.
func TestSendReplyEndToEnd(t *testing.T) {
	smtptest.Require(t)
	eachBackend(t, func(t *testing.T, e *env) {
		srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeNone})
		e.must(200, e.asAdmin("PUT", "/api/workspace", map[string]any{"signature": "Acme Support"}))
		e.must(201, e.asAdmin("POST", "/api/connectors", map[string]any{"type": "smtp", "name": "Mail",
			"settings": map[string]any{"host": srv.Host, "port": srv.Port, "security": "none", "from_address": "support@acme.example", "from_name": "Acme"}}))
		ack := e.create("/api/workflows", workflowBody("Acknowledge", "on_new_ticket", nil,
			act("send_reply", map[string]any{"content": "Hi {{customer.name}}, we got your message about \"{{ticket.subject}}\".", "includeSignature": true})))
		noReply := e.create("/api/workflows", noReplyWorkflow(1, "hours", false))

		tk := e.newTicket("Broken kettle", "It sparks.", "ann@example.com", nil)
		e.settle(tk)
		if r := e.runsOf(tk, ack); len(r) != 1 || r[0]["status"] != "succeeded" {
			t.Fatalf("ack runs: %v", r)
		}
		got := srv.Deliveries(t)
		if len(got) != 1 {
			t.Fatalf("%d emails delivered", len(got))
		}
		d := got[0]
		if d.RcptTos[0] != "ann@example.com" || d.Subject() != "Re: Broken kettle "+helpdesk.TicketReference(tk) || !strings.Contains(d.Body, `Hi Customer, we got your message about "Broken kettle".`) || !strings.Contains(d.Body, "\n-- \nAcme Support") {
			t.Errorf("delivered: to %v subject %q body %q", d.RcptTos, d.Subject(), d.Body)
		}
		// Recorded as an outbound message of the workflow's run.
		var reply map[string]any
		for _, m := range e.ticket(tk)["messages"].([]any) {
			if mm := m.(map[string]any); mm["direction"] == "outbound" {
				reply = mm
			}
		}
		if reply == nil || reply["workflow_run_id"] == nil || reply["email_message_id"] != d.Header.Get("Message-Id") {
			t.Errorf("recorded reply: %v (Message-Id %q)", reply, d.Header.Get("Message-Id"))
		}
		// The customer is still waiting: the auto-reply is not an agent's.
		if n := e.fire(61 * time.Minute); n != 1 || len(e.runsOf(tk, noReply)) != 1 {
			t.Errorf("no-reply after an auto-reply: fired %d, runs %d", n, len(e.runsOf(tk, noReply)))
		}
	})
}
