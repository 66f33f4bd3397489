package main_test

import (
	"encoding/json"
	"strings"
	"testing"
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
