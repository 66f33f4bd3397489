package action

// These tests run send_reply and send_email through a real SMTP server
// process (aiosmtpd, see package smtptest; Debian package
// python3-aiosmtpd), through the guarded outbound dialer with the loopback
// address allowed, with deskflow's own ConnectorSource and Helpdesk
// interfaces faked in memory.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/integration/smtpmail"
	"github.com/deskflow/deskflow/internal/integration/smtpmail/smtptest"
	"github.com/deskflow/deskflow/internal/integration/webhook"
	"github.com/deskflow/deskflow/internal/outbound"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/validate"
)

const (
	emailUser     = "desk-mailer"
	emailPassword = "Very-Secret-SMTP-pw-42"
	emailWS       = int64(7)
	emailRunID    = "01JEMAILRUN0000000000000AB"
	emailKey      = emailRunID + "-0-1"
)

// emailConnectors is a ConnectorSource of smtp connectors (the embedded
// nil interface stands for methods the email actions never call).
type emailConnectors struct {
	ConnectorSource
	mu   sync.Mutex
	byID map[string]*connector.Connector
}

func (s *emailConnectors) Connector(_ context.Context, ws int64, id string) (*connector.Connector, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byID[id]
	if !ok || ws != emailWS {
		return nil, errors.New("connector not found")
	}
	cp := *c
	return &cp, nil
}

func (s *emailConnectors) UpdateCredentials(context.Context, int64, string, map[string]string) error {
	return errors.New("smtp connectors never update credentials")
}

func (s *emailConnectors) add(c *connector.Connector) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		s.byID = map[string]*connector.Connector{}
	}
	s.byID[c.ID] = c
	return c.ID
}

// emailListingConnectors can also list connectors by type.
type emailListingConnectors struct{ *emailConnectors }

func (s emailListingConnectors) ConnectorsOfType(_ context.Context, ws int64, typ string) ([]*connector.Connector, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*connector.Connector
	for _, c := range s.byID {
		if c.Type == typ && ws == emailWS {
			cp := *c
			out = append(out, &cp)
		}
	}
	return out, nil
}

type emailRecorded struct {
	ws    int64
	msg   helpdesk.Message
	cause helpdesk.Cause
}

// emailHelpdesk is the helpdesk in memory. The embedded interface (nil)
// stands for methods the email actions never call, so the fake keeps
// compiling as Helpdesk grows.
type emailHelpdesk struct {
	Helpdesk
	mu        sync.Mutex
	signature string
	contacts  map[string]helpdesk.Contact
	messages  []helpdesk.Message
	recorded  []emailRecorded
	recordErr error // returned once by RecordMessage
	n         int
}

func (h *emailHelpdesk) Workspace(_ context.Context, ws int64) (helpdesk.Workspace, error) {
	return helpdesk.Workspace{ID: ws, Name: "Acme", Signature: h.signature}, nil
}

// EmailThread returns every message of the ticket: the bound is the
// storage's (its tests check it), threading skips what is not part of it.
func (h *emailHelpdesk) EmailThread(_ context.Context, _ int64, ticketID string, _ int) ([]helpdesk.Message, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []helpdesk.Message
	for _, m := range h.messages {
		if m.TicketID == ticketID {
			out = append(out, m)
		}
	}
	return out, nil
}

func (h *emailHelpdesk) SentEmail(_ context.Context, _ int64, ticketID, id string) (helpdesk.Message, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.messages {
		if m.TicketID == ticketID && m.Direction == helpdesk.DirectionOutbound && (m.EmailMessageID == id || m.EmailMessageID == "<"+id+">") {
			return m, true, nil
		}
	}
	return helpdesk.Message{}, false, nil
}

func (h *emailHelpdesk) Contact(_ context.Context, _ int64, id string) (helpdesk.Contact, error) {
	c, ok := h.contacts[id]
	if !ok {
		return helpdesk.Contact{}, errors.New("contact not found")
	}
	return c, nil
}

