package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/workflow"
)

// LoopWarnings says whether the saved workflow, as enabled now, closes a
// cycle of workflows that start each other: A adds a tag that starts B,
// which adds a tag that starts A. The save stands (the loop rule stops
// such a chain after one round: a workflow runs at most once per chain),
// but the admin is told, naming the cycle.
func (e *Engine) LoopWarnings(ctx context.Context, ws int64, saved *workflow.Workflow) ([]string, error) {
	if !saved.IsEnabled || !tagTriggered(saved.TriggerType) {
		return nil, nil
	}
	var candidates []*workflow.Workflow
	for _, trigger := range []string{workflow.TriggerTagAdded, workflow.TriggerTagRemoved} {
		list, err := e.db.EnabledWorkflows(ctx, ws, trigger)
		if err != nil {
			return nil, fmt.Errorf("load %s workflows: %w", trigger, err)
		}
		candidates = append(candidates, list...)
	}
	byID := map[string]*workflow.Workflow{saved.ID: saved}
	for _, w := range candidates {
		if w.ID != saved.ID {
			byID[w.ID] = w
		}
	}
	// Breadth-first from the saved workflow back to it: the shortest cycle.
	previous := map[string]string{}
	queue := []string{saved.ID}
	for len(queue) > 0 {
		from := byID[queue[0]]
		queue = queue[1:]
		for _, to := range byID {
			if !starts(from, to) {
				continue
			}
			if to.ID == saved.ID {
				cycle := []string{to.Name}
				for at := from.ID; at != saved.ID; at = previous[at] {
					cycle = append(cycle, byID[at].Name)
				}
				cycle = append(cycle, saved.Name)
				slices.Reverse(cycle)
				return []string{fmt.Sprintf("this workflow starts a loop: %s (each adds or removes a tag that starts the next); the loop rule stops it after one round, but it is likely a mistake", strings.Join(quoted(cycle), " → "))}, nil
			}
			if _, seen := previous[to.ID]; !seen {
				previous[to.ID] = from.ID
				queue = append(queue, to.ID)
			}
		}
	}
	return nil, nil
}

func tagTriggered(trigger string) bool {
	return trigger == workflow.TriggerTagAdded || trigger == workflow.TriggerTagRemoved
}

// starts says whether a run of from emits an event that starts to: an
// action adding (removing) a tag that to's on_tag_added (on_tag_removed)
// trigger is scoped to, or any tag when it has no scope.
func starts(from, to *workflow.Workflow) bool {
	scope := stringsOf(to.TriggerParameters["tags"])
	actions := slices.Clone(from.Actions)
	for _, p := range from.Paths {
		actions = append(actions, p.Actions...)
	}
	for _, a := range actions {
		def, ok := action.Lookup(a.Type)
		if !ok || def.EmitsTagEvent == "" || workflow.TriggerOf(def.EmitsTagEvent) != to.TriggerType {
			continue
		}
		tags := stringsOf(a.Parameters["tags"])
		if len(scope) == 0 || slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(scope, t) }) {
			return true
		}
	}
	return false
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}

// stringsOf reads a validated list of ids.
func stringsOf(v any) []string {
	var out []string
	switch list := v.(type) {
	case []string:
		out = list
	case []any:
		for _, x := range list {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
