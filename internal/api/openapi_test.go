package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/deskflow/deskflow/internal/api"
)

// servedDescription is the OpenAPI description a server of the default
// configuration serves.
func servedDescription(t *testing.T) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	api.New(api.Config{Logger: slog.New(slog.DiscardHandler)}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/openapi.json: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// noBody are the POST and PUT operations that read no request body.
var noBody = []string{"testConnector", "restoreWorkflowVersion", "replayRun"}

// TestOpenAPIDescription: the description is a valid OpenAPI 3.1 document
// (kin-openapi's validator, schemas as JSON Schema 2020-12), and complete:
// every operation has an operationId, a summary and a tag; every POST and
// PUT (but those of noBody) a request body schema with properties; every
// success answer a schema, but a 204's, which has no body; every
// authenticated operation the X-Workspace-Id parameter; and exactly the
// paged lists (answers with meta) take page and per_page.
func TestOpenAPIDescription(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(servedDescription(t))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if len(doc.Servers) == 0 || doc.Components.SecuritySchemes["bearer"] == nil {
		t.Errorf("servers %v, security schemes %v", doc.Servers, doc.Components.SecuritySchemes)
	}

	var operations, withBody, withAnswer int
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			operations++
			name := method + " " + path
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("%s: operationId %q, summary %q, tags %v", name, op.OperationID, op.Summary, op.Tags)
			}
			if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s and %s are both %s", name, other, op.OperationID)
			}
			ids[op.OperationID] = name

			if method == http.MethodPost || method == http.MethodPut {
				switch body := op.RequestBody; {
				case slices.Contains(noBody, op.OperationID):
					if body != nil {
						t.Errorf("%s (%s) has a request body; take it out of noBody", name, op.OperationID)
					}
				case body == nil:
					t.Errorf("%s (%s): no request body", name, op.OperationID)
				default:
					if s := schemaOf(body.Value.Content); s == nil || len(s.Properties) == 0 {
						t.Errorf("%s (%s): the request body has no schema with properties", name, op.OperationID)
					} else {
						withBody++
					}
				}
			}

			var successes []int
			for code := range op.Responses.Map() {
				if status, err := strconv.Atoi(code); err == nil && status >= 200 && status < 300 {
					successes = append(successes, status)
				}
			}
			if len(successes) != 1 {
				t.Errorf("%s (%s): success statuses %v, want one", name, op.OperationID, successes)
				continue
			}
			answer := op.Responses.Status(successes[0]).Value
			paged := false
			if successes[0] == http.StatusNoContent {
				if len(answer.Content) > 0 {
					t.Errorf("%s (%s): a 204 with content", name, op.OperationID)
				}
			} else if s := schemaOf(answer.Content); s == nil || s.Type == nil && s.Properties == nil {
				t.Errorf("%s (%s): the %d answer has no schema", name, op.OperationID, successes[0])
			} else {
				withAnswer++
				paged = s.Properties["meta"] != nil
			}

			params := map[string]bool{}
			for _, p := range op.Parameters {
				params[p.Value.In+" "+p.Value.Name] = true
			}
			public := op.Security != nil && len(*op.Security) == 0
			if !public && !params["header X-Workspace-Id"] {
				t.Errorf("%s (%s): no X-Workspace-Id parameter", name, op.OperationID)
			}
			if params["query page"] != paged || params["query per_page"] != paged {
				t.Errorf("%s (%s): page and per_page parameters %v, %v; a paged list: %v", name, op.OperationID, params["query page"], params["query per_page"], paged)
			}
		}
	}
	t.Logf("%d operations: %d with a request body schema, %d with a success answer schema (the others answer 204)", operations, withBody, withAnswer)
}

// schemaOf is the schema of content's one media type.
func schemaOf(content openapi3.Content) *openapi3.Schema {
	if len(content) != 1 {
		return nil
	}
	for _, mt := range content {
		if mt.Schema != nil {
			return mt.Schema.Value
		}
	}
	return nil
}
