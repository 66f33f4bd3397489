package api_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap"

	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/inbound"
	"github.com/deskflow/deskflow/internal/inbound/imaptest"
	"github.com/deskflow/deskflow/internal/integration/smtpmail/smtptest"
)

// TestInboundIMAP: a mailbox on a real Dovecot, connected in two requests
// (the channel with its settings, then nothing else). Customer mail
// appended to it becomes a ticket, the reply goes out by SMTP, and the
// customer's answer appended to the mailbox lands on the same ticket;
// imported messages are flagged \Seen. A restart, the same message
// delivered twice, and two nodes polling at once import nothing twice. A
// message without a sender is set aside and counted as failed; a wrong
// password shows in the channel's status.
func TestInboundIMAP(t *testing.T) {
	smtptest.Require(t)
	imaptest.Require(t)
	eachBackend(t, func(t *testing.T, e *env) {
		imapServer := imaptest.Start(t)
		out := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeNone})
		e.config.Mail = app.MailConfig{Scan: 50 * time.Millisecond}
		e.restart(func() {})
		e.must(201, e.asAdmin("POST", "/api/connectors", map[string]any{"type": "smtp", "name": "Mail",
			"settings": map[string]any{"host": out.Host, "port": out.Port, "security": "none", "from_address": "help@acme.test"}}))
		ack := e.create("/api/workflows", workflowBody("Acknowledge", "on_new_ticket", nil,
			act("send_reply", map[string]any{"content": "We are on it."})))

		if r := e.must(422, e.asAdmin("POST", "/api/channels", map[string]any{"name": "Mailbox", "type": "email",
			"settings": map[string]any{"address": "help@acme.test", "imap": map[string]any{"host": "imap.example.com", "tls": "none", "username": "help"}}})); r.fieldErrors()["settings.imap.tls"] == nil || r.fieldErrors()["credentials.imap_password"] == nil {
			t.Errorf("clear text to a remote host, no password: %s", r.Raw)
		}
		channel := e.create("/api/channels", map[string]any{"name": "Mailbox", "type": "email",
			"settings":    map[string]any{"address": "help@acme.test", "imap": map[string]any{"host": imapServer.Host, "port": imapServer.Port, "tls": "none", "username": "help", "poll_seconds": 5}},
			"credentials": map[string]any{"imap_password": imaptest.Password}})
		got := e.must(200, e.asAdmin("GET", "/api/channels/"+channel, nil))
		if strings.Contains(got.Raw, imaptest.Password) || fmt.Sprint(got.data()["credentials_set"]) != "[imap_password]" {
			t.Errorf("channel answer: %s", got.Raw)
		}

		imapServer.Append(t, "help", "INBOX", []byte("From: Bea <bea@example.com>\r\nTo: help@acme.test\r\nSubject: Lost parcel\r\nMessage-ID: <p1@example.com>\r\n\r\nMy parcel never came.\r\n"))
		var tk string
		e.eventually("the mailbox's message becomes a ticket", func() bool {
			if list := e.ticketsWith("Lost parcel", e.wsA, e.adminA); len(list) == 1 {
				tk = list[0]["id"].(string)
			}
			return tk != ""
		})
		e.settle("")
		if r := e.runsOf(tk, ack); len(r) != 1 || r[0]["status"] != "succeeded" {
			t.Fatalf("acknowledgement: %v", r)
		}
		e.eventually("the imported message is flagged seen", func() bool { return imapServer.Unseen(t, "help", "INBOX") == 0 })
		reply := out.Deliveries(t)[0]

		imapServer.Append(t, "help", "INBOX", []byte(fmt.Sprintf("From: bea@example.com\r\nTo: help@acme.test\r\nSubject: %s\r\nMessage-ID: <p2@example.com>\r\nIn-Reply-To: %s\r\n\r\nAny news?\r\n", "Re: "+reply.Subject(), reply.Header.Get("Message-Id"))))
		e.eventually("the answer lands on the ticket", func() bool { return len(e.messagesOf(tk, "inbound")) == 2 })

		// Restarted, the node imports nothing again; the same message
		// delivered a second time (a new UID) is recognised.
		e.restart(func() {})
		imapServer.Append(t, "help", "INBOX", []byte("From: bea@example.com\r\nTo: help@acme.test\r\nSubject: Re: Lost parcel\r\nMessage-ID: <p2@example.com>\r\nIn-Reply-To: <p1@example.com>\r\n\r\nAny news?\r\n"))
		e.eventually("the second delivery is counted", func() bool {
			return e.must(200, e.asAdmin("GET", "/api/channels/"+channel+"/status", nil)).data()["duplicates"] == 1.0
		})

		// A second node polls the same mailbox: one of them imports each.
		second, err := app.New(e.config)
		if err != nil {
			t.Fatal(err)
		}
		if err := second.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer stopNode(second)
		for i := range 5 {
			imapServer.Append(t, "help", "INBOX", []byte(fmt.Sprintf("From: bea@example.com\r\nTo: help@acme.test\r\nSubject: Re: Lost parcel\r\nMessage-ID: <more-%d@example.com>\r\nIn-Reply-To: <p1@example.com>\r\n\r\nMessage %d\r\n", i, i)))
		}
		// And a message no one can answer.
		imapServer.Append(t, "help", "INBOX", []byte("To: help@acme.test\r\nSubject: anonymous\r\n\r\nno sender\r\n"))
		e.eventually("every message is imported", func() bool { return len(e.messagesOf(tk, "inbound")) == 7 })
		e.eventually("the mailbox is read", func() bool { return imapServer.Unseen(t, "help", "INBOX") == 0 })
		status := e.must(200, e.asAdmin("GET", "/api/channels/"+channel+"/status", nil)).data()
		if status["imported"] != 7.0 || status["duplicates"] != 1.0 || status["failed"] != 1.0 || status["last_poll_at"] == nil {
			t.Errorf("status: %v", status)
		}
		if n := len(e.messagesOf(tk, "inbound")); n != 7 {
			t.Errorf("%d inbound messages, want 7", n)
		}

		// A wrong password: the status says so.
		e.must(200, e.asAdmin("PUT", "/api/channels/"+channel, map[string]any{"credentials": map[string]any{"imap_password": "wrong"},
			"settings": map[string]any{"address": "help@acme.test", "imap": map[string]any{"host": imapServer.Host, "port": imapServer.Port, "tls": "none", "username": "help", "poll_seconds": 6}}}))
		e.eventually("the status shows the failed login", func() bool {
			last, _ := e.must(200, e.asAdmin("GET", "/api/channels/"+channel+"/status", nil)).data()["last_error"].(string)
			return strings.Contains(last, "log in")
		})
	})
}

