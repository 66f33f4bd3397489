// Package bench measures deskflow end to end, the same way every time: it
// starts a node in-process on a fresh database (or talks to one at a URL),
// creates a workspace with workflows of mixed triggers and conditions,
// drives inbound messages through the public HTTP API with concurrent
// clients, waits until every resulting run has finished, and reports
// throughput, event-to-completion latency, peak memory and database size.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/storage"
)

// Config configures a run of the benchmark.
type Config struct {
	// DatabaseURL is the database for the in-process node; empty means a
	// fresh SQLite file in a temporary directory. A PostgreSQL URL gets a
	// fresh schema.
	DatabaseURL string
	Workflows   int
	Events      int
	Tickets     int
	Concurrency int
	// Rate caps the events sent per second (0: as fast as the clients go),
	// to measure latency below saturation.
	Rate float64
	// Nodes, when set, runs that many `deskflow serve` processes of Binary
	// on the database (PostgreSQL) instead of one node in this process;
	// the clients take the nodes in turn.
	Nodes  int
	Binary string
	// Progress receives a line per second while events are sent (nil: none).
	Progress io.Writer
	Logger   *slog.Logger
}

// Result is what the benchmark measured.
type Result struct {
	Database        string   `json:"database"`
	Workflows       int      `json:"workflows"`
	Events          int      `json:"events"`
	Concurrency     int      `json:"concurrency"`
	Rate            float64  `json:"rate,omitempty"`
	EventsPerSecond float64  `json:"events_per_second"`
	RunsPerSecond   float64  `json:"runs_per_second"`
	RunsCompleted   int      `json:"runs_completed"`
	RunsFailed      int      `json:"runs_failed"`
	LatencyMS       Latency  `json:"latency_ms"`
	PeakRSSBytes    int64    `json:"peak_rss_bytes"`
	DBBytes         int64    `json:"db_bytes"`
	IngestSeconds   float64  `json:"ingest_seconds"`
	TotalSeconds    float64  `json:"total_seconds"`
	Notes           []string `json:"notes,omitempty"`
	// Nodes is the number of serve processes (0: one node in the
	// benchmark's process); EventsPerNode what each processed.
	Nodes         int     `json:"nodes"`
	EventsPerNode []int64 `json:"events_per_node"`
	// StatementsPerEvent and RoundTripsPerEvent are what the nodes sent to
	// PostgreSQL per event sent, the API's requests included (0 on
	// SQLite).
	StatementsPerEvent float64 `json:"statements_per_event"`
	RoundTripsPerEvent float64 `json:"round_trips_per_event"`
}

