package condition_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/validate"
)

// seedTypes are the twelve condition types of the product spec, sorted.
var seedTypes = []string{
	"body_contains",
	"channel_is",
	"channel_type_is",
	"contact_is_new",
	"does_not_have_tag",
	"from_domain_equals",
	"from_email_contains",
	"from_email_equals",
	"has_tag",
	"is_first_message",
	"subject_contains",
	"subject_equals",
}

// textTypes compare a text of the facts with `value` case-insensitively,
// ignoring surrounding whitespace, and never match a blank `value`.
var textTypes = []string{
	"body_contains",
	"from_domain_equals",
	"from_email_contains",
	"from_email_equals",
	"subject_contains",
	"subject_equals",
}

func ticket(subject string, tags ...string) *helpdesk.Ticket {
	return &helpdesk.Ticket{ID: "tkt_1", Subject: subject, TagIDs: tags}
}

func message(body, sender string) *helpdesk.Message {
	return &helpdesk.Message{ID: "msg_1", TicketID: "tkt_1", Direction: helpdesk.DirectionInbound, Body: body, SenderEmail: sender}
}

func contact(email string) *helpdesk.Contact {
	return &helpdesk.Contact{ID: "con_1", Email: email}
}

func channel(id, typ string) *helpdesk.Channel {
	return &helpdesk.Channel{ID: id, Name: "Support", Type: typ}
}

func value(v any) map[string]any { return map[string]any{"value": v} }

// evaluate looks the type up (failing the test when it is unknown) and
// evaluates it.
func evaluate(t *testing.T, conditionType string, f *condition.Facts, params map[string]any) bool {
	t.Helper()
	d, ok := condition.Lookup(conditionType)
	if !ok {
		t.Fatalf("Lookup(%q): not registered", conditionType)
	}
	return d.Evaluate(f, params)
}

type evalCase struct {
	name   string
	facts  *condition.Facts
	params map[string]any
	want   bool
}

func runCases(t *testing.T, conditionType string, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := evaluate(t, conditionType, c.facts, c.params); got != c.want {
				t.Errorf("%s with %v: got %v, want %v", conditionType, c.params, got, c.want)
			}
		})
	}
}

// blankValueCases are the `value`s a text condition never matches, even
// when the text itself is empty or blank.
func blankValueCases(f *condition.Facts) []evalCase {
	return []evalCase{
		{"empty value", f, value(""), false},
		{"blank value", f, value(" \t\n "), false},
		{"missing value", f, map[string]any{}, false},
		{"nil parameters", f, nil, false},
		{"non-string value", f, value(42), false},
	}
}

func TestSubjectContains(t *testing.T) {
	f := &condition.Facts{Ticket: ticket("Refund request for order #42")}
	cases := []evalCase{
		{"substring", f, value("refund"), true},
		{"middle substring", f, value("order #4"), true},
		{"whole subject", f, value("Refund request for order #42"), true},
		{"value upper case", f, value("REFUND REQUEST"), true},
		{"value mixed case with surrounding space", f, value("  rEfUnD Request\t"), true},
		{"subject upper case", &condition.Facts{Ticket: ticket("URGENT: LOGIN BROKEN")}, value("login broken"), true},
		{"surrounding space of subject ignored", &condition.Facts{Ticket: ticket("  Hello  ")}, value(" hello "), true},
		{"absent", f, value("invoice"), false},
		{"inner space matters", f, value("refundrequest"), false},
		{"longer than subject", f, value("Refund request for order #42 please"), false},
		{"empty subject", &condition.Facts{Ticket: ticket("")}, value("refund"), false},
		{"blank value, blank subject", &condition.Facts{Ticket: ticket("   ")}, value(" "), false},
		{"no ticket", &condition.Facts{Message: message("refund", "a@b.c")}, value("refund"), false},
	}
	runCases(t, "subject_contains", append(cases, blankValueCases(f)...))
}

