package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/workflow"
)

// The two curl examples of seed 003, byte for byte (TEAM_ULID replaced by a
// real team's id, as the seed intends).
const seedSpamExample = `{
    "name": "Auto-close spam",
    "trigger_type": "on_new_ticket",
    "condition_match_type": "any",
    "conditions": [
      { "type": "subject_contains", "parameters": { "value": "unsubscribe" } }
    ],
    "actions": [
      { "type": "set_status", "parameters": { "status": "spam" } }
    ]
  }`

const seedNoReplyExample = `{
    "name": "Escalate waiting tickets",
    "trigger_type": "on_no_reply",
    "trigger_parameters": {
      "value": 4,
      "unit": "hours",
      "only_business_hours": true
    },
    "condition_match_type": "all",
    "actions": [
      { "type": "assign_ticket", "parameters": { "assign_type": "team", "team": "TEAM_ULID", "user": null } }
    ]
  }`

func TestSeedExamples(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		spam := e.must(201, e.asAdmin("POST", "/api/workflows", seedSpamExample)).data()
		want := map[string]any{
			"name": "Auto-close spam", "trigger_type": "on_new_ticket", "condition_match_type": "any", "is_enabled": true,
			"description": "", "trigger_parameters": map[string]any{},
			"conditions": []any{map[string]any{"type": "subject_contains", "parameters": map[string]any{"value": "unsubscribe"}}},
			"actions":    []any{map[string]any{"type": "set_status", "parameters": map[string]any{"status": "spam"}}},
		}
		for k, v := range want {
			if !reflect.DeepEqual(spam[k], v) {
				t.Errorf("%s = %#v, want %#v", k, spam[k], v)
			}
		}
		team := e.create("/api/teams", map[string]any{"name": "Tier 2"})
		noReply := e.must(201, e.asAdmin("POST", "/api/workflows", strings.Replace(seedNoReplyExample, "TEAM_ULID", team, 1))).data()
		if got := noReply["trigger_parameters"]; !reflect.DeepEqual(got, map[string]any{"value": 4.0, "unit": "hours", "only_business_hours": true}) {
			t.Errorf("trigger_parameters = %v", got)
		}
		action := noReply["actions"].([]any)[0].(map[string]any)
		if action["type"] != "assign_ticket" || action["parameters"].(map[string]any)["team"] != team {
			t.Errorf("action = %v", action)
		}
		// The seed's placeholder itself is not a team of the workspace.
		r := e.must(422, e.asAdmin("POST", "/api/workflows", seedNoReplyExample))
		if _, ok := r.fieldErrors()["actions.0.parameters.team"]; !ok {
			t.Errorf("placeholder team accepted: %s", r.Raw)
		}
		// Show returns nested conditions and actions; list has both.
		shown := e.must(200, e.asAdmin("GET", "/api/workflows/"+spam["id"].(string), nil)).data()
		if !reflect.DeepEqual(shown["conditions"], spam["conditions"]) || !reflect.DeepEqual(shown["actions"], spam["actions"]) {
			t.Errorf("show differs from create: %v", shown)
		}
		list := e.must(200, e.asAdmin("GET", "/api/workflows", nil))
		if len(list.list()) != 2 || list.Body["meta"].(map[string]any)["total"] != 2.0 {
			t.Errorf("list = %s", list.Raw)
		}
	})
}

func TestWorkflowUpdateAndDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		tag := e.create("/api/tags", map[string]any{"name": "refund"})
		id := e.create("/api/workflows", map[string]any{
			"name": "Refunds", "description": "d", "trigger_type": "on_tag_added",
			"trigger_parameters": map[string]any{"tags": []any{tag}},
			"conditions":         []any{map[string]any{"type": "has_tag", "parameters": map[string]any{"value": tag}}},
			"actions": []any{
				map[string]any{"type": "add_internal_note", "label": "Note it", "parameters": map[string]any{"content": "Refund for {{customer.name}}"}},
				map[string]any{"type": "set_priority", "parameters": map[string]any{"priority": "high"}},
			},
		})
		path := "/api/workflows/" + id
		before := e.must(200, e.asAdmin("GET", path, nil)).data()

		// Omitted fields stay.
		after := e.must(200, e.asAdmin("PUT", path, map[string]any{"name": "Refund requests", "is_enabled": false})).data()
		for _, k := range []string{"description", "trigger_type", "trigger_parameters", "conditions", "actions", "created_at"} {
			if !reflect.DeepEqual(after[k], before[k]) {
				t.Errorf("%s changed: %v -> %v", k, before[k], after[k])
			}
		}
		if after["name"] != "Refund requests" || after["is_enabled"] != false {
			t.Errorf("update not applied: %v", after)
		}
		// Given arrays replace whole.
		after = e.must(200, e.asAdmin("PUT", path, map[string]any{"actions": []any{map[string]any{"type": "set_status", "parameters": map[string]any{"status": "pending"}}}})).data()
		if acts := after["actions"].([]any); len(acts) != 1 || acts[0].(map[string]any)["type"] != "set_status" {
			t.Errorf("actions not replaced: %v", after["actions"])
		}
		if !reflect.DeepEqual(after["conditions"], before["conditions"]) {
			t.Errorf("conditions changed by an actions-only update")
		}
		after = e.must(200, e.asAdmin("PUT", path, map[string]any{"conditions": []any{}})).data()
		if len(after["conditions"].([]any)) != 0 {
			t.Errorf("conditions not emptied")
		}
		// Changing the trigger drops the old trigger's parameters.
		after = e.must(200, e.asAdmin("PUT", path, map[string]any{"trigger_type": "manual"})).data()
		if !reflect.DeepEqual(after["trigger_parameters"], map[string]any{}) {
			t.Errorf("trigger_parameters = %v", after["trigger_parameters"])
		}
		// A bad update changes nothing.
		current := e.must(200, e.asAdmin("GET", path, nil)).Raw
		e.must(422, e.asAdmin("PUT", path, map[string]any{"name": "ok", "actions": []any{map[string]any{"type": "nope"}}}))
		if again := e.must(200, e.asAdmin("GET", path, nil)).Raw; again != current {
			t.Errorf("a refused update changed the workflow:\n%s\n%s", current, again)
		}
		// A GET body can be PUT back as is.
		var shown map[string]any
		_ = json.Unmarshal([]byte(current), &shown)
		e.must(200, e.asAdmin("PUT", path, shown["data"]))

		// Tags used by a workflow cannot be deleted; unused ones can.
		e.must(200, e.asAdmin("PUT", path, map[string]any{"trigger_type": "on_tag_added", "trigger_parameters": map[string]any{"tags": []any{tag}}}))
		if r := e.asAdmin("DELETE", "/api/tags/"+tag, nil); r.Status != http.StatusConflict {
			t.Errorf("delete used tag: %d %s", r.Status, r.Raw)
		}
		e.must(204, e.asAdmin("DELETE", path, nil))
		e.must(404, e.asAdmin("GET", path, nil))
		e.must(404, e.asAdmin("DELETE", path, nil))
		e.must(204, e.asAdmin("DELETE", "/api/tags/"+tag, nil))
	})
}

