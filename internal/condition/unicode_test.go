package condition_test

import (
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/condition"
)

// Text conditions are documented as case-insensitive. Go's notion of that is
// Unicode simple case folding (strings.EqualFold): Σ, σ and ς are one
// letter, as are S, s and ſ, and Μ, μ and µ. Lower-casing both sides would
// miss these: an all-caps Greek subject ending a word in Σ would never equal
// or contain the same word typed with a final ς.
func TestTextConditionsUnicodeCaseFolding(t *testing.T) {
	cases := []struct {
		typ, subject, body, v string
	}{
		{"subject_equals", "ΚΩΔΙΚΟΣ", "", "κωδικος"},
		{"subject_contains", "ΞΕΧΑΣΑ ΤΟΝ ΚΩΔΙΚΟΣ ΜΟΥ", "", "κωδικος"},
		{"subject_contains", "ſale ended", "", "SALE"},
		{"body_contains", "", "dose: 5 µg", "5 Μg"},
	}
	for _, c := range cases {
		text := c.subject + c.body
		if !containsFold(text, c.v) {
			t.Fatalf("bad case: %q does not contain %q under case folding", text, c.v)
		}
		f := &condition.Facts{Ticket: ticket(c.subject), Message: message(c.body, "")}
		if !evaluate(t, c.typ, f, value(c.v)) {
			t.Errorf("%s: text %q, value %q: got false, want true (case-insensitive)", c.typ, text, c.v)
		}
	}
}

// containsFold reports whether s contains substr under Unicode simple case
// folding (a brute-force reference, fine for test sizes).
func containsFold(s, substr string) bool {
	rs, rsub := []rune(s), []rune(substr)
	for i := 0; i+len(rsub) <= len(rs); i++ {
		if strings.EqualFold(string(rs[i:i+len(rsub)]), substr) {
			return true
		}
	}
	return false
}
