package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/storage"
)

// evaluationsWith lists the ticket's workflow results of one outcome.
func (e *env) evaluationsWith(ticket, outcome string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, ev := range e.asAdmin("GET", "/api/tickets/"+ticket+"/evaluations?per_page=200", nil).list() {
		for _, res := range ev.(map[string]any)["results"].([]any) {
			if m := res.(map[string]any); m["outcome"] == outcome {
				out = append(out, m)
			}
		}
	}
	return out
}

// fanOut creates the runaway: six on_tag_added workflows, each
// removing and re-adding three tags, so that every run causes six events.
// It returns the first tag.
func (e *env) fanOut() string {
	e.t.Helper()
	var tags []any
	for _, n := range []string{"x", "y", "z"} {
		tags = append(tags, e.create("/api/tags", map[string]any{"name": n}))
	}
	for i := range 6 {
		e.create("/api/workflows", workflowBody(fmt.Sprint("churn ", i), "on_tag_added", nil,
			act("remove_tags", map[string]any{"tags": tags}), act("add_tags", map[string]any{"tags": tags})))
	}
	return tags[0].(string)
}

// TestChainBudget: the runaway's chain stops at the budget (100 runs by
// default), records budget_exhausted naming the originating event, and
// another change starts a chain with a budget of its own.
func TestChainBudget(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		first := e.fanOut()
		for _, subject := range []string{"one", "two"} {
			tk := e.newTicket(subject, "b", subject+"@example.com", nil)
			e.must(200, e.asAdmin("POST", "/api/tickets/"+tk+"/tags", map[string]any{"tags": []any{first}}))
			e.settle(tk)
			if n := len(e.runs(tk)); n != 100 {
				t.Errorf("ticket %s: %d runs, want the budget of 100", subject, n)
			}
			stops := e.evaluationsWith(tk, "budget_exhausted")
			if len(stops) == 0 {
				t.Fatalf("ticket %s: no evaluation records budget_exhausted", subject)
			}
			if d, _ := stops[0]["detail"].(string); !strings.Contains(d, "at most 100 runs and 1000 steps") {
				t.Errorf("budget stop detail: %q", d)
			}
		}
	})
}

// TestChainBudgetCountsSteps: with a budget of 30 steps, the runaway's
// two-step runs stop at 15.
func TestChainBudgetCountsSteps(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.config.Limits.ChainSteps = 30
		e.restart(func() {})
		first := e.fanOut()
		tk := e.newTicket("steps", "b", "s@example.com", nil)
		e.must(200, e.asAdmin("POST", "/api/tickets/"+tk+"/tags", map[string]any{"tags": []any{first}}))
		e.settle(tk)
		if n := len(e.runs(tk)); n != 15 {
			t.Errorf("%d runs, want 15 (30 steps of 2)", n)
		}
	})
}

// queueBehindNode creates tickets while the node is down, so that their
// events wait in the queue when it starts again.
func (e *env) queueBehindNode(tickets map[int64]int) map[int64][]string {
	e.t.Helper()
	ids := map[int64][]string{}
	e.restart(func() {
		for _, ws := range []int64{e.wsA, e.wsB} {
			for i := range tickets[ws] {
				tk, err := e.db.CreateTicket(e.t.Context(), ws, storage.NewTicket{Subject: fmt.Sprint("queued ", i), Body: "b", ContactEmail: fmt.Sprintf("c%d@example.com", i)})
				if err != nil {
					e.t.Fatal(err)
				}
				ids[ws] = append(ids[ws], tk.ID)
			}
		}
	})
	return ids
}

// TestEventsAreClaimedFairly: workspace B's one event, queued behind 1,000
// of workspace A's, is processed within the first batches, not after A's
// backlog. Run ids are ULIDs, ordered by creation, so counting A's runs
// created before B's shows how many of A's events went first (first in,
// first out: all 1,000).
func TestEventsAreClaimedFairly(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		note := act("add_internal_note", map[string]any{"content": "seen"})
		e.create("/api/workflows", workflowBody("A notes", "on_new_ticket", nil, note))
		e.must(201, e.call("POST", "/api/workflows", e.adminB, e.wsB, workflowBody("B notes", "on_new_ticket", nil, note)))
		ids := e.queueBehindNode(map[int64]int{e.wsA: 1000, e.wsB: 1})
		e.settle("")

		runOf := func(ws int64, ticket string) string {
			t.Helper()
			token := map[int64]string{e.wsA: e.adminA, e.wsB: e.adminB}[ws]
			runs := e.must(200, e.call("GET", "/api/tickets/"+ticket+"/runs", token, ws, nil)).list()
			if len(runs) != 1 {
				t.Fatalf("ticket %s of workspace %d has %d runs, want 1", ticket, ws, len(runs))
			}
			return runs[0].(map[string]any)["id"].(string)
		}
		b := runOf(e.wsB, ids[e.wsB][0])
		before := 0
		for _, tk := range ids[e.wsA] {
			if runOf(e.wsA, tk) < b {
				before++
			}
		}
		// A batch holds 100 events and B's share comes in the first; on
		// PostgreSQL four processors claim batches at once.
		if before > 500 {
			t.Errorf("%d of workspace A's 1,000 queued events were processed before workspace B's one", before)
		}
	})
}

