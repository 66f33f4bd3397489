package smtpmail_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/smtpmail"
	"github.com/deskflow/deskflow/internal/integration/smtpmail/smtptest"
	"github.com/deskflow/deskflow/internal/outbound"
	"github.com/deskflow/deskflow/internal/validate"
)

const (
	testUser     = "mailer"
	testPassword = "s3cret-Pa55word"
)

// loopbackNet is the production guard with the test servers' loopback
// address allowed, as deskflow's --outbound-allow does.
func loopbackNet() smtpmail.Net {
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	return smtpmail.Net{
		HTTP:     outbound.NewClient(outbound.Options{Allow: allow}),
		CheckURL: func(raw string) error { return outbound.CheckURL(raw, allow) },
	}
}

func smtpConnector(srv *smtptest.Server, security, user, password string) *connector.Connector {
	creds := map[string]string{}
	if user != "" {
		creds["username"] = user
	}
	if password != "" {
		creds["password"] = password
	}
	return &connector.Connector{
		ID:   connector.NewID(),
		Type: smtpmail.Type,
		Settings: map[string]any{
			"host":                 srv.Host,
			"port":                 json.Number(fmt.Sprint(srv.Port)),
			"security":             security,
			"from_address":         "support@deskflow.test",
			"from_name":            "Support Desk",
			"insecure_skip_verify": true,
		},
		Credentials: creds,
	}
}

func config(t *testing.T, c *connector.Connector) smtpmail.Config {
	t.Helper()
	cfg, err := smtpmail.ConfigOf(c)
	if err != nil {
		t.Fatalf("ConfigOf: %v", err)
	}
	return cfg
}

func testMessage() *smtpmail.Message {
	return &smtpmail.Message{
		From:      mail.Address{Name: "Support Desk", Address: "support@deskflow.test"},
		To:        []mail.Address{{Name: "Ann Customer", Address: "ann@example.com"}},
		Subject:   "Hello",
		Body:      "Line one\nLine two",
		MessageID: "run1-0-0@deskflow",
	}
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestSendStartTLSWithAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeStartTLS, Username: testUser, Password: testPassword})
	cfg := config(t, smtpConnector(srv, "starttls", testUser, testPassword))
	msg := testMessage()
	msg.Cc = []mail.Address{{Address: "boss@example.com"}, {Address: "ANN@example.com"}}
	msg.Subject = "Grüße aus Köln — ünïcödé"
	msg.InReplyTo = "<in-1@mail.example.com>"
	msg.References = []string{"in-0@mail.example.com", "<in-1@mail.example.com>", "bad id with spaces", "in-0@mail.example.com"}
	msg.AutoSubmitted = smtpmail.AutoReplied
	if err := smtpmail.Send(ctxTimeout(t, 20*time.Second), cfg, loopbackNet(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Deliveries(t)
	if len(got) != 1 {
		t.Fatalf("got %d deliveries, want 1", len(got))
	}
	d := got[0]
	if !d.TLS || d.AuthUser == nil || *d.AuthUser != testUser {
		t.Errorf("session: tls %v, auth %v; want TLS and user %s", d.TLS, d.AuthUser, testUser)
	}
	if d.MailFrom != "support@deskflow.test" {
		t.Errorf("MAIL FROM %q", d.MailFrom)
	}
	// The duplicate (ANN@ vs ann@) is sent once.
	if strings.Join(d.RcptTos, ",") != "ann@example.com,boss@example.com" {
		t.Errorf("RCPT TO %v", d.RcptTos)
	}
	h := d.Header
	checks := map[string]string{
		"From":                      `"Support Desk" <support@deskflow.test>`,
		"To":                        `"Ann Customer" <ann@example.com>`,
		"Cc":                        "<boss@example.com>, <ANN@example.com>",
		"Message-Id":                "<run1-0-0@deskflow>",
		"In-Reply-To":               "<in-1@mail.example.com>",
		"References":                "<in-0@mail.example.com> <in-1@mail.example.com>",
		"Auto-Submitted":            "auto-replied",
		"Mime-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
	}
	for k, want := range checks {
		if v := h.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	if s := d.Subject(); s != msg.Subject {
		t.Errorf("decoded subject %q, want %q", s, msg.Subject)
	}
	if !strings.Contains(d.Data, "Subject: =?utf-8?q?") {
		t.Errorf("subject not Q-encoded:\n%s", d.Data)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if d.Body != "Line one\nLine two\n" {
		t.Errorf("body %q", d.Body)
	}
}

func TestSendImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeTLS, Username: testUser, Password: testPassword})
	cfg := config(t, smtpConnector(srv, "tls", testUser, testPassword))
	if err := smtpmail.Send(ctxTimeout(t, 20*time.Second), cfg, loopbackNet(), testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Deliveries(t)
	if len(got) != 1 || !got[0].TLS || got[0].AuthUser == nil {
		t.Fatalf("deliveries %+v", got)
	}
}

func TestSendNoneOnLoopback(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeNone, Username: testUser, Password: testPassword})
	cfg := config(t, smtpConnector(srv, "none", testUser, testPassword))
	if err := smtpmail.Send(ctxTimeout(t, 20*time.Second), cfg, loopbackNet(), testMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Deliveries(t)
	if len(got) != 1 || got[0].TLS || got[0].AuthUser == nil {
		t.Fatalf("deliveries %+v", got)
	}
}

