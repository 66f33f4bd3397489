package platform

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
)

func loadShopifySchema(t *testing.T) *ast.Schema {
	t.Helper()
	sdl, err := os.ReadFile("officialspec/shopify.graphql")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "shopify.graphql", Input: string(sdl)})
	if err != nil {
		t.Fatalf("load the Admin schema: %v", err)
	}
	return schema
}

// checkGraphQLAction checks a GraphQL action against the official schema:
// its document validates, every parameter is a variable of a compatible
// type, and every variable the document requires is a required parameter.
func checkGraphQLAction(schema *ast.Schema, a *Action) []string {
	doc, errs := gqlparser.LoadQueryWithRules(schema, a.GraphQL.Document, rules.NewDefaultRules())
	if len(errs) > 0 {
		return []string{errs.Error()}
	}
	var problems []string
	vars := map[string]*ast.VariableDefinition{}
	for _, v := range doc.Operations[0].VariableDefinitions {
		vars[v.Variable] = v
	}
	for _, p := range a.Params {
		v, ok := vars[p.field()]
		if !ok {
			problems = append(problems, "parameter "+p.Name+": the document has no $"+p.field())
			continue
		}
		if want := paramTypeOf(schema, v.Type); want != p.Type {
			problems = append(problems, "parameter "+p.Name+": type "+p.Type+", the variable is "+v.Type.String()+" ("+want+")")
		}
		delete(vars, p.field())
	}
	for name, v := range vars {
		if v.Type.NonNull && v.DefaultValue == nil {
			problems = append(problems, "variable $"+name+" is required and no parameter gives it")
		}
	}
	for _, p := range a.Params {
		if v, ok := doc.Operations[0].VariableDefinitions.ForName(p.field()), true; ok && v != nil && v.Type.NonNull && !p.Required {
			problems = append(problems, "parameter "+p.Name+" must be required: $"+p.field()+" is "+v.Type.String())
		}
	}
	return problems
}

// paramTypeOf is the catalog parameter type a GraphQL variable type takes.
func paramTypeOf(schema *ast.Schema, t *ast.Type) string {
	if t.Elem != nil {
		return "array"
	}
	switch def := schema.Types[t.NamedType]; {
	case def == nil:
		return "unknown"
	case def.Kind == ast.InputObject:
		return "object"
	case t.NamedType == "Int":
		return "integer"
	case t.NamedType == "Float":
		return "number"
	case t.NamedType == "Boolean":
		return "boolean"
	}
	return "string"
}

// TestShopifyGraphQLAgainstOfficialSchema checks every GraphQL action of
// the Shopify catalog against Shopify's Admin GraphQL schema (2026-10).
func TestShopifyGraphQLAgainstOfficialSchema(t *testing.T) {
	schema := loadShopifySchema(t)
	p, _ := Lookup("shopify")
	n := 0
	for _, a := range p.Actions {
		if a.GraphQL == nil {
			continue
		}
		n++
		for _, problem := range checkGraphQLAction(schema, a) {
			t.Errorf("shopify.%s: %s", a.ID, problem)
		}
	}
	if n < 68 {
		t.Errorf("%d GraphQL actions", n)
	}
}

// The check catches a document that drifts from the schema: a field that
// does not exist, a variable of the wrong type, a parameter renamed.
func TestShopifyGraphQLCheckCatchesDrift(t *testing.T) {
	schema := loadShopifySchema(t)
	p, _ := Lookup("shopify")
	a, _ := p.Action("gql_order_cancel")
	for name, mutate := range map[string]func(a *Action){
		"field": func(a *Action) { a.GraphQL.Document = strings.Replace(a.GraphQL.Document, "message", "messag", 1) },
		"type": func(a *Action) {
			a.GraphQL.Document = strings.Replace(a.GraphQL.Document, "$orderId: ID!", "$orderId: Int!", 1)
		},
		"parameter": func(a *Action) { a.Params[0].Name, a.Params[0].Field = "order", "order" },
	} {
		copied := *a
		copied.GraphQL = &GraphQL{Document: a.GraphQL.Document, Result: a.GraphQL.Result}
		copied.Params = append([]Param(nil), a.Params...)
		mutate(&copied)
		if problems := checkGraphQLAction(schema, &copied); len(problems) == 0 {
			t.Errorf("%s drift not caught", name)
		}
	}
}

// A mutation's userErrors fail the action with their messages; a THROTTLED
// answer is retried after the time the query's cost needs.
func TestShopifyGraphQLErrors(t *testing.T) {
	f := platformfake.NewShopify(t)
	f.Queue(platformfake.Canned{Status: 200, Body: `{"data":{"orderCancel":{"job":null,"orderCancelUserErrors":[{"field":["orderId"],"message":"Order has already been cancelled"}]}}}`})
	_, err := execute(t, testEnv(f.Server, &sleeper{}), shopifyConn(f), "gql_order_cancel", map[string]any{"orderId": "gid://shopify/Order/1", "reason": "CUSTOMER", "restock": true, "notifyCustomer": false}, "k1")
	if !IsError(err) || !strings.Contains(err.Error(), "orderId: Order has already been cancelled") {
		t.Errorf("userErrors: %v", err)
	}
	sl := &sleeper{}
	f.Queue(platformfake.Canned{Status: 200, Body: `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":502,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":2,"restoreRate":100}}}}`})
	res, err := execute(t, testEnv(f.Server, sl), shopifyConn(f), "gql_order", map[string]any{"id": "gid://shopify/Order/1"}, "k2")
	if err != nil || res.Data.(map[string]any)["id"] == nil {
		t.Fatalf("after throttling: %v %v", res, err)
	}
	if waits := sl.got(); len(waits) != 1 || waits[0] != 5*time.Second {
		t.Errorf("waited %v, want 5s ((502-2)/100)", waits)
	}
}