func (h *emailHelpdesk) Channel(context.Context, int64, string) (helpdesk.Channel, error) {
	return helpdesk.Channel{}, errors.New("no channels here")
}

func (h *emailHelpdesk) RecordMessage(_ context.Context, ws int64, m helpdesk.Message, cause helpdesk.Cause) (helpdesk.Message, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.recordErr; err != nil {
		h.recordErr = nil
		return helpdesk.Message{}, err
	}
	h.n++
	m.ID = fmt.Sprintf("MSG%03d", h.n)
	m.CreatedAt = time.Date(2026, 11, 2, 10, 0, h.n, 0, time.UTC)
	h.messages = append(h.messages, m)
	h.recorded = append(h.recorded, emailRecorded{ws: ws, msg: m, cause: cause})
	return m, nil
}

// AutoRepliesTo counts the replies recorded (all within the hour here);
// each test replies to one customer.
func (h *emailHelpdesk) AutoRepliesTo(context.Context, int64, string) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.recorded), nil
}

func (h *emailHelpdesk) addMessage(direction, emailID string) {
	h.n++
	h.messages = append(h.messages, helpdesk.Message{
		ID: fmt.Sprintf("MSG%03d", h.n), TicketID: "T1", Direction: direction, Body: "…",
		EmailMessageID: emailID, CreatedAt: time.Date(2026, 11, 1, 9, 0, h.n, 0, time.UTC),
	})
}

// emailFixture is one SMTP server, one connector for it, a helpdesk with
// a ticket of customer Ann.
type emailFixture struct {
	srv        *smtptest.Server
	connectors *emailConnectors
	hd         *emailHelpdesk
	connID     string
	ticket     helpdesk.Ticket
}

func newEmailFixture(t *testing.T, opts smtptest.Options, password string) *emailFixture {
	t.Helper()
	srv := smtptest.Start(t, opts)
	security := opts.Mode
	if security == "" {
		security = smtptest.ModeStartTLS
	}
	f := &emailFixture{srv: srv, connectors: &emailConnectors{}, hd: &emailHelpdesk{
		signature: "Best regards,\nThe Acme support team",
		contacts:  map[string]helpdesk.Contact{"C1": {ID: "C1", Name: "Ann Müller", Email: "ann@example.com"}},
	}}
	f.connID = f.connectors.add(emailConnector(srv, security, opts.Username, password))
	contact := "C1"
	f.ticket = helpdesk.Ticket{ID: "T1", Subject: "Order #42 never arrived", ContactID: &contact}
	return f
}

func emailConnector(srv *smtptest.Server, security, user, password string) *connector.Connector {
	creds := map[string]string{}
	if user != "" {
		creds["username"], creds["password"] = user, password
	}
	return &connector.Connector{
		ID: connector.NewID(), Type: smtpmail.Type, Name: "Mail",
		Settings: map[string]any{
			"host": srv.Host, "port": json.Number(fmt.Sprint(srv.Port)), "security": security,
			"from_address": "support@acme.example", "from_name": "Acme Support",
			"insecure_skip_verify": true,
		},
		Credentials: creds,
	}
}

func emailServices(src ConnectorSource, hd Helpdesk) *Services {
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	return &Services{
		HTTP:       outbound.NewClient(outbound.Options{Allow: allow}),
		CheckURL:   func(raw string) error { return outbound.CheckURL(raw, allow) },
		Connectors: src,
		Helpdesk:   hd,
	}
}

func (f *emailFixture) exec(params map[string]any) *Exec {
	t := f.ticket
	return &Exec{
		WorkspaceID: emailWS,
		RunID:       emailRunID,
		Ticket:      t,
		Parameters:  params,
		Data: map[string]any{
			"ticket":       map[string]any{"id": t.ID, "subject": t.Subject},
			"customer":     map[string]any{"name": "Ann Müller", "email": "ann@example.com", "isVip": true},
			"message":      map[string]any{},
			"customFields": map[string]any{"order_number": "42"},
			"variables":    map[string]any{"extra": "ops@acme.example", "bad": "not an address"},
		},
		Cause:          helpdesk.Cause{WorkflowIDs: []string{"WF1"}, RunID: emailRunID},
		IdempotencyKey: emailKey,
		Services:       emailServices(f.connectors, f.hd),
	}
}