func TestSendWrongPassword(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeStartTLS, Username: testUser, Password: testPassword})
	const wrong = "wrong-Secret-123"
	cfg := config(t, smtpConnector(srv, "starttls", testUser, wrong))
	err := smtpmail.Send(ctxTimeout(t, 20*time.Second), cfg, loopbackNet(), testMessage())
	if err == nil {
		t.Fatal("Send succeeded with a wrong password")
	}
	var se *smtpmail.Error
	if !errors.As(err, &se) || se.Code != 535 {
		t.Errorf("error %T %v, want *smtpmail.Error with code 535", err, err)
	}
	if !strings.Contains(err.Error(), "authentication") {
		t.Errorf("error does not say authentication failed: %v", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), testUser) {
		t.Errorf("error leaks a credential: %v", err)
	}
	if n := len(srv.Deliveries(t)); n != 0 {
		t.Errorf("%d deliveries", n)
	}
}

func TestSendVerifiesCertificate(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeStartTLS})
	c := smtpConnector(srv, "starttls", "", "")
	c.Settings["insecure_skip_verify"] = false
	err := smtpmail.Send(ctxTimeout(t, 20*time.Second), config(t, c), loopbackNet(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("self-signed certificate accepted or unclear error: %v", err)
	}
}

func TestSendStartTLSRequired(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeNone})
	err := smtpmail.Send(ctxTimeout(t, 20*time.Second), config(t, smtpConnector(srv, "starttls", "", "")), loopbackNet(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Fatalf("want a STARTTLS error, got %v", err)
	}
	if n := len(srv.Deliveries(t)); n != 0 {
		t.Errorf("sent in clear: %d deliveries", n)
	}
}

func TestSendRecipientRefused(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeStartTLS})
	msg := testMessage()
	msg.Cc = []mail.Address{{Address: "reject-me@example.com"}}
	err := smtpmail.Send(ctxTimeout(t, 20*time.Second), config(t, smtpConnector(srv, "starttls", "", "")), loopbackNet(), msg)
	var se *smtpmail.Error
	if !errors.As(err, &se) || se.Code != 550 || !strings.Contains(err.Error(), "refused the recipient reject-me@example.com") {
		t.Fatalf("want a 550 recipient error, got %v", err)
	}
	if n := len(srv.Deliveries(t)); n != 0 {
		t.Errorf("%d deliveries despite a refused recipient", n)
	}
}

func TestSendUnreachable(t *testing.T) {
	srv := &smtptest.Server{Host: "127.0.0.1", Port: smtptest.UnusedPort(t)}
	err := smtpmail.Send(ctxTimeout(t, 10*time.Second), config(t, smtpConnector(srv, "starttls", "", "")), loopbackNet(), testMessage())
	if err == nil || !strings.Contains(err.Error(), "connect to the SMTP server 127.0.0.1:") {
		t.Fatalf("want a connection error, got %v", err)
	}
}

func TestSendRespectsContext(t *testing.T) {
	// A server that accepts connections and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	srv := &smtptest.Server{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = smtpmail.Send(ctx, config(t, smtpConnector(srv, "starttls", "", "")), loopbackNet(), testMessage())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("want a deadline error, got %v", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %s after a 300ms deadline", el)
	}
}

func TestSendRefusesPrivateAddresses(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeStartTLS})
	cfg := config(t, smtpConnector(srv, "starttls", "", ""))
	for name, n := range map[string]smtpmail.Net{
		"guarded client, no allow list":   {HTTP: outbound.NewClient(outbound.Options{}), CheckURL: func(raw string) error { return outbound.CheckURL(raw, nil) }},
		"guarded client without CheckURL": {HTTP: outbound.NewClient(outbound.Options{})},
		"no client (fallback dialer)":     {},
	} {
		err := smtpmail.Send(ctxTimeout(t, 10*time.Second), cfg, n, testMessage())
		if err == nil || !strings.Contains(err.Error(), "loopback address") {
			t.Errorf("%s: want a refused loopback address, got %v", name, err)
		}
	}
	if n := len(srv.Deliveries(t)); n != 0 {
		t.Errorf("%d deliveries", n)
	}
}