func TestSubjectEquals(t *testing.T) {
	f := &condition.Facts{Ticket: ticket("Refund request")}
	cases := []evalCase{
		{"exact", f, value("Refund request"), true},
		{"case-insensitive", f, value("REFUND REQUEST"), true},
		{"value surrounding space", f, value(" \trefund request\n "), true},
		{"subject surrounding space", &condition.Facts{Ticket: ticket("\n  Refund Request  ")}, value("refund request"), true},
		{"substring only", f, value("refund"), false},
		{"longer", f, value("Refund request please"), false},
		{"inner space differs", f, value("Refund  request"), false},
		{"other", f, value("invoice"), false},
		{"empty subject, empty value", &condition.Facts{Ticket: ticket("")}, value(""), false},
		{"blank subject, blank value", &condition.Facts{Ticket: ticket("  ")}, value("   "), false},
		{"no ticket", &condition.Facts{}, value("Refund request"), false},
	}
	runCases(t, "subject_equals", append(cases, blankValueCases(f)...))
}

func TestBodyContains(t *testing.T) {
	f := &condition.Facts{Ticket: ticket("Printer"), Message: message("Hi,\nmy printer is ON FIRE again.\nThanks", "alice@example.com")}
	cases := []evalCase{
		{"substring", f, value("printer"), true},
		{"case-insensitive", f, value("on fire"), true},
		{"value upper case with surrounding space", f, value("  MY PRINTER  "), true},
		{"across a newline", f, value("thanks"), true},
		{"absent", f, value("water"), false},
		{"subject is not the body", &condition.Facts{Ticket: ticket("Printer on fire"), Message: message("hello", "")}, value("fire"), false},
		{"empty body", &condition.Facts{Message: message("", "alice@example.com")}, value("fire"), false},
		{"blank body, blank value", &condition.Facts{Message: message("   ", "")}, value("  "), false},
		{"no message", &condition.Facts{Ticket: ticket("on fire")}, value("fire"), false},
	}
	runCases(t, "body_contains", append(cases, blankValueCases(f)...))
}

func TestFromEmailContains(t *testing.T) {
	f := &condition.Facts{Message: message("hi", "Alice.Smith@Example.com"), Contact: contact("bob@corp.io")}
	cases := []evalCase{
		{"local part", f, value("alice"), true},
		{"domain part", f, value("example.com"), true},
		{"case-insensitive", f, value("SMITH@EXAMPLE"), true},
		{"surrounding space", f, value("  alice.smith@example.com  "), true},
		{"sender with surrounding space", &condition.Facts{Message: message("", "  carol@x.org ")}, value("carol@x.org"), true},
		{"absent", f, value("carol"), false},
		{"message sender wins over contact", f, value("corp.io"), false},
		{"falls back to contact when message has no sender", &condition.Facts{Message: message("hi", ""), Contact: contact("Bob@Corp.io")}, value("corp"), true},
		{"falls back to contact when there is no message", &condition.Facts{Contact: contact("bob@corp.io")}, value("BOB@"), true},
		{"contact fallback not containing", &condition.Facts{Message: message("hi", ""), Contact: contact("bob@corp.io")}, value("alice"), false},
		{"no sender, contact without email", &condition.Facts{Message: message("hi", ""), Contact: contact("")}, value("a"), false},
		{"no message, no contact", &condition.Facts{Ticket: ticket("alice")}, value("alice"), false},
		{"blank value with contact email", &condition.Facts{Contact: contact("bob@corp.io")}, value(" "), false},
	}
	runCases(t, "from_email_contains", append(cases, blankValueCases(f)...))
}

