package condition_test

import (
	"encoding/json"
	"testing"

	"github.com/deskflow/deskflow/internal/condition"
)

func TestVariableEquals(t *testing.T) {
	vars := map[string]any{
		"triage": map[string]any{"category": "Billing", "urgency": "high", "confidence": json.Number("0.91"),
			"sentiment": map[string]any{"label": "negative"}},
		"plain": "Yes",
	}
	d, ok := condition.Lookup("variable_equals")
	if !ok {
		t.Fatal("variable_equals is not registered")
	}
	cases := []struct {
		name, value string
		want        bool
	}{
		{"triage.urgency", "high", true},
		{"triage.urgency", " HIGH ", true},
		{"triage.urgency", "low", false},
		{"triage.category", "billing", true},
		{"triage.sentiment.label", "negative", true},
		{"triage.confidence", "0.91", true},
		{"triage.sentiment", "negative", false}, // an object is not a text
		{"triage.missing", "x", false},
		{"nothing.at.all", "x", false},
		{"plain", "yes", true},
		{"plain.deeper", "yes", false},
		{"plain", "", false},
	}
	for _, c := range cases {
		got := d.Evaluate(&condition.Facts{Variables: vars}, map[string]any{"name": c.name, "value": c.value})
		if got != c.want {
			t.Errorf("%s = %q: %v, want %v", c.name, c.value, got, c.want)
		}
	}
	if d.Evaluate(&condition.Facts{}, map[string]any{"name": "plain", "value": "yes"}) {
		t.Errorf("matched without variables")
	}
}
