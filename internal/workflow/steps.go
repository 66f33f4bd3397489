package workflow

import (
	"maps"
	"slices"
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

// actions reads the steps of a path; available are the variables saved
// before its first step (by the main path, for a path that waits for it).
func (e *stepEnv) actions(obj *validate.Object, key string, available []string) []Action {
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
		common := action.ValidateParameters(def, p)
		e.checkVariables(p.Path, p.Values, available)
		if common.SaveAs != "" {
			available = append(available, common.SaveAs)
		}
		out = append(out, Action{Type: t, Label: strings.TrimSpace(label), Parameters: p.Values})
	}
	return out
}

// paths reads the parallel paths; mainSaved are the variables the main
// path saves, which a path that waits for it may use.
func (e *stepEnv) paths(obj *validate.Object, mainSaved []string) []Path {
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
		var available []string
		if waitsForMain(p.Conditions) {
			available = mainSaved
		}
		p.Actions = e.actions(po, "actions", available)
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

// checkVariables refuses a template that names {{variables.x}} where x is
// not saved (saveAs) by an earlier step of the path: it would render empty
// at run time.
func (e *stepEnv) checkVariables(path string, value any, available []string) {
	switch v := value.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			e.checkVariables(validate.Join(path, k), v[k], available)
		}
	case []any:
		for i, item := range v {
			e.checkVariables(validate.Index(path, i), item, available)
		}
	case string:
		if !strings.Contains(v, "{{") {
			return
		}
		t, err := template.Parse(v, e.schema)
		if err != nil {
			return // reported where the parameter was read
		}
		for _, p := range t.Paths() {
			name, ok := strings.CutPrefix(p, "variables.")
			if !ok {
				continue
			}
			name, _, _ = strings.Cut(name, ".")
			if slices.Contains(available, name) || e.errs.Has(path) {
				continue
			}
			saved := "none is saved before this step"
			if len(available) > 0 {
				saved = "saved before this step: " + strings.Join(available, ", ")
			}
			e.errs.Add(path, "uses {{variables.%s}}, which no earlier step of this path saves with saveAs (%s)", name, saved)
		}
	}
}

// waitsForMain reports whether a path's conditions read variables, so that
// it starts once the main path has finished.
func waitsForMain(conds []Condition) bool {
	for _, c := range conds {
		if condition.ReadsVariables(c.Type) {
			return true
		}
	}
	return false
}

// savedBy lists the saveAs names of steps.
func savedBy(actions []Action) []string {
	var out []string
	for _, a := range actions {
		if s := action.CommonOf(a.Parameters).SaveAs; s != "" {
			out = append(out, s)
		}
	}
	return out
}
