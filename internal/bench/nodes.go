package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/deskflow/deskflow/internal/api"
	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/engine"
	"github.com/deskflow/deskflow/internal/metrics"
	"github.com/deskflow/deskflow/internal/storage"
)

// cluster is the deskflow under test: one node in this process, or
// several `deskflow serve` processes on one database.
type cluster interface {
	// bases are the nodes' API addresses, for the clients to take in turn.
	bases() []string
	// work reads each node's counters: events it processed, statements
	// and round trips it sent to the database.
	work(ctx context.Context) ([]nodeWork, error)
	// peakRSS is the largest peak resident set of a node.
	peakRSS() int64
	stop()
}

type nodeWork struct {
	events, statements, roundTrips int64
}

// inProcess is one node started in this process on db.
type inProcess struct {
	db   *storage.DB
	node *app.App
	srv  *httptest.Server
}

// startNode starts the in-process node.
func startNode(ctx context.Context, db *storage.DB, cfg Config) (*inProcess, error) {
	// The benchmark's single token must not be rate-limited.
	node, err := app.New(app.Config{DB: db, Logger: cfg.Logger, RateLimit: &api.RateLimit{}})
	if err != nil {
		return nil, err
	}
	if err := node.Start(ctx); err != nil {
		return nil, err
	}
	return &inProcess{db: db, node: node, srv: httptest.NewServer(node.Handler)}, nil
}

func (p *inProcess) bases() []string { return []string{p.srv.URL} }

// work reads the process's metrics, as /metrics would serve them.
func (p *inProcess) work(context.Context) ([]nodeWork, error) {
	families, err := metrics.Registry.Gather()
	if err != nil {
		return nil, err
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	return []nodeWork{workOf(byName)}, nil
}

func (p *inProcess) peakRSS() int64 { return peakRSS("self") }

func (p *inProcess) stop() {
	p.srv.Close()
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = p.node.Stop(stopCtx)
}

// processes are `deskflow serve` nodes, each with its own connection pool,
// as in production.
type processes struct {
	nodes []*process
}

type process struct {
	cmd  *exec.Cmd
	base string
}

// startProcesses starts n nodes of binary on the database at url, without
// a rate limit, and waits until each is ready.
func startProcesses(ctx context.Context, binary, url string, n int) (*processes, error) {
	ps := &processes{}
	for range n {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		// Warnings only: an access-log line per request would be work
		// the in-process node does not do.
		cmd := exec.CommandContext(ctx, binary, "serve", "--addr", addr, "--rate-limit", "0", "--log-level", "warn")
		cmd.Env = append(os.Environ(), "DESKFLOW_DATABASE_URL="+url)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			ps.stop()
			return nil, fmt.Errorf("start node: %w", err)
		}
		p := &process{cmd: cmd, base: "http://" + addr}
		ps.nodes = append(ps.nodes, p)
		if err := waitReady(ctx, p.base); err != nil {
			ps.stop()
			return nil, fmt.Errorf("node %s: %w: %s", addr, err, stderr.String())
		}
	}
	return ps, nil
}

// freeAddr is a loopback address with a port free now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitReady(ctx context.Context, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("not ready after 30 s")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (ps *processes) bases() []string {
	var out []string
	for _, p := range ps.nodes {
		out = append(out, p.base)
	}
	return out
}

// work scrapes every node's /metrics.
func (ps *processes) work(ctx context.Context) ([]nodeWork, error) {
	var out []nodeWork
	for _, p := range ps.nodes {
		w, err := scrape(ctx, p.base+"/metrics")
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func scrape(ctx context.Context, url string) (nodeWork, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nodeWork{}, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nodeWork{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer res.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		return nodeWork{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	return workOf(families), nil
}

// workOf reads a node's work from its metrics.
func workOf(families map[string]*dto.MetricFamily) nodeWork {
	value := func(name string, labels ...string) int64 {
		var sum float64
		for _, m := range families[name].GetMetric() {
			match := true
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				match = match && found
			}
			if match {
				sum += m.GetCounter().GetValue()
			}
		}
		return int64(sum)
	}
	return nodeWork{
		events:     value("deskflow_events_processed_total", "outcome", "processed"),
		statements: value("deskflow_db_statements_total"),
		roundTrips: value("deskflow_db_round_trips_total"),
	}
}

func (ps *processes) peakRSS() int64 {
	var peak int64
	for _, p := range ps.nodes {
		peak = max(peak, peakRSS(strconv.Itoa(p.cmd.Process.Pid)))
	}
	return peak
}

func (ps *processes) stop() {
	for _, p := range ps.nodes {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range ps.nodes {
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	}
}

// waitIdle waits until no event or path job is left.
func waitIdle(ctx context.Context, db *storage.DB) error {
	for {
		n, err := engine.Backlog(ctx, db)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// errNodesNeedPostgres: separate nodes share a database server.
var errNodesNeedPostgres = errors.New("--nodes needs --database-url postgres://…: nodes share one PostgreSQL")
