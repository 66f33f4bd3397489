package api_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// scrape reads /metrics and returns the sum of the samples of each series
// name whose labels contain every given label pair.
func (e *env) scrape(token string) (string, func(name string, labels ...string) float64) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	text := string(raw)
	if res.StatusCode != http.StatusOK {
		return text, nil
	}
	sample := regexp.MustCompile(`(?m)^([a-z_:]+)(\{[^}]*\})? (\S+)$`)
	return text, func(name string, labels ...string) float64 {
		sum := 0.0
		for _, m := range sample.FindAllStringSubmatch(text, -1) {
			if m[1] != name {
				continue
			}
			match := true
			for _, l := range labels {
				match = match && strings.Contains(m[2], l)
			}
			if match {
				v, _ := strconv.ParseFloat(m[3], 64)
				sum += v
			}
		}
		return sum
	}
}

// TestMetrics: /metrics shows every family after a small workload, a run
// and its steps increment them, labels carry no ids, and a configured
// token is required.
func TestMetrics(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		hooks := newHookServer(t)
		_, before := e.scrape("")
		started := before("deskflow_runs_started_total", `trigger="on_new_ticket"`)
		finished := before("deskflow_runs_finished_total", `trigger="on_new_ticket"`, `status="succeeded"`)
		sent := before("deskflow_outbound_requests_total", `connector_type="send_webhook"`, `outcome="2xx"`)
		statements, roundTrips := before("deskflow_db_statements_total"), before("deskflow_db_round_trips_total")

		e.create("/api/workflows", workflowBody("Notify", "on_new_ticket", nil,
			act("add_internal_note", map[string]any{"content": "seen"}),
			act("send_webhook", map[string]any{"url": hooks.URL + "/hook", "method": "POST", "body": "{}"})))
		e.create("/api/workflows", map[string]any{"name": "Wait", "trigger_type": "on_no_reply", "trigger_parameters": map[string]any{"value": 4},
			"actions": []any{act("set_priority", map[string]any{"priority": "high"})}})
		tk := e.newTicket("Metered", "hello", "m@example.com", nil)
		e.settle(tk)

		text, after := e.scrape("")
		for _, family := range []string{
			"http_requests_total", "http_request_duration_seconds", "deskflow_events_processed_total", "deskflow_event_lag_seconds",
			"deskflow_runs_started_total", "deskflow_runs_finished_total", "deskflow_step_duration_seconds", "deskflow_outbound_requests_total",
			"deskflow_timers_armed", "deskflow_events_queued", "deskflow_jobs", "deskflow_approvals_pending", "deskflow_db_connections_open",
		} {
			if !strings.Contains(text, "\n"+family) && !strings.HasPrefix(text, family) {
				t.Errorf("/metrics has no %s", family)
			}
		}
		if got := after("deskflow_runs_started_total", `trigger="on_new_ticket"`); got != started+1 {
			t.Errorf("runs started: %v, want %v", got, started+1)
		}
		if got := after("deskflow_runs_finished_total", `trigger="on_new_ticket"`, `status="succeeded"`); got != finished+1 {
			t.Errorf("runs finished: %v, want %v", got, finished+1)
		}
		if got := after("deskflow_outbound_requests_total", `connector_type="send_webhook"`, `outcome="2xx"`); got != sent+1 {
			t.Errorf("outbound requests: %v, want %v", got, sent+1)
		}
		if after("deskflow_step_duration_seconds_count", `action_type="send_webhook"`, `outcome="succeeded"`) < 1 {
			t.Errorf("no send_webhook step duration")
		}
		if after("deskflow_timers_armed") < 1 {
			t.Errorf("the armed no-reply timer is not counted")
		}
		if after("http_requests_total", `route="/api/tickets"`, `method="POST"`, `status="201"`) < 1 {
			t.Errorf("ticket creation is not counted by route")
		}
		// PostgreSQL's statements and round trips are counted; SQLite, in
		// the process, has none.
		moreStatements, moreRoundTrips := after("deskflow_db_statements_total")-statements, after("deskflow_db_round_trips_total")-roundTrips
		if postgres := strings.HasPrefix(e.url, "postgres"); postgres != (moreStatements > 0) || postgres != (moreRoundTrips > 0) || moreRoundTrips > moreStatements {
			t.Errorf("database statements +%v, round trips +%v (postgres: %v)", moreStatements, moreRoundTrips, postgres)
		}
		if strings.Contains(text, tk) || strings.Contains(text, "m@example.com") {
			t.Errorf("/metrics holds an id or customer data")
		}

		e.config.MetricsToken = "scrape-secret"
		e.restart(func() {})
		if body, _ := e.scrape(""); !strings.Contains(body, "Unauthenticated") {
			t.Errorf("/metrics without the token: %q", body)
		}
		if _, get := e.scrape("scrape-secret"); get == nil {
			t.Errorf("/metrics refused its token")
		}
	})
}