func TestFromEmailEquals(t *testing.T) {
	f := &condition.Facts{Message: message("hi", "Alice@Example.com"), Contact: contact("bob@corp.io")}
	cases := []evalCase{
		{"exact", f, value("Alice@Example.com"), true},
		{"case-insensitive", f, value("ALICE@EXAMPLE.COM"), true},
		{"surrounding space", f, value("\t alice@example.com \n"), true},
		{"sender with surrounding space", &condition.Facts{Message: message("", " alice@example.com ")}, value("alice@example.com"), true},
		{"substring only", f, value("alice@example"), false},
		{"domain only", f, value("example.com"), false},
		{"message sender wins over contact", f, value("bob@corp.io"), false},
		{"falls back to contact when message has no sender", &condition.Facts{Message: message("hi", ""), Contact: contact("Bob@Corp.io")}, value("bob@corp.io"), true},
		{"falls back to contact when there is no message", &condition.Facts{Contact: contact("bob@corp.io")}, value("BOB@CORP.IO"), true},
		{"contact fallback differs", &condition.Facts{Contact: contact("bob@corp.io")}, value("alice@example.com"), false},
		{"no message, no contact", &condition.Facts{}, value("alice@example.com"), false},
		{"empty contact email, empty value", &condition.Facts{Contact: contact("")}, value(""), false},
	}
	runCases(t, "from_email_equals", append(cases, blankValueCases(f)...))
}

func TestFromDomainEquals(t *testing.T) {
	f := &condition.Facts{Message: message("hi", "alice@Example.com"), Contact: contact("bob@corp.io")}
	cases := []evalCase{
		{"domain", f, value("example.com"), true},
		{"case-insensitive", f, value("EXAMPLE.COM"), true},
		{"leading @ ignored", f, value("@example.com"), true},
		{"leading @ with case and surrounding space", f, value("  @EXAMPLE.com \t"), true},
		{"sender with trailing space", &condition.Facts{Message: message("", "alice@example.com  ")}, value("example.com"), true},
		{"parent domain does not match subdomain", &condition.Facts{Message: message("", "alice@mail.example.com")}, value("example.com"), false},
		{"subdomain does not match", f, value("mail.example.com"), false},
		{"prefix of the domain", f, value("example"), false},
		{"whole address is not a domain", f, value("alice@example.com"), false},
		{"local part is not a domain", f, value("alice"), false},
		{"two @: last @ decides", &condition.Facts{Message: message("", "weird@name@Corp.io")}, value("corp.io"), true},
		{"two @: middle part is not the domain", &condition.Facts{Message: message("", "weird@name@Corp.io")}, value("name@corp.io"), false},
		{"two @: first split is not the domain", &condition.Facts{Message: message("", "weird@name@Corp.io")}, value("@name@corp.io"), false},
		{"message sender wins over contact", f, value("corp.io"), false},
		{"falls back to contact when message has no sender", &condition.Facts{Message: message("hi", ""), Contact: contact("bob@Corp.IO")}, value("@corp.io"), true},
		{"falls back to contact when there is no message", &condition.Facts{Contact: contact("bob@corp.io")}, value("corp.io"), true},
		{"sender without @", &condition.Facts{Message: message("", "alice")}, value("alice"), false},
		{"sender ending with @", &condition.Facts{Message: message("", "alice@")}, value("@"), false},
		{"value is only @", f, value("@"), false},
		{"value is @ and space", f, value(" @ "), false},
		{"no message, no contact", &condition.Facts{}, value("example.com"), false},
	}
	runCases(t, "from_domain_equals", append(cases, blankValueCases(f)...))
}

func TestChannelIs(t *testing.T) {
	f := &condition.Facts{Ticket: ticket("x"), Channel: channel("ch_support", helpdesk.ChannelEmail)}
	runCases(t, "channel_is", []evalCase{
		{"same id", f, value("ch_support"), true},
		{"other id", f, value("ch_sales"), false},
		{"channel type is not the id", f, value("email"), false},
		{"no channel", &condition.Facts{Ticket: ticket("x")}, value("ch_support"), false},
		{"no channel, empty value", &condition.Facts{}, value(""), false},
		{"missing value", f, nil, false},
	})
}

