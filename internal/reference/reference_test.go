package reference_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/reference"
	"github.com/deskflow/deskflow/internal/workflow"
)

// TestWorkflowsDocIsCurrent fails when docs/workflows.md is not what the
// registries generate: run go generate ./internal/reference.
func TestWorkflowsDocIsCurrent(t *testing.T) {
	committed, err := os.ReadFile("../../docs/workflows.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, reference.Markdown(reference.Build())) {
		t.Error("docs/workflows.md is stale: run go generate ./internal/reference")
	}
}

// TestEveryTypeIsDocumented walks the registries: every trigger, condition
// and action type is in the reference, with a description, and each of its
// parameters has a type and a description.
func TestEveryTypeIsDocumented(t *testing.T) {
	doc := reference.Build()
	md := string(reference.Markdown(doc))
	check := func(kind, typ, description string, params []reference.Param) {
		t.Helper()
		if strings.TrimSpace(description) == "" {
			t.Errorf("%s %s has no description", kind, typ)
		}
		if !strings.Contains(md, "### `"+typ+"`") {
			t.Errorf("%s %s is not in docs/workflows.md", kind, typ)
		}
		for _, p := range params {
			if p.Type == "" || p.Description == "" {
				t.Errorf("%s %s: parameter %s has no type or description", kind, typ, p.Name)
			}
		}
	}
	if len(doc.Triggers) != len(workflow.TriggerTypes) || len(doc.Conditions) != len(condition.Types()) || len(doc.Actions) != len(action.Types()) {
		t.Fatalf("the reference has %d triggers, %d conditions, %d actions; the registries %d, %d, %d",
			len(doc.Triggers), len(doc.Conditions), len(doc.Actions), len(workflow.TriggerTypes), len(condition.Types()), len(action.Types()))
	}
	for _, tr := range doc.Triggers {
		check("trigger", tr.Type, tr.Description, tr.Parameters)
	}
	for _, c := range doc.Conditions {
		check("condition", c.Type, c.Description, c.Parameters)
	}
	for _, a := range doc.Actions {
		check("action", a.Type, a.Description, a.Parameters)
	}
	for _, p := range doc.CommonParameters {
		if p.Description == "" {
			t.Errorf("common parameter %s has no description", p.Name)
		}
	}
	if len(doc.ConnectorTypes) == 0 || len(doc.Templates.Filters) == 0 || len(doc.Templates.Variables) == 0 {
		t.Errorf("connector types, filters or variables missing: %+v", doc)
	}
}
