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
	fs, _ := newFlags("bench")
	dbURL := fs.Lookup("database-url")
	_ = dbURL.Value.Set("") // the benchmark wants a fresh database, not the default file
	workflows := fs.Int("workflows", 100, "workflows in the workspace (mixed triggers and conditions)")
	events := fs.Int("events", 100000, "inbound messages to send")
	concurrency := fs.Int("concurrency", 16, "concurrent API clients")
	tickets := fs.Int("tickets", 0, "tickets the messages are spread over (default events/20, at most 1000)")
	rate := fs.Float64("rate", 0, "send at most this many events per second (0: as fast as possible)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	if err := parse(fs, args); err != nil {
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
	res, err := bench.Run(ctx, bench.Config{
		DatabaseURL: dbURL.Value.String(), Workflows: *workflows, Events: *events,
		Tickets: *tickets, Concurrency: *concurrency, Rate: *rate, Progress: progress,
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
	fmt.Fprintf(tw, "workflows\t%d\n", res.Workflows)
	fmt.Fprintf(tw, "events\t%d (concurrency %d, rate limit %.0f/s)\n", res.Events, res.Concurrency, res.Rate)
	fmt.Fprintf(tw, "events/s ingested\t%.0f\n", res.EventsPerSecond)
	fmt.Fprintf(tw, "runs completed\t%d (%d failed)\n", res.RunsCompleted, res.RunsFailed)
	fmt.Fprintf(tw, "runs/s completed\t%.0f\n", res.RunsPerSecond)
	fmt.Fprintf(tw, "latency p50 / p99 / max\t%.1f / %.1f / %.1f ms\n", res.LatencyMS.P50, res.LatencyMS.P99, res.LatencyMS.Max)
	fmt.Fprintf(tw, "peak RSS\t%.1f MiB\n", float64(res.PeakRSSBytes)/(1<<20))
	fmt.Fprintf(tw, "database size\t%.1f MiB\n", float64(res.DBBytes)/(1<<20))
	for _, n := range res.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	return tw.Flush()
}
