package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/smtp"
	osexec "os/exec"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/inbound"
	"github.com/deskflow/deskflow/internal/integration/smtpmail/smtptest"
)

// startReceiver starts the SMTP receiver on a loopback port for the env's
// node and returns its address.
func (e *env) startReceiver() string {
	e.t.Helper()
	r, err := inbound.NewReceiver(inbound.ReceiverConfig{Addr: "127.0.0.1:0", MaxMessageBytes: 1 << 20}, e.node.Importer, slog.New(slog.DiscardHandler))
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = r.Serve() }()
	e.t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return r.Addr().String()
}

// mailVia sends raw from a customer to the receiver with Go's net/smtp.
func mailVia(addr, from, to, raw string) error {
	return smtp.SendMail(addr, nil, from, []string{to}, []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
}

// mailViaPython sends raw with Python's smtplib, another real client.
func mailViaPython(t *testing.T, addr, from, to, raw string) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	cmd := osexec.Command(smtptest.Python(), "-c", `import smtplib, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]))
s.sendmail(sys.argv[3], [sys.argv[4]], sys.stdin.buffer.read())
s.quit()`, host, port, from, to)
	cmd.Stdin = strings.NewReader(strings.ReplaceAll(raw, "\n", "\r\n"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("smtplib: %v: %s", err, out)
	}
}

func (e *env) ticketsWith(subject string, ws int64, token string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, tk := range e.must(200, e.call("GET", "/api/tickets?per_page=200", token, ws, nil)).list() {
		if m := tk.(map[string]any); strings.Contains(m["subject"].(string), subject) {
			out = append(out, m)
		}
	}
	return out
}

func (e *env) messagesOf(ticket, direction string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, m := range e.must(200, e.asAdmin("GET", "/api/tickets/"+ticket+"/messages?per_page=200", nil)).list() {
		if mm := m.(map[string]any); mm["direction"] == direction {
			out = append(out, mm)
		}
	}
	return out
}

// TestInboundEmailEndToEnd: a customer writes to the support address
// (through the SMTP receiver, from Go's net/smtp); a ticket opens on the
// email channel; the acknowledgement goes out by SMTP (a real aiosmtpd)
// with the ticket's reference and threading headers; an agent answers;
// the customer's answer (from Python's smtplib, threaded by In-Reply-To)
// lands on the same ticket, fires on_inbound_message and re-arms the
// no-reply timer. A second delivery is dropped, an unknown address is
// refused with 550, a reference in the subject threads alone, and a
// forged In-Reply-To never threads into another workspace.
func TestInboundEmailEndToEnd(t *testing.T) {
	smtptest.Require(t)
	eachBackend(t, func(t *testing.T, e *env) {
		out := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeNone})
		e.must(201, e.asAdmin("POST", "/api/connectors", map[string]any{"type": "smtp", "name": "Mail",
			"settings": map[string]any{"host": out.Host, "port": out.Port, "security": "none", "from_address": "support@acme.test", "from_name": "Acme"}}))
		channel := e.create("/api/channels", map[string]any{"name": "Support", "type": "email", "settings": map[string]any{"address": "Support@Acme.test"}})
		e.must(201, e.call("POST", "/api/channels", e.adminB, e.wsB, map[string]any{"name": "B support", "type": "email", "settings": map[string]any{"address": "help@b.test"}}))
		if r := e.must(422, e.call("POST", "/api/channels", e.adminB, e.wsB, map[string]any{"name": "Taken", "type": "email", "settings": map[string]any{"address": "support@acme.test"}})); r.fieldErrors()["settings.address"] == nil {
			t.Errorf("a second channel on one address: %s", r.Raw)
		}
		ack := e.create("/api/workflows", workflowBody("Acknowledge", "on_new_ticket", nil,
			act("send_reply", map[string]any{"content": "We got your message about {{ticket.subject}}."})))
		seen := e.create("/api/workflows", workflowBody("Seen", "on_inbound_message", nil,
			act("add_internal_note", map[string]any{"content": "Customer wrote: {{message.body}}"})))
		e.create("/api/workflows", noReplyWorkflow(1, "hours", false))
		addr := e.startReceiver()

		err := mailVia(addr, "ann@example.com", "support@acme.test", `From: Ann Example <ann@example.com>
To: Support <support@acme.test>
Subject: Kettle broken
Message-ID: <c1@example.com>
Content-Type: text/plain; charset=utf-8

My kettle sparks when I switch it on.
`)
		if err != nil {
			t.Fatal(err)
		}
		e.settle("")
		tickets := e.ticketsWith("Kettle broken", e.wsA, e.adminA)
		if len(tickets) != 1 {
			t.Fatalf("tickets: %v", tickets)
		}
		tk := tickets[0]["id"].(string)
		if tickets[0]["channel_id"] != channel {
			t.Errorf("channel_id %v, want %s", tickets[0]["channel_id"], channel)
		}
		in := e.messagesOf(tk, "inbound")
		if len(in) != 1 || in[0]["sender_email"] != "ann@example.com" || in[0]["email_message_id"] != "c1@example.com" || !strings.Contains(in[0]["body"].(string), "sparks") || in[0]["automatic"] != "" {
			t.Fatalf("inbound message: %v", in)
		}
		if r := e.runsOf(tk, ack); len(r) != 1 || r[0]["status"] != "succeeded" {
			t.Fatalf("acknowledgement: %v", r)
		}
		sent := out.Deliveries(t)
		if len(sent) != 1 || sent[0].Header.Get("In-Reply-To") != "<c1@example.com>" || !strings.Contains(sent[0].Subject(), helpdesk.TicketReference(tk)) ||
			sent[0].Header.Get("Auto-Submitted") != "auto-replied" {
			t.Fatalf("acknowledgement sent: %+v", sent)
		}
		replyID := sent[0].Header.Get("Message-Id")

		// An agent answers: the waiting ends; the customer's answer opens
		// a new waiting period.
		e.reply(tk, "outbound", "Please send a photo.")
		if pending := e.timers(tk); len(pending) != 0 {
			t.Fatalf("timers after the agent's reply: %v", pending)
		}
		answer := fmt.Sprintf(`From: Ann Example <ann@example.com>
To: support@acme.test
Subject: %s
Message-ID: <c2@example.com>
In-Reply-To: %s
References: <c1@example.com> %s

Here is the photo you asked for.
`, "Re: "+sent[0].Subject(), replyID, replyID)
		mailViaPython(t, addr, "ann@example.com", "support@acme.test", answer)
		e.settle("")
		if n := len(e.ticketsWith("Kettle", e.wsA, e.adminA)); n != 1 {
			t.Errorf("%d tickets after the answer, want 1", n)
		}
		if in := e.messagesOf(tk, "inbound"); len(in) != 2 || in[1]["email_message_id"] != "c2@example.com" {
			t.Fatalf("inbound after the answer: %v", in)
		}
		if r := e.runsOf(tk, seen); len(r) != 2 {
			t.Errorf("on_inbound_message ran %d times, want 2", len(r))
		}
		if pending := e.timers(tk); len(pending) != 1 || pending[0]["status"] != "pending" {
			t.Errorf("no-reply timer after the answer: %v", pending)
		}

		// The same email again (a retry of the sending server): dropped.
		if err := mailVia(addr, "ann@example.com", "support@acme.test", answer); err != nil {
			t.Fatal(err)
		}
		e.settle("")
		if in := e.messagesOf(tk, "inbound"); len(in) != 2 {
			t.Errorf("a duplicate was imported: %d inbound messages", len(in))
		}

		// Nobody's address: 550.
		err = mailVia(addr, "ann@example.com", "nobody@acme.test", "From: ann@example.com\nSubject: x\n\nx\n")
		if err == nil || !strings.Contains(err.Error(), "550") {
			t.Errorf("mail to an unknown address: %v, want 550", err)
		}

		// A client that drops In-Reply-To: the subject's reference threads.
		if err := mailVia(addr, "ann@example.com", "support@acme.test", fmt.Sprintf("From: ann@example.com\nSubject: Re: something %s\nMessage-ID: <c3@example.com>\n\nAnd one more thing.\n", helpdesk.TicketReference(tk))); err != nil {
			t.Fatal(err)
		}
		// Forged threading into workspace A from mail to workspace B.
		if err := mailVia(addr, "mallory@example.com", "help@b.test", fmt.Sprintf("From: mallory@example.com\nSubject: Re: Kettle broken %s\nMessage-ID: <m1@example.com>\nIn-Reply-To: %s\n\nHi\n", helpdesk.TicketReference(tk), replyID)); err != nil {
			t.Fatal(err)
		}
		e.settle("")
		if in := e.messagesOf(tk, "inbound"); len(in) != 3 || in[2]["email_message_id"] != "c3@example.com" {
			t.Errorf("threading by reference: %v", in)
		}
		if b := e.ticketsWith("Kettle broken", e.wsB, e.adminB); len(b) != 1 || b[0]["id"] == tk {
			t.Errorf("forged In-Reply-To in workspace B: tickets %v", b)
		}

		status := e.must(200, e.asAdmin("GET", "/api/channels/"+channel+"/status", nil)).data()
		if status["imported"] != 3.0 || status["duplicates"] != 1.0 || status["failed"] != 0.0 {
			t.Errorf("status: %v", status)
		}
		source := e.must(200, e.asAdmin("GET", "/api/messages/"+e.messagesOf(tk, "inbound")[1]["id"].(string)+"/source", nil)).data()
		if !strings.Contains(source["header"].(string), "In-Reply-To: "+replyID) || source["email_message_id"] != "c2@example.com" {
			t.Errorf("source: %v", source)
		}
	})
}

