package api

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/reference"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// openAPIDoc is the server's OpenAPI description, built once: it states
// the server's configured limits.
type openAPIDoc struct {
	once sync.Once
	doc  map[string]any
}

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request, _ principal) error {
	s.openAPIDoc.once.Do(func() { s.openAPIDoc.doc = s.buildOpenAPI() })
	writeJSON(w, http.StatusOK, s.openAPIDoc.doc)
	return nil
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// buildOpenAPI describes every route of the table, the workflow model and
// the exact meaning of each condition and action type from their registries,
// so the description cannot drift from the code.
func (s *Server) buildOpenAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes {
		item, _ := paths[rt.pattern].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.pattern] = item
		}
		op := map[string]any{
			"summary":   rt.summary,
			"tags":      []string{rt.tag},
			"responses": responsesFor(rt),
		}
		if rt.description != "" {
			op["description"] = rt.description
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.pattern, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		if !rt.public {
			params = append(params, map[string]any{"name": "X-Workspace-Id", "in": "header", "required": true, "schema": map[string]any{"type": "integer"}})
		} else {
			op["security"] = []any{}
		}
		if rt.paged || rt.method == "GET" && !strings.Contains(rt.pattern, "{") && rt.pattern != "/api/openapi.json" && rt.pattern != "/api/me" && rt.pattern != "/api/business-hours" {
			params = append(params,
				map[string]any{"name": "page", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1}},
				map[string]any{"name": "per_page", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": maxPerPage}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.method == "POST" || rt.method == "PUT" {
			schema := map[string]any{"type": "object"}
			if strings.HasPrefix(rt.pattern, "/api/workflows") {
				schema = map[string]any{"$ref": "#/components/schemas/WorkflowInput"}
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
		}
		item[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "deskflow API",
			"version":     "1.0.0",
			"description": "Helpdesk workflow automation. Every call needs `Authorization: Bearer <token>` and `X-Workspace-Id: <integer>`. Single objects come as {\"data\": {...}}, lists as {\"data\": [...], \"meta\": {...}}. Validation errors are 422 {\"message\", \"errors\": {\"field.path\": [\"...\"]}}: at most " + strconv.Itoa(validate.MaxErrors) + " are listed, and the message counts the others; a list longer than its maximum is one error naming the maximum. Text is stored without NUL (U+0000) characters, which are removed.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
			"schemas":         schemas(),
		},
		"security": []any{map[string]any{"bearer": []string{}}},
	}
}

func responsesFor(rt route) map[string]any {
	errRef := map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	out := map[string]any{}
	switch rt.method {
	case "POST":
		out["201"] = map[string]any{"description": "Created"}
		if strings.Contains(rt.pattern, "/tags") && strings.Contains(rt.pattern, "{ticket}") {
			out = map[string]any{"200": map[string]any{"description": "OK"}}
		}
	case "DELETE":
		out["204"] = map[string]any{"description": "Deleted"}
	default:
		out["200"] = map[string]any{"description": "OK"}
	}
	if !rt.public {
		out["401"], out["403"] = errRef, errRef
	}
	if strings.Contains(rt.pattern, "{") {
		out["404"] = errRef
	}
	if rt.method == "POST" || rt.method == "PUT" {
		out["400"], out["413"], out["415"], out["422"] = errRef, errRef, errRef, errRef
	}
	return out
}

// schemas are the components: the error shape and the workflow model,
// whose conditions, actions and trigger parameters are oneOf schemas
// discriminated by type, one per registered type, drawn from its spec.
func schemas() map[string]any {
	out := map[string]any{
		"Error": map[string]any{"type": "object", "required": []string{"message"}, "properties": map[string]any{
			"message": map[string]any{"type": "string"},
			"errors":  map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}},
		}},
	}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	oneOf := func(kind string, variants map[string]map[string]any) map[string]any {
		var refs []any
		mapping := map[string]any{}
		for _, t := range slices.Sorted(maps.Keys(variants)) {
			name := kind + "_" + t
			out[name] = variants[t]
			refs = append(refs, ref(name))
			mapping[t] = "#/components/schemas/" + name
		}
		return map[string]any{"oneOf": refs, "discriminator": map[string]any{"propertyName": "type", "mapping": mapping}}
	}
	step := func(typ, description string, params map[string]any, extra map[string]any) map[string]any {
		props := map[string]any{"type": map[string]any{"const": typ, "description": description}, "parameters": params}
		for k, v := range extra {
			props[k] = v
		}
		required := []string{"type"}
		if r, ok := params["required"]; ok && len(r.([]string)) > 0 {
			required = append(required, "parameters")
		}
		return map[string]any{"type": "object", "required": required, "properties": props, "additionalProperties": false}
	}

	conditions := map[string]map[string]any{}
	for _, t := range condition.Types() {
		d, _ := condition.Lookup(t)
		conditions[t] = step(t, d.Meaning, spec.ObjectSchema(d.Params), nil)
	}
	out["Condition"] = oneOf("Condition", conditions)
	actions := map[string]map[string]any{}
	label := map[string]any{"label": map[string]any{"type": []any{"string", "null"}, "maxLength": workflow.MaxLabelLength, "description": "What the step does, e.g. \"Assign to Billing Team\"."}}
	for _, t := range action.Types() {
		d, _ := action.Lookup(t)
		actions[t] = step(t, d.Description, spec.ObjectSchema(append(slices.Clone(action.CommonParams), d.Params...)), label)
	}
	out["Action"] = oneOf("Action", actions)

	// trigger_parameters depend on the sibling trigger_type: one if/then
	// per trigger type.
	var byTrigger []any
	for _, t := range workflow.Triggers() {
		name := "TriggerParameters_" + t.Type
		out[name] = spec.ObjectSchema(t.Params)
		byTrigger = append(byTrigger, map[string]any{
			"if":   map[string]any{"required": []string{"trigger_type"}, "properties": map[string]any{"trigger_type": map[string]any{"const": t.Type}}},
			"then": map[string]any{"properties": map[string]any{"trigger_parameters": map[string]any{"anyOf": []any{ref(name), map[string]any{"type": "null"}}}}},
		})
	}
	steps := func(name string) map[string]any {
		return map[string]any{"type": []any{"array", "null"}, "items": ref(name)}
	}
	matchType := map[string]any{"enum": []any{workflow.MatchAll, workflow.MatchAny, nil}, "default": workflow.MatchAll}
	out["Path"] = map[string]any{"type": "object", "required": []string{"name", "actions"}, "properties": map[string]any{
		"name":                 map[string]any{"type": "string", "maxLength": workflow.MaxNameLength},
		"condition_match_type": matchType,
		"conditions":           steps("Condition"),
		"actions":              steps("Action"),
	}}
	out["WorkflowInput"] = map[string]any{"type": "object", "required": []string{"name", "trigger_type"}, "allOf": byTrigger, "properties": map[string]any{
		"name":                 map[string]any{"type": "string", "maxLength": workflow.MaxNameLength},
		"description":          map[string]any{"type": []any{"string", "null"}, "maxLength": workflow.MaxDescriptionLength},
		"trigger_type":         map[string]any{"enum": workflow.TriggerTypes},
		"trigger_parameters":   map[string]any{"type": []any{"object", "null"}, "description": "The trigger type's parameters (TriggerParameters_<trigger_type>)."},
		"condition_match_type": matchType,
		"is_enabled":           map[string]any{"type": []any{"boolean", "null"}, "default": true},
		"position":             map[string]any{"type": []any{"integer", "null"}, "minimum": 0, "description": "Run order among workflows of one trigger: position, then creation time."},
		"conditions":           steps("Condition"),
		"actions":              steps("Action"),
		"paths":                map[string]any{"type": []any{"array", "null"}, "items": ref("Path"), "maxItems": workflow.MaxPaths},
	}}
	return out
}

var (
	specsOnce sync.Once
	specsDoc  reference.Document
)

// specs serves the reference of the workflow model, from which forms and
// docs are drawn.
func (s *Server) specs(w http.ResponseWriter, _ *http.Request, _ principal) error {
	specsOnce.Do(func() { specsDoc = reference.Build() })
	return ok(w, specsDoc)
}
