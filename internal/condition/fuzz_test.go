package condition_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
)

// Bits of the fuzzed `present` byte: which pointers of Facts are set.
const (
	fuzzTicket = 1 << iota
	fuzzMessage
	fuzzContact
	fuzzChannel
)

// maxFuzzText is the length fuzzed strings are cut to.
const maxFuzzText = 64

func isTextType(t string) bool { return slices.Contains(textTypes, t) }

// foldRune maps a rune to the smallest rune of its Unicode simple case
// folding orbit, so that two strings are equal under strings.EqualFold
// exactly when their foldRune mappings are equal.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

// oracle is each type's Meaning, written independently of the package, with
// "case-insensitive" read through norm (lower-casing or case folding). ok is
// false for types it does not know.
func oracle(conditionType string, f *condition.Facts, v string, norm func(string) string) (want, ok bool) {
	sender := func() (string, bool) {
		if f.Message != nil && strings.TrimSpace(f.Message.SenderEmail) != "" {
			return f.Message.SenderEmail, true
		}
		if f.Contact != nil && f.Contact.Email != "" {
			return f.Contact.Email, true
		}
		return "", false
	}
	w := norm(v)
	switch conditionType {
	case "subject_contains":
		return f.Ticket != nil && w != "" && strings.Contains(norm(f.Ticket.Subject), w), true
	case "subject_equals":
		return f.Ticket != nil && w != "" && norm(f.Ticket.Subject) == w, true
	case "body_contains":
		return f.Message != nil && w != "" && strings.Contains(norm(f.Message.Body), w), true
	case "from_email_contains":
		s, has := sender()
		return has && w != "" && strings.Contains(norm(s), w), true
	case "from_email_equals":
		s, has := sender()
		return has && w != "" && norm(s) == w, true
	case "from_domain_equals":
		s, has := sender()
		at := strings.LastIndex(s, "@")
		w = strings.TrimPrefix(w, "@")
		return has && at >= 0 && w != "" && norm(s[at+1:]) == w, true
	case "channel_is":
		return f.Channel != nil && f.Channel.ID == v, true
	case "channel_type_is":
		return f.Channel != nil && f.Channel.Type == v, true
	case "has_tag":
		return f.Ticket != nil && slices.Contains(f.Ticket.TagIDs, v), true
	case "does_not_have_tag":
		return f.Ticket != nil && !slices.Contains(f.Ticket.TagIDs, v), true
	case "contact_is_new":
		return f.ContactIsNew, true
	case "is_first_message":
		return f.IsFirstMessage, true
	case "variable_equals":
		return false, true // the fuzzed facts have no variables
	}
	return false, false
}

func foldNorm(s string) string { return strings.Map(foldRune, strings.TrimSpace(s)) }

