package workflow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Change is one difference between two definitions of a workflow, at a
// path of the definition ("actions.1.parameters.url", "trigger_type").
type Change struct {
	Path string `json:"path"`
	// Kind is added, removed or changed.
	Kind string `json:"kind"`
	From any    `json:"from,omitempty"`
	To   any    `json:"to,omitempty"`
}

// Diff lists what changed from one definition to another, field by field:
// a condition or action added or removed, its type, a parameter.
func Diff(from, to Definition) []Change {
	var a, b any
	decode := func(d Definition, into *any) {
		raw, _ := json.Marshal(d)
		_ = json.Unmarshal(raw, into)
	}
	decode(from, &a)
	decode(to, &b)
	changes := []Change{}
	diffValues("", a, b, &changes)
	return changes
}

func diffValues(path string, a, b any, out *[]Change) {
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			keys := map[string]bool{}
			for k := range x {
				keys[k] = true
			}
			for k := range y {
				keys[k] = true
			}
			sorted := make([]string, 0, len(keys))
			for k := range keys {
				sorted = append(sorted, k)
			}
			slices.Sort(sorted)
			for _, k := range sorted {
				va, inA := x[k]
				vb, inB := y[k]
				diffPresent(join(path, k), va, inA && va != nil, vb, inB && vb != nil, out)
			}
			return
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := range max(len(x), len(y)) {
				var va, vb any
				if i < len(x) {
					va = x[i]
				}
				if i < len(y) {
					vb = y[i]
				}
				diffPresent(join(path, strconv.Itoa(i)), va, i < len(x), vb, i < len(y), out)
			}
			return
		}
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		*out = append(*out, Change{Path: path, Kind: "changed", From: a, To: b})
	}
}

func diffPresent(path string, a any, inA bool, b any, inB bool, out *[]Change) {
	// An absent list is an empty one: its entries were added or removed.
	if _, isList := b.([]any); isList && !inA {
		a, inA = []any{}, true
	}
	if _, isList := a.([]any); isList && !inB {
		b, inB = []any{}, true
	}
	switch {
	case inA && !inB:
		*out = append(*out, Change{Path: path, Kind: "removed", From: a})
	case !inA && inB:
		*out = append(*out, Change{Path: path, Kind: "added", To: b})
	case inA && inB:
		diffValues(path, a, b, out)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
