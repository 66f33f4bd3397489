package platformfake

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// shopifySchema is the trimmed official Admin GraphQL schema (2026-10)
// that the catalog is checked against: the fake validates every document
// with it and answers in its shapes.
var shopifySchema = sync.OnceValues(func() (*ast.Schema, error) {
	_, here, _, _ := runtime.Caller(0)
	sdl, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "officialspec", "shopify.graphql"))
	if err != nil {
		return nil, err
	}
	return gqlparser.LoadSchema(&ast.Source{Name: "shopify.graphql", Input: string(sdl)})
})

// graphql answers POST /admin/api/2026-10/graphql.json as Shopify does:
// a document that does not validate, or lacks a required variable, is a
// 200 with "errors"; a valid one is answered with a value of each field's
// type (userErrors empty) and the query's cost. Input objects' contents
// are not checked.
func (f *Shopify) graphql(w http.ResponseWriter, body []byte) {
	schema, err := shopifySchema()
	if err != nil {
		panic("platformfake: shopify schema: " + err.Error())
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Query == "" {
		writeJSON(w, 400, map[string]any{"errors": map[string]any{"query": "Required parameter missing or invalid"}})
		return
	}
	doc, errs := gqlparser.LoadQueryWithRules(schema, req.Query, rules.NewDefaultRules())
	if len(errs) > 0 {
		var list []any
		for _, e := range errs {
			list = append(list, map[string]any{"message": e.Message, "extensions": map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}})
		}
		writeJSON(w, 200, map[string]any{"errors": list})
		return
	}
	op := doc.Operations[0]
	for _, v := range op.VariableDefinitions {
		if _, given := req.Variables[v.Variable]; v.Type.NonNull && v.DefaultValue == nil && !given {
			writeJSON(w, 200, map[string]any{"errors": []any{map[string]any{"message": "Variable $" + v.Variable + " of type " + v.Type.String() + " was provided invalid value",
				"extensions": map[string]any{"code": "INVALID_VARIABLE"}}}})
			return
		}
	}
	writeJSON(w, 200, map[string]any{
		"data": selectionValue(schema, op.SelectionSet),
		"extensions": map[string]any{"cost": map[string]any{"requestedQueryCost": 12, "actualQueryCost": 10,
			"throttleStatus": map[string]any{"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0}}},
	})
}

func selectionValue(schema *ast.Schema, set ast.SelectionSet) map[string]any {
	out := map[string]any{}
	for _, sel := range set {
		if field, ok := sel.(*ast.Field); ok {
			out[field.Alias] = fieldValue(schema, field, field.Definition.Type)
		}
	}
	return out
}

func fieldValue(schema *ast.Schema, field *ast.Field, t *ast.Type) any {
	if t.Elem != nil {
		if strings.HasSuffix(strings.ToLower(field.Name), "usererrors") {
			return []any{}
		}
		return []any{fieldValue(schema, field, t.Elem)}
	}
	def := schema.Types[t.NamedType]
	switch def.Kind {
	case ast.Object, ast.Interface:
		return selectionValue(schema, field.SelectionSet)
	case ast.Enum:
		return def.EnumValues[0].Name
	}
	switch t.NamedType {
	case "ID":
		return "gid://shopify/" + strings.TrimSuffix(field.ObjectDefinition.Name, "Payload") + "/1001"
	case "Int", "UnsignedInt64":
		return 1
	case "Float":
		return 1.5
	case "Boolean":
		return true
	case "DateTime":
		return "2026-12-04T10:00:00Z"
	case "Date":
		return "2026-12-04"
	case "Decimal", "Money":
		return "10.00"
	case "URL":
		return "https://jsmith.myshopify.com/example"
	}
	return "example " + field.Name
}