func FuzzEvaluate(f *testing.F) {
	index := func(t string) uint8 { return uint8(slices.Index(seedTypes, t)) }
	all := uint8(fuzzTicket | fuzzMessage | fuzzContact | fuzzChannel)
	// subject, body, sender, contact email, channel id, channel type, tag 1,
	// tag 2, present, contact is new, is first message, type index, value.
	f.Add("Refund request", "please refund order 42", "Alice@Example.com", "bob@corp.io", "ch_1", "email", "tag_vip", "tag_billing", all, false, true, index("subject_contains"), " REFUND ")
	f.Add("Refund request", "", "", "", "", "", "", "", uint8(fuzzTicket), false, false, index("subject_equals"), "refund REQUEST")
	f.Add("", "My printer is ON FIRE", "", "", "", "", "", "", uint8(fuzzMessage), false, false, index("body_contains"), "on fire")
	f.Add("", "", "", "Bob@Corp.io", "", "", "", "", uint8(fuzzMessage|fuzzContact), false, false, index("from_email_contains"), "corp")
	f.Add("", "", "alice@example.com", "", "", "", "", "", uint8(fuzzMessage), false, false, index("from_email_equals"), "\tALICE@example.com ")
	f.Add("", "", "weird@name@Corp.io", "", "", "", "", "", uint8(fuzzMessage), false, false, index("from_domain_equals"), "@corp.io")
	f.Add("", "", "alice", "bob@corp.io", "", "", "", "", uint8(fuzzMessage|fuzzContact), false, false, index("from_domain_equals"), "alice")
	f.Add("", "", "", "", "ch_1", "chat", "", "", uint8(fuzzChannel), false, false, index("channel_is"), "ch_1")
	f.Add("", "", "", "", "ch_1", "chat", "", "", uint8(0), false, false, index("channel_type_is"), "chat")
	f.Add("x", "", "", "", "", "", "tag_vip", "tag_billing", uint8(fuzzTicket), false, false, index("has_tag"), "tag_billing")
	f.Add("x", "", "", "", "", "", "tag_vip", "", uint8(0), false, false, index("does_not_have_tag"), "tag_vip")
	f.Add("", "", "", "", "", "", "", "", uint8(0), true, false, index("contact_is_new"), "")
	f.Add("", "", "", "", "", "", "", "", all, false, true, index("is_first_message"), "")
	f.Add("  ", "  ", "  ", "  ", "", "", "", "", all, false, false, index("subject_equals"), "  ")
	f.Add("İstanbul ſale ΟΔΟΣ", "\xff\xfe", "ÄLICE@ÉXAMPLE.COM", "", "", "", "", "", all, false, false, index("subject_contains"), "stanbul")
	types := condition.Types()
	f.Fuzz(func(t *testing.T, subject, body, sender, contactEmail, channelID, channelType, tag1, tag2 string,
		present uint8, contactIsNew, isFirstMessage bool, typeIndex uint8, v string) {
		// Conditions do not depend on length: short texts keep each
		// execution, and above all the minimization of every new
		// interesting input (quadratic in its length), cheap.
		for _, s := range []*string{&subject, &body, &sender, &contactEmail, &channelID, &channelType, &tag1, &tag2, &v} {
			if len(*s) > maxFuzzText {
				*s = (*s)[:maxFuzzText]
			}
		}
		typ := types[int(typeIndex)%len(types)]
		d, ok := condition.Lookup(typ)
		if !ok {
			t.Fatalf("Types() lists %q but Lookup does not find it", typ)
		}
		facts := &condition.Facts{ContactIsNew: contactIsNew, IsFirstMessage: isFirstMessage}
		if present&fuzzTicket != 0 {
			facts.Ticket = &helpdesk.Ticket{ID: "tkt_1", Subject: subject, TagIDs: []string{tag1, tag2}}
		}
		if present&fuzzMessage != 0 {
			facts.Message = &helpdesk.Message{ID: "msg_1", Body: body, SenderEmail: sender}
		}
		if present&fuzzContact != 0 {
			facts.Contact = &helpdesk.Contact{ID: "con_1", Email: contactEmail}
		}
		if present&fuzzChannel != 0 {
			facts.Channel = &helpdesk.Channel{ID: channelID, Type: channelType}
		}

		params := map[string]any{"value": v}
		got := d.Evaluate(facts, params)

		// "Case-insensitive" is Unicode simple case folding (ς and Σ, ſ and
		// S, µ and Μ are one letter each).
		want, known := oracle(typ, facts, v, foldNorm)
		if !known {
			t.Fatalf("no oracle for %s", typ)
		}
		if got != want {
			t.Fatalf("%s value %q on %s: got %v, want %v", typ, v, describe(facts), got, want)
		}
		if again := d.Evaluate(facts, params); again != got {
			t.Fatalf("%s value %q: second evaluation %v, first %v", typ, v, again, got)
		}
		// The engine rules workflows out by Required: it must hold whenever
		// the condition does.
		checkRequired(t, condition.Spec{Type: typ, Parameters: params}, facts)

		for _, mt := range []string{"all", "any", ""} {
			matched, results := condition.Match(facts, mt, []condition.Spec{{Type: typ, Parameters: params}})
			if matched != got {
				t.Fatalf("Match(%q, [%s]) = %v, Evaluate = %v", mt, typ, matched, got)
			}
			if want := []condition.Result{{Type: typ, Matched: got}}; !slices.Equal(results, want) {
				t.Fatalf("Match(%q, [%s]) results %v, want %v", mt, typ, results, want)
			}
		}

		if !isTextType(typ) {
			return
		}
		if strings.TrimSpace(v) == "" && got {
			t.Fatalf("%s matched the blank value %q", typ, v)
		}
		for _, padded := range []string{" " + v + " ", "  " + v, v + "\t\n", "\r\n " + v + " \t"} {
			if g := d.Evaluate(facts, map[string]any{"value": padded}); g != got {
				t.Fatalf("%s value %q: %v, but %q gives %v", typ, v, got, padded, g)
			}
		}
		upper := strings.ToUpper(v)
		// For a few runes (ı and I, for one) upper-casing is not a change
		// of case under simple case folding: skip those values.
		if foldNorm(upper) != foldNorm(v) {
			return
		}
		if g := d.Evaluate(facts, map[string]any{"value": upper}); g != got {
			t.Fatalf("%s value %q: %v, but upper-cased %q gives %v", typ, v, got, upper, g)
		}
		if g := d.Evaluate(facts, map[string]any{"value": " " + upper + " "}); g != got {
			t.Fatalf("%s value %q: %v, but padded upper-cased %q gives %v", typ, v, got, upper, g)
		}
	})
}
