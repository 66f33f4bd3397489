package api

import (
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
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
			"description": "Helpdesk workflow automation. Every call needs `Authorization: Bearer <token>` and `X-Workspace-Id: <integer>`. Single objects come as {\"data\": {...}}, lists as {\"data\": [...], \"meta\": {...}}. Validation errors are 422 {\"message\", \"errors\": {\"field.path\": [\"...\"]}}.",
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

func schemas() map[string]any {
	var conditionTypes []any
	for _, t := range condition.Types() {
		d, _ := condition.Lookup(t)
		conditionTypes = append(conditionTypes, map[string]any{"const": t, "description": d.Meaning})
	}
	var actionTypes []any
	for _, t := range action.Types() {
		d, _ := action.Lookup(t)
		actionTypes = append(actionTypes, map[string]any{"const": t, "description": d.Description})
	}
	steps := func(ref string) map[string]any {
		return map[string]any{"type": "array", "items": map[string]any{"$ref": ref}}
	}
	return map[string]any{
		"Error": map[string]any{"type": "object", "required": []string{"message"}, "properties": map[string]any{
			"message": map[string]any{"type": "string"},
			"errors":  map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}},
		}},
		"Condition": map[string]any{"type": "object", "required": []string{"type"}, "properties": map[string]any{
			"type":       map[string]any{"oneOf": conditionTypes},
			"parameters": map[string]any{"type": "object", "description": "`value` for text, tag, channel and channel-type conditions; none for contact_is_new and is_first_message."},
		}},
		"Action": map[string]any{"type": "object", "required": []string{"type"}, "properties": map[string]any{
			"type":       map[string]any{"oneOf": actionTypes},
			"label":      map[string]any{"type": "string", "description": "What the step does, e.g. \"Assign to Billing Team\"."},
			"parameters": map[string]any{"type": "object", "description": "The type's parameters, plus timeout (ms, default 30000), requireApproval and saveAs. Text parameters are templates: {{ticket.subject}}, {{customer.name}}, {{customFields.order_number}}, {{variables.summary}}."},
		}},
		"Path": map[string]any{"type": "object", "required": []string{"name", "actions"}, "properties": map[string]any{
			"name":                 map[string]any{"type": "string"},
			"condition_match_type": map[string]any{"enum": []string{workflow.MatchAll, workflow.MatchAny}},
			"conditions":           steps("#/components/schemas/Condition"),
			"actions":              steps("#/components/schemas/Action"),
		}},
		"WorkflowInput": map[string]any{"type": "object", "required": []string{"name", "trigger_type"}, "properties": map[string]any{
			"name":                 map[string]any{"type": "string", "maxLength": workflow.MaxNameLength},
			"description":          map[string]any{"type": "string"},
			"trigger_type":         map[string]any{"enum": workflow.TriggerTypes},
			"trigger_parameters":   map[string]any{"type": "object", "description": "on_no_reply: {value, unit: minutes|hours|days (default hours), only_business_hours}, at most 30 days in total. on_tag_added/on_tag_removed: optional {tags: [tag ids]}."},
			"condition_match_type": map[string]any{"enum": []string{workflow.MatchAll, workflow.MatchAny}, "default": workflow.MatchAll},
			"is_enabled":           map[string]any{"type": "boolean", "default": true},
			"position":             map[string]any{"type": "integer", "minimum": 0, "description": "Run order among workflows of one trigger: position, then creation time."},
			"conditions":           steps("#/components/schemas/Condition"),
			"actions":              steps("#/components/schemas/Action"),
			"paths":                steps("#/components/schemas/Path"),
		}},
	}
}
