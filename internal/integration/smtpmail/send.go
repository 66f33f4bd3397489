package smtpmail

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/deskflow/deskflow/internal/outbound"
)

// DefaultTimeout bounds a session whose context has no deadline.
const DefaultTimeout = 60 * time.Second

// DialFunc dials "host:port" over TCP.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Net is how the client reaches SMTP servers under deskflow's SSRF rules.
type Net struct {
	// HTTP is the guarded outbound client; the dial function of its
	// transport (which resolves, checks and dials checked IPs) is reused.
	HTTP *http.Client
	// CheckURL refuses hosts that can never be reached; it is given
	// "https://host:port/".
	CheckURL func(string) error
	// Dial, when set, is used instead of the HTTP client's dialer.
	Dial DialFunc
}

// Dialer is the dial function connections go through: Dial, else the
// guarded HTTP client's.
func (n Net) Dialer() DialFunc { return n.dialer() }

func (n Net) dialer() DialFunc {
	if n.Dial != nil {
		return n.Dial
	}
	if n.HTTP != nil {
		rt := n.HTTP.Transport
		for {
			if t, ok := rt.(*http.Transport); ok && t.DialContext != nil {
				return t.DialContext
			}
			wrapper, ok := rt.(interface{ Unwrap() http.RoundTripper })
			if !ok {
				break
			}
			rt = wrapper.Unwrap()
		}
	}
	// No guarded client: refuse every address of outbound's deny list,
	// with no allow list, at the socket.
	d := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("unparsable socket address %q", address)
			}
			return outbound.Check(ap.Addr(), nil)
		},
	}
	return d.DialContext
}

// Error is a failed SMTP session. Its message names the step that failed
// and the server's answer; it never contains credentials. It wraps the
// context's error when the context ended the session.
type Error struct {
	msg string
	// Code is the server's reply code when the server refused (e.g. 535,
	// 550), 0 otherwise.
	Code  int
	cause error
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns context.Canceled or context.DeadlineExceeded when the
// context ended the session.
func (e *Error) Unwrap() error { return e.cause }

// Temporary reports a 4xx reply: the server asks to try again later.
func (e *Error) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// session is one open SMTP connection.
type session struct {
	cfg    Config
	client *smtp.Client
	conn   net.Conn
	stop   func() bool
}

// fail builds an Error from what failed and why, with the credentials
// scrubbed from the text whatever the server or a library put in it.
func (s *session) fail(ctx context.Context, err error, format string, args ...any) error {
	return newError(ctx, s.cfg, err, format, args...)
}

func newError(ctx context.Context, cfg Config, err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	e := &Error{}
	if err != nil {
		var tp *textproto.Error
		if errors.As(err, &tp) {
			e.Code = tp.Code
		}
		if cause := ctxErr(ctx); cause != nil {
			e.cause = cause
			if errors.Is(cause, context.DeadlineExceeded) {
				msg += ": timed out"
			} else {
				msg += ": canceled"
			}
		} else {
			msg += ": " + err.Error()
		}
	}
	e.msg = redact(msg, cfg)
	return e
}

// ctxErr is the context's error, or DeadlineExceeded once its deadline
// has passed: the connection's deadline (the same instant) can fire a
// little before the context's own timer.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// redact removes the credentials, plain and in the base64 forms AUTH
// sends, from an error text.
func redact(s string, cfg Config) string {
	var secrets []string
	if cfg.Password != "" {
		secrets = append(secrets,
			base64.StdEncoding.EncodeToString([]byte("\x00"+cfg.Username+"\x00"+cfg.Password)),
			base64.StdEncoding.EncodeToString([]byte(cfg.Password)),
			cfg.Password)
	}
	if cfg.Username != "" {
		secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(cfg.Username)), cfg.Username)
	}
	for _, secret := range secrets {
		if len(secret) >= 3 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// open connects, greets, upgrades to TLS and authenticates as configured.
func open(ctx context.Context, cfg Config, n Net) (*session, error) {
	addr := cfg.Addr()
	if err := ctx.Err(); err != nil {
		return nil, newError(ctx, cfg, err, "connect to the SMTP server %s", addr)
	}
	if n.CheckURL != nil {
		if err := n.CheckURL("https://" + addr + "/"); err != nil {
			return nil, newError(ctx, cfg, err, "the SMTP server %s may not be reached", addr)
		}
	}
	conn, err := n.dialer()(ctx, "tcp", addr)
	if err != nil {
		return nil, newError(ctx, cfg, err, "connect to the SMTP server %s", addr)
	}
	s := &session{cfg: cfg, conn: conn}
	// The context bounds every read and write: its deadline directly, its
	// cancellation by moving the deadline into the past.
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	_ = conn.SetDeadline(deadline)
	s.stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })

	tlsConfig := &tls.Config{
		ServerName:         cfg.Host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // opt-in for tests, documented
	}
	if cfg.Security == SecurityTLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			s.close()
			return nil, s.fail(ctx, err, "TLS handshake with the SMTP server %s", addr)
		}
		s.conn = tc
	}
	c, err := smtp.NewClient(s.conn, cfg.Host)
	if err != nil {
		s.close()
		return nil, s.fail(ctx, err, "SMTP greeting from %s", addr)
	}
	s.client = c
	if err := c.Hello(heloName(conn)); err != nil {
		s.close()
		return nil, s.fail(ctx, err, "EHLO to the SMTP server %s", addr)
	}
	if cfg.Security == SecurityStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			s.close()
			return nil, s.fail(ctx, nil, "the SMTP server %s does not offer STARTTLS (security is starttls; use tls if the server expects TLS from the first byte)", addr)
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			s.close()
			return nil, s.fail(ctx, err, "STARTTLS with the SMTP server %s", addr)
		}
	}
	if cfg.Username != "" {
		if err := s.auth(ctx); err != nil {
			s.close()
			return nil, err
		}
	}
	return s, nil
}