// TestWorkflowValidation: every rule answers 422 naming the bad field, and
// nothing is saved.
func TestWorkflowValidation(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		tag := e.create("/api/tags", map[string]any{"name": "t"})
		otherTag := e.must(201, e.call("POST", "/api/tags", e.adminB, e.wsB, map[string]any{"name": "t"})).data()["id"].(string)
		otherTeam := e.must(201, e.call("POST", "/api/teams", e.adminB, e.wsB, map[string]any{"name": "b"})).data()["id"].(string)
		ok := func(extra map[string]any) map[string]any {
			w := map[string]any{"name": "W", "trigger_type": "on_new_ticket"}
			for k, v := range extra {
				w[k] = v
			}
			return w
		}
		act := func(typ string, params map[string]any) map[string]any {
			return ok(map[string]any{"actions": []any{map[string]any{"type": typ, "parameters": params}}})
		}
		cond := func(typ string, params any) map[string]any {
			return ok(map[string]any{"conditions": []any{map[string]any{"type": typ, "parameters": params}}})
		}
		noReply := func(tp any) map[string]any {
			return ok(map[string]any{"trigger_type": "on_no_reply", "trigger_parameters": tp})
		}
		cases := []struct {
			name string
			body map[string]any
			path string
		}{
			{"missing name", map[string]any{"trigger_type": "manual"}, "name"},
			{"blank name", ok(map[string]any{"name": "  "}), "name"},
			{"name not a string", ok(map[string]any{"name": 5}), "name"},
			{"missing trigger", map[string]any{"name": "W"}, "trigger_type"},
			{"unknown trigger", ok(map[string]any{"trigger_type": "on_birthday"}), "trigger_type"},
			{"on_no_reply without parameters", ok(map[string]any{"trigger_type": "on_no_reply"}), "trigger_parameters"},
			{"on_no_reply without value", noReply(map[string]any{"unit": "hours"}), "trigger_parameters.value"},
			{"bad unit", noReply(map[string]any{"value": 4, "unit": "weeks"}), "trigger_parameters.unit"},
			{"zero value", noReply(map[string]any{"value": 0}), "trigger_parameters.value"},
			{"negative value", noReply(map[string]any{"value": -2, "unit": "minutes"}), "trigger_parameters.value"},
			{"fractional value", noReply(map[string]any{"value": 1.5}), "trigger_parameters.value"},
			{"value as string", noReply(map[string]any{"value": "4"}), "trigger_parameters.value"},
			{"31 days", noReply(map[string]any{"value": 31, "unit": "days"}), "trigger_parameters.value"},
			{"721 hours", noReply(map[string]any{"value": 721}), "trigger_parameters.value"},
			{"43201 minutes", noReply(map[string]any{"value": 43201, "unit": "minutes"}), "trigger_parameters.value"},
			{"only_business_hours not bool", noReply(map[string]any{"value": 1, "only_business_hours": "yes"}), "trigger_parameters.only_business_hours"},
			{"unknown trigger parameter", noReply(map[string]any{"value": 1, "tags": []any{}}), "trigger_parameters.tags"},
			{"parameters on on_new_ticket", ok(map[string]any{"trigger_parameters": map[string]any{"value": 1}}), "trigger_parameters.value"},
			{"tag scope of other workspace", ok(map[string]any{"trigger_type": "on_tag_added", "trigger_parameters": map[string]any{"tags": []any{otherTag}}}), "trigger_parameters.tags.0"},
			{"tag scope not a list", ok(map[string]any{"trigger_type": "on_tag_removed", "trigger_parameters": map[string]any{"tags": tag}}), "trigger_parameters.tags"},
			{"bad match type", ok(map[string]any{"condition_match_type": "most"}), "condition_match_type"},
			{"is_enabled not bool", ok(map[string]any{"is_enabled": "true"}), "is_enabled"},
			{"conditions not array", ok(map[string]any{"conditions": map[string]any{}}), "conditions"},
			{"condition not object", ok(map[string]any{"conditions": []any{"subject_contains"}}), "conditions.0"},
			{"condition without type", ok(map[string]any{"conditions": []any{map[string]any{"parameters": map[string]any{}}}}), "conditions.0.type"},
			{"unknown condition", cond("subject_matches", map[string]any{"value": "x"}), "conditions.0.type"},
			{"condition missing value", cond("subject_contains", map[string]any{}), "conditions.0.parameters.value"},
			{"condition value not string", cond("body_contains", map[string]any{"value": 3}), "conditions.0.parameters.value"},
			{"condition parameters not object", cond("subject_equals", "x"), "conditions.0.parameters"},
			{"condition unknown parameter", cond("is_first_message", map[string]any{"value": true}), "conditions.0.parameters.value"},
			{"has_tag unknown tag", cond("has_tag", map[string]any{"value": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}), "conditions.0.parameters.value"},
			{"does_not_have_tag other workspace", cond("does_not_have_tag", map[string]any{"value": otherTag}), "conditions.0.parameters.value"},
			{"channel_is unknown", cond("channel_is", map[string]any{"value": "nope"}), "conditions.0.parameters.value"},
			{"channel_type_is bad", cond("channel_type_is", map[string]any{"value": "pigeon"}), "conditions.0.parameters.value"},
			{"unknown action", act("launch_rocket", map[string]any{}), "actions.0.type"},
			{"action without type", ok(map[string]any{"actions": []any{map[string]any{}}}), "actions.0.type"},
			{"set_status missing", act("set_status", map[string]any{}), "actions.0.parameters.status"},
			{"set_status bad", act("set_status", map[string]any{"status": "done"}), "actions.0.parameters.status"},
			{"set_priority bad", act("set_priority", map[string]any{"priority": 3}), "actions.0.parameters.priority"},
			{"assign_to unknown user", act("assign_to", map[string]any{"assignee": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}), "actions.0.parameters.assignee"},
			{"assign_ticket bad type", act("assign_ticket", map[string]any{"assign_type": "group"}), "actions.0.parameters.assign_type"},
			{"assign_ticket team missing", act("assign_ticket", map[string]any{"assign_type": "team", "user": nil}), "actions.0.parameters.team"},
			{"assign_ticket team of other workspace", act("assign_ticket", map[string]any{"assign_type": "team", "team": otherTeam}), "actions.0.parameters.team"},
			{"add_tags empty", act("add_tags", map[string]any{"tags": []any{}}), "actions.0.parameters.tags"},
			{"add_tags unknown", act("add_tags", map[string]any{"tags": []any{tag, "01ARZ3NDEKTSV4RRFFQ69G5FAV"}}), "actions.0.parameters.tags.1"},
			{"remove_tags not strings", act("remove_tags", map[string]any{"tags": []any{1}}), "actions.0.parameters.tags.0"},
			{"note malformed template", act("add_internal_note", map[string]any{"content": "Hi {{customer.name"}), "actions.0.parameters.content"},
			{"note unknown root", act("add_internal_note", map[string]any{"content": "{{agent.name}}"}), "actions.0.parameters.content"},
			{"reply missing content", act("send_reply", map[string]any{"includeSignature": true}), "actions.0.parameters.content"},
			{"reply signature not bool", act("send_reply", map[string]any{"content": "x", "includeSignature": "yes"}), "actions.0.parameters.includeSignature"},
			{"email bad address", act("send_email", map[string]any{"to": "not-an-address", "subject": "s", "content": "c"}), "actions.0.parameters.to"},
			{"email missing subject", act("send_email", map[string]any{"to": "a@example.com", "content": "c"}), "actions.0.parameters.subject"},
			{"slack unknown connector", act("send_slack_message", map[string]any{"connectorId": "8a3c2f9e-7a51-4d8e-9e0f-3f6b1c2d4e5f", "channel": "#x", "message": "m"}), "actions.0.parameters.connectorId"},
			{"slack missing message", act("send_slack_message", map[string]any{"connectorId": "8a3c2f9e-7a51-4d8e-9e0f-3f6b1c2d4e5f", "channel": "#x"}), "actions.0.parameters.message"},
			{"teams missing channel", act("send_teams_message", map[string]any{"connectorId": "c", "teamId": "t", "message": "m"}), "actions.0.parameters.channelId"},
			{"webhook missing url", act("send_webhook", map[string]any{"method": "POST"}), "actions.0.parameters.url"},
			{"webhook to cloud metadata", act("send_webhook", map[string]any{"url": "http://169.254.169.254/latest/meta-data/"}), "actions.0.parameters.url"},
			{"webhook to a private address", act("send_webhook", map[string]any{"url": "http://10.0.0.1/hook"}), "actions.0.parameters.url"},
			{"webhook to localhost", act("send_webhook", map[string]any{"url": "http://localhost:8080/"}), "actions.0.parameters.url"},
			{"webhook with credentials in the url", act("send_webhook", map[string]any{"url": "https://user:pass@hooks.example.com/"}), "actions.0.parameters.url"},
			{"webhook bad method", act("send_webhook", map[string]any{"url": "https://api.example.com/x", "method": "FETCH"}), "actions.0.parameters.method"},
			{"webhook headers not object", act("send_webhook", map[string]any{"url": "https://api.example.com/x", "headers": "x"}), "actions.0.parameters.headers"},
			{"webhook bad body template", act("send_webhook", map[string]any{"url": "https://api.example.com/x", "body": `{"id": "{{ticket.idd}}"}`}), "actions.0.parameters.body"},
			{"ai missing prompt", act("generate_ai_response", map[string]any{"saveAs": "x"}), "actions.0.parameters.promptTemplate"},
			{"ai temperature", act("generate_ai_response", map[string]any{"promptTemplate": "p", "temperature": 3}), "actions.0.parameters.temperature"},
			{"ai maxTokens", act("generate_ai_response", map[string]any{"promptTemplate": "p", "maxTokens": 0}), "actions.0.parameters.maxTokens"},
			{"classify minConfidence", act("classify_ticket", map[string]any{"minConfidence": 1.5}), "actions.0.parameters.minConfidence"},
			{"classify categories", act("classify_ticket", map[string]any{"categories": "billing"}), "actions.0.parameters.categories"},
			{"connector action missing id", act("execute_connector_action", map[string]any{"connectorId": "c"}), "actions.0.parameters.actionId"},
			{"bad saveAs", act("generate_ai_response", map[string]any{"promptTemplate": "p", "saveAs": "my summary"}), "actions.0.parameters.saveAs"},
			{"timeout zero", act("set_status", map[string]any{"status": "open", "timeout": 0}), "actions.0.parameters.timeout"},
			{"timeout not number", act("set_status", map[string]any{"status": "open", "timeout": "30s"}), "actions.0.parameters.timeout"},
			{"requireApproval not bool", act("set_status", map[string]any{"status": "open", "requireApproval": 1}), "actions.0.parameters.requireApproval"},
			{"unknown action parameter", act("set_status", map[string]any{"status": "open", "colour": "red"}), "actions.0.parameters.colour"},
			{"unknown field", ok(map[string]any{"triggers": "x"}), "triggers"},
			{"path without name", ok(map[string]any{"paths": []any{map[string]any{"actions": []any{map[string]any{"type": "set_status", "parameters": map[string]any{"status": "open"}}}}}}), "paths.0.name"},
			{"path without actions", ok(map[string]any{"paths": []any{map[string]any{"name": "p"}}}), "paths.0.actions"},
			{"path bad condition", ok(map[string]any{"paths": []any{map[string]any{"name": "p", "conditions": []any{map[string]any{"type": "x"}}, "actions": []any{map[string]any{"type": "set_status", "parameters": map[string]any{"status": "open"}}}}}}), "paths.0.conditions.0.type"},
			{"path bad match", ok(map[string]any{"paths": []any{map[string]any{"name": "p", "condition_match_type": "some", "actions": []any{map[string]any{"type": "set_status", "parameters": map[string]any{"status": "open"}}}}}}), "paths.0.condition_match_type"},
			{"label too long", ok(map[string]any{"actions": []any{map[string]any{"type": "set_status", "label": strings.Repeat("x", 300), "parameters": map[string]any{"status": "open"}}}}), "actions.0.label"},
			{"both spellings", ok(map[string]any{"actions": []any{map[string]any{"type": "set_status", "actionType": "set_status", "config": map[string]any{"status": "open"}}}}), "actions.0"},
		}
		for _, c := range cases {
			r := e.asAdmin("POST", "/api/workflows", c.body)
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422 (%s)", c.name, r.Status, r.Raw)
				continue
			}
			if _, found := r.fieldErrors()[c.path]; !found {
				t.Errorf("%s: no error at %q: %s", c.name, c.path, r.Raw)
			}
			if msg, _ := r.Body["message"].(string); msg == "" {
				t.Errorf("%s: no message", c.name)
			}
		}
		// Several errors are all named at once.
		r := e.must(422, e.asAdmin("POST", "/api/workflows", map[string]any{"trigger_type": "x", "conditions": []any{map[string]any{"type": "y"}}}))
		for _, p := range []string{"name", "trigger_type", "conditions.0.type"} {
			if _, found := r.fieldErrors()[p]; !found {
				t.Errorf("combined: no error at %s: %s", p, r.Raw)
			}
		}
		if total := e.must(200, e.asAdmin("GET", "/api/workflows", nil)).Body["meta"].(map[string]any)["total"]; total != 0.0 {
			t.Errorf("refused workflows were saved: total %v", total)
		}
	})
}

