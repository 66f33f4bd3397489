package api

import (
	"maps"
	"reflect"
	"slices"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/workflow"
)

// drawn are the types whose schemas are drawn from the trigger, condition
// and action registries (drawnSchemas) rather than reflected: the
// components of these names replace what reflection would give.
var drawn = map[reflect.Type]string{
	of[workflow.Condition](): "Condition",
	of[workflow.Action]():    "Action",
	of[workflow.Path]():      "Path",
	of[workflowInput]():      "WorkflowInput",
	of[workflowUpdate]():     "WorkflowUpdate",
}

// drawnSchemas are the components of the workflow model: conditions and
// actions are oneOf schemas discriminated by type, one per registered
// type, drawn from its spec; trigger_parameters are chosen by the sibling
// trigger_type (triggerParameterRules). Bodies may also spell an action
// as workflows-as-code does ({actionType, config}: ActionAsCode); answers
// always spell it {type, parameters}.
func drawnSchemas() map[string]any {
	out := map[string]any{}
	oneOf := func(kind, discriminator string, variants map[string]map[string]any) map[string]any {
		var refs []any
		mapping := map[string]any{}
		for _, t := range slices.Sorted(maps.Keys(variants)) {
			name := kind + "_" + t
			out[name] = variants[t]
			refs = append(refs, refTo("schemas", name))
			mapping[t] = "#/components/schemas/" + name
		}
		return map[string]any{"oneOf": refs, "discriminator": map[string]any{"propertyName": discriminator, "mapping": mapping}}
	}
	// step is one condition or action: {typeKey: typ, paramsKey: params}.
	step := func(typeKey, paramsKey, typ, description string, params map[string]any, paramsRequired bool, extra map[string]any) map[string]any {
		props := map[string]any{typeKey: map[string]any{"type": "string", "const": typ, "description": description}, paramsKey: params}
		maps.Copy(props, extra)
		required := []string{typeKey}
		if paramsRequired {
			required = append(required, paramsKey)
		}
		return map[string]any{"type": "object", "required": required, "properties": props, "additionalProperties": false}
	}
	hasRequired := func(params []spec.Param) bool {
		return slices.ContainsFunc(params, func(p spec.Param) bool { return p.Required })
	}

	conditions := map[string]map[string]any{}
	for _, t := range condition.Types() {
		d, _ := condition.Lookup(t)
		conditions[t] = step("type", "parameters", t, d.Meaning, spec.ObjectSchema(d.Params), hasRequired(d.Params), nil)
	}
	out["Condition"] = oneOf("Condition", "type", conditions)

	actions, asCode := map[string]map[string]any{}, map[string]map[string]any{}
	label := map[string]any{"label": map[string]any{"type": []any{"string", "null"}, "maxLength": workflow.MaxLabelLength, "description": "What the step does, e.g. \"Assign to Billing Team\"."}}
	for _, t := range action.Types() {
		d, _ := action.Lookup(t)
		params := append(slices.Clone(action.CommonParams), d.Params...)
		name := "ActionParameters_" + t
		out[name] = spec.ObjectSchema(params)
		actions[t] = step("type", "parameters", t, d.Description, refTo("schemas", name), hasRequired(params), label)
		asCode[t] = step("actionType", "config", t, d.Description, refTo("schemas", name), hasRequired(params), label)
	}
	out["Action"] = oneOf("Action", "type", actions)
	out["ActionAsCode"] = oneOf("ActionAsCode", "actionType", asCode)
	out["ActionInput"] = map[string]any{"oneOf": []any{refTo("schemas", "Action"), refTo("schemas", "ActionAsCode")},
		"description": "An action as {type, parameters}, or as workflows-as-code spell it: {actionType, config}."}

	for _, t := range workflow.Triggers() {
		out["TriggerParameters_"+t.Type] = spec.ObjectSchema(t.Params)
	}
	nullableList := func(items string, maxItems int) map[string]any {
		return map[string]any{"type": []any{"array", "null"}, "items": refTo("schemas", items), "maxItems": maxItems}
	}
	matchType := map[string]any{"type": []any{"string", "null"}, "enum": []any{workflow.MatchAll, workflow.MatchAny, nil}, "default": workflow.MatchAll}
	path := func(actions string) map[string]any {
		return map[string]any{"type": "object", "required": []string{"name", "actions"}, "additionalProperties": false, "properties": map[string]any{
			"name":                 map[string]any{"type": "string", "minLength": 1, "maxLength": workflow.MaxNameLength},
			"condition_match_type": matchType,
			"conditions":           nullableList("Condition", workflow.MaxConditions),
			"actions":              map[string]any{"type": "array", "items": refTo("schemas", actions), "minItems": 1, "maxItems": workflow.MaxActions},
		}}
	}
	out["Path"] = path("Action")
	out["PathInput"] = path("ActionInput")

	ignored := func(format string) map[string]any {
		s := map[string]any{"type": "string", "description": "Ignored: the workflow's, sent back as read."}
		if format != "" {
			s["format"] = format
		}
		return s
	}
	workflowBody := func(required []string) map[string]any {
		s := map[string]any{"type": "object", "allOf": triggerParameterRules(), "additionalProperties": false, "properties": map[string]any{
			"name":                 map[string]any{"type": "string", "minLength": 1, "maxLength": workflow.MaxNameLength},
			"description":          map[string]any{"type": []any{"string", "null"}, "maxLength": workflow.MaxDescriptionLength},
			"trigger_type":         map[string]any{"type": "string", "enum": workflow.TriggerTypes},
			"trigger_parameters":   map[string]any{"type": []any{"object", "null"}, "description": "The trigger type's parameters (TriggerParameters_<trigger_type>)."},
			"condition_match_type": matchType,
			"is_enabled":           map[string]any{"type": []any{"boolean", "null"}, "default": true},
			"position":             map[string]any{"type": []any{"integer", "null"}, "minimum": 0, "maximum": 1_000_000, "description": "Run order among workflows of one trigger: position, then creation time."},
			"conditions":           nullableList("Condition", workflow.MaxConditions),
			"actions":              nullableList("ActionInput", workflow.MaxActions),
			"paths":                nullableList("PathInput", workflow.MaxPaths),
			"id":                   ignored(""),
			"created_at":           ignored("date-time"),
			"updated_at":           ignored("date-time"),
			"version":              map[string]any{"type": "integer", "description": "Ignored: the workflow's, sent back as read."},
			"warnings":             map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": "Ignored: the answer's, sent back as read."},
		}}
		if required != nil {
			s["required"] = required
		}
		return s
	}
	out["WorkflowInput"] = workflowBody([]string{"name", "trigger_type"})
	update := workflowBody(nil)
	update["description"] = "Omitted fields keep their value; conditions, actions and paths given replace the workflow's whole. A new trigger_type without trigger_parameters resets them to the new trigger's defaults."
	out["WorkflowUpdate"] = update
	return out
}

// triggerParameterRules choose trigger_parameters' schema by the sibling
// trigger_type: one if/then per trigger type. A trigger with required
// parameters needs them; the others' may be null or left out.
func triggerParameterRules() []any {
	var rules []any
	for _, t := range workflow.Triggers() {
		params := refTo("schemas", "TriggerParameters_"+t.Type)
		then := map[string]any{"properties": map[string]any{"trigger_parameters": params}, "required": []string{"trigger_parameters"}}
		if !t.RequiresParameters() {
			then = map[string]any{"properties": map[string]any{"trigger_parameters": map[string]any{"anyOf": []any{params, map[string]any{"type": "null"}}}}}
		}
		rules = append(rules, map[string]any{
			"if":   map[string]any{"required": []string{"trigger_type"}, "properties": map[string]any{"trigger_type": map[string]any{"const": t.Type}}},
			"then": then,
		})
	}
	return rules
}