func TestChannelTypeIs(t *testing.T) {
	for _, typ := range helpdesk.ChannelTypes {
		t.Run(typ, func(t *testing.T) {
			f := &condition.Facts{Channel: channel("ch_1", typ)}
			for _, other := range helpdesk.ChannelTypes {
				if got, want := evaluate(t, "channel_type_is", f, value(other)), other == typ; got != want {
					t.Errorf("channel of type %q, value %q: got %v, want %v", typ, other, got, want)
				}
			}
		})
	}
	runCases(t, "channel_type_is", []evalCase{
		{"no channel", &condition.Facts{Ticket: ticket("x")}, value("email"), false},
		{"no channel, empty value", &condition.Facts{}, value(""), false},
		{"id is not the type", &condition.Facts{Channel: channel("email", helpdesk.ChannelChat)}, value("email"), false},
		{"missing value", &condition.Facts{Channel: channel("ch_1", helpdesk.ChannelChat)}, nil, false},
	})
}

func TestHasTag(t *testing.T) {
	f := &condition.Facts{Ticket: ticket("x", "tag_vip", "tag_billing")}
	runCases(t, "has_tag", []evalCase{
		{"first tag", f, value("tag_vip"), true},
		{"second tag", f, value("tag_billing"), true},
		{"absent tag", f, value("tag_spam"), false},
		{"prefix of a tag", f, value("tag_"), false},
		{"ticket without tags", &condition.Facts{Ticket: ticket("x")}, value("tag_vip"), false},
		{"no ticket", &condition.Facts{Message: message("tag_vip", "")}, value("tag_vip"), false},
		{"missing value", f, nil, false},
	})
}

func TestDoesNotHaveTag(t *testing.T) {
	f := &condition.Facts{Ticket: ticket("x", "tag_vip", "tag_billing")}
	runCases(t, "does_not_have_tag", []evalCase{
		{"absent tag", f, value("tag_spam"), true},
		{"first tag present", f, value("tag_vip"), false},
		{"second tag present", f, value("tag_billing"), false},
		{"ticket without tags", &condition.Facts{Ticket: ticket("x")}, value("tag_vip"), true},
		{"no ticket", &condition.Facts{}, value("tag_vip"), false},
		{"no ticket, other facts set", &condition.Facts{Message: message("hi", "a@b.c"), Contact: contact("a@b.c"), Channel: channel("ch_1", "email")}, value("tag_vip"), false},
	})
}

// has_tag and does_not_have_tag are exact opposites when there is a ticket.
func TestTagConditionsAreComplementary(t *testing.T) {
	f := &condition.Facts{Ticket: ticket("x", "a", "b")}
	for _, v := range []string{"a", "b", "c", "", "A"} {
		has := evaluate(t, "has_tag", f, value(v))
		hasNot := evaluate(t, "does_not_have_tag", f, value(v))
		if has == hasNot {
			t.Errorf("value %q: has_tag=%v does_not_have_tag=%v, want opposites", v, has, hasNot)
		}
	}
}

func TestFlagConditions(t *testing.T) {
	full := func(contactIsNew, isFirst bool) *condition.Facts {
		return &condition.Facts{
			Ticket:         ticket("x", "tag_vip"),
			Message:        message("hi", "a@b.c"),
			Contact:        contact("a@b.c"),
			Channel:        channel("ch_1", "email"),
			ContactIsNew:   contactIsNew,
			IsFirstMessage: isFirst,
		}
	}
	runCases(t, "contact_is_new", []evalCase{
		{"new", full(true, false), nil, true},
		{"not new", full(false, true), nil, false},
		{"new, parameters ignored", full(true, false), value("false"), true},
		{"new, no other facts", &condition.Facts{ContactIsNew: true}, nil, true},
		{"zero facts", &condition.Facts{}, nil, false},
	})
	runCases(t, "is_first_message", []evalCase{
		{"first", full(false, true), nil, true},
		{"not first", full(true, false), nil, false},
		{"first, parameters ignored", full(false, true), value("false"), true},
		{"first, no other facts", &condition.Facts{IsFirstMessage: true}, nil, true},
		{"zero facts", &condition.Facts{}, nil, false},
	})
}

