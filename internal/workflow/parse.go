package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/validate"
)

// Limits of one workflow definition.
const (
	MaxNameLength        = 255
	MaxDescriptionLength = 5000
	MaxConditions        = 50
	MaxActions           = 50
	MaxPaths             = 10
	MaxLabelLength       = 255
)

// RefProblem says why one reference is not acceptable.
type RefProblem struct {
	Ref     param.Ref
	Message string
}

// RefChecker checks that referenced objects exist in the workspace (and that
// connectors are of an accepted type). Storage implements it.
type RefChecker interface {
	CheckRefs(ctx context.Context, workspaceID int64, refs []param.Ref) ([]RefProblem, error)
}

// Validator turns request bodies into valid workflows.
type Validator struct {
	Refs     RefChecker
	Schema   *template.Schema
	CheckURL func(raw string) error
}

// Create validates the body of POST /api/workflows. The result has no id or
// times; storage sets them.
func (v *Validator) Create(ctx context.Context, workspaceID int64, body any) (*Workflow, error) {
	return v.parse(ctx, workspaceID, body)
}

// Update validates the body of PUT /api/workflows/{id}: fields it omits keep
// their current value, conditions/actions/paths given are replaced whole.
func (v *Validator) Update(ctx context.Context, workspaceID int64, current *Workflow, body any) (*Workflow, error) {
	changes, isObject := body.(map[string]any)
	if !isObject {
		return nil, validate.Field("body", "must be an object")
	}
	encoded, err := json.Marshal(current)
	if err != nil {
		return nil, fmt.Errorf("encode workflow %s: %w", current.ID, err)
	}
	generic, err := validate.Decode(encoded)
	if err != nil {
		return nil, fmt.Errorf("decode workflow %s: %w", current.ID, err)
	}
	merged := generic.(map[string]any)
	for k, val := range changes {
		merged[k] = val
	}
	if _, changed := changes["trigger_type"]; changed {
		if _, given := changes["trigger_parameters"]; !given {
			// Parameters of the old trigger make no sense for a new one.
			delete(merged, "trigger_parameters")
		}
	}
	w, err := v.parse(ctx, workspaceID, merged)
	if err != nil {
		return nil, err
	}
	w.ID, w.CreatedAt = current.ID, current.CreatedAt
	return w, nil
}

// readOnlyFields may be sent back as read (GET then PUT) and are ignored.
var readOnlyFields = []string{"id", "created_at", "updated_at", "version", "warnings"}

func (v *Validator) parse(ctx context.Context, workspaceID int64, body any) (*Workflow, error) {
	var errs validate.Errors
	var refs []param.Ref
	obj := validate.NewObject(&errs, "", body)
	w := &Workflow{ConditionMatchType: MatchAll, IsEnabled: true}

	if name, ok := obj.String("name", true); ok {
		w.Name = strings.TrimSpace(name)
		if len(w.Name) > MaxNameLength {
			errs.Add("name", "must be at most %d characters", MaxNameLength)
		}
	}
	if d, ok := obj.String("description", false); ok {
		w.Description = d
		if len(d) > MaxDescriptionLength {
			errs.Add("description", "must be at most %d characters", MaxDescriptionLength)
		}
	}
	if t, ok := obj.String("trigger_type", true); ok && obj.OneOf("trigger_type", t, TriggerTypes...) {
		w.TriggerType = t
		w.TriggerParameters = parseTriggerParameters(obj, t, &refs)
	} else {
		obj.Raw("trigger_parameters")
	}
	if m, ok := obj.String("condition_match_type", false); ok && obj.OneOf("condition_match_type", m, MatchAll, MatchAny) {
		w.ConditionMatchType = m
	}
	if b, ok := obj.Bool("is_enabled", false); ok {
		w.IsEnabled = b
	}
	if pos, ok := obj.Int("position", false); ok {
		if pos < 0 || pos > 1_000_000 {
			errs.Add("position", "must be between 0 and 1000000")
		}
		w.Position = int(pos)
	}
	env := &stepEnv{errs: &errs, refs: &refs, schema: v.Schema, checkURL: v.CheckURL}
	w.Conditions = env.conditions(obj, "conditions", false)
	w.Actions = env.actions(obj, "actions", nil)
	w.Paths = env.paths(obj, savedBy(w.Actions))
	obj.RejectUnknown(readOnlyFields...)

	if len(refs) > 0 && v.Refs != nil {
		problems, err := v.Refs.CheckRefs(ctx, workspaceID, refs)
		if err != nil {
			return nil, fmt.Errorf("check workflow references: %w", err)
		}
		for _, p := range problems {
			errs.Add(p.Ref.Path, "%s", p.Message)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return w, nil
}

// parseTriggerParameters validates trigger_parameters against the
// trigger's spec and returns them as stored: the valid values given, and
// the defaults of the others.
func parseTriggerParameters(obj *validate.Object, trigger string, refs *[]param.Ref) map[string]any {
	def, _ := LookupTrigger(trigger)
	tp, given := obj.Object("trigger_parameters", def.RequiresParameters())
	out := map[string]any{}
	if !given && def.RequiresParameters() {
		return out
	}
	p := &param.Params{Object: tp, Refs: refs}
	values := spec.Read(p, def.Params)
	if def.Check != nil {
		def.Check(p, values)
	}
	for _, s := range def.Params {
		if _, valid := values[s.Name]; valid {
			out[s.Name] = tp.Values[s.Name]
		} else if s.Default != nil {
			out[s.Name] = s.Default
		}
	}
	for _, k := range tp.UnknownKeys() {
		tp.Errs.Add(tp.FieldPath(k), "is not a parameter of %s", trigger)
	}
	return out
}