func TestConnectorTest(t *testing.T) {
	def, ok := connector.Lookup(smtpmail.Type)
	if !ok || def.Test == nil {
		t.Fatal("smtp connector type not registered with a Test")
	}
	n := loopbackNet()
	env := connector.Env{HTTP: n.HTTP, CheckURL: n.CheckURL}
	srv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeStartTLS, Username: testUser, Password: testPassword})
	if err := def.Test(ctxTimeout(t, 20*time.Second), smtpConnector(srv, "starttls", testUser, testPassword), env); err != nil {
		t.Errorf("good credentials: %v", err)
	}
	err := def.Test(ctxTimeout(t, 20*time.Second), smtpConnector(srv, "starttls", testUser, "not-the-password"), env)
	if err == nil || !strings.Contains(err.Error(), "authentication") || strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("bad credentials: %v", err)
	}
	// Without credentials the server wants AUTH before MAIL FROM: the test
	// says so instead of passing.
	err = def.Test(ctxTimeout(t, 20*time.Second), smtpConnector(srv, "starttls", "", ""), env)
	if err == nil || !strings.Contains(err.Error(), "refused the sender") {
		t.Errorf("no credentials: %v", err)
	}
	err = def.Test(ctxTimeout(t, 20*time.Second), smtpConnector(srv, "starttls", testUser, ""), env)
	if err == nil || !strings.Contains(err.Error(), "username but no password") {
		t.Errorf("username without password: %v", err)
	}
	if n := len(srv.Deliveries(t)); n != 0 {
		t.Errorf("the connector test sent %d messages", n)
	}

	tlsSrv := smtptest.Start(t, smtptest.Options{Mode: smtptest.ModeTLS})
	if err := def.Test(ctxTimeout(t, 20*time.Second), smtpConnector(tlsSrv, "tls", "", ""), env); err != nil {
		t.Errorf("implicit TLS without auth: %v", err)
	}
}

func parseSettings(t *testing.T, body string) (connector.Input, error) {
	t.Helper()
	v, err := validate.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return connector.Parse(v, nil)
}