// TestQueueLimitStopsChainedEvents: while a workspace has its limit of
// events waiting, the events its workflows cause are recorded but not
// processed (the evaluation says why); its people's changes always are,
// and once the queue is shorter chained events are processed again.
func TestQueueLimitStopsChainedEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// Above what PostgreSQL's four processors claim at once (4 × 100),
		// which the count of waiting events includes.
		e.config.Limits.QueueLimit = 450
		e.restart(func() {})
		tag := e.create("/api/tags", map[string]any{"name": "seen"})
		e.create("/api/workflows", workflowBody("tag", "on_new_ticket", nil, act("add_tags", map[string]any{"tags": []any{tag}})))
		e.create("/api/workflows", workflowBody("prioritize", "on_tag_added", nil, act("set_priority", map[string]any{"priority": "high"})))
		ids := e.queueBehindNode(map[int64]int{e.wsA: 600})
		e.settle("")

		stopped, prioritized := 0, 0
		for _, tk := range ids[e.wsA] {
			tags, _ := e.ticket(tk)["tags"].([]any)
			if len(tags) != 1 {
				t.Fatalf("ticket %s has %d tags: its own event must always be processed", tk, len(tags))
			}
			for _, ev := range e.asAdmin("GET", "/api/tickets/"+tk+"/evaluations", nil).list() {
				if stop, ok := ev.(map[string]any)["stop"].(map[string]any); ok && stop["reason"] == "queue_full" {
					stopped++
				}
			}
			if e.ticket(tk)["priority"] == "high" {
				prioritized++
			}
		}
		if stopped == 0 || prioritized == 0 || stopped+prioritized != len(ids[e.wsA]) {
			t.Errorf("%d tag events stopped by the full queue and %d processed, want both and %d in all", stopped, prioritized, len(ids[e.wsA]))
		}
	})
}

// TestBusyWorkspaceJobsWaitBehind: the path jobs of a workspace with a
// backlog of events are queued at a lower priority than another
// workspace's, so the job queue serves the quiet workspace first.
func TestBusyWorkspaceJobsWaitBehind(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		hooks := newHookServer(t)
		hook := workflowBody("hook", "on_new_ticket", nil, act("send_webhook", map[string]any{"url": hooks.URL + "/hook", "method": "POST", "body": "{}"}))
		e.create("/api/workflows", hook)
		e.must(201, e.call("POST", "/api/workflows", e.adminB, e.wsB, hook))
		e.queueBehindNode(map[int64]int{e.wsA: 400, e.wsB: 1})
		e.settle("")
		if n := len(hooks.requests("/hook")); n != 401 {
			t.Fatalf("%d webhooks delivered, want 401", n)
		}
		args := "json(args)" // riversqlite stores JSONB
		if strings.HasPrefix(e.url, "postgres") {
			args = "args::text"
		}
		rows, err := e.rawDB().Query(`SELECT ` + args + `, priority FROM river_job WHERE kind = 'run_path'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		priorities := map[int64]map[int]int{e.wsA: {}, e.wsB: {}}
		for rows.Next() {
			var (
				args     string
				priority int
				job      struct {
					WorkspaceID int64 `json:"workspace_id"`
				}
			)
			if err := rows.Scan(&args, &priority); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(args), &job); err != nil {
				t.Fatal(err)
			}
			priorities[job.WorkspaceID][priority]++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if priorities[e.wsA][2] == 0 || priorities[e.wsB][1] != 1 {
			t.Errorf("path jobs by priority: workspace A %v, workspace B %v; want some of A's behind (2) and B's first (1)", priorities[e.wsA], priorities[e.wsB])
		}
	})
}