// Every text condition ignores the case and the surrounding whitespace of
// `value`, whatever the case of the text.
func TestTextConditionsCaseAndSpace(t *testing.T) {
	f := &condition.Facts{
		Ticket:  ticket("Order Shipped"),
		Message: message("Where Is My Order", "Dana@Shop.Example"),
	}
	matching := map[string]string{
		"subject_contains":    "shipped",
		"subject_equals":      "order shipped",
		"body_contains":       "is my",
		"from_email_contains": "dana@",
		"from_email_equals":   "dana@shop.example",
		"from_domain_equals":  "shop.example",
	}
	for _, typ := range textTypes {
		base, ok := matching[typ]
		if !ok {
			t.Fatalf("no matching value for %s", typ)
		}
		variants := []string{base, strings.ToUpper(base), " " + base + " ", "\t\n" + strings.ToUpper(base) + "\r\n ", strings.ToUpper(base[:1]) + base[1:]}
		for _, v := range variants {
			if !evaluate(t, typ, f, value(v)) {
				t.Errorf("%s value %q: got false, want true", typ, v)
			}
			// A blank value never matches, even next to a matching one.
			if evaluate(t, typ, f, value(strings.Repeat(" ", len(v)))) {
				t.Errorf("%s blank value: got true, want false", typ)
			}
		}
		if evaluate(t, typ, f, value(base+"zz")) {
			t.Errorf("%s value %q: got true, want false", typ, base+"zz")
		}
	}
}