func TestSettings(t *testing.T) {
	in, err := parseSettings(t, `{"type": "smtp", "name": "Mail", "settings": {"host": "SMTP.Example.com", "port": 587, "from_address": " support@example.com "},
		"credentials": {"username": "u", "password": "p"}}`)
	if err != nil {
		t.Fatalf("valid settings refused: %v", err)
	}
	want := map[string]any{"host": "smtp.example.com", "port": json.Number("587"), "security": "starttls", "from_address": "support@example.com", "insecure_skip_verify": false}
	for k, v := range want {
		if in.Settings[k] != v {
			t.Errorf("settings.%s = %#v, want %#v", k, in.Settings[k], v)
		}
	}
	if _, err := parseSettings(t, `{"type": "smtp", "name": "Relay", "settings": {"host": "[::1]", "port": 25, "security": "none", "from_address": "a@b.example", "from_name": "Ünïcode Desk"}}`); err != nil {
		t.Errorf("none on loopback refused: %v", err)
	}
	for body, field := range map[string]string{
		`{"type": "smtp", "name": "x", "settings": {"port": 587, "from_address": "a@b.example"}}`:                                                            "settings.host",
		`{"type": "smtp", "name": "x", "settings": {"host": "smtp://mail.example.com", "port": 587, "from_address": "a@b.example"}}`:                         "settings.host",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com:587", "port": 587, "from_address": "a@b.example"}}`:                            "settings.host",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "from_address": "a@b.example"}}`:                                             "settings.port",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": 70000, "from_address": "a@b.example"}}`:                              "settings.port",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": "587", "from_address": "a@b.example"}}`:                              "settings.port",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": 587, "security": "ssl", "from_address": "a@b.example"}}`:             "settings.security",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": 25, "security": "none", "from_address": "a@b.example"}}`:             "settings.security",
		`{"type": "smtp", "name": "x", "settings": {"host": "localhost", "port": 25, "security": "none", "from_address": "a@b.example"}}`:                    "settings.security",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": 587}}`:                                                               "settings.from_address",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": 587, "from_address": "not an address"}}`:                             "settings.from_address",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": 587, "from_address": "Desk <a@b.example>"}}`:                         "settings.from_address",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": 587, "from_address": "a@b.example", "from_name": "a\nb"}}`:           "settings.from_name",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": 587, "from_address": "a@b.example", "insecure_skip_verify": "yes"}}`: "settings.insecure_skip_verify",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": 587, "from_address": "a@b.example", "tls": true}}`:                   "settings.tls",
		`{"type": "smtp", "name": "x", "settings": {"host": "mail.example.com", "port": 587, "from_address": "a@b.example"}, "credentials": {"token": "x"}}`: "credentials.token",
	} {
		_, err := parseSettings(t, body)
		ve, ok := validate.As(err)
		if !ok || ve.Fields[field] == nil {
			t.Errorf("%s: want an error on %s, got %v", body, field, err)
		}
	}
}

func TestConfigOfCredentials(t *testing.T) {
	srv := &smtptest.Server{Host: "127.0.0.1", Port: 2525}
	if _, err := smtpmail.ConfigOf(smtpConnector(srv, "starttls", "", "only-password")); err == nil || strings.Contains(err.Error(), "only-password") {
		t.Errorf("password without username: %v", err)
	}
	c := smtpConnector(srv, "starttls", "", "")
	c.Settings["port"] = float64(2525)
	cfg, err := smtpmail.ConfigOf(c)
	if err != nil || cfg.Port != 2525 || cfg.Addr() != "127.0.0.1:2525" {
		t.Errorf("float port: %+v %v", cfg, err)
	}
	c.Settings["security"] = "none"
	c.Settings["host"] = "mail.example.com"
	if _, err := smtpmail.ConfigOf(c); err == nil {
		t.Error("stored settings with security none on a remote host accepted")
	}
}

func TestMessageHeadersAreSafe(t *testing.T) {
	msg := testMessage()
	msg.Subject = "Hi\r\nBcc: victim@example.com\r\n\r\nInjected body"
	msg.To[0].Name = "Ann\r\nBcc: x@example.com"
	msg.InReplyTo = "abc@x\r\nBcc: y@example.com"
	msg.References = []string{"ok@x", "bad\nBcc: z@example.com"}
	raw, err := msg.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Bcc") != "" || strings.Contains(strings.ToLower(string(raw)), "\nbcc:") {
		t.Fatalf("header injected:\n%s", raw)
	}
	if s := m.Header.Get("Subject"); s != "Hi Bcc: victim@example.com Injected body" {
		t.Errorf("subject %q", s)
	}
	if m.Header.Get("In-Reply-To") != "" || m.Header.Get("References") != "<ok@x>" {
		t.Errorf("In-Reply-To %q, References %q", m.Header.Get("In-Reply-To"), m.Header.Get("References"))
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("bare CR or LF in %q", line)
		}
	}
}

func TestMessageLongSubjectAndBody(t *testing.T) {
	msg := testMessage()
	msg.Subject = strings.Repeat("Überweisung ", 100)
	msg.Body = strings.Repeat("x", 3000) + "\r\n.\r\nend"
	for i := range 30 {
		msg.References = append(msg.References, fmt.Sprintf("ref%d@example.com", i))
	}
	raw, err := msg.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("line of %d octets", len(line))
		}
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if r := []rune(subject); len(r) != smtpmail.MaxSubject || !strings.HasPrefix(subject, "Überweisung Überweisung") {
		t.Errorf("subject of %d characters: %q", len(r), subject)
	}
	refs := strings.Fields(m.Header.Get("References"))
	if len(refs) != 20 || refs[0] != "<ref0@example.com>" || refs[19] != "<ref29@example.com>" {
		t.Errorf("references %v", refs)
	}
}

func TestParseAddressList(t *testing.T) {
	got, err := smtpmail.ParseAddressList(` a@example.com, "Doe, John" <john@example.com>,, ops@example.com (team, ops) `)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, a := range got {
		addrs = append(addrs, a.Address)
	}
	if strings.Join(addrs, " ") != "a@example.com john@example.com ops@example.com" || got[1].Name != "Doe, John" {
		t.Errorf("got %+v", got)
	}
	for _, bad := range []string{"not-an-address", "a@example.com\r\nBcc: b@example.com", "jörg@example.com", "a@"} {
		if _, err := smtpmail.ParseAddressList(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMessageID(t *testing.T) {
	if id := smtpmail.MessageID("01J0RUN-0-2"); id != "01J0RUN-0-2@deskflow" {
		t.Errorf("MessageID = %q", id)
	}
	odd := smtpmail.MessageID("run id with spaces <>")
	if odd != smtpmail.MessageID("run id with spaces <>") || strings.ContainsAny(odd, " <>") || !strings.HasSuffix(odd, "@deskflow") {
		t.Errorf("MessageID of an odd key = %q", odd)
	}
	if id, ok := smtpmail.NormalizeMessageID(" <a.b@c> "); !ok || id != "a.b@c" {
		t.Errorf("NormalizeMessageID = %q %v", id, ok)
	}
}
