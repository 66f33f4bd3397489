package platformtest_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/platform"
	"github.com/deskflow/deskflow/internal/integration/platform/platformtest"
	"github.com/deskflow/deskflow/internal/template"
)

// TestEveryCatalogActionAgainstItsFake walks the catalog: every action of
// every platform runs through platform.Execute against the platform's
// fake, once with its required parameters and once with all of them, and
// must succeed with its request sent and an output whose stated first
// field a template renders.
func TestEveryCatalogActionAgainstItsFake(t *testing.T) {
	counts := map[string]int{}
	for _, id := range platform.IDs() {
		p, _ := platform.Lookup(id)
		for _, a := range p.Actions {
			passed := true
			for _, all := range []bool{false, true} {
				name := id + "/" + a.ID + "/required"
				if all {
					name = id + "/" + a.ID + "/all"
				}
				passed = t.Run(name, func(t *testing.T) {
					f := platformtest.Start(t, id)
					params, err := platformtest.Params(a, all)
					if err != nil {
						t.Fatal(err)
					}
					conn := &connector.Connector{ID: "c-" + id, Type: id, Settings: f.Settings, Credentials: f.Credentials}
					env := platform.Env{HTTP: f.Server.Client(), Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
					ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
					defer cancel()
					res, err := platform.Execute(ctx, env, conn, a, params, "every-"+a.ID)
					if err != nil {
						t.Fatalf("%v with %v", err, params)
					}
					if res.Status < 200 || res.Status > 299 {
						t.Errorf("status %d: %s", res.Status, text(res.Data))
					}
					if sent, got := platformtest.Sent(f, a, params); !sent {
						t.Errorf("the action's request is not among those received: %v", got)
					}
					renderOutput(t, a, res.Output())
				}) && passed
			}
			if passed {
				counts[id]++
			}
		}
	}
	for _, id := range platform.IDs() {
		p, _ := platform.Lookup(id)
		if counts[id] != len(p.Actions) {
			t.Errorf("%s: %d of its %d actions succeed against the fake", id, counts[id], len(p.Actions))
		}
	}
	t.Logf("actions that succeed against the fakes: %v", counts)
}

// renderOutput renders the template of the output's first stated field,
// as a later step of a workflow would: the object itself (or the list the
// catalog says it is) is the output, so the field renders.
func renderOutput(t *testing.T, a *platform.Action, out any) {
	t.Helper()
	if _, isList := out.([]any); isList != a.Response.List {
		t.Errorf("the catalog says list: %v; the output is %s", a.Response.List, text(out))
	}
	src, ok := platformtest.OutputTemplate(a, "out")
	if !ok || out == nil {
		return
	}
	if list, _ := out.([]any); a.Response.List && len(list) == 0 {
		return
	}
	tpl, err := template.Parse(src, template.DefaultSchema)
	if err != nil {
		t.Fatalf("parse %s: %v", src, err)
	}
	res, err := tpl.Render(context.Background(), map[string]any{"variables": map[string]any{"out": out}}, template.Options{Escape: template.Plain})
	if err != nil || len(res.Missing) > 0 || res.Text == "" {
		t.Errorf("%s renders %q (missing %v, %v) against the output %s", src, res.Text, res.Missing, err, text(out))
	}
}

func text(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
