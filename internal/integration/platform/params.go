package platform

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/validate"
)

// coerce turns a value given for p (a rendered template, or a literal JSON
// value) into its Go form: string, int64, json.Number (number), bool,
// []string (array) or map[string]any (object). A value that is empty after
// rendering (blank string, empty list) gives nil: the parameter is absent.
func coerce(p Param, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch p.Type {
	case "string":
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			s = x.String()
		case float64, int, int64:
			s = fmt.Sprint(x)
		default:
			return nil, fmt.Errorf("must be a string")
		}
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		if len(p.Enum) > 0 {
			// Case does not matter: a workflow written as "customer"
			// sends Shopify's CUSTOMER.
			i := slices.IndexFunc(p.Enum, func(e string) bool { return strings.EqualFold(e, s) })
			if i < 0 {
				return nil, fmt.Errorf("must be one of: %s (got %q)", strings.Join(p.Enum, ", "), s)
			}
			s = p.Enum[i]
		}
		if p.GID != "" {
			return globalID(p.GID, s)
		}
		return s, nil
	case "integer":
		switch x := v.(type) {
		case string:
			s := strings.TrimSpace(x)
			if s == "" {
				return nil, nil
			}
			i, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("must be an integer (got %q)", clip(x))
			}
			return i, nil
		case json.Number:
			i, err := x.Int64()
			if err != nil {
				return nil, fmt.Errorf("must be an integer (got %s)", x)
			}
			return i, nil
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return nil, fmt.Errorf("must be an integer (got %v)", x)
			}
			return int64(x), nil
		case int:
			return int64(x), nil
		case int64:
			return x, nil
		}
		return nil, fmt.Errorf("must be an integer")
	case "number":
		var s string
		switch x := v.(type) {
		case string:
			s = strings.TrimSpace(x)
			if s == "" {
				return nil, nil
			}
		case json.Number:
			s = x.String()
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		case int:
			s = strconv.Itoa(x)
		case int64:
			s = strconv.FormatInt(x, 10)
		default:
			return nil, fmt.Errorf("must be a number")
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || !json.Valid([]byte(s)) {
			return nil, fmt.Errorf("must be a number (got %q)", clip(s))
		}
		return json.Number(s), nil
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			s := strings.TrimSpace(x)
			if s == "" {
				return nil, nil
			}
			switch strings.ToLower(s) {
			case "true", "yes", "1":
				return true, nil
			case "false", "no", "0":
				return false, nil
			}
			return nil, fmt.Errorf("must be true or false (got %q)", clip(x))
		}
		return nil, fmt.Errorf("must be a boolean")
	case "array":
		var items []string
		switch x := v.(type) {
		case string:
			// A template such as {{ticket.tags}} renders a list as a
			// JSON array; anything else is comma-separated.
			var list []string
			if t := strings.TrimSpace(x); strings.HasPrefix(t, "[") && json.Unmarshal([]byte(t), &list) == nil {
				items = list
			} else {
				items = strings.Split(x, ",")
			}
		case []string:
			items = x
		case []any:
			for i, e := range x {
				switch e := e.(type) {
				case string:
					items = append(items, e)
				case json.Number:
					items = append(items, e.String())
				case float64, int, int64:
					items = append(items, fmt.Sprint(e))
				default:
					return nil, fmt.Errorf("item %d must be a string", i)
				}
			}
		default:
			return nil, fmt.Errorf("must be an array of strings or a comma-separated string")
		}
		out := make([]string, 0, len(items))
		for _, s := range items {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		if len(out) > MaxArrayItems {
			return nil, errTooManyItems
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("must be an object")
		}
		if len(m) == 0 {
			return nil, nil
		}
		return m, nil
	}
	return nil, fmt.Errorf("unknown type %s", p.Type)
}

// MaxArrayItems bounds the items of an array parameter (labels, tags, …).
const MaxArrayItems = 100

