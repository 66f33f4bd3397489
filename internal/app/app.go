// Package app wires deskflow together: it opens and migrates the database,
// bootstraps a new installation, and runs the HTTP API until shutdown. The
// command line (cmd/deskflow), the tests and the benchmark share it.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/api"
	"github.com/deskflow/deskflow/internal/auth"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/engine"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/inbound"
	"github.com/deskflow/deskflow/internal/integration/smtpmail"
	"github.com/deskflow/deskflow/internal/mail"
	"github.com/deskflow/deskflow/internal/metrics"
	"github.com/deskflow/deskflow/internal/outbound"
	"github.com/deskflow/deskflow/internal/queue"
	"github.com/deskflow/deskflow/internal/storage"
)

// DefaultDatabaseURL is the embedded default: SQLite in the working directory.
const DefaultDatabaseURL = "sqlite:./deskflow.db"

// OpenDatabase connects and brings the schema (deskflow's and the job
// queue's) to the current version.
func OpenDatabase(ctx context.Context, url string) (*storage.DB, error) {
	db, err := storage.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := queue.Migrate(ctx, db.Handle()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// CreateToken creates a user of role in the workspace and returns a new
// API token for them.
func CreateToken(ctx context.Context, db *storage.DB, workspaceID int64, role, name string) (string, error) {
	if role != helpdesk.RoleAdmin && role != helpdesk.RoleAgent {
		return "", fmt.Errorf("role must be admin or agent, not %q", role)
	}
	if name == "" {
		name = role
	}
	token := auth.NewToken()
	if _, err := db.CreateUserWithToken(ctx, workspaceID, name, "", role, name, auth.Hash(token)); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return "", fmt.Errorf("workspace %d does not exist", workspaceID)
		}
		return "", err
	}
	return token, nil
}

// Bootstrap prepares a new, empty database: workspace 1 ("Default") and an
// admin whose API token and one-time console sign-in link (on consoleURL)
// are printed once to out. On a database with workspaces it does nothing.
func Bootstrap(ctx context.Context, db *storage.DB, out io.Writer, consoleURL string) error {
	n, err := db.CountWorkspaces(ctx)
	if err != nil || n > 0 {
		return err
	}
	ws, err := db.CreateWorkspace(ctx, "Default")
	if err != nil {
		return err
	}
	token := auth.NewToken()
	admin, err := db.CreateUserWithToken(ctx, ws.ID, "Admin", "", helpdesk.RoleAdmin, "Admin", auth.Hash(token))
	if err != nil {
		return err
	}
	link := auth.NewSecret()
	if err := db.CreateSignInLink(ctx, ws.ID, admin.ID, auth.Hash(link), time.Now().Add(api.SignInLinkLifetime)); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "Created workspace %d (%q) and an admin user.\nAdmin API token, shown only this once:\n%s\nSign in to the console once with this link (valid %s), then set your email and password:\n%s/sign-in/%s\n",
		ws.ID, ws.Name, token, api.SignInLinkLifetime, strings.TrimRight(consoleURL, "/"), link)
	return err
}

// Config configures a deskflow node.
type Config struct {
	DB     *storage.DB
	Logger *slog.Logger
	// OutboundAllow admits these networks despite the SSRF guard (on-premise
	// targets, tests' loopback servers).
	OutboundAllow []netip.Prefix
	// Now is the clock; default time.Now.
	Now func() time.Time
	// RescueAfter: see engine.Config.
	RescueAfter time.Duration
	// ApprovalTTL: see engine.Config.
	ApprovalTTL time.Duration
	// SecretKey seals connector credentials (32 bytes); nil means none can
	// be stored. A database that has some starts only with their key.
	SecretKey []byte
	// AI is the process-wide default language model; nil: built-in.
	AI *engine.AIDefault
	// RateLimit limits each API token (nil: api.DefaultRateLimit).
	RateLimit *api.RateLimit
	// Retention: see engine.Config.
	Retention engine.Retention
	// MetricsToken, when set, protects GET /metrics.
	MetricsToken string
	// Limits bound what one workspace's automation may take (zero values:
	// the defaults).
	Limits engine.Limits
	// MaxMessageBytes is the largest body of one message, created through
	// the API or by a workflow (0: helpdesk.DefaultMaxMessageBytes).
	MaxMessageBytes int
	// Mail configures the intake of email channels.
	Mail MailConfig
	// KeepVersions is how many versions of each workflow are kept (0:
	// storage.DefaultKeepVersions).
	KeepVersions int
}

// MailConfig configures the intake of email: the SMTP receiver (when Addr
// is set) and the IMAP pollers (always running).
type MailConfig struct {
	// SMTPAddr is where the SMTP receiver listens ("" : no receiver).
	SMTPAddr string
	// LMTPAddr is where the LMTP receiver listens, for a local mail server
	// (Postfix, Dovecot) that delivers to deskflow ("": none).
	LMTPAddr string
	// MaxEmailBytes bounds one received email, by the SMTP receiver or
	// from a mailbox (0: 25 MiB).
	MaxEmailBytes int64
	// MaxAttachmentBytes bounds the attachments kept (0: 10 MiB).
	MaxAttachmentBytes int64
	// TLS is the TLS configuration for IMAP servers (tests add their CA).
	TLS *tls.Config
	// Scan is how often the pollers look for mailboxes (0: 5 s).
	Scan time.Duration
}