func (f *emailFixture) run(t *testing.T, actionType string, params map[string]any) (*Exec, any, error) {
	t.Helper()
	def, ok := Lookup(actionType)
	if !ok {
		t.Fatalf("%s is not registered", actionType)
	}
	x := f.exec(params)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := def.Run(ctx, x)
	return x, out, err
}

func emailMustRun(t *testing.T, f *emailFixture, actionType string, params map[string]any) (*Exec, map[string]any) {
	t.Helper()
	x, out, err := f.run(t, actionType, params)
	if err != nil {
		t.Fatalf("%s: %v", actionType, err)
	}
	m, ok := out.(map[string]any)
	if !ok {
		t.Fatalf("output %T %v", out, out)
	}
	return x, m
}

func emailOneDelivery(t *testing.T, srv *smtptest.Server) smtptest.Delivery {
	t.Helper()
	got := srv.Deliveries(t)
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
	return got[0]
}

func emailHeaders(t *testing.T, d smtptest.Delivery, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := d.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func emailStepError(t *testing.T, err error, contains string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", contains)
	}
	if !IsStepError(err) {
		t.Errorf("%T %v is not a step error", err, err)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("error %q does not contain %q", err, contains)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks %q: %v", s, err)
		}
	}
}

func TestSendReplyThreadedWithSignature(t *testing.T) {
	f := newEmailFixture(t, smtptest.Options{Mode: smtptest.ModeStartTLS, Username: emailUser, Password: emailPassword}, emailPassword)
	f.hd.addMessage(helpdesk.DirectionInbound, "<first@mail.example.com>")
	f.hd.addMessage(helpdesk.DirectionOutbound, "agent-reply@acme.example")
	f.hd.addMessage(helpdesk.DirectionNote, "")
	f.hd.addMessage(helpdesk.DirectionInbound, " <second@mail.example.com> ")
	f.hd.addMessage(helpdesk.DirectionInbound, "") // a chat message: no email id
	f.hd.addMessage(helpdesk.DirectionInbound, "broken id\r\nBcc: evil@example.com")

	x, out := emailMustRun(t, f, "send_reply", map[string]any{
		"content":          "Hi {{customer.name}}, order {{customFields.order_number}} is on its way.",
		"includeSignature": true,
		"connectorId":      f.connID,
	})

	d := emailOneDelivery(t, f.srv)
	if !d.TLS || d.AuthUser == nil || *d.AuthUser != emailUser {
		t.Errorf("session: tls %v, user %v", d.TLS, d.AuthUser)
	}
	if d.MailFrom != "support@acme.example" || !reflect.DeepEqual(d.RcptTos, []string{"ann@example.com"}) {
		t.Errorf("envelope %s -> %v", d.MailFrom, d.RcptTos)
	}
	emailHeaders(t, d, map[string]string{
		"From":           `"Acme Support" <support@acme.example>`,
		"To":             `=?utf-8?q?Ann_M=C3=BCller?= <ann@example.com>`,
		"Subject":        "Re: Order #42 never arrived [#T1]",
		"Message-Id":     "<" + emailKey + "@deskflow>",
		"In-Reply-To":    "<second@mail.example.com>",
		"References":     "<first@mail.example.com> <agent-reply@acme.example> <second@mail.example.com>",
		"Auto-Submitted": "auto-replied",
		"Content-Type":   "text/plain; charset=utf-8",
		"Bcc":            "",
	})
	wantBody := "Hi Ann Müller, order 42 is on its way.\n\n-- \nBest regards,\nThe Acme support team"
	if d.Body != wantBody+"\n" {
		t.Errorf("body %q, want %q", d.Body, wantBody)
	}

	if len(f.hd.recorded) != 1 {
		t.Fatalf("%d messages recorded", len(f.hd.recorded))
	}
	rec := f.hd.recorded[0]
	runID := emailRunID
	want := helpdesk.Message{
		ID: rec.msg.ID, TicketID: "T1", Direction: helpdesk.DirectionOutbound, Body: wantBody,
		SenderName: "Acme Support", SenderEmail: "support@acme.example", WorkflowRunID: &runID,
		EmailMessageID: "<" + emailKey + "@deskflow>", CreatedAt: rec.msg.CreatedAt,
	}
	if rec.ws != emailWS || !reflect.DeepEqual(rec.msg, want) || rec.msg.AuthorUserID != nil {
		t.Errorf("recorded %+v in %d, want %+v", rec.msg, rec.ws, want)
	}
	if !reflect.DeepEqual(rec.cause, x.Cause) {
		t.Errorf("recorded with cause %+v, want the run's %+v", rec.cause, x.Cause)
	}
	wantOut := map[string]any{"message_id": rec.msg.ID, "email_message_id": "<" + emailKey + "@deskflow>", "to": []string{"ann@example.com"}}
	if !reflect.DeepEqual(out, wantOut) {
		t.Errorf("output %v, want %v", out, wantOut)
	}
	if x.Input["content"] != "Hi Ann Müller, order 42 is on its way." || x.Input["connectorId"] != f.connID {
		t.Errorf("input %v", x.Input)
	}
}

