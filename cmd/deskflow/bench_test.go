package main_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// TestBenchCommand runs `deskflow bench` on a tiny load so that the
// command cannot rot. It checks the report's shape and consistency, not
// speed.
func TestBenchCommand(t *testing.T) {
	out, stderr, code := run(t, nil, "bench", "--events", "200", "--workflows", "20", "--concurrency", "4", "--json")
	if code != 0 {
		t.Fatalf("bench exited %d: %s", code, stderr)
	}
	var res struct {
		EventsPerSecond float64 `json:"events_per_second"`
		RunsPerSecond   float64 `json:"runs_per_second"`
		RunsCompleted   int     `json:"runs_completed"`
		RunsFailed      int     `json:"runs_failed"`
		PeakRSSBytes    int64   `json:"peak_rss_bytes"`
		DBBytes         int64   `json:"db_bytes"`
		Events          int     `json:"events"`
		LatencyMS       struct {
			P50, P99, Max float64
		} `json:"latency_ms"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if res.Events != 200 || res.EventsPerSecond <= 0 || res.RunsPerSecond <= 0 || res.RunsCompleted < 200 || res.RunsFailed != 0 {
		t.Errorf("result: %+v", res)
	}
	if !(0 < res.LatencyMS.P50 && res.LatencyMS.P50 <= res.LatencyMS.P99 && res.LatencyMS.P99 <= res.LatencyMS.Max) {
		t.Errorf("latency: %+v", res.LatencyMS)
	}
	if res.PeakRSSBytes <= 0 || res.DBBytes <= 0 {
		t.Errorf("memory %d, database %d", res.PeakRSSBytes, res.DBBytes)
	}
	table, stderr, code := run(t, nil, "bench", "--events", "50", "--workflows", "10", "--rate", "200")
	if code != 0 || !strings.Contains(table, "events/s ingested") || !strings.Contains(table, "latency p50 / p99 / max") {
		t.Errorf("table output: %d %s %s", code, table, stderr)
	}
}

// TestBenchNodes runs `deskflow bench --nodes 2` on PostgreSQL: two serve
// processes share the events, and what they sent to the database per
// event is counted; SQLite refuses --nodes.
func TestBenchNodes(t *testing.T) {
	url := storagetest.PostgresURL(t)
	out, stderr, code := run(t, nil, "bench", "--database-url", url, "--nodes", "2", "--events", "200", "--workflows", "20", "--concurrency", "4", "--json")
	if code != 0 {
		t.Fatalf("bench exited %d: %s", code, stderr)
	}
	var res struct {
		Database           string  `json:"database"`
		Events             int     `json:"events"`
		RunsCompleted      int     `json:"runs_completed"`
		Nodes              int     `json:"nodes"`
		EventsPerNode      []int64 `json:"events_per_node"`
		StatementsPerEvent float64 `json:"statements_per_event"`
		RoundTripsPerEvent float64 `json:"round_trips_per_event"`
		PeakRSSBytes       int64   `json:"peak_rss_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var processed int64
	for _, n := range res.EventsPerNode {
		processed += n
	}
	if res.Database != "postgres" || res.Nodes != 2 || len(res.EventsPerNode) != 2 || processed < int64(res.Events) || res.RunsCompleted < 200 {
		t.Errorf("result: %+v", res)
	}
	if !(0 < res.RoundTripsPerEvent && res.RoundTripsPerEvent <= res.StatementsPerEvent) || res.PeakRSSBytes <= 0 {
		t.Errorf("per event: %.1f statements, %.1f round trips; peak RSS %d", res.StatementsPerEvent, res.RoundTripsPerEvent, res.PeakRSSBytes)
	}
	if _, stderr, code := run(t, nil, "bench", "--nodes", "2", "--events", "10"); code == 0 || !strings.Contains(stderr, "PostgreSQL") {
		t.Errorf("--nodes on SQLite: exit %d, %s", code, stderr)
	}
}