// Latency summarizes event-to-completion times in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Run executes the benchmark.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.Workflows = max(cfg.Workflows, 1)
	cfg.Events = max(cfg.Events, 1)
	cfg.Concurrency = max(cfg.Concurrency, 1)
	if cfg.Tickets <= 0 {
		cfg.Tickets = min(max(cfg.Events/20, 10), 1000)
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
	var nodes cluster
	if cfg.Nodes > 0 {
		if db.Backend() != storage.BackendPostgres {
			return nil, errNodesNeedPostgres
		}
		nodes, err = startProcesses(ctx, cfg.Binary, url, cfg.Nodes)
	} else {
		nodes, err = startNode(ctx, db, cfg)
	}
	if err != nil {
		return nil, err
	}
	defer nodes.stop()

	ws, err := db.CreateWorkspace(ctx, "bench")
	if err != nil {
		return nil, err
	}
	token, err := app.CreateToken(ctx, db, ws.ID, "admin", "bench")
	if err != nil {
		return nil, err
	}
	c := &client{bases: nodes.bases(), token: token, ws: ws.ID, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency * 2}}}
	if err := createWorkflows(ctx, c, cfg.Workflows); err != nil {
		return nil, fmt.Errorf("create workflows: %w", err)
	}
	tickets, err := createTickets(ctx, c, cfg.Tickets, cfg.Concurrency)
	if err != nil {
		return nil, fmt.Errorf("create tickets: %w", err)
	}
	if err := waitIdle(ctx, db); err != nil {
		return nil, err
	}
	before, err := nodes.work(ctx)
	if err != nil {
		return nil, err
	}
	mark := time.Now()

	sent, ingest, err := drive(ctx, c, tickets, cfg)
	if err != nil {
		return nil, err
	}
	if err := waitIdle(ctx, db); err != nil {
		return nil, err
	}
	total := time.Since(mark)
	// The service's peak, before this harness loads the run history.
	peak := nodes.peakRSS()
	after, err := nodes.work(ctx)
	if err != nil {
		return nil, err
	}

	res := &Result{Database: db.Backend(), Workflows: cfg.Workflows, Events: cfg.Events, Concurrency: cfg.Concurrency, Rate: cfg.Rate,
		IngestSeconds: ingest.Seconds(), TotalSeconds: total.Seconds(), Nodes: cfg.Nodes}
	var statements, roundTrips int64
	for i := range after {
		res.EventsPerNode = append(res.EventsPerNode, after[i].events-before[i].events)
		statements += after[i].statements - before[i].statements
		roundTrips += after[i].roundTrips - before[i].roundTrips
	}
	res.StatementsPerEvent = float64(statements) / float64(cfg.Events)
	res.RoundTripsPerEvent = float64(roundTrips) / float64(cfg.Events)
	res.EventsPerSecond = float64(cfg.Events) / ingest.Seconds()
	finished, err := db.RunCompletions(ctx, ws.ID, mark)
	if err != nil {
		return nil, err
	}
	var lat []float64
	byMessage := map[string]time.Time{}
	lastFinish := mark
	for _, f := range finished {
		if f.Status == "failed" {
			res.RunsFailed++
		}
		res.RunsCompleted++
		if f.FinishedAt.After(lastFinish) {
			lastFinish = f.FinishedAt
		}
		if f.MessageID != "" && f.FinishedAt.After(byMessage[f.MessageID]) {
			byMessage[f.MessageID] = f.FinishedAt
		}
	}
	for msg, done := range byMessage {
		if start, ok := sent[msg]; ok {
			lat = append(lat, float64(done.Sub(start).Microseconds())/1000)
		}
	}
	res.RunsPerSecond = float64(res.RunsCompleted) / lastFinish.Sub(mark).Seconds()
	if len(lat) > 0 {
		slices.Sort(lat)
		res.LatencyMS = Latency{P50: lat[len(lat)/2], P99: lat[min(len(lat)-1, len(lat)*99/100)], Max: lat[len(lat)-1]}
	}
	if missing := cfg.Events - len(lat); missing > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d events caused no run", missing))
	}
	res.PeakRSSBytes = peak
	res.DBBytes = databaseBytes(ctx, db, url)
	return res, nil
}

// freshDatabase returns a URL of an empty database and a cleanup.
func freshDatabase(ctx context.Context, url string) (string, func(), error) {
	if url == "" {
		dir, err := os.MkdirTemp("", "deskflow-bench-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "bench.db"), func() { os.RemoveAll(dir) }, nil
	}
	if strings.HasPrefix(url, "postgres") {
		return storage.FreshPostgresSchema(ctx, url, "bench")
	}
	return url, func() {}, nil
}

// client calls the nodes' API, each request on the next node.
type client struct {
	bases []string
	next  atomic.Uint64
	token string
	ws    int64
	http  *http.Client
}

func (c *client) post(ctx context.Context, path string, body any) (map[string]any, error) {
	buf, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	base := c.bases[int(c.next.Add(1)%uint64(len(c.bases)))]
	req, err := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader(buf))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Workspace-Id", strconv.FormatInt(c.ws, 10))
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: %d %s", path, res.StatusCode, raw)
	}
	var out struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// keywords are what message bodies and conditions share.
const keywords = 40

