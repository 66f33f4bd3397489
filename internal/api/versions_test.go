package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestWorkflowVersions: every save that changes a workflow's definition
// makes a version (with its author); enabling and disabling make none;
// versions list newest first, diff by path, and restore as a new version.
// A run started on version 1 and waiting for approval finishes as version
// 1 said after version 2 is saved, across a restart.
func TestWorkflowVersions(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		wf := e.create("/api/workflows", map[string]any{"name": "Ask first", "trigger_type": "manual", "actions": []any{
			act("add_internal_note", map[string]any{"content": "first version", "requireApproval": true}),
		}})
		tk := e.newTicket("Versioned", "hello", "v@example.com", nil)
		runID := e.must(201, e.asAdmin("POST", "/api/workflows/"+wf+"/runs", map[string]any{"ticket_id": tk})).data()["id"].(string)
		e.settle(tk)

		saved := e.must(200, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"actions": []any{
			act("add_internal_note", map[string]any{"content": "second version", "requireApproval": true}),
		}})).data()
		if saved["version"] != 2.0 {
			t.Errorf("version after the edit: %v", saved["version"])
		}
		e.must(200, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"is_enabled": false}))
		e.must(200, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"is_enabled": true}))

		versions := e.must(200, e.asAdmin("GET", "/api/workflows/"+wf+"/versions", nil)).list()
		if len(versions) != 2 {
			t.Fatalf("versions: %v", versions)
		}
		newest := versions[0].(map[string]any)
		if newest["number"] != 2.0 || newest["author"] == "" || newest["created_at"] == nil {
			t.Errorf("newest version: %v", newest)
		}
		diff := e.must(200, e.asAdmin("GET", "/api/workflows/"+wf+"/versions/2/diff", nil)).data()
		changes := diff["changes"].([]any)
		if diff["from"] != 1.0 || len(changes) != 1 || changes[0].(map[string]any)["path"] != "actions.0.parameters.content" || changes[0].(map[string]any)["to"] != "second version" {
			t.Errorf("diff: %v", diff)
		}
		e.must(404, e.asAdmin("GET", "/api/workflows/"+wf+"/versions/9", nil))

		// The run waiting since version 1 finishes as version 1 said,
		// after a restart.
		e.restart(func() {})
		run := e.must(200, e.asAdmin("GET", "/api/runs/"+runID, nil)).data()
		if run["workflow_version"] != 1.0 {
			t.Errorf("the run's version: %v", run["workflow_version"])
		}
		approvals := e.must(200, e.asAdmin("GET", "/api/approvals?status=pending", nil)).list()
		if len(approvals) != 1 {
			t.Fatalf("approvals: %v", approvals)
		}
		e.must(200, e.asAdmin("POST", "/api/approvals/"+approvals[0].(map[string]any)["id"].(string)+"/approve", nil))
		e.settle(tk)
		var notes []string
		for _, m := range e.messagesOf(tk, "note") {
			notes = append(notes, m["body"].(string))
		}
		if len(notes) != 1 || notes[0] != "first version" {
			t.Errorf("notes: %v, want the first version's", notes)
		}

		restored := e.must(200, e.asAdmin("POST", "/api/workflows/"+wf+"/versions/1/restore", nil)).data()
		if restored["version"] != 3.0 || restored["actions"].([]any)[0].(map[string]any)["parameters"].(map[string]any)["content"] != "first version" {
			t.Errorf("restored: %v", restored)
		}
		if d := e.must(200, e.asAdmin("GET", "/api/workflows/"+wf+"/versions/3/diff?from=1", nil)).data(); len(d["changes"].([]any)) != 0 {
			t.Errorf("version 3 differs from version 1: %v", d)
		}
		e.must(403, e.call("POST", "/api/workflows/"+wf+"/versions/1/restore", e.agentA, e.wsA, nil))
	})
}