// TestInboundAutoReplyLoop: deskflow answers every customer message, and
// an out-of-office robot answers every email it gets. The robot marks its
// answers (Auto-Submitted): deskflow stores them but never answers, so the
// exchange stops after one round. A robot that does not mark them is
// stopped by the cap of replies per address and hour.
func TestInboundAutoReplyLoop(t *testing.T) {
	smtptest.Require(t)
	eachBackend(t, func(t *testing.T, e *env) {
		out := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeNone})
		e.must(201, e.asAdmin("POST", "/api/connectors", map[string]any{"type": "smtp", "name": "Mail",
			"settings": map[string]any{"host": out.Host, "port": out.Port, "security": "none", "from_address": "support@acme.test"}}))
		e.create("/api/channels", map[string]any{"name": "Support", "type": "email", "settings": map[string]any{"address": "support@acme.test"}})
		answer := e.create("/api/workflows", workflowBody("Answer everything", "on_inbound_message", nil,
			act("send_reply", map[string]any{"content": "Thanks, we are on it."})))
		addr := e.startReceiver()

		for _, robot := range []struct {
			from, headers string
			want          int // replies deskflow sends before it stops
		}{
			{"max@ooo.example", "Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n", 1},
			{"bot@naive.example", "", action.MaxAutoRepliesPerHour},
		} {
			before := len(out.Deliveries(t))
			if err := mailVia(addr, robot.from, "support@acme.test", fmt.Sprintf("From: %s\nSubject: Order question\nMessage-ID: <start@%s>\n\nWhere is my order?\n", robot.from, robot.from)); err != nil {
				t.Fatal(err)
			}
			// The robot answers each email deskflow sends it, until
			// deskflow sends no more (at most 30 rounds).
			answered := 0
			for round := range 30 {
				e.settle("")
				sent := out.Deliveries(t)[before:]
				if answered == len(sent) {
					break
				}
				for _, d := range sent[answered:] {
					msg := fmt.Sprintf("From: %s\n%sSubject: Out of office: %s\nMessage-ID: <ooo-%d@%s>\nIn-Reply-To: %s\n\nI am away until Monday.\n",
						robot.from, robot.headers, d.Subject(), round, robot.from, d.Header.Get("Message-Id"))
					if err := mailVia(addr, robot.from, "support@acme.test", msg); err != nil {
						t.Fatal(err)
					}
				}
				answered = len(sent)
			}
			if answered != robot.want {
				t.Errorf("robot %s: deskflow sent %d replies, want %d", robot.from, answered, robot.want)
			}
			tickets := e.ticketsWith("Order question", e.wsA, e.adminA)
			var tk string
			for _, ticket := range tickets {
				if in := e.messagesOf(ticket["id"].(string), "inbound"); len(in) > 0 && in[0]["sender_email"] == robot.from {
					tk = ticket["id"].(string)
				}
			}
			runs := e.runsOf(tk, answer)
			last := runs[len(runs)-1]
			steps := last["steps"].([]any)
			stepErr, _ := steps[0].(map[string]any)["error"].(string)
			if last["status"] != "failed" || (robot.headers != "" && !strings.Contains(stepErr, "automatic")) || (robot.headers == "" && !strings.Contains(stepErr, "in the last hour")) {
				t.Errorf("robot %s: the last run %v: %q", robot.from, last["status"], stepErr)
			}
			if robot.headers != "" {
				in := e.messagesOf(tk, "inbound")
				if in[len(in)-1]["automatic"] != "Auto-Submitted: auto-replied" {
					t.Errorf("the robot's answer is not marked automatic: %v", in[len(in)-1])
				}
			}
		}
	})
}