var errTooManyItems = fmt.Errorf("must have at most %d items", MaxArrayItems)

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// ValidateStep checks the parameters of an execute_connector_action step at
// save time: actionId must be an action of some platform; connectorId is
// recorded as a connector reference restricted to the platforms offering
// actionId (so the workspace reference check refuses, say, a Stripe
// connector with refund_order); params are checked against the action's
// parameters (when several platforms offer the action id, against what
// they have in common: the connector's own platform is known only when the
// step runs).
func ValidateStep(p *param.Params) {
	connectorID, hasConnector := p.String("connectorId", true)
	actionID, hasAction := p.String("actionId", true)
	var offering []string
	if hasAction {
		offering = Offering(actionID)
		if len(offering) == 0 {
			p.Errs.Add(p.FieldPath("actionId"), "%q is not an action of any connected platform (%s)%s",
				actionID, strings.Join(IDs(), ", "), suggestion(actionID))
		}
	}
	if hasConnector {
		types := offering
		if len(types) == 0 {
			types = IDs()
		}
		p.AddRef(p.FieldPath("connectorId"), param.KindConnector, connectorID, types...)
	}
	obj, given := p.Object.Object("params", false)
	if !given || len(offering) == 0 {
		if given {
			// Still check that the templates parse.
			for _, k := range obj.Keys() {
				v, _ := obj.Raw(k)
				checkTemplates(p, obj.FieldPath(k), v)
			}
		}
		if len(offering) > 0 {
			checkRequired(p, obj, actionsOf(actionID, offering))
		}
		return
	}
	checkParams(p, obj, actionsOf(actionID, offering))
}

func actionsOf(actionID string, platformIDs []string) []*Action {
	out := make([]*Action, 0, len(platformIDs))
	for _, id := range platformIDs {
		if a, ok := FindAction(id, actionID); ok {
			out = append(out, a)
		}
	}
	return out
}

