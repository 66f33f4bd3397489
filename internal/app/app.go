// Package app wires deskflow together: it opens and migrates the database,
// bootstraps a new installation, and runs the HTTP API until shutdown. The
// command line (cmd/deskflow), the tests and the benchmark share it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/deskflow/deskflow/internal/api"
	"github.com/deskflow/deskflow/internal/auth"
	"github.com/deskflow/deskflow/internal/helpdesk"
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
// admin whose token is printed once to out. On a database with workspaces it
// does nothing.
func Bootstrap(ctx context.Context, db *storage.DB, out io.Writer) error {
	n, err := db.CountWorkspaces(ctx)
	if err != nil || n > 0 {
		return err
	}
	ws, err := db.CreateWorkspace(ctx, "Default")
	if err != nil {
		return err
	}
	token, err := CreateToken(ctx, db, ws.ID, helpdesk.RoleAdmin, "Admin")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "Created workspace %d (%q) and an admin user.\nAdmin API token, shown only this once:\n%s\n", ws.ID, ws.Name, token)
	return err
}

// ServeConfig configures Serve.
type ServeConfig struct {
	Addr     string
	DB       *storage.DB
	Logger   *slog.Logger
	CheckURL func(string) error
	// Ready, if set, receives the listening address once the API accepts
	// connections.
	Ready func(addr string)
}

// Serve runs the API until ctx is done, then shuts down gracefully.
func Serve(ctx context.Context, cfg ServeConfig) error {
	handler := api.New(api.Config{DB: cfg.DB, Logger: cfg.Logger, CheckURL: cfg.CheckURL})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	cfg.Logger.Info("deskflow listening", "addr", ln.Addr().String(), "database", cfg.DB.Backend())
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	cfg.Logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
