// Command deskflow runs the deskflow service and its administration tasks:
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
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/deskflow/deskflow/internal/api"
	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/engine"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/outbound"
)

const usage = `usage:
  deskflow serve [--addr 127.0.0.1:8080] [--database-url URL] [--outbound-allow CIDRS] [--rescue-after DURATION] [--rate-limit N]
                 [--chain-runs N] [--chain-steps N] [--queue-limit N] [--max-message-bytes N]
  deskflow migrate [--database-url URL]
  deskflow workspace create --name NAME [--database-url URL]
  deskflow token create --workspace ID --role admin|agent [--name NAME] [--database-url URL]
  deskflow bench [--database-url URL] [--workflows 100] [--events 100000] [--concurrency 16] [--rate N] [--json]
  deskflow bench --fairness [--database-url URL] [--backlog 100000] [--probes 100] [--json]

DESKFLOW_DATABASE_URL, DESKFLOW_ADDR, DESKFLOW_OUTBOUND_ALLOW,
DESKFLOW_RESCUE_AFTER, DESKFLOW_CHAIN_RUNS, DESKFLOW_CHAIN_STEPS,
DESKFLOW_QUEUE_LIMIT and DESKFLOW_MAX_MESSAGE_BYTES stand in for the flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
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

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"missing command"}
	}
	switch cmd := args[0]; cmd {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "migrate":
		fs, dbURL := newFlags("migrate")
		if err := parse(fs, args[1:]); err != nil {
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
	case "bench":
		return benchCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}

func envDuration(key string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(key))
	return d
}

// fromEnv sets flags from the environment variables that stand in for
// them (flag name → variable); a value the flag refuses is an error naming
// the variable. Flags given on the command line override them.
func fromEnv(fs *flag.FlagSet, vars map[string]string) error {
	for name, key := range vars {
		if v := os.Getenv(key); v != "" {
			if err := fs.Set(name, v); err != nil {
				return usageError{fmt.Sprintf("%s=%q: %v", key, v, err)}
			}
		}
	}
	return nil
}

func newFlags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dbURL := fs.String("database-url", envOr("DESKFLOW_DATABASE_URL", app.DefaultDatabaseURL), "postgres://…, sqlite:PATH or a file path")
	return fs, dbURL
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dbURL := newFlags("serve")
	addr := fs.String("addr", envOr("DESKFLOW_ADDR", "127.0.0.1:8080"), "listen address")
	allow := fs.String("outbound-allow", os.Getenv("DESKFLOW_OUTBOUND_ALLOW"), "comma-separated CIDRs outbound requests may reach despite the SSRF guard")
	rescueAfter := fs.Duration("rescue-after", envDuration("DESKFLOW_RESCUE_AFTER"), "how long a job's node may be silent before another node takes the job over (default 1m)")
	rateLimit := fs.Float64("rate-limit", api.DefaultRateLimit.Rate, "API requests per second allowed per token, in bursts of 4× that (0: no limit)")
	chainRuns := fs.Int("chain-runs", engine.DefaultChainRuns, "runs that one event and the events its runs cause may start in all")
	chainSteps := fs.Int("chain-steps", engine.DefaultChainSteps, "steps that one event and the events its runs cause may start in all")
	queueLimit := fs.Int("queue-limit", engine.DefaultQueueLimit, "events a workspace may have waiting before events caused by its workflows are no longer processed (-1: no limit)")
	maxMessage := fs.Int("max-message-bytes", helpdesk.DefaultMaxMessageBytes, "largest body of one message in bytes: the API refuses longer ones (422), a workflow step that would write one fails")
	if err := fromEnv(fs, map[string]string{"chain-runs": "DESKFLOW_CHAIN_RUNS", "chain-steps": "DESKFLOW_CHAIN_STEPS", "queue-limit": "DESKFLOW_QUEUE_LIMIT",
		"max-message-bytes": "DESKFLOW_MAX_MESSAGE_BYTES"}); err != nil {
		return err
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *maxMessage < 1 {
		return usageError{fmt.Sprintf("--max-message-bytes must be at least 1, not %d", *maxMessage)}
	}
	allowList, err := outbound.ParseAllowList(*allow)
	if err != nil {
		return usageError{"--outbound-allow: " + err.Error()}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	db, err := app.OpenDatabase(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := app.Bootstrap(ctx, db, stdout); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	var key []byte
	if raw := os.Getenv(connector.EnvKey); raw != "" {
		if key, err = connector.ParseKey(raw); err != nil {
			return err
		}
	}
	var aiDefault *engine.AIDefault
	if p := os.Getenv("DESKFLOW_AI_PROVIDER"); p != "" && p != "builtin" {
		aiDefault = &engine.AIDefault{Provider: p, BaseURL: os.Getenv("DESKFLOW_AI_BASE_URL"), Model: os.Getenv("DESKFLOW_AI_MODEL"), APIKey: os.Getenv("DESKFLOW_AI_API_KEY")}
	}
	limit := &api.RateLimit{Rate: *rateLimit, Burst: int(*rateLimit * 4)}
	node, err := app.New(app.Config{DB: db, Logger: logger, OutboundAllow: allowList, RescueAfter: *rescueAfter, SecretKey: key, AI: aiDefault, RateLimit: limit,
		Limits: engine.Limits{ChainRuns: *chainRuns, ChainSteps: *chainSteps, QueueLimit: *queueLimit}, MaxMessageBytes: *maxMessage})
	if err != nil {
		return err
	}
	return app.Serve(ctx, node, *addr, logger, nil)
}

func createWorkspace(ctx context.Context, args []string, stdout io.Writer) error {
	fs, dbURL := newFlags("workspace create")
	name := fs.String("name", "", "workspace name")
	if err := parse(fs, args); err != nil {
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
	fs, dbURL := newFlags("token create")
	workspace := fs.Int64("workspace", 0, "workspace id")
	role := fs.String("role", "", "admin or agent")
	name := fs.String("name", "", "user name")
	if err := parse(fs, args); err != nil {
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