// TestInboundLMTP: with serve's LMTP receiver, a local mail server
// delivers to deskflow over LMTP (here Python's smtplib.LMTP client): the
// email becomes a ticket; a recipient deskflow has no channel for is
// refused, per recipient, as LMTP does.
func TestInboundLMTP(t *testing.T) {
	smtptest.Require(t)
	eachBackend(t, func(t *testing.T, e *env) {
		e.config.Mail = app.MailConfig{LMTPAddr: "127.0.0.1:0"}
		e.restart(func() {})
		if len(e.node.Receivers) != 1 {
			t.Fatalf("%d receivers", len(e.node.Receivers))
		}
		e.create("/api/channels", map[string]any{"name": "Support", "type": "email", "settings": map[string]any{"address": "help@acme.test"}})
		host, port, _ := strings.Cut(e.node.Receivers[0].Addr().String(), ":")
		cmd := osexec.Command(smtptest.Python(), "-c", `import smtplib, sys
s = smtplib.LMTP(sys.argv[1], int(sys.argv[2]))
refused = s.sendmail("ann@example.com", ["help@acme.test", "nobody@acme.test"], sys.stdin.buffer.read())
print(sorted(refused))
s.quit()`, host, port)
		cmd.Stdin = strings.NewReader("From: Ann <ann@example.com>\r\nTo: help@acme.test\r\nSubject: Delivered by LMTP\r\nMessage-ID: <lmtp1@example.com>\r\n\r\nHello over LMTP.\r\n")
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "['nobody@acme.test']" {
			t.Fatalf("LMTP delivery: %v\n%s", err, out)
		}
		if list := e.ticketsWith("Delivered by LMTP", e.wsA, e.adminA); len(list) != 1 {
			t.Errorf("%d tickets from the LMTP delivery", len(list))
		}
	})
}
