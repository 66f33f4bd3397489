package api

import (
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/spec"
)

// connectorSchemas are the settings and the credentials of each connector
// type, drawn from its registration: ConnectorSettings_<type> from its
// settings' specs, ConnectorCredentials_<type> with its credentials' keys.
func connectorSchemas() map[string]any {
	out := map[string]any{}
	for _, name := range connector.TypeNames() {
		t, _ := connector.Lookup(name)
		out["ConnectorSettings_"+name] = spec.ObjectSchema(t.Settings)
		keys := map[string]any{}
		for _, c := range t.Credentials {
			keys[c.Key] = map[string]any{"type": "string", "description": c.Description}
		}
		out["ConnectorCredentials_"+name] = map[string]any{"type": "object", "properties": keys, "additionalProperties": false}
	}
	return out
}

// What a connector rule checks: the answer's settings, an update's
// settings and credentials, or those of a new connector, whose required
// credentials must be given.
const (
	connectorAnswer = iota
	connectorUpdate
	connectorCreate
)

// connectorRules choose the schemas of settings and credentials by the
// sibling type: one if/then per connector type.
func connectorRules(of int) []any {
	var rules []any
	for _, name := range connector.TypeNames() {
		t, _ := connector.Lookup(name)
		props := map[string]any{"settings": refTo("schemas", "ConnectorSettings_"+name)}
		then := map[string]any{"properties": props}
		if of != connectorAnswer {
			props["credentials"] = refTo("schemas", "ConnectorCredentials_"+name)
		}
		var required []string
		for _, c := range t.Credentials {
			if c.Required {
				required = append(required, c.Key)
			}
		}
		if of == connectorCreate && len(required) > 0 {
			props["credentials"] = map[string]any{"allOf": []any{refTo("schemas", "ConnectorCredentials_"+name), map[string]any{"required": required}}}
			then["required"] = []string{"credentials"}
		}
		rules = append(rules, map[string]any{
			"if":   map[string]any{"required": []string{"type"}, "properties": map[string]any{"type": map[string]any{"const": name}}},
			"then": then,
		})
	}
	return rules
}
