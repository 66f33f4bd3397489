package template

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"",
	"plain text }} {% if %}",
	"Hi {{customer.name}}, your request has been received.",
	`{{ customer.name | default: "there" | upcase }}`,
	`{{ ticket.subject | truncate: 10 | capitalize | strip | downcase | url_encode }}`,
	`{{ customer.email | default: 'it\'s' }}`,
	`{"ticketId": "{{ticket.id}}"}`,
	`{"s": "{{ticket.subject}}", "vip": {{customer.isVip}}, "tags": {{ticket.tags}}}`,
	`{"a": "x\"{{ticket.id}}\\", "b": [{{variables.items.0.name}}, "{{customFields.order_number}}"]}`,
	`["{{variables.refund.id}}", {{variables.nope | default: 0}}]`,
	`"\{{ticket.id}}"`,
	"{{ticket.id",
	"{{}}",
	"{{ ticket..id }}",
	"{{ ticket.nope }}",
	"{{ x | upcse }}",
	`{{ ticket.id | truncate: "5" }}`,
	`{{ ticket.id | default: "}}`,
	"{{{ticket.id}}}",
}

// FuzzParse checks that Parse never panics, reports errors as *ParseError
// with an offset inside the source, and that parsed templates render in every
// mode; with no data, a Plain render is exactly the literal text.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	custom := NewSchema(map[string]Field{"a": AnyPath(), "b": Fields("c", "d")})
	data := testData()
	f.Fuzz(func(t *testing.T, src string) {
		for _, schema := range []*Schema{DefaultSchema, custom} {
			tpl, err := Parse(src, schema)
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %T %v is not a *ParseError", err, err)
				}
				if pe.Offset < 0 || pe.Offset > len(src) || pe.Message == "" {
					t.Fatalf("bad ParseError %+v for source of %d bytes", pe, len(src))
				}
				continue
			}
			if tpl.Source() != src {
				t.Fatalf("Source() = %q, want %q", tpl.Source(), src)
			}
			if n := len(tpl.Paths()); n > MaxExpressions {
				t.Fatalf("%d paths", n)
			}
			var literal strings.Builder
			for _, n := range tpl.nodes {
				literal.WriteString(n.text)
			}
			for _, mode := range []Escape{Plain, HTML, JSON} {
				if _, err := tpl.Render(context.Background(), data, Options{Escape: mode}); err != nil {
					t.Fatalf("Render(%v): %v", mode, err)
				}
			}
			res, err := tpl.Render(context.Background(), nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != literal.String() && !hasDefault(tpl) {
				t.Fatalf("Plain render without data = %q, want the literal text %q", res.Text, literal.String())
			}
		}
	})
}

func hasDefault(tpl *Template) bool {
	for _, n := range tpl.nodes {
		if n.expr != nil {
			for _, f := range n.expr.filters {
				if f.def == filters["default"] {
					return true
				}
			}
		}
	}
	return false
}

// FuzzRenderJSON checks JSON mode against an oracle independent of the
// engine's string scanner: when the literal text with every expression
// replaced by x is valid JSON (so every expression sits inside a JSON string)
// or with every expression replaced by null and by 0 is valid JSON (so every
// expression sits where a value or string content may go; the two together
// rule out a dangling backslash before the expression), the output must
// be valid JSON whatever the data. For templates whose expressions all sit
// in strings it must also decode to what substituting each expression's text,
// encoded by encoding/json, gives.
func FuzzRenderJSON(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, trickyStrings[i%len(trickyStrings)], uint8(i))
	}
	f.Fuzz(func(t *testing.T, src, s string, kind uint8) {
		tpl, err := Parse(src, DefaultSchema)
		if err != nil {
			return
		}
		var val any
		switch kind % 5 {
		case 0:
			val = s
		case 1:
			val = json.Number("12.5")
		case 2:
			val = kind%2 == 0
		case 3:
			val = []any{s, map[string]any{"k": s}}
		case 4:
			val = nil // every path missing
		}
		data := map[string]any{}
		if kind%5 != 4 {
			for _, p := range tpl.Paths() {
				set(data, strings.Split(p, "."), val)
			}
		}
		res, err := tpl.Render(context.Background(), data, Options{Escape: JSON})
		if errors.Is(err, ErrOutputTooLarge) {
			return
		}
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		inStrings := json.Valid([]byte(substitute(tpl, func(*expr) string { return "x" })))
		asValues := json.Valid([]byte(substitute(tpl, func(*expr) string { return "null" }))) &&
			json.Valid([]byte(substitute(tpl, func(*expr) string { return "0" })))
		if (inStrings || asValues) && !json.Valid([]byte(res.Text)) {
			t.Fatalf("template %q with data %q: invalid JSON output %q", src, s, res.Text)
		}
		if !inStrings {
			return
		}
		expected := substitute(tpl, func(e *expr) string {
			v, err := e.eval(data, DefaultMaxOutput)
			if err != nil {
				t.Fatal(err)
			}
			txt, err := text(v.v, DefaultMaxOutput)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(txt)
			if err != nil {
				t.Fatal(err)
			}
			return string(b[1 : len(b)-1])
		})
		var got, want any
		if err := json.Unmarshal([]byte(res.Text), &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(expected), &want); err != nil {
			t.Fatalf("oracle %q: %v", expected, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("template %q with data %q: decoded %#v, want %#v", src, s, got, want)
		}
	})
}

// substitute renders the literal text with each expression replaced by f.
func substitute(tpl *Template, f func(*expr) string) string {
	var b strings.Builder
	for _, n := range tpl.nodes {
		if n.expr != nil {
			b.WriteString(f(n.expr))
		} else {
			b.WriteString(n.text)
		}
	}
	return b.String()
}

// set stores v at path in data, creating (or replacing scalars with)
// objects along the way.
func set(data map[string]any, path []string, v any) {
	cur := data
	for _, seg := range path[:len(path)-1] {
		next, ok := cur[seg].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[seg] = next
		}
		cur = next
	}
	if _, isObject := cur[path[len(path)-1]].(map[string]any); !isObject {
		cur[path[len(path)-1]] = v
	}
}
