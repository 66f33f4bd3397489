package api_test

import (
	"fmt"
	"sort"
	"testing"
)

// TestManyWorkflowsUseTheCandidateIndex runs an event against more enabled
// workflows than the engine evaluates one by one: the workflows whose words
// occur in the message run, every other workflow is either evaluated or
// listed as ruled out, exactly once, in the event's evaluation.
func TestManyWorkflowsUseTheCandidateIndex(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		const n = 120
		ids := make([]string, n)
		for i := range ids {
			// "kw7x" is not a substring of "kw70x": each word is its own.
			ids[i] = e.create("/api/workflows", workflowBody(fmt.Sprint("w", i), "on_inbound_message",
				[]any{cond("body_contains", fmt.Sprintf("KW%dX", i))},
				act("add_internal_note", map[string]any{"content": fmt.Sprint("hit ", i)})))
		}
		// One workflow without conditions: always a candidate, always runs.
		always := e.create("/api/workflows", workflowBody("always", "on_inbound_message", nil,
			act("add_internal_note", map[string]any{"content": "always"})))

		tk := e.newTicket("Order", "about kw7x and kw42x, not kw1", "ann@example.com", nil)
		e.settle(tk)

		var ran []string
		for _, r := range e.runs(tk) {
			ran = append(ran, r["workflow_id"].(string))
		}
		want := []string{ids[7], ids[42], always}
		sort.Strings(ran)
		sort.Strings(want)
		if fmt.Sprint(ran) != fmt.Sprint(want) {
			t.Fatalf("runs of workflows %v, want %v", ran, want)
		}
		var eval map[string]any
		for _, ev := range e.must(200, e.asAdmin("GET", "/api/tickets/"+tk+"/evaluations", nil)).list() {
			if m := ev.(map[string]any); m["event_type"] == "message.inbound" {
				eval = m
			}
		}
		if eval == nil {
			t.Fatal("no evaluation of the inbound message")
		}
		seen := map[string]string{}
		for _, r := range eval["results"].([]any) {
			m := r.(map[string]any)
			seen[m["workflow_id"].(string)] = m["outcome"].(string)
		}
		ruledOut := eval["ruled_out"].([]any)
		for _, id := range ruledOut {
			if _, dup := seen[id.(string)]; dup {
				t.Errorf("workflow %s both evaluated and ruled out", id)
			}
			seen[id.(string)] = "ruled_out"
		}
		if len(seen) != n+1 {
			t.Errorf("%d workflows accounted for, want %d", len(seen), n+1)
		}
		for _, id := range want {
			if seen[id] != "matched" {
				t.Errorf("workflow %s: %q, want matched", id, seen[id])
			}
		}
		if len(ruledOut) < n-10 {
			t.Errorf("only %d of %d workflows ruled out by the index", len(ruledOut), n)
		}
	})
}