// checkParams checks each given value against the actions that declare
// it, reporting an error when no offering action accepts it.
func checkParams(p *param.Params, obj *validate.Object, actions []*Action) {
	for _, k := range obj.Keys() {
		v, _ := obj.Raw(k)
		path := obj.FieldPath(k)
		var declared []Param
		for _, a := range actions {
			if prm, ok := a.Param(k); ok {
				declared = append(declared, prm)
			}
		}
		if len(declared) == 0 {
			p.Errs.Add(path, "is not a parameter of %s (known: %s)", describe(actions), strings.Join(knownParams(actions), ", "))
			checkTemplates(p, path, v)
			continue
		}
		if !checkTemplates(p, path, v) {
			continue
		}
		var firstErr error
		for _, prm := range declared {
			err := checkValue(p, prm, v)
			if err == nil {
				firstErr = nil
				break
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		if firstErr != nil {
			p.Errs.Add(path, "%s", firstErr.Error())
		}
	}
	checkRequired(p, obj, actions)
}

// checkRequired reports the parameters required by every offering action
// and not given, and any_of groups of which nothing is given.
func checkRequired(p *param.Params, obj *validate.Object, actions []*Action) {
	if len(actions) == 0 {
		return
	}
	given := func(name string) bool {
		v, ok := obj.Values[name]
		if !ok || v == nil {
			return false
		}
		if s, isString := v.(string); isString && strings.TrimSpace(s) == "" {
			return false
		}
		return true
	}
	for _, prm := range actions[0].Params {
		if !prm.Required || given(prm.Name) {
			continue
		}
		inAll := true
		for _, a := range actions[1:] {
			other, ok := a.Param(prm.Name)
			inAll = inAll && ok && other.Required
		}
		if inAll {
			p.Errs.Add(obj.FieldPath(prm.Name), "is required by %s", describe(actions))
		}
	}
	if len(actions) == 1 {
		for _, group := range actions[0].AnyOf {
			if !slices.ContainsFunc(group, given) {
				p.Errs.Add(obj.Path, "needs one of: %s", strings.Join(group, ", "))
			}
		}
	}
}

// checkTemplates parses every string inside v as a template and reports
// the first malformed one at its path.
func checkTemplates(p *param.Params, path string, v any) bool {
	switch x := v.(type) {
	case string:
		if _, err := p.ParseTemplate(x); err != nil {
			p.Errs.Add(path, "invalid template: %s", err.Error())
			return false
		}
	case map[string]any:
		ok := true
		for _, k := range slices.Sorted(maps.Keys(x)) {
			ok = checkTemplates(p, validate.Join(path, k), x[k]) && ok
		}
		return ok
	case []any:
		ok := true
		for i, e := range x {
			ok = checkTemplates(p, validate.Index(path, i), e) && ok
		}
		return ok
	}
	return true
}

// checkValue checks a saved value (before rendering) against prm: literal
// values must already have the right type; template strings are checked
// when they are rendered.
func checkValue(p *param.Params, prm Param, v any) error {
	if v == nil {
		return nil // absent; checkRequired reports a required one
	}
	switch x := v.(type) {
	case string:
		if isTemplate(p, x) {
			if prm.Type == "object" {
				return fmt.Errorf("must be an object")
			}
			return nil
		}
		if prm.Type == "object" {
			return fmt.Errorf("must be an object")
		}
		c, err := coerce(prm, x)
		if err != nil {
			return err
		}
		if c == nil && prm.Required {
			return fmt.Errorf("must not be empty")
		}
		return nil
	case bool:
		if prm.Type != "boolean" {
			return fmt.Errorf("must be %s, not a boolean", typeNoun(prm.Type))
		}
		return nil
	case map[string]any:
		if prm.Type != "object" {
			return fmt.Errorf("must be %s, not an object", typeNoun(prm.Type))
		}
		return nil
	case []any:
		if prm.Type != "array" {
			return fmt.Errorf("must be %s, not an array", typeNoun(prm.Type))
		}
		if len(x) > MaxArrayItems {
			return errTooManyItems
		}
		for i, e := range x {
			switch e.(type) {
			case string, json.Number, float64, int, int64:
			default:
				return fmt.Errorf("item %d must be a string", i)
			}
		}
		return nil
	}
	if prm.Type == "boolean" || prm.Type == "object" || prm.Type == "array" {
		return fmt.Errorf("must be %s, not a number", typeNoun(prm.Type))
	}
	_, err := coerce(prm, v)
	return err
}

func isTemplate(p *param.Params, s string) bool {
	t, err := p.ParseTemplate(s)
	return err == nil && len(t.Paths()) > 0
}

func typeNoun(t string) string {
	switch t {
	case "integer", "array", "object":
		return "an " + t
	}
	return "a " + t
}

func describe(actions []*Action) string {
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = a.platform.Name + " " + a.ID
	}
	return strings.Join(names, " and ")
}

func knownParams(actions []*Action) []string {
	var out []string
	for _, a := range actions {
		for _, prm := range a.Params {
			if !slices.Contains(out, prm.Name) {
				out = append(out, prm.Name)
			}
		}
	}
	return out
}

// suggestion proposes the closest action id for a typo.
func suggestion(id string) string {
	best, bestDist := "", 4
	for known := range offering {
		if d := distance(id, known); d < bestDist || d == bestDist && known < best {
			best, bestDist = known, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// globalID turns the number of a Shopify object (the id in its admin
// URL) into its global id, and takes a global id of that type as it is.
func globalID(objectType, s string) (string, error) {
	s = strings.TrimSpace(s)
	prefix := "gid://shopify/" + objectType + "/"
	if rest, isGID := strings.CutPrefix(s, prefix); isGID && rest != "" && !strings.ContainsAny(rest, "/ ") {
		return s, nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil && n > 0 {
		return prefix + s, nil
	}
	return "", fmt.Errorf("must be a Shopify %s id: a number such as 450789469, or %s450789469 (got %q)", objectType, prefix, clip(s))
}
