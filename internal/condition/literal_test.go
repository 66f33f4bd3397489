package condition_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/condition"
)

// checkRequired fails when a condition that evaluates true on f does not
// satisfy the requirement Required states for it: the engine would then
// rule out a workflow that matches.
func checkRequired(t *testing.T, spec condition.Spec, f *condition.Facts) {
	t.Helper()
	d, _ := condition.Lookup(spec.Type)
	r, ok := condition.Required(spec)
	if !ok || d.Evaluate == nil || !d.Evaluate(f, spec.Parameters) {
		return
	}
	if r.Never() {
		t.Fatalf("%s %v is true on %s, but Required says it never is", spec.Type, spec.Parameters, describe(f))
	}
	text, has := f.Text(r.Field)
	if !has {
		t.Fatalf("%s %v is true on %s, but the facts lack field %d", spec.Type, spec.Parameters, describe(f), r.Field)
	}
	if !strings.Contains(text, r.Literal) {
		t.Fatalf("%s %v is true on %s, but its literal %q is not in %q", spec.Type, spec.Parameters, describe(f), r.Literal, text)
	}
}

func TestRequiredTypes(t *testing.T) {
	for _, typ := range append(condition.Types(), "no_such_type") {
		r, ok := condition.Required(condition.Spec{Type: typ, Parameters: value("Refund")})
		if want := isTextType(typ); ok != want {
			t.Errorf("Required(%s) ok = %v, want %v (only text types need a literal)", typ, ok, want)
			continue
		}
		if ok && r.Literal != "refund" {
			t.Errorf("Required(%s, Refund) literal %q, want %q", typ, r.Literal, "refund")
		}
	}
}

func TestRequiredLiteral(t *testing.T) {
	cases := []struct {
		typ   string
		param any
		want  condition.Requirement
	}{
		{"subject_contains", "  ΚΩΔΙΚΟΣ ", condition.Requirement{Field: condition.FieldSubject, Literal: foldNorm("κωδικος")}},
		{"subject_equals", "Where is my ORDER", condition.Requirement{Field: condition.FieldSubject, Literal: "where is my order"}},
		{"body_contains", "Straße", condition.Requirement{Field: condition.FieldBody, Literal: "straße"}},
		{"from_email_contains", "@Example.COM", condition.Requirement{Field: condition.FieldSender, Literal: "@example.com"}},
		{"from_email_equals", "\tA@B.c\n", condition.Requirement{Field: condition.FieldSender, Literal: "a@b.c"}},
		{"from_domain_equals", " @Example.com", condition.Requirement{Field: condition.FieldSenderDomain, Literal: "example.com"}},
		{"from_domain_equals", "example.com", condition.Requirement{Field: condition.FieldSenderDomain, Literal: "example.com"}},
		// Blank values: never true.
		{"subject_contains", "   ", condition.Requirement{Field: condition.FieldSubject}},
		{"body_contains", "", condition.Requirement{Field: condition.FieldBody}},
		{"from_domain_equals", " @ ", condition.Requirement{Field: condition.FieldSenderDomain}},
		{"subject_equals", 42, condition.Requirement{Field: condition.FieldSubject}},
		{"body_contains", nil, condition.Requirement{Field: condition.FieldBody}},
	}
	for _, c := range cases {
		got, ok := condition.Required(condition.Spec{Type: c.typ, Parameters: value(c.param)})
		if !ok || got != c.want {
			t.Errorf("Required(%s, %#v) = %#v, %v; want %#v, true", c.typ, c.param, got, ok, c.want)
		}
		if got.Never() != (c.want.Literal == "") {
			t.Errorf("Required(%s, %#v).Never() = %v", c.typ, c.param, got.Never())
		}
	}
}