// App is one deskflow node: the API handler, the engine and the mail
// intake over one store.
type App struct {
	DB       *storage.DB
	Engine   *engine.Engine
	Handler  http.Handler
	Importer *inbound.Importer
	// Receivers are the SMTP and LMTP receivers configured.
	Receivers []*inbound.Receiver
	pollers   *inbound.Pollers
	stopMail  context.CancelFunc
	mailDone  chan struct{}
}

// New builds a node. Call Start to begin running workflows.
func New(cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	checkURL := func(raw string) error { return outbound.CheckURL(raw, cfg.OutboundAllow) }
	sealer, err := connector.NewSealer(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	if err := checkKey(context.Background(), cfg.DB, sealer, cfg.Logger); err != nil {
		return nil, err
	}
	eng, err := engine.New(engine.Config{
		Sealer:          sealer,
		AI:              cfg.AI,
		DB:              cfg.DB,
		Logger:          cfg.Logger,
		Now:             cfg.Now,
		HTTP:            countedClient(outbound.NewClient(outbound.Options{Allow: cfg.OutboundAllow})),
		CheckURL:        checkURL,
		RescueAfter:     cfg.RescueAfter,
		ApprovalTTL:     cfg.ApprovalTTL,
		Limits:          cfg.Limits,
		Retention:       cfg.Retention,
		MaxMessageBytes: cfg.MaxMessageBytes,
	})
	if err != nil {
		return nil, err
	}
	handler := api.New(api.Config{DB: cfg.DB, Logger: cfg.Logger, CheckURL: checkURL, Engine: eng, Sealer: sealer, RateLimit: cfg.RateLimit, MaxMessageBytes: cfg.MaxMessageBytes, MetricsToken: cfg.MetricsToken})
	metrics.ObserveDatabase(cfg.DB)
	cfg.DB.SetKeepVersions(cfg.KeepVersions)
	a := &App{DB: cfg.DB, Engine: eng, Handler: handler}
	limits := mail.DefaultLimits
	if cfg.Mail.MaxAttachmentBytes > 0 {
		limits.MaxAttachmentBytes = cfg.Mail.MaxAttachmentBytes
	}
	a.Importer = &inbound.Importer{DB: cfg.DB, Limits: limits, MaxMessageBytes: cfg.MaxMessageBytes, Log: cfg.Logger}
	a.pollers = inbound.NewPollers(inbound.PollerConfig{
		Node: nodeName(), Dial: smtpmail.Net{HTTP: eng.Services().HTTP}.Dialer(), TLS: cfg.Mail.TLS, Sealer: sealer, Scan: cfg.Mail.Scan, Now: cfg.Now,
		MaxMessageBytes: cfg.Mail.MaxEmailBytes,
	}, a.Importer, cfg.Logger)
	for _, r := range []inbound.ReceiverConfig{{Addr: cfg.Mail.SMTPAddr}, {Addr: cfg.Mail.LMTPAddr, LMTP: true}} {
		if r.Addr == "" {
			continue
		}
		r.MaxMessageBytes = cfg.Mail.MaxEmailBytes
		receiver, err := inbound.NewReceiver(r, a.Importer, cfg.Logger)
		if err != nil {
			return nil, err
		}
		a.Receivers = append(a.Receivers, receiver)
	}
	return a, nil
}

// nodeName names this process in mailbox leases.
func nodeName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), helpdesk.NewID())
}

// Start begins running workflows and receiving mail.
func (a *App) Start(ctx context.Context) error {
	if err := a.Engine.Start(ctx); err != nil {
		return err
	}
	mailCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.stopMail, a.mailDone = cancel, make(chan struct{})
	go func() {
		defer close(a.mailDone)
		for _, r := range a.Receivers {
			go func() {
				if err := r.Serve(); err != nil {
					slog.Error("mail receiver", "addr", r.Addr().String(), "err", err)
				}
			}()
		}
		a.pollers.Run(mailCtx)
	}()
	return nil
}

// Stop stops receiving mail and running workflows, letting running steps
// finish.
func (a *App) Stop(ctx context.Context) error {
	var errs []error
	if a.stopMail != nil {
		a.stopMail()
		<-a.mailDone
	}
	for _, r := range a.Receivers {
		errs = append(errs, r.Shutdown(ctx))
	}
	return errors.Join(append(errs, a.Engine.Stop(ctx))...)
}

// Serve runs the node's API on addr and its engine until ctx is done, then
// shuts both down gracefully. ready, if set, receives the address once the
// API accepts connections.
func Serve(ctx context.Context, a *App, addr string, logger *slog.Logger, ready func(addr string)) error {
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if err := a.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	logger.Info("deskflow listening", "addr", ln.Addr().String(), "database", a.DB.Backend())
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return errors.Join(serveErr, srv.Shutdown(shutdownCtx), a.Stop(shutdownCtx))
}

// countedClient counts the guarded client's requests in the metrics.
func countedClient(c *http.Client) *http.Client {
	c.Transport = metrics.CountOutbound(c.Transport)
	return c
}