func TestSendReplySubjects(t *testing.T) {
	f := newEmailFixture(t, smtptest.Options{Mode: smtptest.ModeStartTLS}, "")
	for i, tc := range []struct{ ticket, want string }{
		{"RE: Order #42", "RE: Order #42 [#T1]"},
		{"re:already", "re:already [#T1]"},
		{"Re: Where is it? [#T1]", "Re: Where is it? [#T1]"},
		{"Bestellung für Jörg — 注文", "Re: Bestellung für Jörg — 注文 [#T1]"},
		{"Help\r\nBcc: evil@example.com\r\n\r\nInjected body", "Re: Help Bcc: evil@example.com Injected body [#T1]"},
		{"", "Re: (no subject) [#T1]"},
	} {
		f.ticket.Subject = tc.ticket
		x := f.exec(map[string]any{"content": "ok", "connectorId": f.connID})
		x.IdempotencyKey = fmt.Sprintf("%s-0-%d", emailRunID, i)
		if _, err := sendReply.Run(context.Background(), x); err != nil {
			t.Fatalf("%q: %v", tc.ticket, err)
		}
		got := f.srv.Deliveries(t)
		d := got[len(got)-1]
		if s := d.Subject(); s != tc.want {
			t.Errorf("ticket %q: subject %q, want %q", tc.ticket, s, tc.want)
		}
		if d.Header.Get("Bcc") != "" || !reflect.DeepEqual(d.RcptTos, []string{"ann@example.com"}) {
			t.Errorf("ticket %q: injected: Bcc %q, recipients %v", tc.ticket, d.Header.Get("Bcc"), d.RcptTos)
		}
		if strings.TrimSpace(d.Body) != "ok" {
			t.Errorf("ticket %q: body %q", tc.ticket, d.Body)
		}
	}
	raw := f.srv.Deliveries(t)[3].Data
	if !strings.Contains(raw, "Subject: =?utf-8?q?Re:_Bestellung_f=C3=BCr_J=C3=B6rg") {
		t.Errorf("UTF-8 subject not Q-encoded:\n%s", raw)
	}
}

