package workflow

import (
	"fmt"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

// Trigger describes one trigger type: when it fires and its parameters.
type Trigger struct {
	Type        string
	Description string
	// Events are the helpdesk events that fire it; none for manual, which
	// runs on request.
	Events []string
	Params []spec.Param
	// Check adds the rules of the parameters that the spec cannot state.
	Check func(p *param.Params, v spec.Values)
}

// RequiresParameters reports whether trigger_parameters must be given.
func (t Trigger) RequiresParameters() bool {
	for _, p := range t.Params {
		if p.Required {
			return true
		}
	}
	return false
}

var (
	triggers       []Trigger
	triggerByType  = map[string]Trigger{}
	triggerByEvent = map[string]string{}
)

func registerTriggers(defs ...Trigger) {
	for _, t := range defs {
		if _, dup := triggerByType[t.Type]; dup {
			panic(fmt.Sprintf("workflow: trigger %s registered twice", t.Type))
		}
		for _, ev := range t.Events {
			if other, dup := triggerByEvent[ev]; dup {
				panic(fmt.Sprintf("workflow: event %s fires both %s and %s", ev, other, t.Type))
			}
			triggerByEvent[ev] = t.Type
		}
		triggers = append(triggers, t)
		triggerByType[t.Type] = t
		TriggerTypes = append(TriggerTypes, t.Type)
	}
}

// TriggerTypes lists every trigger type in registration order (the seed's).
var TriggerTypes []string

// Triggers lists the trigger types' definitions in registration order.
func Triggers() []Trigger { return triggers }

// LookupTrigger returns the definition of a trigger type.
func LookupTrigger(triggerType string) (Trigger, bool) {
	t, ok := triggerByType[triggerType]
	return t, ok
}

// TriggerOf returns the trigger type that an event fires, "" for none.
func TriggerOf(eventType string) string { return triggerByEvent[eventType] }
