package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/bundle"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/workflow"
)

// everyTypeWorkflows creates, in workspace A, workflows that use every
// action, condition and trigger type of the registries with the examples
// of their parameters, a user and a channel reference, and the objects
// they refer to.
func everyTypeWorkflows(t *testing.T, e *env) {
	t.Helper()
	x := newExamples(e)
	common := x.params(action.CommonParams)[0]
	for _, typ := range action.Types() {
		def, _ := action.Lookup(typ)
		saved := false
		for _, params := range x.params(def.Params) {
			for k, v := range common {
				params[k] = v
			}
			step := map[string]any{"type": typ, "label": "Example " + typ, "parameters": params}
			if r := e.asAdmin("POST", "/api/workflows", map[string]any{"name": "Action " + typ, "trigger_type": "on_inbound_message", "actions": []any{step}}); r.Status == 201 {
				saved = true
				break
			}
		}
		if !saved {
			t.Fatalf("no example of %s is accepted", typ)
		}
	}
	note := act("add_internal_note", map[string]any{"content": "matched"})
	for _, typ := range condition.Types() {
		def, _ := condition.Lookup(typ)
		c := map[string]any{"type": typ, "parameters": x.params(def.Params)[0]}
		body := workflowBody("Condition "+typ, "on_inbound_message", []any{c}, note)
		if condition.ReadsVariables(typ) {
			body = workflowBody("Condition "+typ, "on_inbound_message", nil, note)
			body["paths"] = []any{map[string]any{"name": "Example path", "conditions": []any{c}, "actions": []any{note}}}
		}
		e.must(201, e.asAdmin("POST", "/api/workflows", body))
	}
	for _, tr := range workflow.Triggers() {
		e.must(201, e.asAdmin("POST", "/api/workflows", map[string]any{"name": "Trigger " + tr.Type, "trigger_type": tr.Type, "trigger_parameters": x.params(tr.Params)[0],
			"is_enabled": false, "position": 7, "actions": []any{note}}))
	}
	e.must(201, e.asAdmin("POST", "/api/workflows", workflowBody("People", "on_inbound_message",
		[]any{cond("channel_is", x.objects["channel"])},
		act("assign_to", map[string]any{"assignee": x.objects["user"]}),
		act("assign_ticket", map[string]any{"assign_type": "user", "user": x.objects["user"], "team": x.objects["team"]}))))
	e.create("/api/saved-replies", map[string]any{"title": "Refund policy", "body": "Hello {{customer.name}}, refunds take 5 days."})
	e.create("/api/tags", map[string]any{"name": "unused tag"})
	e.must(200, e.asAdmin("PUT", "/api/business-hours", map[string]any{"timezone": "Europe/Berlin",
		"weekly": map[string]any{"monday": []any{map[string]any{"start": "09:00", "end": "17:00"}}}, "closed_dates": []any{"2027-01-01"}}))
}

// exportOf exports a workspace with its admin token.
func exportOf(t *testing.T, e *env, token string, ws int64) map[string]any {
	t.Helper()
	return e.must(200, e.call("GET", "/api/export", token, ws, nil)).data()
}

// asYAML writes an exported bundle as deskflow export does, and reads it
// back as deskflow apply does.
func asYAML(t *testing.T, exported map[string]any) any {
	t.Helper()
	raw, err := json.Marshal(exported)
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	text, err := b.YAML()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := bundle.Decode(text)
	if err != nil {
		t.Fatalf("the exported YAML does not read back: %v\n%s", err, text)
	}
	return doc
}

func TestBundleRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		everyTypeWorkflows(t, e)
		exported := exportOf(t, e, e.adminA, e.wsA)
		if n := len(exported["workflows"].([]any)); n != len(action.Types())+len(condition.Types())+len(workflow.Triggers())+1 {
			t.Fatalf("%d workflows exported", n)
		}
		text, _ := json.Marshal(exported)
		for _, id := range []string{`"01`} {
			if strings.Contains(string(text), id) {
				t.Errorf("the bundle still has ids: %s", text)
			}
		}
		// Workspace B has the channel and user the workflows name, not the rest.
		e.must(201, e.call("POST", "/api/channels", e.adminB, e.wsB, map[string]any{"name": "Example channel", "type": "email"}))

		r := e.must(200, e.call("POST", "/api/import", e.adminB, e.wsB, asYAML(t, exported))).data()
		if r["applied"] != true {
			t.Fatalf("not applied: %v", r)
		}
		creates := 0
		for _, c := range r["changes"].([]any) {
			if c.(map[string]any)["action"] == "create" {
				creates++
			}
		}
		if want := len(exported["workflows"].([]any)) + len(exported["tags"].([]any)) + len(exported["teams"].([]any)) + len(exported["connectors"].([]any)) + len(exported["saved_replies"].([]any)); creates != want {
			t.Errorf("%d creations, want %d: %s", creates, want, r["text"])
		}
		again := exportOf(t, e, e.adminB, e.wsB)
		if !reflect.DeepEqual(again, exported) {
			a, _ := json.MarshalIndent(exported, "", " ")
			b, _ := json.MarshalIndent(again, "", " ")
			t.Fatalf("the round trip changed the bundle:\nA: %s\nB: %s", a, b)
		}

		versions := func() []any {
			var out []any
			for _, w := range e.must(200, e.call("GET", "/api/workflows?per_page=100", e.adminB, e.wsB, nil)).list() {
				out = append(out, w.(map[string]any)["version"])
			}
			return out
		}
		before := versions()
		r = e.must(200, e.call("POST", "/api/import", e.adminB, e.wsB, asYAML(t, again))).data()
		if r["applied"] != false || r["text"] != "no changes\n" || len(r["changes"].([]any)) != 0 {
			t.Errorf("applying the same bundle again: %v", r)
		}
		if after := versions(); !reflect.DeepEqual(before, after) {
			t.Errorf("versions changed from %v to %v", before, after)
		}
		// And into A itself: nothing to do either.
		r = e.must(200, e.call("POST", "/api/import?prune=true", e.adminA, e.wsA, exported)).data()
		if r["text"] != "no changes\n" {
			t.Errorf("applying A's export to A: %v", r["text"])
		}
	})
}

