package condition_test

import (
	"fmt"
	"testing"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
)

// probeValues are `value` parameters tried against facts that must not
// match whatever the value.
var probeValues = []map[string]any{
	nil,
	{},
	value(""),
	value("  "),
	value("@"),
	value("x"),
	value("refund"),
	value("alice@example.com"),
	value("example.com"),
	value("tag_vip"),
	value("ch_1"),
	value(helpdesk.ChannelEmail),
	value(nil),
	value(3.5),
	value([]any{"tag_vip"}),
}

// safeEvaluate evaluates a type, turning a panic into a test error.
func safeEvaluate(t *testing.T, conditionType string, f *condition.Facts, params map[string]any) (got bool) {
	t.Helper()
	d, ok := condition.Lookup(conditionType)
	if !ok {
		t.Fatalf("Lookup(%q): not registered", conditionType)
	}
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s with %v on %s: panic: %v", conditionType, params, describe(f), r)
			got = false
		}
	}()
	return d.Evaluate(f, params)
}

func describe(f *condition.Facts) string {
	return fmt.Sprintf("Facts{Ticket:%v Message:%v Contact:%v Channel:%v ContactIsNew:%v IsFirstMessage:%v}",
		f.Ticket != nil, f.Message != nil, f.Contact != nil, f.Channel != nil, f.ContactIsNew, f.IsFirstMessage)
}

func TestZeroFactsNeverMatch(t *testing.T) {
	types := condition.Types()
	if len(types) != len(seedTypes)+1 {
		t.Fatalf("Types() has %d types, want %d (the seed's and variable_equals)", len(types), len(seedTypes)+1)
	}
	for _, typ := range types {
		for _, p := range probeValues {
			if safeEvaluate(t, typ, &condition.Facts{}, p) {
				t.Errorf("%s with %v on &Facts{}: got true, want false", typ, p)
			}
		}
	}
	specs := make([]condition.Spec, 0, len(types))
	for _, typ := range types {
		specs = append(specs, condition.Spec{Type: typ, Parameters: value("x")})
	}
	for _, mt := range []string{"all", "any"} {
		ok, results := condition.Match(&condition.Facts{}, mt, specs)
		if ok {
			t.Errorf("Match(&Facts{}, %q, every type): got true, want false", mt)
		}
		for i, r := range results {
			if r.Type != types[i] || r.Matched {
				t.Errorf("Match(&Facts{}, %q) result %d = %+v, want {%s false}", mt, i, r, types[i])
			}
		}
	}
}

// Facts whose pointers are set but point at zero values: no text, no tags,
// no channel id or type. Only does_not_have_tag matches (the ticket has no
// tags at all).
func TestZeroValuedObjects(t *testing.T) {
	f := &condition.Facts{
		Ticket:  &helpdesk.Ticket{},
		Message: &helpdesk.Message{},
		Contact: &helpdesk.Contact{},
		Channel: &helpdesk.Channel{},
	}
	for _, typ := range condition.Types() {
		for _, p := range probeValues {
			if s, _ := p["value"].(string); s == "" && (typ == "channel_is" || typ == "channel_type_is") {
				// A missing or empty `value` (refused by Validate) equals
				// the empty id or type of a zero Channel: not specified,
				// not asserted here.
				continue
			}
			want := typ == "does_not_have_tag"
			if got := safeEvaluate(t, typ, f, p); got != want {
				t.Errorf("%s with %v on zero-valued objects: got %v, want %v", typ, p, got, want)
			}
		}
	}
}

// matchingValue is, per type, a `value` that matches fullFacts.
var matchingValue = map[string]map[string]any{
	"body_contains":       value("Please"),
	"channel_is":          value("ch_1"),
	"channel_type_is":     value("email"),
	"contact_is_new":      nil,
	"does_not_have_tag":   value("tag_other"),
	"from_domain_equals":  value("example.com"),
	"from_email_contains": value("alice"),
	"from_email_equals":   value("alice@example.com"),
	"has_tag":             value("tag_vip"),
	"is_first_message":    nil,
	"subject_contains":    value("refund"),
	"subject_equals":      value("refund request"),
}

const (
	withTicket = 1 << iota
	withMessage
	withContact
	withChannel
	allPointers = withTicket | withMessage | withContact | withChannel
)

