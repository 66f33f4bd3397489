package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"time"

	"github.com/deskflow/deskflow/internal/api"
	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
)

// FairnessConfig configures the fairness benchmark: how long another
// workspace waits for its runs while one workspace has a backlog.
type FairnessConfig struct {
	// DatabaseURL: as Config's.
	DatabaseURL string
	// Backlog is how many events the busy workspace has queued when the
	// node starts.
	Backlog int
	// Probes is how many inbound messages the quiet workspace sends, one
	// every Interval, while the backlog is being worked off.
	Probes   int
	Interval time.Duration
	Progress io.Writer
	Logger   *slog.Logger
}

// FairnessResult is what the fairness benchmark measured.
type FairnessResult struct {
	Database string `json:"database"`
	Backlog  int    `json:"backlog"`
	Probes   int    `json:"probes"`
	// BacklogLeft is how many of the busy workspace's events still waited
	// when the last probe's run had finished.
	BacklogLeft int `json:"backlog_left"`
	// LatencyMS is from the quiet workspace's API call to the end of the
	// run it caused.
	LatencyMS Latency `json:"latency_ms"`
}

// Fairness queues cfg.Backlog events of one workspace while the engine is
// stopped, starts it, and measures how long another workspace's events
// take to run while the first one's backlog is worked off.
func Fairness(ctx context.Context, cfg FairnessConfig) (*FairnessResult, error) {
	cfg.Backlog = max(cfg.Backlog, 1)
	cfg.Probes = max(cfg.Probes, 1)
	if cfg.Interval <= 0 {
		cfg.Interval = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	url, cleanup, err := freshDatabase(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	db, err := app.OpenDatabase(ctx, url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	nodeConfig := app.Config{DB: db, Logger: cfg.Logger, RateLimit: &api.RateLimit{}}
	// The setup node's engine never starts, so the busy workspace's events
	// stay queued; it serves the API calls that create the workflows.
	setup, err := app.New(nodeConfig)
	if err != nil {
		return nil, err
	}
	setupSrv := httptest.NewServer(setup.Handler)
	defer setupSrv.Close()
	busy, err := db.CreateWorkspace(ctx, "busy")
	if err != nil {
		return nil, err
	}
	quiet, err := db.CreateWorkspace(ctx, "quiet")
	if err != nil {
		return nil, err
	}
	for _, ws := range []int64{busy.ID, quiet.ID} {
		if err := noteWorkflow(ctx, db, setupSrv.URL, ws); err != nil {
			return nil, err
		}
	}
	if err := queueBacklog(ctx, db, busy.ID, cfg.Backlog, cfg.Progress); err != nil {
		return nil, fmt.Errorf("queue the backlog: %w", err)
	}
	quietTicket, err := db.CreateTicket(ctx, quiet.ID, storage.NewTicket{Subject: "quiet", Body: "opening", ContactEmail: "quiet@example.com"})
	if err != nil {
		return nil, err
	}
	token, err := app.CreateToken(ctx, db, quiet.ID, "agent", "probe")
	if err != nil {
		return nil, err
	}

	node, err := app.New(nodeConfig)
	if err != nil {
		return nil, err
	}
	if err := node.Start(ctx); err != nil {
		return nil, err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = node.Stop(stopCtx)
	}()
	srv := httptest.NewServer(node.Handler)
	defer srv.Close()
	c := &client{bases: []string{srv.URL}, token: token, ws: quiet.ID, http: &http.Client{}}

	mark := time.Now()
	sent := map[string]time.Time{}
	for i := range cfg.Probes {
		at := time.Now()
		m, err := c.post(ctx, "/api/tickets/"+quietTicket.ID+"/messages", map[string]any{"direction": "inbound", "body": fmt.Sprint("probe ", i)})
		if err != nil {
			return nil, err
		}
		sent[m["id"].(string)] = at
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "\rprobe %d/%d", i+1, cfg.Probes)
		}
		time.Sleep(time.Until(at.Add(cfg.Interval)))
	}
	if cfg.Progress != nil {
		fmt.Fprintln(cfg.Progress)
	}
	lat, err := waitForProbes(ctx, db, quiet.ID, mark, sent)
	if err != nil {
		return nil, err
	}
	res := &FairnessResult{Database: db.Backend(), Backlog: cfg.Backlog, Probes: cfg.Probes}
	if res.BacklogLeft, err = db.PendingEvents(ctx); err != nil {
		return nil, err
	}
	slices.Sort(lat)
	res.LatencyMS = Latency{P50: lat[len(lat)/2], P99: lat[min(len(lat)-1, len(lat)*99/100)], Max: lat[len(lat)-1]}
	return res, nil
}

// noteWorkflow gives a workspace one workflow: a note on every inbound
// message, a ticket action that runs inside the event's transaction.
func noteWorkflow(ctx context.Context, db *storage.DB, base string, ws int64) error {
	token, err := app.CreateToken(ctx, db, ws, "admin", "setup")
	if err != nil {
		return err
	}
	c := &client{bases: []string{base}, token: token, ws: ws, http: &http.Client{}}
	_, err = c.post(ctx, "/api/workflows", map[string]any{"name": "note", "trigger_type": "on_inbound_message",
		"actions": []any{map[string]any{"type": "add_internal_note", "parameters": map[string]any{"content": "Seen {{message.body}}"}}}})
	return err
}

// queueBacklog stores n inbound messages of workspace ws, 1,000 per
// transaction, spread over 1,000 tickets; each queues an event.
func queueBacklog(ctx context.Context, db *storage.DB, ws int64, n int, progress io.Writer) error {
	var tickets []string
	for i := range min(n, 1000) {
		t, err := db.CreateTicket(ctx, ws, storage.NewTicket{Subject: fmt.Sprint("busy ", i), Body: "opening", ContactEmail: fmt.Sprintf("busy%d@example.com", i)})
		if err != nil {
			return err
		}
		tickets = append(tickets, t.ID)
	}
	// Each ticket queued its opening message's events already.
	for queued := 2 * len(tickets); queued < n; {
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			for i := 0; i < 1000 && queued < n; i++ {
				m := helpdesk.Message{TicketID: tickets[queued%len(tickets)], Direction: helpdesk.DirectionInbound, Body: fmt.Sprint("backlog ", queued)}
				if _, err := tx.AddMessage(ctx, ws, m, helpdesk.Cause{}); err != nil {
					return err
				}
				queued++
			}
			return nil
		})
		if err != nil {
			return err
		}
		if progress != nil {
			fmt.Fprintf(progress, "\rqueued %d/%d events", queued, n)
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	return nil
}

// waitForProbes waits until every probe's run has finished and returns
// their latencies in milliseconds.
func waitForProbes(ctx context.Context, db *storage.DB, ws int64, since time.Time, sent map[string]time.Time) ([]float64, error) {
	for {
		done, err := db.RunCompletions(ctx, ws, since)
		if err != nil {
			return nil, err
		}
		var lat []float64
		for _, d := range done {
			if at, ok := sent[d.MessageID]; ok && !d.FinishedAt.IsZero() {
				lat = append(lat, float64(d.FinishedAt.Sub(at).Microseconds())/1000)
			}
		}
		if len(lat) == len(sent) {
			return lat, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