func TestBundlePlanUpdatePruneAndDryRun(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		tag := e.create("/api/tags", map[string]any{"name": "vip"})
		e.create("/api/tags", map[string]any{"name": "old"})
		id := e.create("/api/workflows", workflowBody("Tag VIPs", "on_inbound_message", []any{cond("subject_contains", "urgent")},
			act("add_tags", map[string]any{"tags": []any{tag}})))
		e.create("/api/workflows", workflowBody("Old one", "on_inbound_message", nil, act("add_internal_note", map[string]any{"content": "x"})))
		b := exportOf(t, e, e.adminA, e.wsA)
		wfs := b["workflows"].([]any)
		var kept []any
		for _, w := range wfs {
			w := w.(map[string]any)
			if w["name"] == "Tag VIPs" {
				w["conditions"].([]any)[0].(map[string]any)["parameters"].(map[string]any)["value"] = "asap"
				w["is_enabled"] = false
				kept = append(kept, w)
			}
		}
		b["workflows"] = kept
		b["tags"] = []any{"vip", "new"}

		plan := e.must(200, e.asAdmin("POST", "/api/import?dry_run=true&prune=true", b)).data()
		want := "+ tag \"new\"\n~ workflow \"Tag VIPs\": conditions[0].parameters.value, is_enabled\n- workflow \"Old one\"\n- tag \"old\"\nPlan: 1 to create, 1 to update, 2 to delete.\n"
		if plan["applied"] != false || plan["text"] != want {
			t.Fatalf("dry run plan:\n%v\nwant:\n%s", plan["text"], want)
		}
		if n := len(e.must(200, e.asAdmin("GET", "/api/workflows", nil)).list()); n != 2 {
			t.Fatalf("the dry run changed the workflows: %d", n)
		}
		if n := len(e.must(200, e.asAdmin("GET", "/api/tags", nil)).list()); n != 2 {
			t.Fatalf("the dry run changed the tags: %d", n)
		}

		done := e.must(200, e.asAdmin("POST", "/api/import?prune=true", b)).data()
		if done["applied"] != true || done["text"] != want {
			t.Fatalf("apply: %v", done)
		}
		w := e.must(200, e.asAdmin("GET", "/api/workflows/"+id, nil)).data()
		if w["version"] != float64(2) || w["is_enabled"] != false {
			t.Errorf("the workflow after the apply: version %v, enabled %v", w["version"], w["is_enabled"])
		}
		var names []string
		for _, t := range e.must(200, e.asAdmin("GET", "/api/tags", nil)).list() {
			names = append(names, t.(map[string]any)["name"].(string))
		}
		if strings.Join(names, ",") != "new,vip" {
			t.Errorf("tags after prune: %v", names)
		}
		if n := len(e.must(200, e.asAdmin("GET", "/api/workflows", nil)).list()); n != 1 {
			t.Errorf("%d workflows after prune", n)
		}
		// A kind the bundle leaves out is not touched, even with prune.
		e.create("/api/teams", map[string]any{"name": "Billing"})
		if r := e.must(200, e.asAdmin("POST", "/api/import?prune=true", map[string]any{"tags": []any{"vip", "new"}})).data(); r["text"] != "no changes\n" {
			t.Errorf("a bundle of tags only: %v", r["text"])
		}
		e.must(422, e.asAdmin("POST", "/api/import?dry_run=yes", b))
		e.must(403, e.call("POST", "/api/import", e.agentA, e.wsA, b))
		e.must(403, e.call("GET", "/api/export", e.agentA, e.wsA, nil))
	})
}

func TestBundleErrorsAreAllListedAndNothingIsApplied(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		b := map[string]any{
			"version": 1,
			"tags":    []any{"vip", "VIP"},
			"connectors": []any{
				map[string]any{"name": "Hooks", "type": "webhook", "settings": map[string]any{}},
				map[string]any{"name": "Chat", "type": "telegraph"},
				map[string]any{"name": "Bad", "type": "webhook", "credentials": map[string]any{"secret": "x"}},
			},
			"workflows": []any{
				workflowBody("Fine", "on_inbound_message", nil, act("add_tags", map[string]any{"tags": []any{"vip"}})),
				workflowBody("Unknown tag", "on_inbound_message", nil, act("add_tags", map[string]any{"tags": []any{"vip", "nope"}})),
				workflowBody("Fine", "on_inbound_message", nil, act("add_internal_note", map[string]any{"content": "x"})),
				workflowBody("No such type", "on_inbound_message", nil, act("teleport", map[string]any{})),
				workflowBody("Bad URL", "on_inbound_message", nil, act("add_internal_note", map[string]any{"content": "x"}),
					act("send_webhook", map[string]any{"url": "ftp://example.com", "method": "POST"})),
				workflowBody("Wrong connector", "on_inbound_message", nil, act("send_slack_message", map[string]any{"connectorId": "Hooks", "channel": "#x", "message": "hi"})),
			},
			"colour": "blue",
		}
		r := e.must(422, e.asAdmin("POST", "/api/import", b))
		errs := r.fieldErrors()
		for _, path := range []string{"tags[1]", "connectors[1].type", "connectors[2].credentials", "workflows[1].actions[0].parameters.tags[1]",
			"workflows[2].name", "workflows[3].actions[0].type", "workflows[4].actions[1].parameters.url", "workflows[5].actions[0].parameters.connectorId", "colour"} {
			if _, ok := errs[path]; !ok {
				t.Errorf("no error at %s: %v", path, errs)
			}
		}
		if !strings.Contains(r.Raw, `no tag named \"nope\"`) {
			t.Errorf("the unknown tag is not named: %s", r.Raw)
		}
		for _, list := range []string{"/api/tags", "/api/connectors", "/api/workflows"} {
			if n := len(e.must(200, e.asAdmin("GET", list, nil)).list()); n != 0 {
				t.Errorf("%s: %d objects after a refused import", list, n)
			}
		}
		e.must(400, e.asAdmin("POST", "/api/import", "not an object"))
	})
}

