// Package workflow is the workflow model of the spec: a trigger, conditions
// matched all/any, a main path of actions and optional parallel paths. It
// parses and validates workflow definitions (API bodies and workflows-as-code
// files) into that model, delegating each condition and action type to its
// registry; it does not run anything.
package workflow

import (
	"github.com/deskflow/deskflow/internal/param"
	"time"
)

// Trigger types (seed 003).
const (
	TriggerNewTicket      = "on_new_ticket"
	TriggerInboundMessage = "on_inbound_message"
	TriggerNoReply        = "on_no_reply"
	TriggerTagAdded       = "on_tag_added"
	TriggerTagRemoved     = "on_tag_removed"
	TriggerManual         = "manual"
)

// Condition match types.
const (
	MatchAll = "all"
	MatchAny = "any"
)

// Condition is one test of a workflow or path, `{type, parameters}`.
type Condition struct {
	Type       string         `json:"type"`
	Parameters map[string]any `json:"parameters"`
}

// Action is one step, `{type, label, parameters}`.
type Action struct {
	Type       string         `json:"type"`
	Label      string         `json:"label,omitempty"`
	Parameters map[string]any `json:"parameters"`
}

// Path is a parallel branch that runs when its own conditions pass.
type Path struct {
	Name               string      `json:"name"`
	ConditionMatchType string      `json:"condition_match_type"`
	Conditions         []Condition `json:"conditions"`
	Actions            []Action    `json:"actions"`
}

// NoReplyParameters are the trigger parameters of on_no_reply.
type NoReplyParameters struct {
	Value             int    `json:"value"`
	Unit              string `json:"unit"`
	OnlyBusinessHours bool   `json:"only_business_hours"`
}

// Duration is the elapsed-time length of the waiting period.
func (p NoReplyParameters) Duration() time.Duration {
	return time.Duration(p.Value) * unitLength(p.Unit)
}

func unitLength(unit string) time.Duration {
	switch unit {
	case UnitMinutes:
		return time.Minute
	case UnitDays:
		return 24 * time.Hour
	default:
		return time.Hour
	}
}

// Units of the on_no_reply duration.
const (
	UnitMinutes = "minutes"
	UnitHours   = "hours"
	UnitDays    = "days"
)

// MaxNoReply is the seed's cap: "capped at 30 days in total".
const MaxNoReply = 30 * 24 * time.Hour

// Workflow is a stored workflow of one workspace.
type Workflow struct {
	ID                 string         `json:"id"`
	Name               string         `json:"name"`
	Description        string         `json:"description"`
	TriggerType        string         `json:"trigger_type"`
	TriggerParameters  map[string]any `json:"trigger_parameters"`
	ConditionMatchType string         `json:"condition_match_type"`
	IsEnabled          bool           `json:"is_enabled"`
	Position           int            `json:"position"`
	Conditions         []Condition    `json:"conditions"`
	Actions            []Action       `json:"actions"`
	Paths              []Path         `json:"paths"`
	// Version is the number of the workflow's current version: every save
	// that changes its definition (not enabling, disabling or moving it)
	// makes a new one.
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Author is who saves it (a user id), recorded with the version the
	// save makes.
	Author string `json:"-"`
	// Warnings come with the answer to a save: a loop it makes among
	// workflows, for instance.
	Warnings []string `json:"warnings,omitempty"`
}

// Definition is what a version of a workflow keeps: everything that
// decides what it does, not whether it is enabled or where it stands.
type Definition struct {
	Name               string         `json:"name"`
	Description        string         `json:"description"`
	TriggerType        string         `json:"trigger_type"`
	TriggerParameters  map[string]any `json:"trigger_parameters"`
	ConditionMatchType string         `json:"condition_match_type"`
	Conditions         []Condition    `json:"conditions"`
	Actions            []Action       `json:"actions"`
	Paths              []Path         `json:"paths"`
}

// Definition is the workflow's definition.
func (w *Workflow) Definition() Definition {
	return Definition{Name: w.Name, Description: w.Description, TriggerType: w.TriggerType, TriggerParameters: w.TriggerParameters,
		ConditionMatchType: w.ConditionMatchType, Conditions: w.Conditions, Actions: w.Actions, Paths: w.Paths}
}

// NoReply returns the on_no_reply parameters; ok is false for other triggers.
func (w *Workflow) NoReply() (NoReplyParameters, bool) {
	if w.TriggerType != TriggerNoReply {
		return NoReplyParameters{}, false
	}
	p := NoReplyParameters{Unit: UnitHours}
	if v, ok := param.WholeNumber(w.TriggerParameters["value"]); ok {
		p.Value = int(v)
	}
	if u, ok := w.TriggerParameters["unit"].(string); ok && u != "" {
		p.Unit = u
	}
	if b, ok := w.TriggerParameters["only_business_hours"].(bool); ok {
		p.OnlyBusinessHours = b
	}
	return p, true
}

// TagScope returns the tag ids that scope an on_tag_added/on_tag_removed
// trigger; empty means any tag.
func (w *Workflow) TagScope() []string {
	raw, _ := w.TriggerParameters["tags"].([]any)
	if len(raw) == 0 {
		return nil
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