// TestWorkflowsAsCodeSpelling: seed 000's actionType/config spelling means
// the same as type/parameters.
func TestWorkflowsAsCodeSpelling(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		w := e.must(201, e.asAdmin("POST", "/api/workflows", map[string]any{
			"name": "Summarize", "trigger_type": "manual",
			"actions": []any{
				map[string]any{"actionType": "generate_ai_response", "config": map[string]any{"promptTemplate": "Summarize: {{ticket.subject}}", "saveAs": "summary"}},
				map[string]any{"actionType": "add_internal_note", "config": map[string]any{"content": "{{variables.summary}}", "timeout": 5000}},
			},
		})).data()
		acts := w["actions"].([]any)
		first := acts[0].(map[string]any)
		if first["type"] != "generate_ai_response" || first["parameters"].(map[string]any)["saveAs"] != "summary" {
			t.Errorf("actions = %v", acts)
		}
	})
}

// TestEveryActionTypeIsAccepted walks the action registry: each type is
// saved in a workflow with the examples of its parameter specs and of the
// parameters common to every action, references replaced by objects of the
// workspace (see examples). A type whose examples do not validate, with
// any connector type it accepts, fails the test.
func TestEveryActionTypeIsAccepted(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		x := newExamples(e)
		common := x.params(action.CommonParams)[0]
		var steps []any
		for _, typ := range action.Types() {
			def, _ := action.Lookup(typ)
			var refusals []string
			for _, params := range x.params(def.Params) {
				for k, v := range common {
					params[k] = v
				}
				step := map[string]any{"type": typ, "label": "Example " + typ, "parameters": params}
				r := e.asAdmin("POST", "/api/workflows", map[string]any{"name": typ, "trigger_type": "on_inbound_message", "actions": []any{step}})
				if r.Status != 201 {
					refusals = append(refusals, r.Raw)
					continue
				}
				saved := r.data()["actions"].([]any)[0].(map[string]any)
				got := saved["parameters"].(map[string]any)
				for k := range params {
					if _, ok := got[k]; !ok || saved["type"] != typ {
						t.Errorf("%s: saved as %v, without %s", typ, saved, k)
					}
				}
				steps = append(steps, step)
				refusals = nil
				break
			}
			if refusals != nil {
				t.Errorf("%s: the examples of its parameters are refused: %s", typ, strings.Join(refusals, "; "))
			}
		}
		// Together in one workflow, too.
		w := e.must(201, e.asAdmin("POST", "/api/workflows", map[string]any{"name": "Every action", "trigger_type": "on_inbound_message", "actions": steps})).data()
		if n := len(w["actions"].([]any)); n != len(action.Types()) {
			t.Errorf("%d actions saved, want one of each of the %d types", n, len(action.Types()))
		}
	})
}

