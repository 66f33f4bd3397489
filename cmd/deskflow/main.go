// Command deskflow runs the deskflow service and its administration tasks
// (`deskflow COMMAND --help` prints a command's flags):
//
//	deskflow serve [--addr 127.0.0.1:8080] [--database-url URL]
//	deskflow migrate [--database-url URL]
//	deskflow workspace create --name NAME [--database-url URL]
//	deskflow token create --workspace ID --role admin|agent [--name NAME] [--database-url URL]
//
// DESKFLOW_DATABASE_URL and DESKFLOW_ADDR stand in for the flags. A database
// URL is postgres://…, sqlite:PATH or a plain file path (SQLite).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/deskflow/deskflow/internal/api"
	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/engine"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/inbound"
	"github.com/deskflow/deskflow/internal/mail"
	"github.com/deskflow/deskflow/internal/outbound"
	"github.com/deskflow/deskflow/internal/storage"
)

const usage = `usage:
  deskflow serve [--addr 127.0.0.1:8080] [--database-url URL] [--outbound-allow CIDRS] [--rescue-after DURATION] [--rate-limit N]
                 [--chain-runs N] [--chain-steps N] [--queue-limit N] [--max-message-bytes N] [--smtp-addr HOST:PORT] [--lmtp-addr HOST:PORT]
  deskflow migrate [--database-url URL]
  deskflow workspace create --name NAME [--database-url URL]
  deskflow token create --workspace ID --role admin|agent [--name NAME] [--database-url URL]
  deskflow export --workspace ID [--url URL] [--token TOKEN] [--format yaml|json] > automation.yaml
  deskflow apply -f FILE --workspace ID [--url URL] [--token TOKEN] [--prune] [--dry-run]
  deskflow probe URL   (exit 0 when URL answers 200: a container health check)
  deskflow backup --to FILE [--database-url URL]
  deskflow secrets rotate --new-key KEY [--database-url URL]
  deskflow bench [--database-url URL] [--nodes N] [--workflows 100] [--events 100000] [--concurrency 16] [--rate N] [--json]
  deskflow bench --fairness [--database-url URL] [--backlog 100000] [--probes 100] [--json]

  deskflow --version

deskflow COMMAND --help prints the command's flags and the environment
variable that stands in for each (DESKFLOW_DATABASE_URL, DESKFLOW_ADDR, …).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil && !errors.Is(err, errHelp) {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "deskflow: %s\n\n%s", err, usage)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "deskflow: %s\n", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"missing command"}
	}
	switch cmd := args[0]; cmd {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "migrate":
		c := newCommand("migrate", "Brings the database to the current schema.")
		dbURL := c.DatabaseURL()
		if err := c.parse(args[1:], stdout); err != nil {
			return err
		}
		db, err := app.OpenDatabase(ctx, *dbURL)
		if err != nil {
			return err
		}
		defer db.Close()
		fmt.Fprintln(stderr, "database is up to date")
		return nil
	case "workspace":
		if len(args) < 2 || args[1] != "create" {
			return usageError{"expected: workspace create --name NAME"}
		}
		return createWorkspace(ctx, args[2:], stdout)
	case "token":
		if len(args) < 2 || args[1] != "create" {
			return usageError{"expected: token create --workspace ID --role admin|agent"}
		}
		return createToken(ctx, args[2:], stdout)
	case "export":
		return exportAutomation(ctx, args[1:], stdout)
	case "apply":
		return applyAutomation(ctx, args[1:], stdout)
	case "bench":
		return benchCmd(ctx, args[1:], stdout, stderr)
	case "probe":
		return probe(ctx, args[1:], stdout)
	case "backup":
		return backup(ctx, args[1:], stdout)
	case "secrets":
		if len(args) < 2 || args[1] != "rotate" {
			return usageError{"expected: secrets rotate --new-key KEY"}
		}
		return rotateSecrets(ctx, args[2:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version", "--version":
		fmt.Fprintln(stdout, version())
		return nil
	default:
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("serve", "Runs the API and the workflow engine; migrates the database first and bootstraps an empty one.")
	dbURL := c.DatabaseURL()
	addr := c.String("addr", "DESKFLOW_ADDR", "127.0.0.1:8080", "listen address")
	allow := c.String("outbound-allow", "DESKFLOW_OUTBOUND_ALLOW", "", "comma-separated CIDRs outbound requests may reach despite the SSRF guard")
	rescueAfter := c.Duration("rescue-after", "DESKFLOW_RESCUE_AFTER", engine.DefaultRescueAfter, "how long a job's node may be silent before another node takes the job over")
	rateLimit := c.Float64("rate-limit", "DESKFLOW_RATE_LIMIT", api.DefaultRateLimit.Rate, "API requests per second allowed per token, in bursts of 4× that (0: no limit)")
	chainRuns := c.Int("chain-runs", "DESKFLOW_CHAIN_RUNS", engine.DefaultChainRuns, "runs that one event and the events its runs cause may start in all")
	chainSteps := c.Int("chain-steps", "DESKFLOW_CHAIN_STEPS", engine.DefaultChainSteps, "steps that one event and the events its runs cause may start in all")
	queueLimit := c.Int("queue-limit", "DESKFLOW_QUEUE_LIMIT", engine.DefaultQueueLimit, "events a workspace may have waiting before events caused by its workflows are no longer processed (-1: no limit)")
	maxMessage := c.Int("max-message-bytes", "DESKFLOW_MAX_MESSAGE_BYTES", helpdesk.DefaultMaxMessageBytes, "largest body of one message in bytes: the API refuses longer ones (422), a workflow step that would write one fails")
	retainRuns := c.Retention("retain-runs", "DESKFLOW_RETAIN_RUNS", engine.DefaultRunRetention, "how long finished runs are kept (30d, 12h or forever)")
	retainEvaluations := c.Retention("retain-evaluations", "DESKFLOW_RETAIN_EVALUATIONS", engine.DefaultEvaluationRetention, "how long the record of how workflows fared against each event is kept")
	retainEvents := c.Retention("retain-events", "DESKFLOW_RETAIN_EVENTS", engine.DefaultEventRetention, "how long processed events are kept (those that started a kept run stay)")
	smtpAddr := c.String("smtp-addr", "DESKFLOW_SMTP_ADDR", "", "where the SMTP receiver listens for the email channels' mail, e.g. 127.0.0.1:2525 (empty: no receiver)")
	lmtpAddr := c.String("lmtp-addr", "DESKFLOW_LMTP_ADDR", "", "where the LMTP receiver listens, for a local mail server that delivers to deskflow, e.g. 127.0.0.1:2424 (empty: none)")
	maxEmail := c.Int("max-email-bytes", "DESKFLOW_MAX_EMAIL_BYTES", inbound.DefaultMaxMessageBytes, "largest email taken, in bytes: the SMTP receiver answers 552 above it, a larger one in a mailbox fails to import (and is set aside after 3 tries)")
	maxAttachment := c.Int("max-attachment-bytes", "DESKFLOW_MAX_ATTACHMENT_BYTES", int(mail.DefaultLimits.MaxAttachmentBytes), "largest attachment of a received email that is kept, in bytes (larger ones keep their name, type and size)")
	keepVersions := c.Int("keep-versions", "DESKFLOW_KEEP_VERSIONS", storage.DefaultKeepVersions, "versions of each workflow kept (older ones are pruned, never one a running run started with)")
	metricsToken := c.String("metrics-token", "DESKFLOW_METRICS_TOKEN", "", "bearer token that GET /metrics requires (empty: none)")
	logFormat := c.String("log-format", "DESKFLOW_LOG_FORMAT", "text", "log lines as text or json")
	logLevel := c.String("log-level", "DESKFLOW_LOG_LEVEL", "info", "the least important log lines written: debug, info, warn or error")
	if err := c.parse(args, stdout); err != nil {
		return err
	}
	logger, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	if *rescueAfter <= engine.EventJobTimeout {
		return usageError{fmt.Sprintf("--rescue-after must be longer than %s, not %s", engine.EventJobTimeout, *rescueAfter)}
	}
	if *rateLimit < 0 || *chainRuns < 1 || *chainSteps < 1 {
		return usageError{"--rate-limit must not be negative, --chain-runs and --chain-steps must be at least 1"}
	}
	if *keepVersions < 1 {
		return usageError{fmt.Sprintf("--keep-versions must be at least 1, not %d", *keepVersions)}
	}
	if *maxEmail < 1 || *maxAttachment < 0 {
		return usageError{"--max-email-bytes must be at least 1 and --max-attachment-bytes not negative"}
	}
	if *maxMessage < 1 {
		return usageError{fmt.Sprintf("--max-message-bytes must be at least 1, not %d", *maxMessage)}
	}
	allowList, err := outbound.ParseAllowList(*allow)
	if err != nil {
		return usageError{"--outbound-allow: " + err.Error()}
	}
	db, err := app.OpenDatabase(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := app.Bootstrap(ctx, db, stdout, "http://"+*addr); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	key, err := app.ResolveKey(*dbURL, os.Getenv(connector.EnvKey), stdout)
	if err != nil {
		return err
	}
	var aiDefault *engine.AIDefault
	if p := os.Getenv("DESKFLOW_AI_PROVIDER"); p != "" && p != "builtin" {
		aiDefault = &engine.AIDefault{Provider: p, BaseURL: os.Getenv("DESKFLOW_AI_BASE_URL"), Model: os.Getenv("DESKFLOW_AI_MODEL"), APIKey: os.Getenv("DESKFLOW_AI_API_KEY")}
	}
	limit := &api.RateLimit{Rate: *rateLimit, Burst: int(*rateLimit * 4)}
	node, err := app.New(app.Config{DB: db, Logger: logger, OutboundAllow: allowList, RescueAfter: *rescueAfter, SecretKey: key, AI: aiDefault, RateLimit: limit,
		Limits: engine.Limits{ChainRuns: *chainRuns, ChainSteps: *chainSteps, QueueLimit: *queueLimit}, MaxMessageBytes: *maxMessage, MetricsToken: *metricsToken,
		Retention: engine.Retention{Runs: *retainRuns, Evaluations: *retainEvaluations, Events: *retainEvents},
		Mail:      app.MailConfig{SMTPAddr: *smtpAddr, LMTPAddr: *lmtpAddr, MaxEmailBytes: int64(*maxEmail), MaxAttachmentBytes: int64(*maxAttachment)}, KeepVersions: *keepVersions})
	if err != nil {
		return err
	}
	return app.Serve(ctx, node, *addr, logger, nil)
}

func createWorkspace(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("workspace create", "Creates a workspace and prints its id.")
	dbURL := c.DatabaseURL()
	name := c.String("name", "", "", "workspace name (required)")
	if err := c.parse(args, stdout); err != nil {
		return err
	}
	if *name == "" {
		return usageError{"--name is required"}
	}
	db, err := app.OpenDatabase(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	ws, err := db.CreateWorkspace(ctx, *name)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, ws.ID)
	return err
}

func createToken(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("token create", "Creates a user with a role in a workspace and prints their API token.")
	dbURL := c.DatabaseURL()
	workspace := c.Int64("workspace", "", 0, "workspace id (required)")
	role := c.String("role", "", "", "admin or agent (required)")
	name := c.String("name", "", "", "user name (default: the role)")
	if err := c.parse(args, stdout); err != nil {
		return err
	}
	if *workspace <= 0 {
		return usageError{"--workspace is required"}
	}
	if *role != "admin" && *role != "agent" {
		return usageError{"--role must be admin or agent"}
	}
	db, err := app.OpenDatabase(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := app.CreateToken(ctx, db, *workspace, *role, *name)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}

// version is the module version and VCS revision the binary was built
// from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "deskflow (unknown version)"
	}
	v := "deskflow " + info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " commit " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += " (modified)"
			}
		}
	}
	return v
}

// newLogger builds the node's logger from --log-format and --log-level.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level must be debug, info, warn or error, not %q", level)}
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("--log-format must be text or json, not %q", format)}
}

func rotateSecrets(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("secrets rotate", "Reseals every stored credential with a new key, in one transaction. The current key is "+connector.EnvKey+" or, for SQLite, the key file beside the database, which then gets the new key.")
	dbURL := c.DatabaseURL()
	newKey := c.String("new-key", "DESKFLOW_NEW_SECRET_KEY", "", "the new key: 32 random bytes in base64 or hex (openssl rand -base64 32)")
	if err := c.parse(args, stdout); err != nil {
		return err
	}
	if *newKey == "" {
		return usageError{"--new-key is required"}
	}
	next, err := connector.ParseKey(*newKey)
	if err != nil {
		return usageError{"--new-key: " + err.Error()}
	}
	db, err := app.OpenDatabase(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	env := os.Getenv(connector.EnvKey)
	keyFile := ""
	if path, ok := app.KeyFile(*dbURL); ok && env == "" {
		keyFile = path
	}
	current, err := app.ResolveKey(*dbURL, env, io.Discard)
	if err != nil {
		return err
	}
	n, err := app.RotateKey(ctx, db, current, next, keyFile)
	if err != nil {
		return err
	}
	where := "set " + connector.EnvKey + " to the new key on every node before they start again"
	if keyFile != "" {
		where = "the key file " + keyFile + " holds the new key"
	}
	_, err = fmt.Fprintf(stdout, "Resealed the credentials of %d connectors with the new key; %s.\n", n, where)
	return err
}

func backup(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("backup", "Writes a consistent copy of a SQLite database to a new file while deskflow serves (PostgreSQL: use pg_dump). Back up the key file beside the database too.")
	dbURL := c.DatabaseURL()
	to := c.String("to", "", "", "the file to write (must not exist)")
	if err := c.parse(args, stdout); err != nil {
		return err
	}
	if *to == "" {
		return usageError{"--to is required"}
	}
	if _, ok := storage.SQLitePath(*dbURL); !ok {
		return storage.ErrBackupPostgres
	}
	db, err := storage.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, *to); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "Backed up to %s\n", *to)
	return err
}

// probe GETs a URL (the node's /readyz) and succeeds on 200: the health
// check of images that have no HTTP client of their own.
func probe(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stdout, "usage: deskflow probe URL\n\nExits 0 when a GET of URL answers 200 within 5 seconds (a container health check of /readyz), 1 otherwise.")
			return errHelp
		}
		return usageError{"expected: probe URL"}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", args[0], res.Status)
	}
	return nil
}
