package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestAIWorkflowEndToEnd: classify_ticket saved as triage decides which path
// runs (its conditions read the classification), and generate_ai_response
// saved as draft becomes an internal note — with the built-in provider, no
// key and no network.
func TestAIWorkflowEndToEnd(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.must(200, e.asAdmin("PUT", "/api/ai-settings", map[string]any{"categories": []any{"billing", "shipping", "account"}}))
		wf := e.create("/api/workflows", map[string]any{
			"name": "AI triage", "trigger_type": "on_new_ticket",
			"actions": []any{
				act("classify_ticket", map[string]any{"saveAs": "triage", "applyTags": true}),
				act("generate_ai_response", map[string]any{"promptTemplate": "Summarize: {{message.body}}", "saveAs": "draft"}),
				act("add_internal_note", map[string]any{"content": "Draft: {{variables.draft}} ({{variables.draft.model}}); category {{variables.triage.category}}"}),
			},
			"paths": []any{
				map[string]any{"name": "billing first", "conditions": []any{map[string]any{"type": "variable_equals", "parameters": map[string]any{"name": "triage.category", "value": "billing"}}},
					"actions": []any{act("set_priority", map[string]any{"priority": "high"})}},
				map[string]any{"name": "shipping", "conditions": []any{map[string]any{"type": "variable_equals", "parameters": map[string]any{"name": "triage.category", "value": "shipping"}}},
					"actions": []any{act("set_priority", map[string]any{"priority": "low"})}},
			},
		})
		tk := e.newTicket("Charged twice on my invoice", "Hello, my credit card was charged twice for the same invoice this month. Please refund the duplicate payment. Thanks.", "bill@example.com", nil)
		e.settle(tk)
		runs := e.runsOf(tk, wf)
		if len(runs) != 1 || runs[0]["status"] != "succeeded" {
			t.Fatalf("runs: %v", runs)
		}
		steps := runs[0]["steps"].([]any)
		triage := steps[0].(map[string]any)["output"].(map[string]any)
		if triage["category"] != "billing" || triage["provider"] != "builtin" {
			t.Fatalf("classification: %v", triage)
		}
		if _, ok := triage["sentiment"].(map[string]any)["label"]; !ok {
			t.Errorf("no sentiment: %v", triage)
		}
		got := e.ticket(tk)
		if got["priority"] != "high" {
			t.Errorf("priority %v: the billing path did not run", got["priority"])
		}
		if !strings.Contains(fmt.Sprint(tagNames(e, got)), "billing") {
			t.Errorf("applyTags: tags %v", tagNames(e, got))
		}
		var note string
		for _, m := range got["messages"].([]any) {
			if mm := m.(map[string]any); mm["direction"] == "note" {
				note = mm["body"].(string)
			}
		}
		if !strings.HasPrefix(note, "Draft: ") || !strings.Contains(note, "charged twice") || !strings.Contains(note, "builtin-extractive-1") || !strings.HasSuffix(note, "category billing") {
			t.Errorf("note = %q", note)
		}
		// The prompt and the usage are in the run history.
		gen := steps[1].(map[string]any)
		if !strings.HasPrefix(gen["input"].(map[string]any)["promptTemplate"].(string), "Summarize: Hello") || gen["output"].(map[string]any)["usage"] == nil {
			t.Errorf("generate step: %v", gen)
		}
	})
}

// TestAIStepFailures: minConfidence fails the step below it; a prompt the
// built-in provider cannot serve fails saying an LLM provider is needed.
func TestAIStepFailures(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		wf := e.create("/api/workflows", map[string]any{
			"name": "strict", "trigger_type": "manual",
			"actions": []any{act("classify_ticket", map[string]any{"categories": []any{"billing", "shipping"}, "minConfidence": 0.999})},
			"paths":   []any{map[string]any{"name": "poem", "actions": []any{act("generate_ai_response", map[string]any{"promptTemplate": "Write a poem about the sea"})}}},
		})
		tk := e.newTicket("hmm", "something vague", "v@example.com", nil)
		e.must(201, e.asAdmin("POST", "/api/workflows/"+wf+"/runs", map[string]any{"ticket_id": tk}))
		e.settle(tk)
		r := e.runsOf(tk, wf)[0]
		for _, s := range r["steps"].([]any) {
			m := s.(map[string]any)
			if m["status"] != "failed" {
				t.Errorf("step %v.%v: %v", m["path"], m["position"], m["status"])
			}
			switch m["action_type"] {
			case "classify_ticket":
				if !strings.Contains(m["error"].(string), "below minConfidence") {
					t.Errorf("classify error: %v", m["error"])
				}
			case "generate_ai_response":
				if !strings.Contains(m["error"].(string), "needs an LLM provider") {
					t.Errorf("generate error: %v", m["error"])
				}
			}
		}
	})
}

// TestAIConnector: an "ai" connector (OpenAI-compatible) set as the
// workspace default serves generate_ai_response through the guarded client.
func TestAIConnector(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var calls atomic.Int32
		llm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-test-123456" {
				http.Error(w, `{"error": {"message": "bad request", "type": "invalid_request_error"}}`, 400)
				return
			}
			var req struct {
				Model    string `json:"model"`
				Messages []struct{ Role, Content string }
			}
			_ = json.NewDecoder(r.Body).Decode(&req)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id": "chatcmpl-1", "object": "chat.completion", "model": %q, "choices": [{"index": 0, "message": {"role": "assistant", "content": "Dear customer, echo: %s"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}}`,
				req.Model, req.Messages[len(req.Messages)-1].Content)
		}))
		defer llm.Close()
		conn := e.must(201, e.asAdmin("POST", "/api/connectors", map[string]any{"type": "ai", "name": "Local LLM",
			"settings": map[string]any{"provider": "openai", "base_url": llm.URL + "/v1", "model": "local-model"}, "credentials": map[string]any{"api_key": "sk-test-123456"}})).data()
		e.must(200, e.asAdmin("PUT", "/api/ai-settings", map[string]any{"connector_id": conn["id"]}))
		wf := e.create("/api/workflows", workflowBody("draft", "manual", nil,
			act("generate_ai_response", map[string]any{"promptTemplate": "Reply to {{customer.name}}", "saveAs": "draft", "maxTokens": 50}),
			act("add_internal_note", map[string]any{"content": "{{variables.draft}} [{{variables.draft.usage.output_tokens}}]"})))
		tk := e.newTicket("x", "y", "llm@example.com", nil)
		e.must(201, e.asAdmin("POST", "/api/workflows/"+wf+"/runs", map[string]any{"ticket_id": tk}))
		e.settle(tk)
		r := e.runsOf(tk, wf)[0]
		if r["status"] != "succeeded" || calls.Load() != 1 {
			t.Fatalf("run %v, %d calls: %v", r["status"], calls.Load(), r["steps"])
		}
		msgs := e.ticket(tk)["messages"].([]any)
		if note := msgs[len(msgs)-1].(map[string]any)["body"]; note != "Dear customer, echo: Reply to Customer [5]" {
			t.Errorf("note = %q", note)
		}
	})
}
