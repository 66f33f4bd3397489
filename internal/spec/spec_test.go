package spec_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/validate"
)

func decode(t *testing.T, body string) any {
	t.Helper()
	v, err := validate.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRead: each type is read with its checks, and each error names the
// parameter's path.
func TestRead(t *testing.T) {
	params := []spec.Param{
		{Name: "status", Type: spec.Enum, Values: []string{"open", "closed"}, Required: true},
		{Name: "count", Type: spec.Integer, Min: spec.Bound(1)},
		{Name: "timeout", Type: spec.Duration, Min: spec.Bound(1), Max: spec.Bound(600000)},
		{Name: "content", Type: spec.Template, Required: true},
		{Name: "tags", Type: spec.References, Reference: param.KindTag},
		{Name: "flag", Type: spec.Boolean},
		{Name: "saveAs", Type: spec.Identifier},
	}
	for _, c := range []struct {
		name, body string
		errors     map[string][]string
		refs       int
	}{
		{"valid", `{"status": "open", "count": 2, "timeout": 5000, "content": "Hi {{ticket.subject}}", "tags": ["a", "b"], "flag": true, "saveAs": "x"}`, nil, 2},
		{"missing and wrong", `{"count": 0, "timeout": 0, "content": "{{nope.x}}", "flag": "yes", "saveAs": "1x"}`, map[string][]string{
			"p.status":  {"is required"},
			"p.count":   {"must be a positive whole number"},
			"p.timeout": {"must be between 1 and 600000 milliseconds"},
			"p.flag":    {"must be a boolean"},
			"p.saveAs":  {"must start with a letter or _ and contain only letters, digits and _ (at most 64)"},
		}, 0},
		{"not allowed", `{"status": "spam", "content": "x", "tags": []}`, map[string][]string{
			"p.status": {"must be one of: open, closed"},
		}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var errs validate.Errors
			var refs []param.Ref
			p := param.New(&errs, "p", decode(t, c.body), &refs, nil)
			spec.Read(p, params)
			got := map[string][]string{}
			if err := errs.Err(); err != nil {
				ve, _ := validate.As(err)
				got = ve.Fields
			}
			if c.name == "missing and wrong" {
				delete(got, "p.content") // the template error's wording is the template package's
			}
			if len(c.errors) == 0 && len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, c.errors) {
				t.Errorf("errors %v, want %v", got, c.errors)
			}
			if len(refs) != c.refs {
				t.Errorf("%d references recorded, want %d", len(refs), c.refs)
			}
		})
	}
}

func TestObjectSchema(t *testing.T) {
	s := spec.ObjectSchema([]spec.Param{
		{Name: "status", Type: spec.Enum, Values: []string{"open"}, Required: true},
		{Name: "timeout", Type: spec.Duration, Default: 30000},
	})
	if !reflect.DeepEqual(s["required"], []string{"status"}) || s["additionalProperties"] != false {
		t.Errorf("schema: %v", s)
	}
	props := s["properties"].(map[string]any)
	if st := props["status"].(map[string]any); !reflect.DeepEqual(st["enum"], []string{"open"}) {
		t.Errorf("status schema: %v", st)
	}
	if to := props["timeout"].(map[string]any); !reflect.DeepEqual(to["type"], []any{"integer", "null"}) || to["default"] != 30000 {
		t.Errorf("timeout schema: %v", to)
	}
}

// Every list parameter has a maximum: a longer list is one error naming it,
// and a list parameter declared without one is refused.
func TestListsHaveAMaximum(t *testing.T) {
	params := []spec.Param{
		{Name: "categories", Type: spec.Strings, MaxItems: 2},
		{Name: "headers", Type: spec.Templates, MaxItems: 1},
		{Name: "tags", Type: spec.References, Reference: param.KindTag},
	}
	tags := make([]string, param.MaxRefs+1)
	for i := range tags {
		tags[i] = `"t"`
	}
	body := `{"categories": ["a", "b", "c"], "headers": {"A": "1", "B": "2"}, "tags": [` + strings.Join(tags, ",") + `]}`
	var errs validate.Errors
	var refs []param.Ref
	spec.Read(param.New(&errs, "p", decode(t, body), &refs, nil), params)
	ve, _ := validate.As(errs.Err())
	want := map[string][]string{
		"p.categories": {"must have at most 2 categories"},
		"p.headers":    {"must have at most 1 headers"},
		"p.tags":       {"must have at most 100 tags"},
	}
	if ve == nil || !reflect.DeepEqual(ve.Fields, want) || len(refs) != 0 {
		t.Errorf("errors %v and %d references, want %v and none", ve, len(refs), want)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("a list parameter without MaxItems was accepted")
		}
	}()
	spec.Param{Name: "labels", Type: spec.Strings}.ItemLimit()
}