// TestBundleApplyIsAllOrNothing makes the database refuse one write in the
// middle of an apply: nothing of the bundle stays.
func TestBundleApplyIsAllOrNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		existing := e.create("/api/workflows", workflowBody("Existing", "on_inbound_message", nil, act("add_internal_note", map[string]any{"content": "before"})))
		failOnWorkflowNamed(t, e, "Injected failure")
		b := map[string]any{
			"tags":          []any{"vip"},
			"teams":         []any{"Billing"},
			"saved_replies": []any{map[string]any{"title": "Thanks", "body": "Thank you"}},
			"connectors":    []any{map[string]any{"name": "Hooks", "type": "webhook", "settings": map[string]any{}}},
			"workflows": []any{
				workflowBody("Existing", "on_inbound_message", nil, act("add_internal_note", map[string]any{"content": "after"})),
				workflowBody("First", "on_inbound_message", nil, act("add_tags", map[string]any{"tags": []any{"vip"}})),
				workflowBody("Injected failure", "on_inbound_message", nil, act("add_internal_note", map[string]any{"content": "x"})),
				workflowBody("Last", "on_inbound_message", nil, act("add_internal_note", map[string]any{"content": "x"})),
			},
		}
		e.must(500, e.asAdmin("POST", "/api/import", b))
		for _, list := range []string{"/api/tags", "/api/teams", "/api/saved-replies", "/api/connectors"} {
			if n := len(e.must(200, e.asAdmin("GET", list, nil)).list()); n != 0 {
				t.Errorf("%s: %d objects after a failed apply", list, n)
			}
		}
		wfs := e.must(200, e.asAdmin("GET", "/api/workflows", nil)).list()
		w := e.must(200, e.asAdmin("GET", "/api/workflows/"+existing, nil)).data()
		if len(wfs) != 1 || w["version"] != float64(1) || !strings.Contains(jsonText(t, w["actions"]), "before") {
			t.Errorf("after a failed apply: %d workflows, the existing one at version %v: %v", len(wfs), w["version"], w["actions"])
		}
		b["workflows"].([]any)[2].(map[string]any)["name"] = "No failure"
		if r := e.must(200, e.asAdmin("POST", "/api/import", b)).data(); r["applied"] != true {
			t.Errorf("the same bundle without the failure: %v", r)
		}
		if n := len(e.must(200, e.asAdmin("GET", "/api/workflows", nil)).list()); n != 4 {
			t.Errorf("%d workflows after the apply", n)
		}
	})
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// failOnWorkflowNamed installs a database trigger that refuses to insert a
// workflow of that name.
func failOnWorkflowNamed(t *testing.T, e *env, name string) {
	t.Helper()
	ctx := context.Background()
	var stmts []string
	if e.db.Backend() == "sqlite" {
		stmts = []string{`CREATE TRIGGER injected_failure BEFORE INSERT ON workflows WHEN NEW.name = '` + name + `' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`}
	} else {
		stmts = []string{
			`CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.name = '` + name + `' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`,
			`CREATE TRIGGER injected_failure BEFORE INSERT ON workflows FOR EACH ROW EXECUTE FUNCTION injected_failure()`,
		}
	}
	for _, s := range stmts {
		var err error
		switch h := e.db.Handle().(type) {
		case *sql.DB:
			_, err = h.ExecContext(ctx, s)
		case *pgxpool.Pool:
			_, err = h.Exec(ctx, s)
		}
		if err != nil {
			t.Fatalf("install the failure: %v", err)
		}
	}
}