// A condition whose requirement is Never is false on any facts, the ones
// that make the same type with a real value true included.
func TestRequiredNever(t *testing.T) {
	full := factsWith(^0, true)
	for _, typ := range textTypes {
		for _, p := range []any{"", " ", "\t\n", "@", " @ ", nil, 7, []any{"x"}} {
			spec := condition.Spec{Type: typ, Parameters: value(p)}
			r, ok := condition.Required(spec)
			if typ != "from_domain_equals" && (p == "@" || p == " @ ") {
				if !ok || r.Never() {
					t.Errorf("Required(%s, @) = %#v: @ is a real literal", typ, r)
				}
				continue
			}
			if !ok || !r.Never() {
				t.Errorf("Required(%s, %#v) = %#v, %v; want Never", typ, p, r, ok)
			}
			if evaluate(t, typ, full, value(p)) {
				t.Errorf("%s with %#v is true", typ, p)
			}
		}
	}
}

func TestFactsText(t *testing.T) {
	cases := []struct {
		name  string
		facts *condition.Facts
		field condition.Field
		want  string
		ok    bool
	}{
		{"no ticket", &condition.Facts{Message: message("b", "a@b")}, condition.FieldSubject, "", false},
		{"subject", &condition.Facts{Ticket: ticket("  Hello WORLD ")}, condition.FieldSubject, "hello world", true},
		{"empty subject is present", &condition.Facts{Ticket: ticket("")}, condition.FieldSubject, "", true},
		{"no message", &condition.Facts{Ticket: ticket("s")}, condition.FieldBody, "", false},
		{"body", &condition.Facts{Message: message("ΚΩΔΙΚΟΣ", "")}, condition.FieldBody, foldNorm("κωδικος"), true},
		{"sender from message", &condition.Facts{Message: message("", "Al@X.io"), Contact: contact("c@y.io")}, condition.FieldSender, "al@x.io", true},
		{"blank message sender: contact", &condition.Facts{Message: message("", "  "), Contact: contact("C@Y.io")}, condition.FieldSender, "c@y.io", true},
		{"no sender", &condition.Facts{Message: message("", "")}, condition.FieldSender, "", false},
		{"domain after last @", &condition.Facts{Message: message("", "a@b@Corp.IO ")}, condition.FieldSenderDomain, "corp.io", true},
		{"sender without @", &condition.Facts{Message: message("", "alice")}, condition.FieldSenderDomain, "", false},
		{"unknown field", &condition.Facts{Ticket: ticket("s")}, condition.Field(99), "", false},
	}
	for _, c := range cases {
		got, ok := c.facts.Text(c.field)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: Text(%d) = %q, %v; want %q, %v", c.name, c.field, got, ok, c.want, c.ok)
		}
	}
}

// Every true text condition satisfies its requirement, over texts and
// values built from one vocabulary so that many are true, Unicode case
// variants included.
func TestRequiredIsNecessary(t *testing.T) {
	words := []string{"", " ", "refund", "REFUND", "ΚΩΔΙΚΟΣ", "κωδικος", "ß", "ẞ", "ſale", "SALE", "K", "\u212a", "a@b.io", "@B.IO", "b.io", "x", "\xff"}
	var texts []string
	for _, a := range words {
		for _, b := range words {
			texts = append(texts, a+b, a+" "+b)
		}
	}
	var specs []condition.Spec
	for _, typ := range textTypes {
		for _, v := range texts {
			specs = append(specs, condition.Spec{Type: typ, Parameters: value(v)})
		}
	}
	trues := 0
	for i, text := range texts {
		f := &condition.Facts{Ticket: ticket(text), Message: message(text, texts[(i*7)%len(texts)])}
		if i%5 == 0 {
			f.Message.SenderEmail = ""
			f.Contact = contact(text)
		}
		for _, s := range specs {
			checkRequired(t, s, f)
			if d, _ := condition.Lookup(s.Type); d.Evaluate(f, s.Parameters) {
				trues++
			}
		}
		if t.Failed() {
			return
		}
	}
	if trues < 1000 {
		t.Fatalf("only %d true conditions: the test does not exercise Required", trues)
	}
	if !slices.Contains(textTypes, "from_domain_equals") {
		t.Fatal("textTypes lost from_domain_equals")
	}
}
