package api_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/deskflow/deskflow/internal/integration/platform"
	"github.com/deskflow/deskflow/internal/integration/platform/platformtest"
)

// TestEveryCatalogActionThroughTheEngine runs every action of the platform
// catalog as a workflow step, on each database: a manual workflow runs the
// action with its required parameters, then with all of them (each
// against a fake of its platform that checks the request against the
// official description), and a note renders the saved output's first
// stated field with a template. The run must succeed, each fake must have
// received the action's request, and the note must hold the field's value.

func TestEveryCatalogActionThroughTheEngine(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		tk := e.newTicket("Order problem", "Please help", "bob.norman@mail.example.com", nil)
		var mu sync.Mutex
		ran := map[string]int{}
		// The runs wait on the database more than on the CPU: eight at a
		// time, each on its own fakes and connectors.
		var wg sync.WaitGroup
		slots := make(chan struct{}, 8)
		for _, id := range platform.IDs() {
			p, _ := platform.Lookup(id)
			for _, a := range p.Actions {
				wg.Add(1)
				slots <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-slots }()
					if t.Run(id+"/"+a.ID, func(t *testing.T) { runCatalogAction(t, e, tk, a) }) {
						mu.Lock()
						ran[id]++
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		for _, id := range platform.IDs() {
			p, _ := platform.Lookup(id)
			if ran[id] != len(p.Actions) {
				t.Errorf("%s: %d of its %d actions succeed as workflow steps", id, ran[id], len(p.Actions))
			}
		}
		t.Logf("actions that succeed as workflow steps: %v", ran)
	})
}

func runCatalogAction(t *testing.T, e *env, ticket string, a *platform.Action) {
	id := a.Platform().ID
	required, err := platformtest.Params(a, false)
	if err != nil {
		t.Fatal(err)
	}
	all, err := platformtest.Params(a, true)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, readable := platformtest.OutputTemplate(a, "out")
	fakes := map[string]platformtest.Fake{}
	steps := []any{}
	for _, v := range []struct {
		name   string
		params map[string]any
	}{{"req", required}, {"out", all}} {
		f := platformtest.Start(t, id)
		fakes[v.name] = f
		conn := e.create("/api/connectors", map[string]any{"type": id, "name": id + " " + a.ID + " " + v.name, "settings": f.Settings, "credentials": f.Credentials})
		steps = append(steps, act("execute_connector_action", map[string]any{"connectorId": conn, "actionId": a.ID, "params": v.params, "saveAs": v.name}))
	}
	steps = append(steps, act("add_internal_note", map[string]any{"content": "rendered: " + tmpl}))
	wf := e.create("/api/workflows", workflowBody(id+" "+a.ID, "manual", nil, steps...))
	run := e.must(201, e.asAdmin("POST", "/api/workflows/"+wf+"/runs", map[string]any{"ticket_id": ticket})).data()["id"].(string)
	var r map[string]any
	e.eventually("the run ends", func() bool {
		r = e.must(200, e.asAdmin("GET", "/api/runs/"+run, nil)).data()
		return r["finished_at"] != nil
	})
	if r["status"] != "succeeded" {
		for _, s := range r["steps"].([]any) {
			st := s.(map[string]any)
			if st["status"] != "succeeded" {
				t.Errorf("step %v (%v): %v", st["position"], st["status"], st["error"])
			}
		}
		t.Fatalf("run %v", r["status"])
	}
	for name, f := range fakes {
		params := required
		if name == "out" {
			params = all
		}
		if sent, got := platformtest.Sent(f, a, params); !sent {
			t.Errorf("%s step: the action's request is not among those received: %v", name, got)
		}
	}
	done := r["steps"].([]any)
	saved := done[1].(map[string]any)["output"]
	if list, isList := saved.([]any); isList != a.Response.List {
		t.Errorf("the catalog says list: %v; the saved output is %v", a.Response.List, saved)
	} else if !readable || saved == nil || isList && len(list) == 0 {
		return
	}
	note, _ := done[len(done)-1].(map[string]any)["output"].(map[string]any)["content"].(string)
	if value := strings.TrimPrefix(note, "rendered: "); value == "" || value == note || strings.Contains(value, "{{") {
		t.Errorf("%s renders %q against the saved output", tmpl, note)
	}
}
