package bundle

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/deskflow/deskflow/internal/engine"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// Service exports a workspace's automation and applies bundles to it.
type Service struct {
	DB     *storage.DB
	Engine *engine.Engine
	// Workflows validates workflows as the API does; its Refs is replaced
	// by the bundle's names.
	Workflows workflow.Validator
}

// Export returns the workspace's automation: every workflow, tag, team,
// saved reply and connector (without credentials), and its business hours,
// each list sorted by name (workflows in run order).
func (s *Service) Export(ctx context.Context, ws int64) (*Bundle, error) {
	w, err := load(ctx, s.DB, ws)
	if err != nil {
		return nil, err
	}
	n := newNames()
	n.people(w)
	b := &Bundle{Version: FormatVersion, BusinessHours: &w.hours, Tags: []string{}, Teams: []string{}, SavedReplies: []SavedReplyEntry{}, Connectors: []ConnectorEntry{}, Workflows: []WorkflowEntry{}}
	for _, t := range w.tags {
		n.add(param.KindTag, t.ID, t.Name)
		b.Tags = append(b.Tags, t.Name)
	}
	for _, t := range w.teams {
		n.add(param.KindTeam, t.ID, t.Name)
		b.Teams = append(b.Teams, t.Name)
	}
	for _, r := range w.savedReplies {
		b.SavedReplies = append(b.SavedReplies, SavedReplyEntry{Title: r.Title, Body: r.Body})
	}
	slices.SortFunc(b.SavedReplies, func(a, b SavedReplyEntry) int { return compareNames(a.Title, b.Title) })
	for _, c := range w.connectors {
		n.add(param.KindConnector, c.ID, c.Name)
		b.Connectors = append(b.Connectors, ConnectorEntry{Name: c.Name, Type: c.Type, Settings: c.Settings})
	}
	slices.SortFunc(b.Connectors, func(a, b ConnectorEntry) int { return compareNames(a.Name, b.Name) })
	for kind, names := range map[string][]string{"tags": b.Tags, "teams": b.Teams, "connectors": connectorNames(b.Connectors), "saved replies": titles(b.SavedReplies), "workflows": workflowNames(w.workflows)} {
		if d, ok := duplicate(names); ok {
			return nil, &storage.ConflictError{Message: fmt.Sprintf("two %s are named %q: a bundle names objects by name, so rename one before exporting", kind, d)}
		}
	}
	for _, wf := range w.workflows {
		entry, err := s.exportWorkflow(ctx, ws, wf, n)
		if err != nil {
			return nil, err
		}
		b.Workflows = append(b.Workflows, entry)
	}
	return b, nil
}

// exportWorkflow writes a workflow with names for ids: the validator reads
// it again to learn where its references are.
func (s *Service) exportWorkflow(ctx context.Context, ws int64, wf *workflow.Workflow, n *names) (WorkflowEntry, error) {
	doc, err := generic(WorkflowEntry{Name: wf.Name, Description: wf.Description, TriggerType: wf.TriggerType, TriggerParameters: wf.TriggerParameters,
		ConditionMatchType: wf.ConditionMatchType, IsEnabled: wf.IsEnabled, Position: wf.Position, Conditions: wf.Conditions, Actions: wf.Actions, Paths: wf.Paths})
	if err != nil {
		return WorkflowEntry{}, fmt.Errorf("export workflow %s: %w", wf.ID, err)
	}
	rec := &recorder{}
	v := s.Workflows
	v.Refs = rec
	if _, err := v.Create(ctx, ws, deepCopy(doc)); err != nil {
		return WorkflowEntry{}, fmt.Errorf("export workflow %s: it no longer validates: %w", wf.ID, err)
	}
	for _, r := range rec.refs {
		name, ok := n.byID[r.Kind][r.ID]
		if !ok {
			return WorkflowEntry{}, &storage.ConflictError{Message: fmt.Sprintf("workflow %q refers to a %s that no longer exists (%s)", wf.Name, r.Kind, r.Path)}
		}
		replace(doc, r.Path, func(string) string { return name })
	}
	var out WorkflowEntry
	encoded, err := json.Marshal(doc)
	if err != nil {
		return WorkflowEntry{}, err
	}
	if err := validate.DecodeInto(encoded, &out); err != nil {
		return WorkflowEntry{}, fmt.Errorf("export workflow %s: %w", wf.ID, err)
	}
	return out, nil
}

// generic encodes v and decodes it as validation reads request bodies.
func generic(v any) (any, error) {
	encoded, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return validate.Decode(encoded)
}

// compareNames orders names case-insensitively, then exactly.
func compareNames(a, b string) int {
	if c := strings.Compare(lower(a), lower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// duplicate returns a name that occurs twice (case-insensitively).
func duplicate(names []string) (string, bool) {
	seen := map[string]bool{}
	for _, n := range names {
		if seen[lower(n)] {
			return n, true
		}
		seen[lower(n)] = true
	}
	return "", false
}

func connectorNames(cs []ConnectorEntry) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func titles(rs []SavedReplyEntry) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Title
	}
	return out
}

func workflowNames(ws []*workflow.Workflow) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Name
	}
	return out
}