func TestSendReplyWithoutSignature(t *testing.T) {
	f := newEmailFixture(t, smtptest.Options{Mode: smtptest.ModeStartTLS}, "")
	f.hd.signature = "  \n "
	emailMustRun(t, f, "send_reply", map[string]any{"content": "Thanks!", "includeSignature": true, "connectorId": f.connID})
	d := emailOneDelivery(t, f.srv)
	if d.Body != "Thanks!\n" {
		t.Errorf("body %q", d.Body)
	}
	if d.Header.Get("In-Reply-To") != "" || d.Header.Get("References") != "" {
		t.Errorf("threading headers without a conversation: %q %q", d.Header.Get("In-Reply-To"), d.Header.Get("References"))
	}
	f.hd.signature = "Acme"
	x := f.exec(map[string]any{"content": "Second", "connectorId": f.connID}) // includeSignature absent
	x.IdempotencyKey = emailRunID + "-0-9"
	if _, err := sendReply.Run(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Deliveries(t); got[1].Body != "Second\n" {
		t.Errorf("body without includeSignature %q", got[1].Body)
	}
}

func TestSendReplyImplicitTLS(t *testing.T) {
	f := newEmailFixture(t, smtptest.Options{Mode: smtptest.ModeTLS, Username: emailUser, Password: emailPassword}, emailPassword)
	emailMustRun(t, f, "send_reply", map[string]any{"content": "Hello", "connectorId": f.connID})
	d := emailOneDelivery(t, f.srv)
	if !d.TLS || d.AuthUser == nil {
		t.Errorf("tls %v auth %v", d.TLS, d.AuthUser)
	}
	if len(f.hd.recorded) != 1 {
		t.Errorf("%d recorded", len(f.hd.recorded))
	}
}

func TestSendReplyRetrySendsTheSameMessageID(t *testing.T) {
	f := newEmailFixture(t, smtptest.Options{Mode: smtptest.ModeStartTLS}, "")
	params := map[string]any{"content": "Hello", "connectorId": f.connID}

	// The first attempt delivers but cannot record the reply (the process
	// may as well have died there): the step fails, and its retry sends
	// again with the same Message-ID, so the receiver can drop the copy.
	f.hd.recordErr = errors.New("database is gone")
	_, out, err := f.run(t, "send_reply", params)
	if err == nil || !strings.Contains(err.Error(), "was sent") || IsStepError(err) {
		t.Fatalf("first attempt: %v", err)
	}
	if out.(map[string]any)["email_message_id"] != "<"+emailKey+"@deskflow>" {
		t.Errorf("first attempt output %v", out)
	}
	_, out2 := emailMustRun(t, f, "send_reply", params)
	got := f.srv.Deliveries(t)
	if len(got) != 2 || got[0].Header.Get("Message-Id") != got[1].Header.Get("Message-Id") ||
		got[0].Header.Get("Message-Id") != "<"+emailKey+"@deskflow>" {
		t.Fatalf("deliveries %d with Message-IDs %q", len(got), []string{got[0].Header.Get("Message-Id"), got[len(got)-1].Header.Get("Message-Id")})
	}
	if len(f.hd.recorded) != 1 {
		t.Fatalf("%d recorded", len(f.hd.recorded))
	}

	// Once recorded, a further retry sends nothing and answers the same.
	x, out3 := emailMustRun(t, f, "send_reply", params)
	if n := len(f.srv.Deliveries(t)); n != 2 {
		t.Errorf("retry after recording delivered again: %d deliveries", n)
	}
	if !reflect.DeepEqual(out2, out3) || x.Input["already_sent"] != true {
		t.Errorf("retry output %v, want %v (input %v)", out3, out2, x.Input)
	}
}

func TestSendReplyFailures(t *testing.T) {
	f := newEmailFixture(t, smtptest.Options{Mode: smtptest.ModeStartTLS, Username: emailUser, Password: emailPassword}, emailPassword)

	t.Run("no contact", func(t *testing.T) {
		f := *f
		f.ticket.ContactID = nil
		_, _, err := f.run(t, "send_reply", map[string]any{"content": "x", "connectorId": f.connID})
		emailStepError(t, err, "the ticket has no customer")
	})
	t.Run("contact without email", func(t *testing.T) {
		f.hd.contacts["C2"] = helpdesk.Contact{ID: "C2", Name: "Phone only"}
		f := *f
		c2 := "C2"
		f.ticket.ContactID = &c2
		_, _, err := f.run(t, "send_reply", map[string]any{"content": "x", "connectorId": f.connID})
		emailStepError(t, err, "no usable email address")
	})
	t.Run("wrong password", func(t *testing.T) {
		const wrong = "Wrong-Password-Value-99"
		id := f.connectors.add(emailConnector(f.srv, "starttls", emailUser, wrong))
		_, _, err := f.run(t, "send_reply", map[string]any{"content": "x", "connectorId": id})
		emailStepError(t, err, "authentication with the SMTP server", wrong, emailPassword, emailUser)
	})
	t.Run("username without password", func(t *testing.T) {
		c := emailConnector(f.srv, "starttls", emailUser, "")
		delete(c.Credentials, "password")
		id := f.connectors.add(c)
		_, _, err := f.run(t, "send_reply", map[string]any{"content": "x", "connectorId": id})
		emailStepError(t, err, "username but no password")
	})
	t.Run("unreachable port", func(t *testing.T) {
		id := f.connectors.add(emailConnector(&smtptest.Server{Host: "127.0.0.1", Port: smtptest.UnusedPort(t)}, "starttls", "", ""))
		_, _, err := f.run(t, "send_reply", map[string]any{"content": "x", "connectorId": id})
		emailStepError(t, err, "connect to the SMTP server 127.0.0.1:")
	})
	t.Run("refused private address", func(t *testing.T) {
		c := emailConnector(f.srv, "starttls", "", "")
		c.Settings["host"] = "10.1.2.3"
		id := f.connectors.add(c)
		_, _, err := f.run(t, "send_reply", map[string]any{"content": "x", "connectorId": id})
		emailStepError(t, err, "private address")
	})
	t.Run("wrong connector type", func(t *testing.T) {
		id := f.connectors.add(&connector.Connector{ID: connector.NewID(), Type: webhook.Type})
		_, _, err := f.run(t, "send_reply", map[string]any{"content": "x", "connectorId": id})
		emailStepError(t, err, "not smtp")
	})
	t.Run("longer than a message", func(t *testing.T) {
		x := f.exec(map[string]any{"content": strings.Repeat("x", 200), "includeSignature": true, "connectorId": f.connID})
		x.Services.MaxMessageBytes = 220 // the content fits, with the signature it does not
		_, err := sendReply.Run(context.Background(), x)
		emailStepError(t, err, "content: the message is 241 bytes, more than the limit of 220 bytes for one message")
	})
	if n := len(f.srv.Deliveries(t)); n != 0 || len(f.hd.recorded) != 0 {
		t.Errorf("%d deliveries, %d recorded after failures", n, len(f.hd.recorded))
	}
}

func TestEmailConnectorChoice(t *testing.T) {
	f := newEmailFixture(t, smtptest.Options{Mode: smtptest.ModeStartTLS}, "")
	params := map[string]any{"content": "Hello"}

	// No connectorId, and a source that cannot list connectors.
	_, _, err := f.run(t, "send_reply", params)
	emailStepError(t, err, "connectorId: no SMTP connector given")

	// A source that can list: the only smtp connector is used.
	f.connectors.add(&connector.Connector{ID: connector.NewID(), Type: webhook.Type})
	lister := emailListingConnectors{f.connectors}
	x := f.exec(params)
	x.Services.Connectors = lister
	if _, err := sendReply.Run(context.Background(), x); err != nil {
		t.Fatalf("only smtp connector: %v", err)
	}
	if x.Input["connectorId"] != f.connID || len(f.srv.Deliveries(t)) != 1 {
		t.Errorf("input %v, %d deliveries", x.Input, len(f.srv.Deliveries(t)))
	}

	// Two: the step asks to choose.
	f.connectors.add(emailConnector(f.srv, "starttls", "", ""))
	x = f.exec(map[string]any{"to": "a@example.com", "subject": "s", "content": "c"})
	x.Services.Connectors = lister
	_, err = sendEmail.Run(context.Background(), x)
	emailStepError(t, err, "2 smtp connectors")
}

func TestSendEmail(t *testing.T) {
	f := newEmailFixture(t, smtptest.Options{Mode: smtptest.ModeStartTLS, Username: emailUser, Password: emailPassword}, emailPassword)
	f.ticket.Subject = "Refund\r\nBcc: evil@example.com"
	x, out := emailMustRun(t, f, "send_email", map[string]any{
		"to":          []any{"{{customer.name}} <{{customer.email}}>", "Billing <billing@acme.example>, {{variables.extra}}"},
		"cc":          `"Doe, John" <john@example.com>, {{variables.missing}}`,
		"subject":     "Überweisung: {{ticket.subject}} #{{customFields.order_number}}",
		"content":     "Order {{customFields.order_number}}\r\nfor {{customer.name}}\n.\nend",
		"connectorId": f.connID,
	})
	d := emailOneDelivery(t, f.srv)
	if want := []string{"ann@example.com", "billing@acme.example", "ops@acme.example", "john@example.com"}; !reflect.DeepEqual(d.RcptTos, want) {
		t.Errorf("recipients %v, want %v", d.RcptTos, want)
	}
	emailHeaders(t, d, map[string]string{
		"From":           `"Acme Support" <support@acme.example>`,
		"To":             `=?utf-8?q?Ann_M=C3=BCller?= <ann@example.com>, "Billing" <billing@acme.example>, <ops@acme.example>`,
		"Cc":             `"Doe, John" <john@example.com>`,
		"Message-Id":     "<" + emailKey + "@deskflow>",
		"In-Reply-To":    "",
		"References":     "",
		"Auto-Submitted": "auto-generated",
		"Bcc":            "",
	})
	if s := d.Subject(); s != "Überweisung: Refund Bcc: evil@example.com #42" {
		t.Errorf("subject %q", s)
	}
	if d.Body != "Order 42\nfor Ann Müller\n.\nend\n" {
		t.Errorf("body %q", d.Body)
	}
	wantOut := map[string]any{
		"email_message_id": "<" + emailKey + "@deskflow>",
		"to":               []string{"ann@example.com", "billing@acme.example", "ops@acme.example"},
		"cc":               []string{"john@example.com"},
	}
	if !reflect.DeepEqual(out, wantOut) {
		t.Errorf("output %v, want %v", out, wantOut)
	}
	if !reflect.DeepEqual(x.Input["to"], []string{"Ann Müller <ann@example.com>", "Billing <billing@acme.example>, ops@acme.example"}) ||
		x.Input["cc"] != `"Doe, John" <john@example.com>, ` || x.Input["subject"] != "Überweisung: Refund Bcc: evil@example.com #42" {
		t.Errorf("input %#v", x.Input)
	}
	if len(f.hd.recorded) != 0 {
		t.Errorf("send_email recorded a ticket message")
	}

	// A retry of the step sends the same Message-ID.
	emailMustRun(t, f, "send_email", map[string]any{"to": "ann@example.com", "subject": "s", "content": "c", "connectorId": f.connID})
	got := f.srv.Deliveries(t)
	if len(got) != 2 || got[1].Header.Get("Message-Id") != "<"+emailKey+"@deskflow>" {
		t.Errorf("retry Message-ID %q", got[len(got)-1].Header.Get("Message-Id"))
	}
}

func TestSendEmailBadRecipients(t *testing.T) {
	f := newEmailFixture(t, smtptest.Options{Mode: smtptest.ModeStartTLS}, "")
	for _, tc := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"to": "{{variables.bad}}"}, `to: "not an address" is not a valid email address`},
		{map[string]any{"to": "{{variables.missing}}"}, "to: no recipient is left after rendering"},
		{map[string]any{"to": "a@example.com", "cc": []any{"{{variables.bad}}"}}, `cc: "not an address"`},
		{map[string]any{"to": "a@example.com\r\nBcc: evil@example.com"}, "line break"},
		{map[string]any{"to": "jörg@example.com"}, "internationalized"},
		{map[string]any{"to": "reject-this@example.com"}, "refused the recipient reject-this@example.com"},
	} {
		params := map[string]any{"subject": "s", "content": "c", "connectorId": f.connID}
		for k, v := range tc.params {
			params[k] = v
		}
		_, _, err := f.run(t, "send_email", params)
		emailStepError(t, err, tc.want)
	}
	if n := len(f.srv.Deliveries(t)); n != 0 {
		t.Errorf("%d deliveries", n)
	}
}

