// Package reference assembles the reference of the workflow model from the
// registries: every trigger, condition and action type with its parameter
// specs, the parameters common to every action, the connector types with
// their settings' specs and credentials, the platform actions and the
// template variables and filters. GET /api/specs serves it and
// docs/workflows.md is generated from it, so neither is kept by hand.
package reference

//go:generate go run ./gen ../../docs/workflows.md

import (
	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/connector"
	_ "github.com/deskflow/deskflow/internal/integration/llm" // registers the ai connector type
	"github.com/deskflow/deskflow/internal/integration/platform"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/workflow"
)

// Document is the whole reference.
type Document struct {
	Triggers         []Trigger               `json:"triggers"`
	Conditions       []Condition             `json:"conditions"`
	Actions          []Action                `json:"actions"`
	CommonParameters []Param                 `json:"common_parameters"`
	ConnectorTypes   []ConnectorType         `json:"connector_types"`
	Platforms        []platform.PlatformInfo `json:"platforms"`
	Templates        Templates               `json:"templates"`
}

// Param is a parameter spec with what its type implies spelled out.
type Param struct {
	spec.Param
	Templates bool `json:"templates"`
}

// Trigger is one trigger type.
type Trigger struct {
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
	Parameters  []Param  `json:"parameters"`
}

// Condition is one condition type.
type Condition struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	// PathsOnly conditions read run variables, so they belong in a path's
	// conditions.
	PathsOnly  bool    `json:"paths_only"`
	Parameters []Param `json:"parameters"`
}

// Action is one action type.
type Action struct {
	Type        string `json:"type"`
	Category    string `json:"category"`
	Description string `json:"description"`
	// ActsOn is "ticket" for actions that change the ticket inside the
	// step's transaction, "outside" for those that call other systems.
	ActsOn     string  `json:"acts_on"`
	Parameters []Param `json:"parameters"`
}

// ConnectorType is one kind of connector: the specs of its settings and
// its write-only credentials.
type ConnectorType struct {
	Type        string                 `json:"type"`
	Description string                 `json:"description"`
	Settings    []Param                `json:"settings"`
	Credentials []connector.Credential `json:"credentials"`
	Testable    bool                   `json:"testable"`
}

// Templates is what templates may use.
type Templates struct {
	Variables []string             `json:"variables"`
	Filters   []template.FilterDoc `json:"filters"`
}

// Build assembles the reference from the registries.
func Build() Document {
	d := Document{
		Triggers: []Trigger{}, Conditions: []Condition{}, Actions: []Action{}, ConnectorTypes: []ConnectorType{},
		CommonParameters: params(action.CommonParams),
		Platforms:        platform.Catalog(),
		Templates:        Templates{Variables: template.DefaultSchema.Paths(), Filters: template.Filters()},
	}
	for _, t := range workflow.Triggers() {
		events := t.Events
		if events == nil {
			events = []string{}
		}
		d.Triggers = append(d.Triggers, Trigger{Type: t.Type, Description: t.Description, Events: events, Parameters: params(t.Params)})
	}
	for _, name := range condition.Types() {
		c, _ := condition.Lookup(name)
		d.Conditions = append(d.Conditions, Condition{Type: name, Description: c.Meaning, PathsOnly: condition.ReadsVariables(name), Parameters: params(c.Params)})
	}
	for _, name := range action.Types() {
		a, _ := action.Lookup(name)
		actsOn := "outside"
		if a.Effect == action.EffectTicket {
			actsOn = "ticket"
		}
		d.Actions = append(d.Actions, Action{Type: name, Category: string(a.Category), Description: a.Description, ActsOn: actsOn, Parameters: params(a.Params)})
	}
	for _, name := range connector.TypeNames() {
		t, _ := connector.Lookup(name)
		creds := append([]connector.Credential{}, t.Credentials...)
		d.ConnectorTypes = append(d.ConnectorTypes, ConnectorType{Type: name, Description: t.Description, Settings: params(t.Settings), Credentials: creds, Testable: t.Test != nil})
	}
	return d
}

func params(specs []spec.Param) []Param {
	out := make([]Param, len(specs))
	for i, s := range specs {
		out[i] = Param{Param: s, Templates: s.Templated()}
	}
	return out
}