// TestEveryConditionTypeIsAccepted walks the condition registry: each type
// is saved with the examples of its parameter specs, in a workflow's
// conditions or, for those that read run variables, in a path's.
func TestEveryConditionTypeIsAccepted(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		x := newExamples(e)
		note := act("add_internal_note", map[string]any{"content": "matched"})
		for _, typ := range condition.Types() {
			def, _ := condition.Lookup(typ)
			c := map[string]any{"type": typ, "parameters": x.params(def.Params)[0]}
			body := workflowBody(typ, "on_inbound_message", []any{c}, note)
			where := "conditions"
			if condition.ReadsVariables(typ) {
				body = workflowBody(typ, "on_inbound_message", nil, note)
				body["paths"] = []any{map[string]any{"name": "Example path", "conditions": []any{c}, "actions": []any{note}}}
				where = "paths.0.conditions"
			}
			r := e.asAdmin("POST", "/api/workflows", body)
			if r.Status != 201 {
				t.Errorf("%s: the examples of its parameters are refused: %s", typ, r.Raw)
				continue
			}
			saved := r.data()
			if where != "conditions" {
				saved = saved["paths"].([]any)[0].(map[string]any)
			}
			if got := saved["conditions"].([]any)[0].(map[string]any); got["type"] != typ || !reflect.DeepEqual(got["parameters"], jsonOf(t, c["parameters"])) {
				t.Errorf("%s: saved in %s as %v", typ, where, got)
			}
		}
	})
}

