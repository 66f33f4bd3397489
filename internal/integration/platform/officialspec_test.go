package platform

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// sentAsAuth reports whether a parameter the description requires is the
// credential deskflow sends in the Authorization header instead: Slack's
// token, which every Web API method takes either way.
func sentAsAuth(a *Action, name string) bool {
	return a.platform.Errors == "slack" && name == "token" && a.platform.Auth.Scheme == "bearer"
}

// officialSpecs are the platforms with a vendored official description.
var officialSpecs = map[string]string{
	"stripe": "officialspec/stripe.json",
	"github": "officialspec/github.json",
	"jira":   "officialspec/jira.json",
	"slack":  "officialspec/slack.json",
}

var pathParamRe = regexp.MustCompile(`\{[^}]*\}`)

func loadOfficialSpec(t *testing.T, file string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(file)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return doc
}

// checkAgainstSpec reports how the action departs from the official
// description: a missing operation, an unknown parameter or location, a
// required parameter it does not send.
func checkAgainstSpec(doc *openapi3.T, a *Action, bodyEncoding string) error {
	var op *openapi3.Operation
	var item *openapi3.PathItem
	want := pathParamRe.ReplaceAllString(a.Path, "{}")
	for p, it := range doc.Paths.Map() {
		if pathParamRe.ReplaceAllString(p, "{}") == want {
			item, op = it, it.GetOperation(a.Method)
		}
	}
	if op == nil {
		return fmt.Errorf("no operation %s %s", a.Method, a.Path)
	}
	params := append(openapi3.Parameters{}, item.Parameters...)
	params = append(params, op.Parameters...)
	specParam := func(in, name string) *openapi3.Parameter {
		for _, p := range params {
			if p.Value != nil && p.Value.In == in && p.Value.Name == name {
				return p.Value
			}
		}
		return nil
	}
	var body *openapi3.Schema
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		mt := op.RequestBody.Value.Content.Get(bodyEncoding)
		if mt == nil {
			return fmt.Errorf("%s %s: request body is not %s", a.Method, a.Path, bodyEncoding)
		}
		body = mt.Schema.Value
	}
	pathCount := 0
	sent := map[string]bool{}
	for _, p := range a.Params {
		switch p.In {
		case "path":
			pathCount++
		case "query":
			top := strings.SplitN(p.field(), ".", 2)[0]
			// deepObject parameters (a.b) are declared under their first segment.
			// Stripe declares DELETE parameters as a form body, but its
			// clients send them in the query string, which it accepts.
			if specParam("query", top) == nil && (a.Method != http.MethodDelete || bodyProperty(body, top) == nil) {
				return fmt.Errorf("parameter %s: no query parameter %q", p.Name, top)
			}
			sent["query:"+top] = true
			sent["body:"+top] = true
		case "body":
			if p.field() == "$" { // the parameter is the whole body
				if body == nil {
					return fmt.Errorf("parameter %s: the operation has no body", p.Name)
				}
				if err := compatibleType(p, body, false); err != nil {
					return fmt.Errorf("parameter %s: %w", p.Name, err)
				}
				continue
			}
			top := strings.SplitN(p.field(), ".", 2)[0]
			if bodyProperty(body, top) == nil {
				return fmt.Errorf("parameter %s: no body field %q", p.Name, top)
			}
			if err := compatibleType(p, bodyProperty(body, top), p.field() != top); err != nil {
				return fmt.Errorf("parameter %s: %w", p.Name, err)
			}
			sent["body:"+top] = true
		}
	}
	specPathCount := 0
	for _, p := range params {
		if p.Value != nil && p.Value.In == "path" {
			specPathCount++
		}
	}
	if pathCount != specPathCount {
		return fmt.Errorf("sends %d path parameters, the operation has %d", pathCount, specPathCount)
	}
	for _, p := range params {
		if v := p.Value; v != nil && v.Required && v.In == "query" && !sent["query:"+v.Name] && a.Query[v.Name] == "" && !sentAsAuth(a, v.Name) {
			return fmt.Errorf("required query parameter %q not sent", v.Name)
		}
	}
	if body != nil {
		for _, name := range body.Required {
			if !sent["body:"+name] && a.Body[name] == nil {
				return fmt.Errorf("required body field %q not sent", name)
			}
		}
	}
	return nil
}

// compatibleType checks that the catalog type can be one of the schema's
// types; a nested field (a.b) only needs an object.
func compatibleType(p Param, s *openapi3.Schema, nested bool) error {
	types := schemaTypes(s)
	if len(types) == 0 {
		return nil
	}
	want := p.Type
	if nested {
		want = "object"
	}
	for _, t := range types {
		if t == want || (want == "integer" && t == "number") || (want == "object" && t == "string") {
			return nil
		}
	}
	return fmt.Errorf("type %s, the description says %v", want, types)
}

// bodyProperty finds a field of a body schema, in its properties or in
// one of its alternatives (GitHub's add-labels body is a oneOf).
func bodyProperty(s *openapi3.Schema, name string) *openapi3.Schema {
	if s == nil {
		return nil
	}
	if p := s.Properties[name]; p != nil {
		return p.Value
	}
	for _, alt := range append(append(s.OneOf, s.AnyOf...), s.AllOf...) {
		if p := bodyProperty(alt.Value, name); p != nil {
			return p
		}
	}
	return nil
}

func schemaTypes(s *openapi3.Schema) []string {
	if s == nil {
		return nil
	}
	var out []string
	if s.Type != nil {
		out = append(out, s.Type.Slice()...)
	}
	for _, alt := range append(s.AnyOf, s.OneOf...) {
		out = append(out, schemaTypes(alt.Value)...)
	}
	return out
}

func TestCatalogMatchesOfficialDescriptions(t *testing.T) {
	for id, file := range officialSpecs {
		t.Run(id, func(t *testing.T) {
			doc := loadOfficialSpec(t, file)
			if err := doc.Validate(context.Background()); err != nil {
				msg := err.Error()
				t.Logf("description does not validate strictly: %.200s", msg)
			}
			p, ok := Lookup(id)
			if !ok {
				t.Fatalf("no platform %s", id)
			}
			for _, a := range p.Actions {
				if err := checkAgainstSpec(doc, a, mediaType(a.encoding())); err != nil {
					t.Errorf("%s.%s: %v", id, a.ID, err)
				}
			}
		})
	}
}

func TestOfficialDescriptionCheckCatchesDrift(t *testing.T) {
	doc := loadOfficialSpec(t, officialSpecs["stripe"])
	p, _ := Lookup("stripe")
	a, _ := p.Action("create_refund")
	enc := mediaType(a.encoding())
	if err := checkAgainstSpec(doc, a, enc); err != nil {
		t.Fatalf("unchanged action fails: %v", err)
	}
	wrongPath := *a
	wrongPath.Path = "/v1/refundz"
	if checkAgainstSpec(doc, &wrongPath, enc) == nil {
		t.Error("a wrong path passes")
	}
	wrongParam := *a
	wrongParam.Params = append([]Param(nil), a.Params...)
	wrongParam.Params[0].Field = "payment_intentt"
	if checkAgainstSpec(doc, &wrongParam, enc) == nil {
		t.Error("a wrong parameter name passes")
	}
	if checkAgainstSpec(doc, a, "application/json") == nil {
		t.Error("a JSON body passes where the description wants a form")
	}
}

func mediaType(encoding string) string {
	if encoding == "form" {
		return "application/x-www-form-urlencoded"
	}
	return "application/json"
}
