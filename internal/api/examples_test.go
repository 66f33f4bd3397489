package api_test

import (
	"github.com/deskflow/deskflow/internal/connector"
	refkind "github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

// examples builds parameters from the examples of their specs (what
// GET /api/specs and docs/workflows.md show), each reference replaced by an
// object of the workspace: a tag, a team, the admin, a channel, and for
// connectors one connector of each accepted type made through
// POST /api/connectors from its type's settings examples.
type examples struct {
	e          *env
	objects    map[refkind.Kind]string
	connectors map[string]string // connector type → id
}

func newExamples(e *env) *examples {
	e.t.Helper()
	return &examples{e: e, connectors: map[string]string{}, objects: map[refkind.Kind]string{
		refkind.KindTag:     e.create("/api/tags", map[string]any{"name": "Example tag"}),
		refkind.KindTeam:    e.create("/api/teams", map[string]any{"name": "Example team"}),
		refkind.KindChannel: e.create("/api/channels", map[string]any{"name": "Example channel", "type": "email"}),
		refkind.KindUser:    e.must(200, e.asAdmin("GET", "/api/me", nil)).data()["id"].(string),
	}}
}

// connector returns a connector of type typ, created on first use with its
// type's settings examples and a dummy value for every credential.
func (x *examples) connector(typ string) string {
	x.e.t.Helper()
	if id, ok := x.connectors[typ]; ok {
		return id
	}
	def, ok := connector.Lookup(typ)
	if !ok {
		x.e.t.Fatalf("no connector type %s", typ)
	}
	settings := map[string]any{}
	for _, s := range def.Settings {
		if s.Example != nil {
			settings[s.Name] = s.Example
		}
	}
	creds := map[string]any{}
	for _, c := range def.Credentials {
		creds[c.Key] = "dummy-" + c.Key
	}
	r := x.e.asAdmin("POST", "/api/connectors", map[string]any{"type": typ, "name": "Example " + typ, "settings": settings, "credentials": creds})
	if r.Status != 201 {
		x.e.t.Fatalf("a %s connector made of its settings examples is refused: %d %s", typ, r.Status, r.Raw)
	}
	x.connectors[typ] = r.data()["id"].(string)
	return x.connectors[typ]
}

// params returns the parameters made of the specs' examples. A connector
// reference makes one variant per connector type it accepts (every type
// when it names none), since its other parameters may suit only some of
// them (execute_connector_action's actionId); the others make one variant.
func (x *examples) params(specs []spec.Param) []map[string]any {
	x.e.t.Helper()
	variants := []map[string]any{{}}
	for _, s := range specs {
		if s.Example == nil {
			continue
		}
		if s.Reference != refkind.KindConnector {
			for _, v := range variants {
				v[s.Name] = x.value(s)
			}
			continue
		}
		types := s.ConnectorTypes
		if len(types) == 0 {
			types = connector.TypeNames()
		}
		var next []map[string]any
		for _, v := range variants {
			for _, typ := range types {
				w := map[string]any{s.Name: x.connector(typ)}
				for k, val := range v {
					w[k] = val
				}
				next = append(next, w)
			}
		}
		variants = next
	}
	return variants
}

// value is a parameter's example, or an object of the workspace when it
// names one.
func (x *examples) value(s spec.Param) any {
	x.e.t.Helper()
	if s.Reference == "" {
		return s.Example
	}
	id, ok := x.objects[s.Reference]
	if !ok {
		x.e.t.Fatalf("parameter %s names a %s: the test has no such object", s.Name, s.Reference)
	}
	if s.Type == spec.References {
		return []any{id}
	}
	return id
}