// TestEveryTriggerTypeIsAccepted walks the trigger registry: each type is
// saved with the examples of its parameter specs.
func TestEveryTriggerTypeIsAccepted(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		x := newExamples(e)
		for _, tr := range workflow.Triggers() {
			params := x.params(tr.Params)[0]
			r := e.asAdmin("POST", "/api/workflows", map[string]any{"name": tr.Type, "trigger_type": tr.Type, "trigger_parameters": params,
				"actions": []any{act("add_internal_note", map[string]any{"content": "fired"})}})
			if r.Status != 201 {
				t.Errorf("%s: the examples of its parameters are refused: %s", tr.Type, r.Raw)
				continue
			}
			w := r.data()
			if w["trigger_type"] != tr.Type {
				t.Errorf("%s: saved as %v", tr.Type, w["trigger_type"])
			}
			got, _ := w["trigger_parameters"].(map[string]any)
			for k, v := range jsonOf(t, params).(map[string]any) {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s: trigger_parameters.%s saved as %v, want %v", tr.Type, k, got[k], v)
				}
			}
		}
	})
}

// jsonOf is v as the API's JSON answers carry it.
func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestVariablesMustBeSavedFirst: a template naming {{variables.x}} that no
// earlier step of its path saves is refused at save time (it would render
// empty), at its field, naming what is saved; a path that waits for the main
// path (its conditions read variables) may use what the main path saves.
func TestVariablesMustBeSavedFirst(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		summarize := act("generate_ai_response", map[string]any{"promptTemplate": "Summarize: {{ticket.subject}}", "saveAs": "summary"})
		r := e.asAdmin("POST", "/api/workflows", workflowBody("typo", "on_new_ticket", nil, summarize,
			act("add_internal_note", map[string]any{"content": "{{variables.sumary}}"})))
		if msgs, _ := r.fieldErrors()["actions.1.parameters.content"].([]any); r.Status != 422 || len(msgs) != 1 ||
			msgs[0] != "uses {{variables.sumary}}, which no earlier step of this path saves with saveAs (saved before this step: summary)" {
			t.Errorf("a misspelt variable: %d %s", r.Status, r.Raw)
		}
		r = e.asAdmin("POST", "/api/workflows", workflowBody("too early", "on_new_ticket", nil,
			act("add_internal_note", map[string]any{"content": "{{variables.summary}}"}), summarize))
		if _, ok := r.fieldErrors()["actions.0.parameters.content"]; r.Status != 422 || !ok {
			t.Errorf("a variable used before it is saved: %d %s", r.Status, r.Raw)
		}
		parallel := map[string]any{"name": "Alert", "actions": []any{act("add_internal_note", map[string]any{"content": "{{variables.summary}}"})}}
		body := workflowBody("parallel", "on_new_ticket", nil, summarize)
		body["paths"] = []any{parallel}
		if r := e.asAdmin("POST", "/api/workflows", body); r.Status != 422 || r.fieldErrors()["paths.0.actions.0.parameters.content"] == nil {
			t.Errorf("a parallel path using the main path's variable: %d %s", r.Status, r.Raw)
		}
		parallel["conditions"] = []any{map[string]any{"type": "variable_equals", "parameters": map[string]any{"name": "summary", "value": "x"}}}
		e.must(201, e.asAdmin("POST", "/api/workflows", body))
	})
}
