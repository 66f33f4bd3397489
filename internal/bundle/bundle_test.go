package bundle_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/bundle"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

func TestFilePath(t *testing.T) {
	for in, want := range map[string]string{
		"workflows.3.actions.1.parameters.url":     "workflows[3].actions[1].parameters.url",
		"tags.0":                                   "tags[0]",
		"workflows.12.paths.0.conditions.10.value": "workflows[12].paths[0].conditions[10].value",
		"business_hours.weekly.monday.0.start":     "business_hours.weekly.monday[0].start",
		"version":                                  "version",
	} {
		if got := bundle.FilePath(in); got != want {
			t.Errorf("FilePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// A bundle written as YAML reads back as the JSON it was made from:
// numbers exact, strings that look like numbers or booleans kept strings.
func TestYAMLRoundTrip(t *testing.T) {
	b := &bundle.Bundle{Version: 1, Tags: []string{"vip", "123", "true", "yes", "null", "a: b", "#hash"}, Teams: []string{}, SavedReplies: []bundle.SavedReplyEntry{{Title: "Multi", Body: "line one\nline two\n  indented {{customer.name}}"}},
		Connectors: []bundle.ConnectorEntry{{Name: "Hooks", Type: "webhook", Settings: map[string]any{"timeout": json.Number("12.5"), "big": json.Number("9007199254740993")}}},
		Workflows: []bundle.WorkflowEntry{{Name: "W", TriggerType: "on_no_reply", TriggerParameters: map[string]any{"duration": json.Number("2")}, ConditionMatchType: "any", IsEnabled: false, Position: 3,
			Conditions: []workflow.Condition{{Type: "subject_contains", Parameters: map[string]any{"value": "007"}}}, Actions: []workflow.Action{{Type: "add_internal_note", Parameters: map[string]any{"content": "ünïcode ✓ \"quoted\""}}}, Paths: []workflow.Path{}}}}
	text, err := b.YAML()
	if err != nil {
		t.Fatal(err)
	}
	got, err := bundle.Decode(text)
	if err != nil {
		t.Fatalf("decode:\n%s\n%v", text, err)
	}
	js, _ := json.Marshal(b)
	want, _ := validate.Decode(js)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("YAML round trip:\n%s\ngot  %v\nwant %v", text, got, want)
	}
	if got, err := bundle.Decode(js); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("JSON read: %v %v", got, err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"alias":        "tags: &t [a]\nteams: *t\n",
		"merge":        "base: &b {x: 1}\nworkflows: [{<<: *b}]\n",
		"documents":    "tags: [a]\n---\ntags: [b]\n",
		"tag":          "tags: !!set {a: null}\n",
		"syntax":       "workflows: [\n",
		"json syntax":  `{"tags": [}`,
		"tab indented": "tags:\n\t- a\n",
	} {
		_, err := bundle.Decode([]byte(doc))
		var syntax *bundle.SyntaxError
		if !errors.As(err, &syntax) {
			t.Errorf("%s: %v, want a syntax error", name, err)
		}
	}
	if doc, err := bundle.Decode([]byte("")); err != nil || doc != nil {
		t.Errorf("empty document: %v %v", doc, err)
	}
}

// FuzzDecode: any input is read or refused with a SyntaxError, never a
// panic; what is read is what validation reads (JSON values).
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"version: 1\ntags: [vip]\nworkflows:\n  - name: A\n    trigger_type: on_new_ticket\n    actions: [{type: set_status, parameters: {status: spam}}]\n",
		`{"tags": ["a"], "workflows": []}`,
		"tags: &t [a]\nteams: *t\n",
		"a: 1e400\nb: 0x10\nc: .inf\nd: ~\n",
		"- just\n- a list\n",
		"key: |\n  block\n  text\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := bundle.Decode(data)
		if err != nil {
			var syntax *bundle.SyntaxError
			if !errors.As(err, &syntax) || strings.TrimSpace(syntax.Message) == "" {
				t.Fatalf("error of another kind: %T %v", err, err)
			}
			return
		}
		if _, err := json.Marshal(doc); err != nil {
			t.Fatalf("decoded value is not JSON: %v", err)
		}
	})
}
