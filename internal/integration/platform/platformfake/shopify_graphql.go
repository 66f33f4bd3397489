package platformfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
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

// graphql answers POST /admin/api/2026-10/graphql.json as Shopify does: a
// document that does not validate against the schema, variables that do
// not fit their types (input objects included), or a field whose
// description requires @idempotent used without it, is a 200 with
// "errors"; otherwise the store's state answers the fields it keeps
// (resolve), a value of its type answers every other field, and the
// answer carries the query's cost.
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
	graphqlErrors := func(code string, messages ...string) {
		var list []any
		for _, m := range messages {
			list = append(list, map[string]any{"message": m, "extensions": map[string]any{"code": code}})
		}
		writeJSON(w, 200, map[string]any{"errors": list})
	}
	doc, errs := gqlparser.LoadQueryWithRules(schema, req.Query, rules.NewDefaultRules())
	if len(errs) > 0 {
		var messages []string
		for _, e := range errs {
			messages = append(messages, e.Message)
		}
		graphqlErrors("GRAPHQL_VALIDATION_FAILED", messages...)
		return
	}
	op := doc.Operations[0]
	vars, err := validator.VariableValues(schema, op, req.Variables)
	if err != nil {
		graphqlErrors("INVALID_VARIABLE", err.Error())
		return
	}
	data := map[string]any{}
	for _, sel := range op.SelectionSet {
		root, ok := sel.(*ast.Field)
		if !ok {
			continue
		}
		key := ""
		if d := root.Directives.ForName("idempotent"); d != nil {
			key = str(d.ArgumentMap(vars)["key"])
		}
		if strings.Contains(root.Definition.Description, "idempotency key is required") && strings.TrimSpace(key) == "" {
			graphqlErrors("BAD_REQUEST", "The @idempotent directive with a key is required for the "+root.Name+" mutation.")
			return
		}
		value, known := f.resolve(root.Name, root.ArgumentMap(vars), key)
		if known {
			data[root.Alias] = answer(schema, root, root.Definition.Type, value, true, vars)
		} else {
			data[root.Alias] = answer(schema, root, root.Definition.Type, nil, false, vars)
		}
	}
	writeJSON(w, 200, map[string]any{
		"data": data,
		"extensions": map[string]any{"cost": map[string]any{"requestedQueryCost": 12, "actualQueryCost": 10,
			"throttleStatus": map[string]any{"maximumAvailable": 2000.0, "currentlyAvailable": 1990, "restoreRate": 100.0}}},
	})
}

// answer is a field's value: from the store's state when it has one
// (known; a func computes it from the field's arguments), else a value
// of the field's type.
func answer(schema *ast.Schema, field *ast.Field, t *ast.Type, state any, known bool, vars map[string]any) any {
	if compute, ok := state.(func(map[string]any) any); ok {
		state = compute(field.ArgumentMap(vars))
	}
	if known && state == nil {
		return nil
	}
	if t.Elem != nil {
		if list, ok := state.([]any); known && ok {
			out := make([]any, len(list))
			for i, e := range list {
				out[i] = answer(schema, field, t.Elem, e, true, vars)
			}
			return out
		}
		if strings.HasSuffix(strings.ToLower(field.Name), "usererrors") {
			return []any{}
		}
		return []any{answer(schema, field, t.Elem, nil, false, vars)}
	}
	def := schema.Types[t.NamedType]
	switch def.Kind {
	case ast.Object, ast.Interface:
		obj, _ := state.(map[string]any)
		out := map[string]any{}
		for _, sel := range field.SelectionSet {
			if sub, ok := sel.(*ast.Field); ok {
				v, has := obj[sub.Name]
				out[sub.Alias] = answer(schema, sub, sub.Definition.Type, v, has, vars)
			}
		}
		return out
	}
	if known {
		return state
	}
	if def.Kind == ast.Enum {
		return def.EnumValues[0].Name
	}
	if t.NamedType == "ID" {
		return "gid://shopify/" + strings.TrimSuffix(field.ObjectDefinition.Name, "Payload") + "/1001"
	}
	if v, ok := scalarValue(t.NamedType); ok {
		return v
	}
	return "example " + field.Name
}

// ShopifyVariableExample is a value the Admin schema accepts for a
// document's variable, or for the input-object field a dotted path names
// in it (input.note): scalars of their type, the first value of an enum,
// and input objects with their required fields.
func ShopifyVariableExample(document, path string) (any, error) {
	schema, err := shopifySchema()
	if err != nil {
		return nil, err
	}
	doc, errs := gqlparser.LoadQueryWithRules(schema, document, rules.NewDefaultRules())
	if len(errs) > 0 {
		return nil, errs
	}
	name, rest, _ := strings.Cut(path, ".")
	v := doc.Operations[0].VariableDefinitions.ForName(name)
	if v == nil {
		return nil, fmt.Errorf("the document has no $%s", name)
	}
	t := v.Type
	if rest != "" {
		for _, step := range strings.Split(rest, ".") {
			def := schema.Types[t.NamedType]
			if def == nil || def.Fields.ForName(step) == nil {
				return nil, fmt.Errorf("%s has no field %s", t.NamedType, step)
			}
			t = def.Fields.ForName(step).Type
		}
	}
	return inputExample(schema, t, map[string]bool{}), nil
}

func inputExample(schema *ast.Schema, t *ast.Type, seen map[string]bool) any {
	if t.Elem != nil {
		return []any{inputExample(schema, t.Elem, seen)}
	}
	def := schema.Types[t.NamedType]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		out := map[string]any{}
		if seen[def.Name] {
			return out
		}
		seen[def.Name] = true
		defer delete(seen, def.Name)
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				out[f.Name] = inputExample(schema, f.Type, seen)
			}
		}
		if len(out) == 0 && len(def.Fields) > 0 {
			f := def.Fields[0]
			out[f.Name] = inputExample(schema, f.Type, seen)
		}
		return out
	}
	if t.NamedType == "ID" {
		return "gid://shopify/Node/1"
	}
	if v, ok := scalarValue(t.NamedType); ok {
		return v
	}
	return "example"
}

// scalarValue is a value of one of the Admin schema's scalar types that
// has a format; ok is false for String and the other free texts.
func scalarValue(name string) (any, bool) {
	switch name {
	case "Int":
		return 1, true
	case "UnsignedInt64":
		return "1", true
	case "Float":
		return 1.5, true
	case "Boolean":
		return true, true
	case "DateTime":
		return "2026-12-04T10:00:00Z", true
	case "Date":
		return "2026-12-04", true
	case "Decimal", "Money":
		return "10.00", true
	case "URL":
		return "https://jsmith.myshopify.com/example", true
	case "JSON":
		return map[string]any{}, true
	}
	return nil, false
}
