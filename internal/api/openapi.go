package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/deskflow/deskflow/internal/reference"
	"github.com/deskflow/deskflow/internal/validate"
)

// openAPIDoc is the server's OpenAPI description, built once: it states
// the server's configured limits.
type openAPIDoc struct {
	once sync.Once
	doc  document
	err  error
}

// document is an OpenAPI document as JSON values.
type document map[string]any

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request, _ principal) error {
	s.openAPIDoc.once.Do(func() { s.openAPIDoc.doc, s.openAPIDoc.err = s.buildOpenAPI() })
	if s.openAPIDoc.err != nil {
		return s.openAPIDoc.err
	}
	writeJSON(w, http.StatusOK, s.openAPIDoc.doc)
	return nil
}

// Description is the OpenAPI description that a server of the default
// configuration serves, indented: what clients are generated from.
func Description() ([]byte, error) {
	doc, err := New(Config{}).buildOpenAPI()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode the description: %w", err)
	}
	return out.Bytes(), nil
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// buildOpenAPI describes every route of the table: its request body and
// answer from the Go types the route names (reflected, openapi_schema.go),
// the workflow model and the exact meaning of each trigger, condition and
// action type from their registries (openapi_workflow.go), so the
// description cannot drift from the code.
func (s *Server) buildOpenAPI() (document, error) {
	b := newSchemaBuilder()
	paths := map[string]any{}
	var tags []any
	for _, rt := range s.routes {
		op, err := b.operation(rt)
		if err != nil {
			return nil, fmt.Errorf("describe %s %s: %w", rt.method, rt.pattern, err)
		}
		item, _ := paths[rt.pattern].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.pattern] = item
		}
		item[strings.ToLower(rt.method)] = op
		if tag := map[string]any{"name": rt.tag}; !slices.ContainsFunc(tags, func(t any) bool { return t.(map[string]any)["name"] == rt.tag }) {
			tags = append(tags, tag)
		}
	}
	schemas, err := b.components()
	if err != nil {
		return nil, fmt.Errorf("describe the components: %w", err)
	}
	return document{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "deskflow API",
			"version": "1.0.0",
			"description": "Helpdesk workflow automation. Every call under /api but this description's needs `Authorization: Bearer <token>` and `X-Workspace-Id: <integer>`. " +
				"Single objects come as {\"data\": {...}}, lists as {\"data\": [...]}, paged lists with {\"meta\": {...}} besides. " +
				"Validation errors are 422 {\"message\", \"errors\": {\"field.path\": [\"...\"]}}: at most " + strconv.Itoa(validate.MaxErrors) + " are listed, and the message counts the others; a list longer than its maximum is one error naming the maximum. " +
				"Text is stored without NUL (U+0000) characters, which are removed. Request bodies are at most " + strconv.Itoa(MaxBodyBytes) + " bytes.",
		},
		"servers": []any{map[string]any{"url": "/", "description": "The server that serves this description"}},
		"tags":    tags,
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "An API token (dfk_…)."}},
			"parameters": map[string]any{
				"WorkspaceId": map[string]any{"name": "X-Workspace-Id", "in": "header", "required": true, "description": "The workspace to act in; the token's user must be a member.",
					"schema": map[string]any{"type": "integer", "format": "int64", "minimum": 1}},
			},
			"responses": standardResponses(),
			"schemas":   schemas,
		},
		"security": []any{map[string]any{"bearer": []string{}}},
	}, nil
}

// operation describes one route.
func (b *schemaBuilder) operation(rt route) (map[string]any, error) {
	op := map[string]any{"operationId": rt.id, "summary": rt.summary, "tags": []string{rt.tag}}
	if rt.description != "" {
		op["description"] = rt.description
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.pattern, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "description": "The " + m[1] + "'s id.", "schema": map[string]any{"type": "string"}})
	}
	if rt.public {
		op["security"] = []any{}
	} else {
		params = append(params, map[string]any{"$ref": "#/components/parameters/WorkspaceId"})
	}
	if rt.paged {
		params = append(params,
			map[string]any{"name": "page", "in": "query", "description": "The page, from 1.", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1}},
			map[string]any{"name": "per_page", "in": "query", "description": "Items per page.", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": maxPerPage, "default": defaultPerPage}})
	}
	for _, q := range rt.query {
		schema := map[string]any{"type": "string"}
		if q.values != nil {
			schema["enum"] = q.values
		}
		params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.description, "schema": schema})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.in != nil {
		schema, err := b.schemaOf(rt.in)
		if err != nil {
			return nil, err
		}
		if rt.partial {
			schema = b.partial(rt.in)
		}
		op["requestBody"] = map[string]any{"required": !rt.optionalBody, "content": jsonContent(schema)}
	}
	responses, err := b.responses(rt)
	if err != nil {
		return nil, err
	}
	op["responses"] = responses
	return op, nil
}

