package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"text/tabwriter"

	"github.com/deskflow/deskflow/internal/bench"
)

// benchCmd runs `deskflow bench`: the end-to-end benchmark on a fresh
// database, printing a table (and JSON with --json).
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("bench", "Measures deskflow end to end on a fresh database (a temporary SQLite file, or a fresh schema of the PostgreSQL at --database-url).")
	dbURL := c.String("database-url", "", "", "postgres://… to measure PostgreSQL (a fresh schema); empty: a temporary SQLite file")
	workflows := c.Int("workflows", "", 100, "workflows in the workspace (mixed triggers and conditions)")
	events := c.Int("events", "", 100000, "inbound messages to send")
	concurrency := c.Int("concurrency", "", 16, "concurrent API clients")
	tickets := c.Int("tickets", "", 0, "tickets the messages are spread over (default events/20, at most 1000)")
	rate := c.Float64("rate", "", 0, "send at most this many events per second (0: as fast as possible)")
	nodes := c.Int("nodes", "", 0, "run this many `deskflow serve` processes on the PostgreSQL at --database-url, the clients taking them in turn (0: one node in this process)")
	asJSON := c.Bool("json", "", false, "print the result as JSON")
	cpuProfile := c.String("cpuprofile", "", "", "write a CPU profile of the run to this file (go tool pprof)")
	fairness := c.Bool("fairness", "", false, "measure instead how long another workspace's runs take while one workspace has a backlog of --backlog events")
	backlog := c.Int("backlog", "", 100000, "with --fairness: the busy workspace's queued events")
	probes := c.Int("probes", "", 100, "with --fairness: the quiet workspace's events, one every 100 ms")
	if err := c.parse(args, stdout); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var progress io.Writer
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			progress = stderr
		}
	}
	if *fairness {
		return fairnessCmd(ctx, bench.FairnessConfig{DatabaseURL: *dbURL, Backlog: *backlog, Probes: *probes, Progress: progress}, *asJSON, stdout)
	}
	binary, err := os.Executable()
	if err != nil {
		return err
	}
	res, err := bench.Run(ctx, bench.Config{
		DatabaseURL: *dbURL, Workflows: *workflows, Events: *events,
		Tickets: *tickets, Concurrency: *concurrency, Rate: *rate, Progress: progress,
		Nodes: *nodes, Binary: binary,
	})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "database\t%s\n", res.Database)
	if res.Nodes > 0 {
		fmt.Fprintf(tw, "nodes\t%d (events processed: %v)\n", res.Nodes, res.EventsPerNode)
	}
	fmt.Fprintf(tw, "workflows\t%d\n", res.Workflows)
	fmt.Fprintf(tw, "events\t%d (concurrency %d, rate limit %.0f/s)\n", res.Events, res.Concurrency, res.Rate)
	fmt.Fprintf(tw, "events/s ingested\t%.0f\n", res.EventsPerSecond)
	fmt.Fprintf(tw, "runs completed\t%d (%d failed)\n", res.RunsCompleted, res.RunsFailed)
	fmt.Fprintf(tw, "runs/s completed\t%.0f\n", res.RunsPerSecond)
	fmt.Fprintf(tw, "latency p50 / p99 / max\t%.1f / %.1f / %.1f ms\n", res.LatencyMS.P50, res.LatencyMS.P99, res.LatencyMS.Max)
	fmt.Fprintf(tw, "peak RSS\t%.1f MiB\n", float64(res.PeakRSSBytes)/(1<<20))
	fmt.Fprintf(tw, "database size\t%.1f MiB\n", float64(res.DBBytes)/(1<<20))
	if res.StatementsPerEvent > 0 {
		fmt.Fprintf(tw, "per event\t%.1f statements, %.1f round trips\n", res.StatementsPerEvent, res.RoundTripsPerEvent)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	return tw.Flush()
}

func fairnessCmd(ctx context.Context, cfg bench.FairnessConfig, asJSON bool, stdout io.Writer) error {
	res, err := bench.Fairness(ctx, cfg)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "database\t%s\n", res.Database)
	fmt.Fprintf(tw, "busy workspace's backlog\t%d events queued, %d still waiting after the last probe\n", res.Backlog, res.BacklogLeft)
	fmt.Fprintf(tw, "quiet workspace's events\t%d\n", res.Probes)
	fmt.Fprintf(tw, "their latency p50 / p99 / max\t%.1f / %.1f / %.1f ms\n", res.LatencyMS.P50, res.LatencyMS.P99, res.LatencyMS.Max)
	return tw.Flush()
}
