package reference_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/connector"
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
	if len(doc.Templates.Filters) == 0 || len(doc.Templates.Variables) == 0 {
		t.Errorf("filters or variables missing: %+v", doc.Templates)
	}
}

// TestEveryConnectorTypeIsDocumented walks the connector registry: every
// type is in the reference with a description, every setting with a type,
// a description and an example, every credential with a description.
func TestEveryConnectorTypeIsDocumented(t *testing.T) {
	doc := reference.Build()
	md := string(reference.Markdown(doc))
	names := connector.TypeNames()
	if len(doc.ConnectorTypes) != len(names) || len(names) == 0 {
		t.Fatalf("the reference has %d connector types, the registry %d", len(doc.ConnectorTypes), len(names))
	}
	for i, c := range doc.ConnectorTypes {
		if c.Type != names[i] {
			t.Errorf("connector type %d is %s, want %s", i, c.Type, names[i])
		}
		if strings.TrimSpace(c.Description) == "" {
			t.Errorf("connector type %s has no description", c.Type)
		}
		if !strings.Contains(md, "### `"+c.Type+"` connector") {
			t.Errorf("connector type %s is not in docs/workflows.md", c.Type)
		}
		for _, s := range c.Settings {
			if s.Type == "" || s.Description == "" || s.Example == nil {
				t.Errorf("connector type %s: setting %s has no type, description or example", c.Type, s.Name)
			}
		}
		for _, cr := range c.Credentials {
			if cr.Key == "" || cr.Description == "" {
				t.Errorf("connector type %s: credential %q has no description", c.Type, cr.Key)
			}
		}
	}
}