// TestLoopLint: a save that closes a cycle of workflows starting each
// other by tags succeeds with a warning naming the cycle; others have none.
func TestLoopLint(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		x, y := e.create("/api/tags", map[string]any{"name": "x"}), e.create("/api/tags", map[string]any{"name": "y"})
		a := e.must(201, e.asAdmin("POST", "/api/workflows", map[string]any{"name": "A", "trigger_type": "on_tag_added", "trigger_parameters": map[string]any{"tags": []any{y}},
			"actions": []any{act("add_tags", map[string]any{"tags": []any{x}})}})).data()
		if a["warnings"] != nil {
			t.Errorf("A alone: %v", a["warnings"])
		}
		b := e.must(201, e.asAdmin("POST", "/api/workflows", map[string]any{"name": "B", "trigger_type": "on_tag_added", "trigger_parameters": map[string]any{"tags": []any{x}},
			"actions": []any{act("add_tags", map[string]any{"tags": []any{y}})}})).data()
		warnings, _ := b["warnings"].([]any)
		if len(warnings) != 1 || !strings.Contains(warnings[0].(string), `"B" → "A" → "B"`) {
			t.Errorf("B closes the loop: %v", b["warnings"])
		}
		// Scoped to another tag, the loop is gone.
		z := e.create("/api/tags", map[string]any{"name": "z"})
		fixed := e.must(200, e.asAdmin("PUT", "/api/workflows/"+b["id"].(string), map[string]any{"actions": []any{act("add_tags", map[string]any{"tags": []any{z}})}})).data()
		if fixed["warnings"] != nil {
			t.Errorf("no loop any more: %v", fixed["warnings"])
		}
	})
}

// TestReplay: a run that failed at a webhook (the receiver down) runs
// again from that step once the receiver is back: the note before it is
// not added twice, the webhook goes out under the same webhook-id, the
// steps after it run. A run that did not fail is not replayed.
func TestReplay(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var down atomic.Bool
		down.Store(true)
		var ids []string
		var mu sync.Mutex
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			ids = append(ids, r.Header.Get("webhook-id"))
			mu.Unlock()
			if down.Load() {
				http.Error(w, "down", http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		defer receiver.Close()
		wf := e.create("/api/workflows", workflowBody("Notify", "on_new_ticket", nil,
			act("add_internal_note", map[string]any{"content": "before"}),
			act("send_webhook", map[string]any{"url": receiver.URL + "/hook", "body": "{}", "timeout": 1000}),
			act("add_internal_note", map[string]any{"content": "after"})))
		tk := e.newTicket("Replay me", "hi", "r@example.com", nil)
		e.settle(tk)
		runs := e.runsOf(tk, wf)
		if len(runs) != 1 || runs[0]["status"] != "failed" {
			t.Fatalf("runs: %v", runs)
		}
		runID := runs[0]["id"].(string)

		down.Store(false)
		replayed := e.must(200, e.asAdmin("POST", "/api/runs/"+runID+"/replay", nil)).data()
		if replayed["status"] != "running" {
			t.Errorf("replayed run: %v", replayed["status"])
		}
		e.settle(tk)
		run := e.must(200, e.asAdmin("GET", "/api/runs/"+runID, nil)).data()
		if run["status"] != "succeeded" {
			t.Fatalf("after the replay: %v", run)
		}
		var notes []string
		for _, m := range e.messagesOf(tk, "note") {
			notes = append(notes, m["body"].(string))
		}
		if strings.Join(notes, ",") != "before,after" {
			t.Errorf("notes %v, want before and after once each", notes)
		}
		mu.Lock()
		first, last := ids[0], ids[len(ids)-1]
		mu.Unlock()
		if first == "" || first != last {
			t.Errorf("webhook-ids %q then %q: a replayed step keeps its key", first, last)
		}
		e.must(409, e.asAdmin("POST", "/api/runs/"+runID+"/replay", nil))
		e.must(403, e.call("POST", "/api/runs/"+runID+"/replay", e.agentA, e.wsA, nil))
	})
}