func (s *session) auth(ctx context.Context) error {
	addr := s.cfg.Addr()
	ok, mechs := s.client.Extension("AUTH")
	if !ok {
		return s.fail(ctx, nil, "the SMTP server %s does not offer authentication (AUTH), but the connector has a username and password", addr)
	}
	// Credentials only go over TLS, or in clear to a loopback address
	// (security none, which settings allow for loopback hosts only).
	clearOK := s.cfg.Security == SecurityNone && isLoopbackIP(s.cfg.Host)
	var a smtp.Auth
	for _, m := range strings.Fields(strings.ToUpper(mechs)) {
		if m == "PLAIN" {
			a = &plainAuth{user: s.cfg.Username, pass: s.cfg.Password, clearOK: clearOK}
			break
		}
		if m == "LOGIN" && a == nil {
			a = &loginAuth{user: s.cfg.Username, pass: s.cfg.Password, clearOK: clearOK}
		}
	}
	if a == nil {
		return s.fail(ctx, nil, "the SMTP server %s offers authentication methods %s; deskflow supports PLAIN and LOGIN", addr, mechs)
	}
	if err := s.client.Auth(a); err != nil {
		return s.fail(ctx, err, "authentication with the SMTP server %s failed (check the connector's username and password)", addr)
	}
	return nil
}

func (s *session) close() {
	if s.stop != nil {
		s.stop()
	}
	if s.client != nil {
		_ = s.client.Close()
	} else {
		_ = s.conn.Close()
	}
}

// quit ends the session politely; its error is of no interest once the
// message has been accepted.
func (s *session) quit() {
	_ = s.client.Quit()
	s.close()
}

// Check connects, greets, upgrades to TLS and authenticates as configured,
// then checks that the server accepts the sender (MAIL FROM, then RSET:
// nothing is sent) and quits. It is the connector's test.
func Check(ctx context.Context, cfg Config, n Net) error {
	s, err := open(ctx, cfg, n)
	if err != nil {
		return err
	}
	defer s.close()
	if err := s.client.Mail(cfg.FromAddress); err != nil {
		return s.fail(ctx, err, "the SMTP server %s refused the sender %s", cfg.Addr(), cfg.FromAddress)
	}
	if err := s.client.Reset(); err != nil {
		return s.fail(ctx, err, "RSET on the SMTP server %s", cfg.Addr())
	}
	s.quit()
	return nil
}

// Send delivers msg through the server: every recipient must be accepted,
// or nothing is sent. It returns nil once the server has accepted the
// message. Errors are *Error.
func Send(ctx context.Context, cfg Config, n Net, msg *Message) error {
	data, err := msg.Bytes()
	if err != nil {
		return newError(ctx, cfg, err, "build the email")
	}
	s, err := open(ctx, cfg, n)
	if err != nil {
		return err
	}
	defer s.close()
	addr := cfg.Addr()
	if err := s.client.Mail(cfg.FromAddress); err != nil {
		return s.fail(ctx, err, "the SMTP server %s refused the sender %s", addr, cfg.FromAddress)
	}
	for _, rcpt := range msg.Recipients() {
		if err := s.client.Rcpt(rcpt); err != nil {
			return s.fail(ctx, err, "the SMTP server %s refused the recipient %s", addr, rcpt)
		}
	}
	w, err := s.client.Data()
	if err != nil {
		return s.fail(ctx, err, "the SMTP server %s refused the message data", addr)
	}
	if _, err := w.Write(data); err != nil {
		return s.fail(ctx, err, "sending the message to the SMTP server %s", addr)
	}
	if err := w.Close(); err != nil {
		return s.fail(ctx, err, "the SMTP server %s did not accept the message", addr)
	}
	s.quit()
	return nil
}

// heloName is the name given in EHLO: the host's name when it is fully
// qualified, otherwise the connection's local address as an address
// literal (RFC 5321 §4.1.4).
func heloName(conn net.Conn) string {
	if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") && isHostName(h) {
		return h
	}
	if ap, err := netip.ParseAddrPort(conn.LocalAddr().String()); err == nil {
		a := ap.Addr().Unmap().WithZone("")
		if a.Is4() {
			return "[" + a.String() + "]"
		}
		return "[IPv6:" + a.String() + "]"
	}
	return "localhost"
}

func isHostName(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return false
	}
	_, err := normalizeHost(h)
	return err == nil
}

var errClearText = errors.New("refusing to send credentials over an unencrypted connection")

// plainAuth is AUTH PLAIN (RFC 4616).
type plainAuth struct {
	user, pass string
	clearOK    bool
}

func (a *plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.clearOK {
		return "", nil, errClearText
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

// loginAuth is the widespread AUTH LOGIN: the server asks for the user
// name, then the password.
type loginAuth struct {
	user, pass string
	clearOK    bool
	step       int
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.clearOK {
		return "", nil, errClearText
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	prompt := strings.ToLower(string(fromServer))
	switch {
	case strings.Contains(prompt, "username"), strings.Contains(prompt, "user name"):
		return []byte(a.user), nil
	case strings.Contains(prompt, "password"):
		return []byte(a.pass), nil
	case a.step == 1:
		return []byte(a.user), nil
	case a.step == 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected server challenge")
}