// responses describes a route's answers: its success, and each error it
// can answer.
func (b *schemaBuilder) responses(rt route) (map[string]any, error) {
	out := map[string]any{}
	if rt.out == nil {
		out[strconv.Itoa(http.StatusNoContent)] = map[string]any{"description": "Done; no content."}
	} else {
		data, err := b.schemaOf(rt.out)
		if err != nil {
			return nil, err
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		if !rt.unwrapped {
			data = envelope(data, rt.paged)
		}
		out[strconv.Itoa(status)] = map[string]any{"description": http.StatusText(status), "content": rt.content(data)}
		for status, when := range rt.outAlso {
			out[strconv.Itoa(status)] = map[string]any{"description": when, "content": rt.content(data)}
		}
	}
	standard := func(status int) { out[strconv.Itoa(status)] = refTo("responses", standardNames[status]) }
	if !rt.public {
		standard(http.StatusUnauthorized)
		standard(http.StatusForbidden)
		standard(http.StatusTooManyRequests)
	}
	if strings.Contains(rt.pattern, "{") {
		standard(http.StatusNotFound)
	}
	if rt.in != nil {
		standard(http.StatusBadRequest)
		standard(http.StatusRequestEntityTooLarge)
		standard(http.StatusUnsupportedMediaType)
		standard(http.StatusUnprocessableEntity)
	}
	if rt.paged || len(rt.query) > 0 {
		standard(http.StatusUnprocessableEntity)
	}
	for status, when := range rt.errors {
		schema := refTo("schemas", "Error")
		switch {
		case rt.contentType != "":
			schema = map[string]any{"type": "string"}
		case status == http.StatusUnprocessableEntity:
			schema = refTo("schemas", "ValidationError")
		}
		out[strconv.Itoa(status)] = map[string]any{"description": when, "content": rt.content(schema)}
	}
	return out, nil
}

// content is the content of the route's answers of schema: JSON unless
// the route says otherwise.
func (rt route) content(schema map[string]any) map[string]any {
	if rt.contentType != "" {
		return map[string]any{rt.contentType: map[string]any{"schema": schema}}
	}
	return jsonContent(schema)
}

// standardNames are the components.responses of the errors many routes
// can answer.
var standardNames = map[int]string{
	http.StatusBadRequest:            "BadRequest",
	http.StatusUnauthorized:          "Unauthorized",
	http.StatusForbidden:             "Forbidden",
	http.StatusNotFound:              "NotFound",
	http.StatusRequestEntityTooLarge: "TooLarge",
	http.StatusUnsupportedMediaType:  "UnsupportedMediaType",
	http.StatusUnprocessableEntity:   "ValidationFailed",
	http.StatusTooManyRequests:       "TooManyRequests",
}

func standardResponses() map[string]any {
	errorResponse := func(description string) map[string]any {
		return map[string]any{"description": description, "content": jsonContent(refTo("schemas", "Error"))}
	}
	tooMany := errorResponse("Rate-limited: the token made more requests than its limit; retry after Retry-After seconds.")
	tooMany["headers"] = map[string]any{"Retry-After": map[string]any{"required": true, "description": "Seconds to wait before retrying.", "schema": map[string]any{"type": "integer", "minimum": 1}}}
	return map[string]any{
		"BadRequest":           errorResponse("The body is not a JSON object, or could not be read."),
		"Unauthorized":         errorResponse("No token, or not a valid one."),
		"Forbidden":            errorResponse("No X-Workspace-Id of a workspace the token's user belongs to, or the route needs the admin role."),
		"NotFound":             errorResponse("No such object in this workspace."),
		"TooLarge":             errorResponse("The body is larger than " + strconv.Itoa(MaxBodyBytes) + " bytes."),
		"UnsupportedMediaType": errorResponse("The body is not declared JSON (Content-Type: application/json)."),
		"ValidationFailed":     map[string]any{"description": "Invalid values: every error by its field's path.", "content": jsonContent(refTo("schemas", "ValidationError"))},
		"TooManyRequests":      tooMany,
	}
}

// envelope is the answer around data: {"data": …}, with "meta" for a page
// of a list.
func envelope(data map[string]any, paged bool) map[string]any {
	props := map[string]any{"data": data}
	required := []string{"data"}
	if paged {
		props["meta"] = refTo("schemas", "PageMeta")
		required = append(required, "meta")
	}
	return map[string]any{"type": "object", "required": required, "properties": props, "additionalProperties": false}
}

func jsonContent(schema map[string]any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

func refTo(kind, name string) map[string]any {
	return map[string]any{"$ref": "#/components/" + kind + "/" + name}
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