func TestUnknownType(t *testing.T) {
	for _, typ := range []string{"", "subject_starts_with", "Subject_Contains", "subject_contains ", "has_tags"} {
		if _, ok := condition.Lookup(typ); ok {
			t.Errorf("Lookup(%q): registered, want unknown", typ)
		}
		f := &condition.Facts{Ticket: ticket("hello", "t"), ContactIsNew: true, IsFirstMessage: true}
		specs := []condition.Spec{{Type: typ, Parameters: value("hello")}}
		for _, mt := range []string{"all", "any", ""} {
			ok, results := condition.Match(f, mt, specs)
			if ok {
				t.Errorf("Match(%q, [%q]): got true, want false", mt, typ)
			}
			want := []condition.Result{{Type: typ, Matched: false}}
			if !slices.Equal(results, want) {
				t.Errorf("Match(%q, [%q]) results = %v, want %v", mt, typ, results, want)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	f := &condition.Facts{
		Ticket:         ticket("Refund for order 42", "tag_vip"),
		Message:        message("Please refund me", "alice@example.com"),
		Channel:        channel("ch_1", helpdesk.ChannelEmail),
		IsFirstMessage: true,
	}
	yes1 := condition.Spec{Type: "subject_contains", Parameters: value("REFUND")}
	yes2 := condition.Spec{Type: "channel_type_is", Parameters: value("email")}
	yes3 := condition.Spec{Type: "is_first_message"}
	no1 := condition.Spec{Type: "has_tag", Parameters: value("tag_spam")}
	no2 := condition.Spec{Type: "contact_is_new"}
	unknown := condition.Spec{Type: "nope", Parameters: value("x")}
	r := func(typ string, m bool) condition.Result { return condition.Result{Type: typ, Matched: m} }

	cases := []struct {
		name      string
		matchType string
		specs     []condition.Spec
		want      bool
		results   []condition.Result
	}{
		{"all, mixed", "all", []condition.Spec{yes1, no1, yes2}, false,
			[]condition.Result{r("subject_contains", true), r("has_tag", false), r("channel_type_is", true)}},
		{"any, mixed", "any", []condition.Spec{yes1, no1, yes2}, true,
			[]condition.Result{r("subject_contains", true), r("has_tag", false), r("channel_type_is", true)}},
		{"default is all, mixed", "", []condition.Spec{yes1, no1, yes2}, false,
			[]condition.Result{r("subject_contains", true), r("has_tag", false), r("channel_type_is", true)}},
		{"any, only last matches", "any", []condition.Spec{no1, no2, yes3}, true,
			[]condition.Result{r("has_tag", false), r("contact_is_new", false), r("is_first_message", true)}},
		{"all, all match", "all", []condition.Spec{yes3, yes2, yes1}, true,
			[]condition.Result{r("is_first_message", true), r("channel_type_is", true), r("subject_contains", true)}},
		{"default, all match", "", []condition.Spec{yes1, yes2}, true,
			[]condition.Result{r("subject_contains", true), r("channel_type_is", true)}},
		{"any, all match", "any", []condition.Spec{yes1, yes2, yes3}, true,
			[]condition.Result{r("subject_contains", true), r("channel_type_is", true), r("is_first_message", true)}},
		{"any, none match", "any", []condition.Spec{no1, no2}, false,
			[]condition.Result{r("has_tag", false), r("contact_is_new", false)}},
		{"all, none match", "all", []condition.Spec{no2, no1}, false,
			[]condition.Result{r("contact_is_new", false), r("has_tag", false)}},
		{"all, only first fails: later ones still evaluated", "all", []condition.Spec{no1, yes1, yes2}, false,
			[]condition.Result{r("has_tag", false), r("subject_contains", true), r("channel_type_is", true)}},
		{"any, unknown type among matching", "any", []condition.Spec{unknown, yes1}, true,
			[]condition.Result{r("nope", false), r("subject_contains", true)}},
		{"all, unknown type among matching", "all", []condition.Spec{yes1, unknown}, false,
			[]condition.Result{r("subject_contains", true), r("nope", false)}},
		{"all, same type twice", "all", []condition.Spec{yes1, {Type: "subject_contains", Parameters: value("invoice")}}, false,
			[]condition.Result{r("subject_contains", true), r("subject_contains", false)}},
		{"all, empty", "all", []condition.Spec{}, true, []condition.Result{}},
		{"any, empty", "any", []condition.Spec{}, true, []condition.Result{}},
		{"default, nil", "", nil, true, []condition.Result{}},
		{"any, nil", "any", nil, true, []condition.Result{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, results := condition.Match(f, c.matchType, c.specs)
			if got != c.want {
				t.Errorf("Match(%q) = %v, want %v", c.matchType, got, c.want)
			}
			if len(results) != len(c.specs) {
				t.Fatalf("got %d results for %d conditions", len(results), len(c.specs))
			}
			if !slices.Equal(results, c.results) {
				t.Errorf("results = %v, want %v", results, c.results)
			}
		})
	}
}

func TestMatchEmptyWithZeroFacts(t *testing.T) {
	for _, mt := range []string{"all", "any", ""} {
		got, results := condition.Match(&condition.Facts{}, mt, nil)
		if !got || len(results) != 0 {
			t.Errorf("Match(&Facts{}, %q, nil) = %v, %v; want true, []", mt, got, results)
		}
	}
}

func TestTypes(t *testing.T) {
	got := condition.Types()
	want := slices.Sorted(slices.Values(append(slices.Clone(seedTypes), "variable_equals")))
	if !slices.Equal(got, want) {
		t.Fatalf("Types() = %v,\nwant %v", got, want)
	}
	if !sort.StringsAreSorted(got) {
		t.Errorf("Types() not sorted: %v", got)
	}
	// The result is the caller's: changing it does not change the registry.
	got[0] = "changed"
	if again := condition.Types(); !slices.Equal(again, want) {
		t.Errorf("Types() after modifying an earlier result = %v", again)
	}
	for _, typ := range seedTypes {
		d, ok := condition.Lookup(typ)
		if !ok {
			t.Errorf("Lookup(%q): not registered", typ)
			continue
		}
		if d.Type != typ {
			t.Errorf("Lookup(%q).Type = %q", typ, d.Type)
		}
		if strings.TrimSpace(d.Meaning) == "" {
			t.Errorf("%s: empty Meaning", typ)
		}
		for _, p := range d.Params {
			if p.Description == "" || p.Example == nil {
				t.Errorf("%s: parameter %s has no description or example", typ, p.Name)
			}
		}
		if d.Evaluate == nil {
			t.Errorf("%s: nil Evaluate", typ)
		}
	}
	for _, typ := range textTypes {
		d, _ := condition.Lookup(typ)
		if !strings.Contains(d.Meaning, "case-insensitive") || !strings.Contains(d.Meaning, "`value`") {
			t.Errorf("%s: Meaning %q does not document the case-insensitive comparison with `value`", typ, d.Meaning)
		}
	}
	if d, _ := condition.Lookup("from_domain_equals"); !strings.Contains(d.Meaning, "last @") || !strings.Contains(d.Meaning, "leading @") {
		t.Errorf("from_domain_equals: Meaning %q does not document the last @ and the leading @", d.Meaning)
	}
	if d, _ := condition.Lookup("channel_type_is"); !strings.Contains(d.Meaning, strings.Join(helpdesk.ChannelTypes, ", ")) {
		t.Errorf("channel_type_is: Meaning %q does not list the channel types %v", d.Meaning, helpdesk.ChannelTypes)
	}
}

// validateParams runs a type's Validate over parameters and returns the
// field errors and references it recorded.
func validateParams(t *testing.T, conditionType string, parameters any) (*validate.Error, []param.Ref) {
	t.Helper()
	d, ok := condition.Lookup(conditionType)
	if !ok {
		t.Fatalf("Lookup(%q): not registered", conditionType)
	}
	var errs validate.Errors
	var refs []param.Ref
	p := param.New(&errs, "parameters", parameters, &refs, nil)
	d.Validate(p)
	if err := errs.Err(); err != nil {
		ve, ok := validate.As(err)
		if !ok {
			t.Fatalf("%s: Validate error %v is not a validation error", conditionType, err)
		}
		return ve, refs
	}
	return nil, refs
}

func TestValidate(t *testing.T) {
	for _, typ := range textTypes {
		t.Run(typ, func(t *testing.T) {
			if ve, refs := validateParams(t, typ, value("Refund")); ve != nil || len(refs) != 0 {
				t.Errorf("valid value: errors %v, refs %v", ve, refs)
			}
			for _, bad := range []map[string]any{{}, value(""), value("   "), value(nil), value(7)} {
				ve, _ := validateParams(t, typ, bad)
				if ve == nil || len(ve.Fields["parameters.value"]) == 0 {
					t.Errorf("parameters %v: errors %v, want one on parameters.value", bad, ve)
				}
			}
		})
	}
	refTypes := map[string]param.Kind{"has_tag": param.KindTag, "does_not_have_tag": param.KindTag, "channel_is": param.KindChannel}
	for typ, kind := range refTypes {
		t.Run(typ, func(t *testing.T) {
			ve, refs := validateParams(t, typ, value("01J0000000000000000000000A"))
			if ve != nil {
				t.Errorf("valid value: errors %v", ve)
			}
			want := []param.Ref{{Path: "parameters.value", Kind: kind, ID: "01J0000000000000000000000A"}}
			if len(refs) != 1 || refs[0].Path != want[0].Path || refs[0].Kind != want[0].Kind || refs[0].ID != want[0].ID {
				t.Errorf("refs = %+v, want %+v", refs, want)
			}
			ve, refs = validateParams(t, typ, map[string]any{})
			if ve == nil || len(ve.Fields["parameters.value"]) == 0 || len(refs) != 0 {
				t.Errorf("missing value: errors %v, refs %v; want an error on parameters.value and no ref", ve, refs)
			}
		})
	}
	t.Run("channel_type_is", func(t *testing.T) {
		for _, ct := range helpdesk.ChannelTypes {
			if ve, _ := validateParams(t, "channel_type_is", value(ct)); ve != nil {
				t.Errorf("value %q: errors %v", ct, ve)
			}
		}
		for _, bad := range []any{"fax", "EMAIL", " email", "", nil} {
			ve, _ := validateParams(t, "channel_type_is", value(bad))
			if ve == nil || len(ve.Fields["parameters.value"]) == 0 {
				t.Errorf("value %#v: errors %v, want one on parameters.value", bad, ve)
			}
		}
	})
	for _, typ := range []string{"contact_is_new", "is_first_message"} {
		t.Run(typ, func(t *testing.T) {
			if ve, refs := validateParams(t, typ, nil); ve != nil || len(refs) != 0 {
				t.Errorf("no parameters: errors %v, refs %v", ve, refs)
			}
		})
	}
}
