package engine

import (
	"reflect"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/run"
)

// A step's output comes from outside (a webhook's answer, a model's text,
// a platform's record): it is recorded, and saved for later steps, without
// NUL characters in its keys and values.
func TestFinishedStepOutputHasNoNUL(t *testing.T) {
	e := &Engine{now: time.Now}
	out := map[string]any{"te\x00xt": "a\x00b", "to": []string{"c\x00@example.com"}, "body": []any{map[string]any{"k": "\x00v"}}, "status": 200}
	s := e.finished(run.Step{SaveAs: "hook"}, run.StepSucceeded, nil, out, "")
	want := map[string]any{"text": "ab", "to": []string{"c@example.com"}, "body": []any{map[string]any{"k": "v"}}, "status": 200}
	if !reflect.DeepEqual(s.Output, want) {
		t.Errorf("output %#v, want %#v", s.Output, want)
	}
}
