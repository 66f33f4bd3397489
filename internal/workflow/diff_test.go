package workflow_test

import (
	"reflect"
	"testing"

	"github.com/deskflow/deskflow/internal/workflow"
)

// Diff names each changed trigger, condition, action and parameter by its
// path, and what was added or removed.
func TestDiff(t *testing.T) {
	from := workflow.Definition{Name: "Escalate", TriggerType: "on_new_ticket",
		Conditions: []workflow.Condition{{Type: "subject_contains", Parameters: map[string]any{"value": "urgent"}}},
		Actions: []workflow.Action{
			{Type: "send_webhook", Parameters: map[string]any{"url": "https://a.example/hook", "method": "POST"}},
			{Type: "add_tags", Parameters: map[string]any{"tags": []any{"t1"}}},
		}}
	to := from
	to.TriggerType = "on_inbound_message"
	to.Conditions = nil
	to.Actions = []workflow.Action{
		{Type: "send_webhook", Parameters: map[string]any{"url": "https://b.example/hook", "method": "POST"}},
		{Type: "add_tags", Parameters: map[string]any{"tags": []any{"t1"}}},
		{Type: "set_status", Parameters: map[string]any{"status": "open"}},
	}
	got := map[string]string{}
	for _, c := range workflow.Diff(from, to) {
		got[c.Path] = c.Kind
	}
	want := map[string]string{
		"trigger_type":             "changed",
		"conditions.0":             "removed",
		"actions.0.parameters.url": "changed",
		"actions.2":                "added",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diff = %v, want %v", got, want)
	}
	if d := workflow.Diff(from, from); len(d) != 0 {
		t.Errorf("no change: %v", d)
	}
}
