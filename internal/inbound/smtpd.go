package inbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/net/netutil"

	"github.com/deskflow/deskflow/internal/storage"
)

// ReceiverConfig configures the SMTP receiver.
type ReceiverConfig struct {
	// Addr is where it listens (deskflow serve --smtp-addr).
	Addr string
	// MaxMessageBytes refuses larger messages (552); default 25 MiB.
	MaxMessageBytes int64
	// MaxConnections bounds the sessions open at once; default 100.
	MaxConnections int
	// Domain is the name it greets with.
	Domain string
	// LMTP speaks LMTP instead of SMTP (a local mail server delivering).
	LMTP bool
}

// Receiver is deskflow's receiving SMTP (or LMTP) server: a mail server or
// an MX delivers the support addresses' mail to it. It accepts mail only
// for the addresses of email channels, answering 550 for the others, and
// imports each message into the channel's workspace once it is received.
// It does no relaying and no authentication: put it on a private address
// behind the mail server that receives from the internet.
type Receiver struct {
	cfg      ReceiverConfig
	importer *Importer
	server   *smtp.Server
	listener net.Listener
	log      *slog.Logger
}

// DefaultMaxMessageBytes is the largest message the receiver takes unless
// configured.
const DefaultMaxMessageBytes = 25 << 20

// NewReceiver listens on cfg.Addr; Serve serves.
func NewReceiver(cfg ReceiverConfig, importer *Importer, log *slog.Logger) (*Receiver, error) {
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 100
	}
	if cfg.Domain == "" {
		cfg.Domain = "deskflow"
	}
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen for mail on %s: %w", cfg.Addr, err)
	}
	r := &Receiver{cfg: cfg, importer: importer, listener: netutil.LimitListener(l, cfg.MaxConnections), log: log}
	s := smtp.NewServer(r)
	s.Domain = cfg.Domain
	s.LMTP = cfg.LMTP
	s.MaxMessageBytes = cfg.MaxMessageBytes
	s.MaxRecipients = 50
	s.ReadTimeout, s.WriteTimeout = 2*time.Minute, time.Minute
	s.ErrorLog = slogAdapter{log}
	r.server = s
	return r, nil
}

// Addr is the address the receiver listens on.
func (r *Receiver) Addr() net.Addr { return r.listener.Addr() }

// Serve accepts connections until Shutdown.
func (r *Receiver) Serve() error {
	err := r.server.Serve(r.listener)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for the sessions open (until ctx).
func (r *Receiver) Shutdown(ctx context.Context) error { return r.server.Shutdown(ctx) }

// NewSession is go-smtp's Backend.
func (r *Receiver) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{r: r}, nil
}

type session struct {
	r        *Receiver
	channels []storage.ChannelRef
}

func (s *session) Reset()        { s.channels = nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }

// Rcpt accepts the addresses of email channels only.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ref, err := s.r.importer.DB.ChannelByAddress(context.Background(), strings.ToLower(strings.TrimSpace(to)))
	if errors.Is(err, storage.ErrNotFound) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here: " + to}
	}
	if err != nil {
		s.r.log.Error("smtp receiver: look up recipient", "err", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
	}
	for _, c := range s.channels {
		if c.Channel.ID == ref.Channel.ID {
			return nil
		}
	}
	s.channels = append(s.channels, ref)
	return nil
}

// Data imports the message into each recipient channel. A database failure
// answers 451 so that the sending server tries again (a message imported
// before the failure is recognised then as a duplicate).
func (s *session) Data(body io.Reader) error {
	raw, err := io.ReadAll(body)
	if err != nil {
		return err // go-smtp answers 552 when the message is too large
	}
	raw = bytes.Clone(raw)
	for _, ref := range s.channels {
		res, err := s.r.importer.Import(context.Background(), ref.WorkspaceID, ref.Channel, raw)
		if err != nil {
			s.r.log.Error("smtp receiver: import", "channel", ref.Channel.ID, "err", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
		}
		s.r.log.Info("email received", "channel", ref.Channel.ID, "workspace", ref.WorkspaceID, "outcome", res.Outcome, "ticket", res.TicketID, "reason", res.Reason)
	}
	return nil
}

// slogAdapter writes go-smtp's error log through slog.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Printf(format string, v ...any) { a.log.Warn(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Println(v ...any)               { a.log.Warn(fmt.Sprint(v...)) }
