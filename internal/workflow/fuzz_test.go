package workflow_test

import (
	"context"
	"testing"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// knownRefs accepts every reference, so that fuzzing reaches past it.
type knownRefs struct{}

func (knownRefs) CheckRefs(context.Context, int64, []param.Ref) ([]workflow.RefProblem, error) {
	return nil, nil
}

// FuzzCreate feeds arbitrary JSON to the workflow parser: it never panics,
// and it either returns a workflow or a validation error naming fields.
func FuzzCreate(f *testing.F) {
	for _, seed := range []string{
		`{"name": "Auto-close spam", "trigger_type": "on_new_ticket", "condition_match_type": "any", "conditions": [{"type": "subject_contains", "parameters": {"value": "unsubscribe"}}], "actions": [{"type": "set_status", "parameters": {"status": "spam"}}]}`,
		`{"name": "w", "trigger_type": "on_no_reply", "trigger_parameters": {"value": 4, "unit": "hours", "only_business_hours": true}, "actions": [{"type": "assign_ticket", "parameters": {"assign_type": "team", "team": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "user": null}}]}`,
		`{"name": "w", "trigger_type": "manual", "actions": [{"actionType": "generate_ai_response", "config": {"promptTemplate": "Summarize: {{ticket.subject}}", "saveAs": "summary"}}], "paths": [{"name": "p", "conditions": [{"type": "variable_equals", "parameters": {"name": "summary.text", "value": "x"}}], "actions": [{"type": "add_internal_note", "parameters": {"content": "{{variables.summary}}"}}]}]}`,
		`{"name": "w", "trigger_type": "on_tag_added", "trigger_parameters": {"tags": ["a", 1, null]}, "actions": [{"type": "send_webhook", "parameters": {"url": "https://x.example/{{ticket.id}}", "body": "{\"a\": \"{{ticket.subject}}\"}", "headers": {"X": 1}, "timeout": 1e400}}]}`,
		`[]`, `null`, `{"name": {"a": []}}`, `{"trigger_type": "on_no_reply", "trigger_parameters": {"value": 99999999999999999999}}`,
	} {
		f.Add([]byte(seed))
	}
	v := &workflow.Validator{Refs: knownRefs{}, Schema: template.DefaultSchema}
	f.Fuzz(func(t *testing.T, data []byte) {
		body, err := validate.Decode(data)
		if err != nil {
			return
		}
		wf, err := v.Create(context.Background(), 1, body)
		if err != nil {
			ve, ok := validate.As(err)
			if !ok {
				t.Fatalf("not a validation error: %v", err)
			}
			if len(ve.Fields) == 0 || ve.Message() == "" {
				t.Fatalf("a validation error without fields: %v", err)
			}
			return
		}
		if wf.Name == "" || wf.TriggerType == "" {
			t.Fatalf("accepted a workflow without name or trigger: %+v", wf)
		}
		// An accepted workflow is accepted again as an update of itself.
		if _, err := v.Update(context.Background(), 1, wf, map[string]any{}); err != nil {
			t.Fatalf("a valid workflow fails as its own update: %v", err)
		}
	})
}