// needs says, per type, whether facts with the pointers in mask can match:
// each type depends on specific pointers only.
var needs = map[string]func(mask int) bool{
	"body_contains":       func(m int) bool { return m&withMessage != 0 },
	"channel_is":          func(m int) bool { return m&withChannel != 0 },
	"channel_type_is":     func(m int) bool { return m&withChannel != 0 },
	"contact_is_new":      func(int) bool { return true },
	"does_not_have_tag":   func(m int) bool { return m&withTicket != 0 },
	"from_domain_equals":  func(m int) bool { return m&(withMessage|withContact) != 0 },
	"from_email_contains": func(m int) bool { return m&(withMessage|withContact) != 0 },
	"from_email_equals":   func(m int) bool { return m&(withMessage|withContact) != 0 },
	"has_tag":             func(m int) bool { return m&withTicket != 0 },
	"is_first_message":    func(int) bool { return true },
	"subject_contains":    func(m int) bool { return m&withTicket != 0 },
	"subject_equals":      func(m int) bool { return m&withTicket != 0 },
}

// factsWith returns facts in which every condition matches with its
// matchingValue, keeping only the pointers in mask.
func factsWith(mask int, flags bool) *condition.Facts {
	f := &condition.Facts{ContactIsNew: flags, IsFirstMessage: flags}
	if mask&withTicket != 0 {
		f.Ticket = &helpdesk.Ticket{ID: "tkt_1", Subject: " Refund Request ", TagIDs: []string{"tag_vip"}}
	}
	if mask&withMessage != 0 {
		f.Message = &helpdesk.Message{ID: "msg_1", Body: "PLEASE help", SenderEmail: "alice@example.com"}
	}
	if mask&withContact != 0 {
		f.Contact = &helpdesk.Contact{ID: "con_1", Email: "alice@example.com"}
	}
	if mask&withChannel != 0 {
		f.Channel = &helpdesk.Channel{ID: "ch_1", Type: helpdesk.ChannelEmail}
	}
	return f
}

// Every combination of nil and non-nil pointers: a condition whose pointer
// is nil does not match (and never panics); with its pointer set, it does.
func TestPartialFacts(t *testing.T) {
	types := seedTypes // variable_equals reads variables, not these facts
	for _, typ := range types {
		if _, ok := matchingValue[typ]; !ok {
			t.Fatalf("no matching value for %s", typ)
		}
	}
	for mask := 0; mask <= allPointers; mask++ {
		for _, flags := range []bool{false, true} {
			f := factsWith(mask, flags)
			for _, typ := range types {
				want := needs[typ](mask)
				if typ == "contact_is_new" || typ == "is_first_message" {
					want = flags
				}
				if got := safeEvaluate(t, typ, f, matchingValue[typ]); got != want {
					t.Errorf("%s with %v on %s: got %v, want %v", typ, matchingValue[typ], describe(f), got, want)
				}
				for _, p := range probeValues {
					safeEvaluate(t, typ, f, p) // must not panic
				}
			}
		}
	}
	// With every pointer set and the flags on, every condition matches, so
	// Match over all of them is true.
	specs := make([]condition.Spec, 0, len(types))
	for _, typ := range types {
		specs = append(specs, condition.Spec{Type: typ, Parameters: matchingValue[typ]})
	}
	if ok, results := condition.Match(factsWith(allPointers, true), "all", specs); !ok {
		t.Errorf("Match(all pointers, all, every type) = false, results %v", results)
	}
	if ok, results := condition.Match(factsWith(0, false), "any", specs); ok {
		t.Errorf("Match(no pointers, any, every type) = true, results %v", results)
	}
}

// The contact fallback of from_email_* applies only when the message has no
// sender email; a message with a sender email that does not match wins.
func TestPartialFactsSenderSource(t *testing.T) {
	f := &condition.Facts{
		Message: &helpdesk.Message{SenderEmail: "carol@other.net"},
		Contact: &helpdesk.Contact{Email: "alice@example.com"},
	}
	for _, typ := range []string{"from_email_contains", "from_email_equals", "from_domain_equals"} {
		if safeEvaluate(t, typ, f, matchingValue[typ]) {
			t.Errorf("%s with %v: matched the contact although the message has a sender", typ, matchingValue[typ])
		}
	}
}
