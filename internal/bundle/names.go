package bundle

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/deskflow/deskflow/internal/businesshours"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/workflow"
)

// workspace is what a workspace has of the objects a bundle names, loaded
// once per export or plan.
type workspace struct {
	tags, teams  []helpdesk.Named
	users        []helpdesk.User
	channels     []helpdesk.Channel
	connectors   []connector.Connector
	savedReplies []helpdesk.SavedReply
	workflows    []*workflow.Workflow
	hours        businesshours.Schedule
}

func load(ctx context.Context, db *storage.DB, ws int64) (*workspace, error) {
	page := storage.Page{Number: 1, Size: MaxObjects + 1}
	w := &workspace{}
	steps := []struct {
		what string
		list func() (int, error)
	}{
		{"tags", func() (n int, err error) { w.tags, n, err = db.ListNamed(ctx, storage.Tags, ws, page); return }},
		{"teams", func() (n int, err error) { w.teams, n, err = db.ListNamed(ctx, storage.Teams, ws, page); return }},
		{"users", func() (n int, err error) { w.users, n, err = db.ListUsers(ctx, ws, page); return }},
		{"channels", func() (n int, err error) { w.channels, n, err = db.ListChannels(ctx, ws, page); return }},
		{"connectors", func() (n int, err error) { w.connectors, n, err = db.ListConnectors(ctx, ws, page); return }},
		{"saved replies", func() (n int, err error) { w.savedReplies, n, err = db.ListSavedReplies(ctx, ws, page); return }},
		{"workflows", func() (n int, err error) { w.workflows, n, err = db.ListWorkflows(ctx, ws, page); return }},
	}
	for _, s := range steps {
		n, err := s.list()
		if err != nil {
			return nil, fmt.Errorf("load %s of workspace %d: %w", s.what, ws, err)
		}
		if n > MaxObjects {
			return nil, &storage.ConflictError{Message: fmt.Sprintf("the workspace has %d %s; a bundle holds at most %d", n, s.what, MaxObjects)}
		}
	}
	var err error
	if w.hours, err = db.BusinessHours(ctx, ws); err != nil {
		return nil, fmt.Errorf("load business hours of workspace %d: %w", ws, err)
	}
	return w, nil
}

// names maps the objects of each kind between id and name.
type names struct {
	byID   map[param.Kind]map[string]string
	byName map[param.Kind]map[string]string
	// ambiguous names (two objects share them) resolve to nothing.
	ambiguous map[param.Kind]map[string]bool
	// connectorType is the type of each connector id.
	connectorType map[string]string
}

func newNames() *names {
	return &names{byID: map[param.Kind]map[string]string{}, byName: map[param.Kind]map[string]string{},
		ambiguous: map[param.Kind]map[string]bool{}, connectorType: map[string]string{}}
}

func (n *names) add(kind param.Kind, id, name string) {
	if n.byID[kind] == nil {
		n.byID[kind], n.byName[kind], n.ambiguous[kind] = map[string]string{}, map[string]string{}, map[string]bool{}
	}
	key := lower(name)
	if other, taken := n.byName[kind][key]; taken && other != id {
		n.ambiguous[kind][key] = true
	}
	n.byID[kind][id] = name
	n.byName[kind][key] = id
}

// id resolves a name of kind; ok is false for an unknown or ambiguous name.
func (n *names) id(kind param.Kind, name string) (string, bool) {
	key := lower(name)
	if n.ambiguous[kind][key] {
		return "", false
	}
	id, ok := n.byName[kind][key]
	return id, ok
}

// people adds the users (by email, else by name) and channels, which a
// bundle refers to but does not hold.
func (n *names) people(w *workspace) {
	for _, u := range w.users {
		n.add(param.KindUser, u.ID, userName(u))
		if u.Email != "" {
			// A user with an email may be named by name as well.
			if _, taken := n.byName[param.KindUser][lower(u.Name)]; !taken {
				n.add(param.KindUser, u.ID, u.Name)
				n.byID[param.KindUser][u.ID] = u.Email
			}
		}
	}
	for _, c := range w.channels {
		n.add(param.KindChannel, c.ID, c.Name)
	}
}

func userName(u helpdesk.User) string {
	if u.Email != "" {
		return u.Email
	}
	return u.Name
}

// CheckRefs answers the workflow validator from the names: an id is known
// when some object of its kind has it, a connector must be of an accepted
// type.
func (n *names) CheckRefs(_ context.Context, _ int64, refs []param.Ref) ([]workflow.RefProblem, error) {
	var problems []workflow.RefProblem
	for _, r := range refs {
		if _, ok := n.byID[r.Kind][r.ID]; !ok {
			problems = append(problems, workflow.RefProblem{Ref: r, Message: fmt.Sprintf("no %s with id %q", r.Kind, r.ID)})
			continue
		}
		if t := n.connectorType[r.ID]; r.Kind == param.KindConnector && len(r.ConnectorTypes) > 0 && !slices.Contains(r.ConnectorTypes, t) {
			problems = append(problems, workflow.RefProblem{Ref: r, Message: fmt.Sprintf("connector %q is of type %s; expected %s", n.byID[r.Kind][r.ID], t, strings.Join(r.ConnectorTypes, " or "))})
		}
	}
	return problems, nil
}

// recorder is a RefChecker that keeps the references it is asked about and
// finds no problem: the first reading of a workflow, to learn where its
// references are.
type recorder struct{ refs []param.Ref }

func (r *recorder) CheckRefs(_ context.Context, _ int64, refs []param.Ref) ([]workflow.RefProblem, error) {
	r.refs = append(r.refs, refs...)
	return nil, nil
}

// replace sets the value at a validation path (keys and indexes joined by
// dots) inside a decoded document, returning whether the path led to a
// string.
func replace(doc any, path string, value func(string) string) bool {
	parts := strings.Split(path, ".")
	cur := doc
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				s, ok := c[p].(string)
				if ok {
					c[p] = value(s)
				}
				return ok
			}
			cur = c[p]
		case []any:
			k, err := strconv.Atoi(p)
			if err != nil || k < 0 || k >= len(c) {
				return false
			}
			if last {
				s, ok := c[k].(string)
				if ok {
					c[k] = value(s)
				}
				return ok
			}
			cur = c[k]
		default:
			return false
		}
	}
	return false
}

// deepCopy copies a decoded document so that replacing in it leaves the
// original alone.
func deepCopy(v any) any {
	switch c := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(c))
		for k, x := range c {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(c))
		for i, x := range c {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}