func TestSendEmailStepTimeout(t *testing.T) {
	// A server that accepts and never answers: the step's context ends
	// the session, and the error is the deadline, not a step error.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	f := &emailFixture{connectors: &emailConnectors{}, hd: &emailHelpdesk{}}
	id := f.connectors.add(emailConnector(&smtptest.Server{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}, "starttls", "", ""))
	x := f.exec(map[string]any{"to": "a@example.com", "subject": "s", "content": "c", "connectorId": id})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = sendEmail.Run(ctx, x)
	if !errors.Is(err, context.DeadlineExceeded) || IsStepError(err) {
		t.Fatalf("want the deadline, got %T %v", err, err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("returned after %s", el)
	}
}

func TestEmailActionsValidateConnectorID(t *testing.T) {
	for _, typ := range []string{"send_reply", "send_email"} {
		def, _ := Lookup(typ)
		params := map[string]any{"content": "Hi {{customer.name}}", "includeSignature": true, "connectorId": "3f2a1f7e-8a4b-4c1d-9e2f-0a1b2c3d4e5f"}
		if typ == "send_email" {
			params = map[string]any{"to": "a@example.com", "subject": "s", "content": "c", "connectorId": "3f2a1f7e-8a4b-4c1d-9e2f-0a1b2c3d4e5f"}
		}
		var errs validate.Errors
		var refs []param.Ref
		ValidateParameters(def, param.New(&errs, "actions.0.parameters", params, &refs, template.DefaultSchema))
		if err := errs.Err(); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
		want := []param.Ref{{Path: "actions.0.parameters.connectorId", Kind: param.KindConnector, ID: "3f2a1f7e-8a4b-4c1d-9e2f-0a1b2c3d4e5f", ConnectorTypes: []string{smtpmail.Type}}}
		if !reflect.DeepEqual(refs, want) {
			t.Errorf("%s refs %+v, want %+v", typ, refs, want)
		}
		// The seed's send_reply (no connectorId) still saves.
		delete(params, "connectorId")
		errs, refs = validate.Errors{}, nil
		ValidateParameters(def, param.New(&errs, "p", params, &refs, template.DefaultSchema))
		if err := errs.Err(); err != nil {
			t.Errorf("%s without connectorId: %v", typ, err)
		}
	}
}

// An email workflow does not write to the sender of an automatic message
// (an auto-responder), though it may still write to others.
func TestSendEmailNotToAutomaticSender(t *testing.T) {
	f := newEmailFixture(t, smtptest.Options{Mode: smtptest.ModeStartTLS, Username: emailUser, Password: emailPassword}, emailPassword)
	f.hd.addMessage(helpdesk.DirectionInbound, "ooo@firma.example")
	f.hd.messages[len(f.hd.messages)-1].SenderEmail = "Ann@Example.com"
	f.hd.messages[len(f.hd.messages)-1].Automatic = "Auto-Submitted: auto-replied"
	x := f.exec(map[string]any{"to": []any{"{{customer.email}}"}, "subject": "Hi", "content": "Hello", "connectorId": f.connID})
	_, err := sendEmail.Run(context.Background(), x)
	if err == nil || !strings.Contains(err.Error(), "automatic") {
		t.Fatalf("to the auto-responder: %v", err)
	}
	x = f.exec(map[string]any{"to": []any{"billing@acme.example"}, "subject": "Hi", "content": "Hello", "connectorId": f.connID})
	if _, err := sendEmail.Run(context.Background(), x); err != nil {
		t.Fatalf("to someone else: %v", err)
	}
	if n := len(f.srv.Deliveries(t)); n != 1 {
		t.Errorf("%d emails sent, want 1", n)
	}
}
