package condition

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

// variablePath is a saved variable and a path inside it: triage.urgency.
var variablePath = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z0-9_-]{1,64}){0,8}$`)

// variableEquals reads what an earlier action of the run saved (saveAs), so
// a path can branch on a classification. Variables exist only inside a run:
// the condition belongs in a path's conditions, which are then evaluated
// after the main path finishes.
var variableEquals = Definition{
	Type:    "variable_equals",
	Meaning: "The run variable at `name` (a saveAs name, optionally with a path such as triage.urgency) equals `value` (case-insensitive, surrounding whitespace ignored). Only in path conditions: such paths start when the main path has finished, so they see its saved outputs.",
	Params: []spec.Param{
		{Name: "name", Type: spec.String, Required: true, Example: "triage.category",
			Description: "A saveAs name, optionally followed by .field parts."},
		{Name: "value", Type: spec.String, Required: true, Example: "billing", Description: "The text to compare with."},
	},
	Check: func(p *param.Params, v spec.Values) {
		if name, ok := v.String("name"); ok && !variablePath.MatchString(name) {
			p.Errs.Add(p.FieldPath("name"), "must be a saveAs name, optionally followed by .field parts (e.g. triage.urgency)")
		}
	},
	Evaluate: func(f *Facts, parameters map[string]any) bool {
		v, ok := lookupVariable(f.Variables, stringParam(parameters, "name"))
		want := normalize(stringParam(parameters, "value"))
		return ok && want != "" && normalize(v) == want
	},
}

// ReadsVariables reports whether a condition type needs the run's
// variables.
func ReadsVariables(conditionType string) bool { return conditionType == variableEquals.Type }

// lookupVariable resolves a dotted path in the variables to its text.
func lookupVariable(vars map[string]any, path string) (string, bool) {
	var cur any = vars
	for _, seg := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = m[seg]; !ok {
			return "", false
		}
	}
	switch v := cur.(type) {
	case nil:
		return "", false
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case map[string]any, []any:
		return "", false
	default:
		return fmt.Sprint(v), true
	}
}