// TestInboundIMAPTLS: mailboxes reached over TLS from the first byte and
// over STARTTLS, the server's certificate verified.
func TestInboundIMAPTLS(t *testing.T) {
	imaptest.Require(t)
	eachBackend(t, func(t *testing.T, e *env) {
		imapServer := imaptest.Start(t)
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(imapServer.CertPEM)
		e.config.Mail = app.MailConfig{Scan: 50 * time.Millisecond, TLS: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
		e.restart(func() {})
		for _, c := range []struct {
			user, mode string
			port       int
		}{{"implicit", "implicit", imapServer.TLSPort}, {"starttls", "starttls", imapServer.Port}} {
			address := c.user + "@acme.test"
			channel := e.create("/api/channels", map[string]any{"name": c.mode, "type": "email",
				"settings":    map[string]any{"address": address, "imap": map[string]any{"host": imapServer.Host, "port": c.port, "tls": c.mode, "username": c.user, "poll_seconds": 5}},
				"credentials": map[string]any{"imap_password": imaptest.Password}})
			subject := "Over " + c.mode
			imapServer.Append(t, c.user, "INBOX", []byte(fmt.Sprintf("From: dan@example.com\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@example.com>\r\n\r\nsecure\r\n", address, subject, c.mode)))
			e.eventually("the "+c.mode+" mailbox's message becomes a ticket", func() bool {
				return len(e.ticketsWith(subject, e.wsA, e.adminA)) == 1
			})
			if st := e.must(200, e.asAdmin("GET", "/api/channels/"+channel+"/status", nil)).data(); st["last_error"] != "" {
				t.Errorf("%s: %v", c.mode, st)
			}
		}
	})
}

// TestInboundIMAPPoisonMessage: an email deskflow cannot import (here,
// larger than the limit) is tried three times, the tries counted on the
// message itself so that a restart does not reset them, then set aside:
// flagged $DeskflowFailed, counted failed, left unseen for a person. Mail
// after it keeps coming in.
func TestInboundIMAPPoisonMessage(t *testing.T) {
	imaptest.Require(t)
	eachBackend(t, func(t *testing.T, e *env) {
		imapServer := imaptest.Start(t)
		e.config.Mail = app.MailConfig{Scan: 50 * time.Millisecond, MaxEmailBytes: 16 << 10}
		e.restart(func() {})
		channel := e.create("/api/channels", map[string]any{"name": "Mailbox", "type": "email",
			"settings":    map[string]any{"address": "help@acme.test", "imap": map[string]any{"host": imapServer.Host, "port": imapServer.Port, "tls": "none", "username": "help", "poll_seconds": 5}},
			"credentials": map[string]any{"imap_password": imaptest.Password}})
		big := fmt.Sprintf("From: ann@example.com\r\nTo: help@acme.test\r\nSubject: Huge\r\nMessage-ID: <huge@example.com>\r\n\r\n%s\r\n", strings.Repeat("x", 32<<10))
		imapServer.Append(t, "help", "INBOX", []byte(big))
		flagsOfHuge := func() []string {
			for _, flags := range imapServer.Flags(t, "help", "INBOX") {
				if !hasFlag(flags, imap.SeenFlag) {
					return flags
				}
			}
			return nil
		}
		// Each new email makes the poller look again; the huge one is tried
		// at each look.
		small := func(n int) {
			imapServer.Append(t, "help", "INBOX", []byte(fmt.Sprintf("From: bob@example.com\r\nTo: help@acme.test\r\nSubject: Small %d\r\nMessage-ID: <small%d@example.com>\r\n\r\nhello\r\n", n, n)))
			e.eventually(fmt.Sprintf("small email %d becomes a ticket", n), func() bool { return len(e.ticketsWith(fmt.Sprintf("Small %d", n), e.wsA, e.adminA)) == 1 })
		}
		e.eventually("the first try is counted on the message", func() bool { return hasFlag(flagsOfHuge(), "$DeskflowAttempt1") })
		small(1)
		e.eventually("the second try is counted", func() bool { return hasFlag(flagsOfHuge(), "$DeskflowAttempt2") })
		e.restart(func() {})
		small(2)
		e.eventually("the third try sets it aside", func() bool { return hasFlag(flagsOfHuge(), inbound.FailedFlag) })
		status := e.must(200, e.asAdmin("GET", "/api/channels/"+channel+"/status", nil)).data()
		if status["failed"] != 1.0 || status["imported"] != 2.0 {
			t.Errorf("status %v", status)
		}
		if n := len(e.ticketsWith("Huge", e.wsA, e.adminA)); n != 0 {
			t.Errorf("%d tickets from the huge email", n)
		}
		small(3)
		if flags := flagsOfHuge(); !hasFlag(flags, inbound.FailedFlag) || hasFlag(flags, imap.SeenFlag) {
			t.Errorf("the huge email's flags: %v", flags)
		}
		if status := e.must(200, e.asAdmin("GET", "/api/channels/"+channel+"/status", nil)).data(); status["failed"] != 1.0 {
			t.Errorf("a message set aside is not tried again: %v", status)
		}
	})
}

// hasFlag reports whether flags has f; keywords are case-insensitive.
func hasFlag(flags []string, f string) bool {
	return slices.ContainsFunc(flags, func(x string) bool { return strings.EqualFold(x, f) })
}