// createWorkflows creates n workflows of mixed triggers: most react to
// inbound messages containing one of the keywords (each message carries
// two, so a few workflows match every event); the others react to new
// tickets, tags, silence, or run manually.
func createWorkflows(ctx context.Context, c *client, n int) error {
	tag, err := c.post(ctx, "/api/tags", map[string]any{"name": "bench"})
	if err != nil {
		return err
	}
	inbound := 0
	for i := 0; i < n; i++ {
		var wf map[string]any
		switch i % 10 {
		case 0:
			wf = map[string]any{"trigger_type": "on_new_ticket", "actions": []any{
				map[string]any{"type": "add_tags", "parameters": map[string]any{"tags": []any{tag["id"]}}}}}
		case 1:
			wf = map[string]any{"trigger_type": "on_tag_added", "trigger_parameters": map[string]any{"tags": []any{tag["id"]}}, "actions": []any{
				map[string]any{"type": "set_priority", "parameters": map[string]any{"priority": "high"}}}}
		case 2:
			wf = map[string]any{"trigger_type": "on_no_reply", "trigger_parameters": map[string]any{"value": 4, "unit": "hours"}, "actions": []any{
				map[string]any{"type": "set_priority", "parameters": map[string]any{"priority": "urgent"}}}}
		case 3:
			wf = map[string]any{"trigger_type": "manual", "actions": []any{
				map[string]any{"type": "set_status", "parameters": map[string]any{"status": "pending"}}}}
		default:
			kw := fmt.Sprintf("kw%d", inbound%keywords)
			inbound++
			wf = map[string]any{"trigger_type": "on_inbound_message",
				"conditions": []any{map[string]any{"type": "body_contains", "parameters": map[string]any{"value": kw + " "}}},
				"actions":    []any{map[string]any{"type": "add_internal_note", "parameters": map[string]any{"content": "Seen {{message.body}} from {{customer.email}}"}}}}
		}
		wf["name"] = fmt.Sprintf("bench %03d", i)
		if _, err := c.post(ctx, "/api/workflows", wf); err != nil {
			return err
		}
	}
	return nil
}

func createTickets(ctx context.Context, c *client, n, concurrency int) ([]string, error) {
	ids := make([]string, n)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make(chan error, concurrency)
	)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t, err := c.post(ctx, "/api/tickets", map[string]any{"subject": fmt.Sprintf("Ticket %d", i), "body": "opening message",
					"contact": map[string]any{"email": fmt.Sprintf("customer%d@example.com", i%500), "name": "Customer"}})
				if err != nil {
					errs <- err
					return
				}
				ids[i] = t["id"].(string)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return ids, errors.Join(collect(errs)...)
}

func collect(errs chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// drive sends cfg.Events inbound messages with cfg.Concurrency clients and
// returns each message's send time.
func drive(ctx context.Context, c *client, tickets []string, cfg Config) (map[string]time.Time, time.Duration, error) {
	var (
		next  atomic.Int64
		done  atomic.Int64
		mu    sync.Mutex
		sent  = make(map[string]time.Time, cfg.Events)
		wg    sync.WaitGroup
		errs  = make(chan error, cfg.Concurrency)
		start = time.Now()
	)
	stopProgress := progress(cfg.Progress, &done, cfg.Events, start)
	tokens, stopPacing := pace(cfg.Rate)
	defer stopPacing()
	for w := 0; w < cfg.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.Events {
					return
				}
				if tokens != nil {
					<-tokens
				}
				body := fmt.Sprintf("message %d about kw%d and kw%d .", i, i%keywords, (i*7+3)%keywords)
				at := time.Now()
				m, err := c.post(ctx, "/api/tickets/"+tickets[i%len(tickets)]+"/messages", map[string]any{"direction": "inbound", "body": body})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				sent[m["id"].(string)] = at
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()
	close(errs)
	return sent, elapsed, errors.Join(collect(errs)...)
}

// pace hands out rate tokens per second (nil channel: no pacing).
func pace(rate float64) (<-chan struct{}, func()) {
	if rate <= 0 {
		return nil, func() {}
	}
	tokens := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		interval := time.Duration(float64(time.Second) / rate)
		next := time.Now()
		for {
			next = next.Add(interval)
			time.Sleep(time.Until(next))
			select {
			case tokens <- struct{}{}:
			case <-stop:
				return
			}
		}
	}()
	return tokens, func() { close(stop) }
}

// progress draws a progress bar while events are sent.
func progress(w io.Writer, done *atomic.Int64, total int, start time.Time) func() {
	if w == nil {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	draw := func() {
		n := int(done.Load())
		width := 30
		filled := n * width / total
		rate := float64(n) / max(time.Since(start).Seconds(), 0.001)
		fmt.Fprintf(w, "\r[%s%s] %d/%d events %.0f/s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), n, total, rate)
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				draw()
				fmt.Fprintln(w)
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() { close(stop); <-finished }
}

// peakRSS reads a process's peak resident set (VmHWM) on Linux: "self" or
// a process id.
func peakRSS(pid string) int64 {
	raw, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

func databaseBytes(ctx context.Context, db *storage.DB, url string) int64 {
	if db.Backend() == storage.BackendPostgres {
		n, _ := db.SchemaBytes(ctx)
		return n
	}
	var total int64
	matches, _ := filepath.Glob(strings.TrimPrefix(url, "sqlite:") + "*")
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil {
			total += st.Size()
		}
	}
	return total
}
