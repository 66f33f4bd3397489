package platform

import (
	"fmt"
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
// its documents validate; every parameter fills a variable of its
// document (or of the handler's prepare query), or a field of an input
// object variable, of a compatible type; every variable the document
// requires is given by a required parameter, a parameter with a default,
// or the step's idempotency key (the prepare query's are the handler's to
// give); and a field whose description requires the @idempotent directive
// carries it.
func checkGraphQLAction(schema *ast.Schema, a *Action) []string {
	var problems []string
	vars := map[string]*ast.VariableDefinition{}
	given := map[string]bool{}
	for i, document := range []string{a.GraphQL.Document, a.GraphQL.Prepare} {
		if document == "" {
			continue
		}
		doc, errs := gqlparser.LoadQueryWithRules(schema, document, rules.NewDefaultRules())
		if len(errs) > 0 {
			return []string{errs.Error()}
		}
		op := doc.Operations[0]
		for _, v := range op.VariableDefinitions {
			if _, seen := vars[v.Variable]; !seen {
				vars[v.Variable] = v
				given[v.Variable] = i == 1
			}
		}
		if i == 0 {
			problems = append(problems, idempotencyProblems(op)...)
			if isList, found := resultIsList(op.SelectionSet, a.GraphQL.Result); !found {
				problems = append(problems, "the result "+a.GraphQL.Result+" is not selected")
			} else if isList != a.Response.List {
				problems = append(problems, fmt.Sprintf("the result %s is a list: %v; the catalog says %v", a.GraphQL.Result, isList, a.Response.List))
			}
		}
	}
	if k := a.GraphQL.KeyVariable; k != "" {
		given[k] = true
	}
	for _, p := range a.Params {
		name, path, _ := strings.Cut(p.field(), ".")
		v, ok := vars[name]
		if !ok {
			problems = append(problems, "parameter "+p.Name+": the document has no $"+name)
			continue
		}
		t := v.Type
		if path != "" {
			var err string
			if t, err = inputFieldType(schema, t, path); err != "" {
				problems = append(problems, "parameter "+p.Name+": $"+p.field()+": "+err)
				continue
			}
		}
		if want := paramTypeOf(schema, t); want != p.Type {
			problems = append(problems, "parameter "+p.Name+": type "+p.Type+", $"+p.field()+" is "+t.String()+" ("+want+")")
		}
		if t.NonNull && !p.Required && p.Default == nil {
			problems = append(problems, "parameter "+p.Name+" must be required or have a default: $"+p.field()+" is "+t.String())
		}
		if p.Required || p.Default != nil {
			given[name] = true
		}
	}
	for name, v := range vars {
		if v.Type.NonNull && v.DefaultValue == nil && !given[name] {
			problems = append(problems, "variable $"+name+" is required and no parameter gives it")
		}
	}
	return problems
}

// resultIsList follows the result path through the selection and says
// whether its last field is a list.
func resultIsList(set ast.SelectionSet, path string) (isList, found bool) {
	var f *ast.Field
	for _, name := range strings.Split(path, ".") {
		f = nil
		for _, sel := range set {
			if field, ok := sel.(*ast.Field); ok && field.Alias == name {
				f = field
			}
		}
		if f == nil {
			return false, false
		}
		set = f.SelectionSet
	}
	return f.Definition.Type.Elem != nil, true
}

// inputFieldType follows a dotted path through input objects.
func inputFieldType(schema *ast.Schema, t *ast.Type, path string) (*ast.Type, string) {
	for _, name := range strings.Split(path, ".") {
		def := schema.Types[t.NamedType]
		if t.Elem != nil || def == nil || def.Kind != ast.InputObject {
			return nil, t.String() + " is not an input object"
		}
		f := def.Fields.ForName(name)
		if f == nil {
			return nil, t.NamedType + " has no field " + name
		}
		t = f.Type
	}
	return t, ""
}

// idempotencyProblems lists the root fields whose description says the
// @idempotent directive is required and that do not carry it.
func idempotencyProblems(op *ast.OperationDefinition) []string {
	var problems []string
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if ok && strings.Contains(f.Definition.Description, "idempotency key is required") && f.Directives.ForName("idempotent") == nil {
			problems = append(problems, f.Name+" requires @idempotent(key:) (\""+f.Definition.Description+"\")")
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

// TestShopifyGraphQLAgainstOfficialSchema checks every action of the
// Shopify catalog, all of them GraphQL operations, and the connector test
// query, against Shopify's Admin GraphQL schema (2026-10).
func TestShopifyGraphQLAgainstOfficialSchema(t *testing.T) {
	schema := loadShopifySchema(t)
	p, _ := Lookup("shopify")
	for _, a := range p.Actions {
		if a.GraphQL == nil {
			t.Errorf("shopify.%s is not a GraphQL operation", a.ID)
			continue
		}
		for _, problem := range checkGraphQLAction(schema, a) {
			t.Errorf("shopify.%s: %s", a.ID, problem)
		}
	}
	if _, errs := gqlparser.LoadQueryWithRules(schema, p.Test.GraphQL, rules.NewDefaultRules()); len(errs) > 0 {
		t.Errorf("the connector test query: %v", errs)
	}
}

// Every action of every platform is checked against an official
// description: Shopify's against its GraphQL schema, the others' against
// their OpenAPI descriptions.
func TestEveryActionHasAnOfficialDescription(t *testing.T) {
	for _, id := range IDs() {
		if _, described := officialSpecs[id]; !described && id != "shopify" {
			t.Errorf("platform %s has no official description to check its actions against", id)
		}
	}
}

// The check catches a document that drifts from the schema: a field that
// does not exist, a variable of the wrong type, a parameter renamed, a
// parameter filling an input object's field that does not exist, a
// required variable left without a default, and a mutation that Shopify
// requires an idempotency key for sent without @idempotent.
func TestShopifyGraphQLCheckCatchesDrift(t *testing.T) {
	schema := loadShopifySchema(t)
	p, _ := Lookup("shopify")
	for name, c := range map[string]struct {
		action string
		mutate func(a *Action)
	}{
		"field": {"cancel_order", func(a *Action) { a.GraphQL.Document = strings.Replace(a.GraphQL.Document, "message", "messag", 1) }},
		"type": {"cancel_order", func(a *Action) {
			a.GraphQL.Document = strings.Replace(a.GraphQL.Document, "$orderId: ID!", "$orderId: Int!", 1)
		}},
		"parameter":   {"cancel_order", func(a *Action) { a.Params[0].Name, a.Params[0].Field = "order", "order" }},
		"input field": {"update_order_note", func(a *Action) { a.Params[1].Field = "input.notes" }},
		"no default":  {"cancel_order", func(a *Action) { a.Params[1].Default = nil }},
		"idempotent": {"refund_order", func(a *Action) {
			a.GraphQL.Document = strings.Replace(a.GraphQL.Document, " @idempotent(key: $idempotencyKey)", "", 1)
		}},
		"prepare type": {"refund_order", func(a *Action) { a.Params[3].Type = "string" }},
		"output shape": {"list_order_refunds", func(a *Action) { a.Response.List = false }},
	} {
		a, ok := p.Action(c.action)
		if !ok {
			t.Fatalf("no action %s", c.action)
		}
		if problems := checkGraphQLAction(schema, a); len(problems) > 0 {
			t.Fatalf("%s as the catalog has it: %v", c.action, problems)
		}
		copied := *a
		g := *a.GraphQL
		copied.GraphQL = &g
		copied.Params = append([]Param(nil), a.Params...)
		c.mutate(&copied)
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
	_, err := execute(t, testEnv(f.Server, &sleeper{}), shopifyConn(f), "cancel_order", map[string]any{"orderId": "1", "reason": "CUSTOMER", "restock": true, "notifyCustomer": false}, "k1")
	if !IsError(err) || !strings.Contains(err.Error(), "orderId: Order has already been cancelled") {
		t.Errorf("userErrors: %v", err)
	}
	sl := &sleeper{}
	f.Queue(platformfake.Canned{Status: 200, Body: `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":502,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":2,"restoreRate":100}}}}`})
	res, err := execute(t, testEnv(f.Server, sl), shopifyConn(f), "get_order", map[string]any{"orderId": platformfake.ShopifyOrderID}, "k2")
	if err != nil || res.Data.(map[string]any)["id"] == nil {
		t.Fatalf("after throttling: %v %v", res, err)
	}
	if waits := sl.got(); len(waits) != 1 || waits[0] != 5*time.Second {
		t.Errorf("waited %v, want 5s ((502-2)/100)", waits)
	}
}
