package workflow

import (
	"strings"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/validate"
)

// stepEnv validates the conditions, actions and paths of one workflow.
type stepEnv struct {
	errs     *validate.Errors
	refs     *[]param.Ref
	schema   *template.Schema
	checkURL func(string) error
}

func (e *stepEnv) params(path string, value any) *param.Params {
	p := param.New(e.errs, path, value, e.refs, e.schema)
	p.CheckURL = e.checkURL
	return p
}

func (e *stepEnv) conditions(obj *validate.Object, key string, inPath bool) []Condition {
	items, _ := obj.Array(key, false, MaxConditions, "conditions")
	out := make([]Condition, 0, len(items))
	for i, item := range items {
		path := validate.Index(obj.FieldPath(key), i)
		c := validate.NewObject(e.errs, path, item)
		t, ok := c.String("type", true)
		raw, _ := c.Raw("parameters")
		c.RejectUnknown()
		if !ok {
			continue
		}
		def, known := condition.Lookup(t)
		if !known {
			e.errs.Add(c.FieldPath("type"), "is not a condition type; expected one of: %s", strings.Join(condition.Types(), ", "))
			continue
		}
		if !inPath && condition.ReadsVariables(t) {
			e.errs.Add(c.FieldPath("type"), "reads run variables, which exist only once actions ran: use it in a path's conditions")
			continue
		}
		p := e.params(c.FieldPath("parameters"), raw)
		def.Validate(p)
		p.RejectUnknown()
		out = append(out, Condition{Type: t, Parameters: p.Values})
	}
	return out
}

func (e *stepEnv) actions(obj *validate.Object, key string) []Action {
	items, _ := obj.Array(key, false, MaxActions, "actions")
	out := make([]Action, 0, len(items))
	for i, item := range items {
		path := validate.Index(obj.FieldPath(key), i)
		a := validate.NewObject(e.errs, path, item)
		// Workflows-as-code may use seed 000's actionType/config spelling.
		typeKey, paramsKey := "type", "parameters"
		if a.Has("actionType") || a.Has("config") {
			typeKey, paramsKey = "actionType", "config"
			if a.Has("type") || a.Has("parameters") {
				e.errs.Add(path, "use either type/parameters or actionType/config, not both")
			}
		}
		t, ok := a.String(typeKey, true)
		raw, _ := a.Raw(paramsKey)
		label, _ := a.String("label", false)
		if len(label) > MaxLabelLength {
			e.errs.Add(a.FieldPath("label"), "must be at most %d characters", MaxLabelLength)
		}
		a.RejectUnknown()
		if !ok {
			continue
		}
		def, known := action.Lookup(t)
		if !known {
			e.errs.Add(a.FieldPath(typeKey), "is not an action type; expected one of: %s", strings.Join(action.Types(), ", "))
			continue
		}
		p := e.params(a.FieldPath(paramsKey), raw)
		action.ValidateParameters(def, p)
		out = append(out, Action{Type: t, Label: strings.TrimSpace(label), Parameters: p.Values})
	}
	return out
}

func (e *stepEnv) paths(obj *validate.Object) []Path {
	items, _ := obj.Array("paths", false, MaxPaths, "paths")
	out := make([]Path, 0, len(items))
	for i, item := range items {
		po := validate.NewObject(e.errs, validate.Index("paths", i), item)
		p := Path{ConditionMatchType: MatchAll}
		if name, ok := po.String("name", true); ok {
			p.Name = strings.TrimSpace(name)
			if len(p.Name) > MaxNameLength {
				e.errs.Add(po.FieldPath("name"), "must be at most %d characters", MaxNameLength)
			}
		}
		if m, ok := po.String("condition_match_type", false); ok && po.OneOf("condition_match_type", m, MatchAll, MatchAny) {
			p.ConditionMatchType = m
		}
		p.Conditions = e.conditions(po, "conditions", true)
		p.Actions = e.actions(po, "actions")
		if len(p.Actions) == 0 && !e.errs.Has(po.FieldPath("actions")) {
			if arr, _ := po.Values["actions"].([]any); len(arr) == 0 {
				e.errs.Add(po.FieldPath("actions"), "a path needs at least one action")
			}
		}
		po.RejectUnknown()
		out = append(out, p)
	}
	return out
}
