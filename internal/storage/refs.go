package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/workflow"
)

var refTables = map[param.Kind]string{
	param.KindTag:       `SELECT id, '' FROM tags WHERE workspace_id = ? AND id IN (%s)`,
	param.KindTeam:      `SELECT id, '' FROM teams WHERE workspace_id = ? AND id IN (%s)`,
	param.KindChannel:   `SELECT id, '' FROM channels WHERE workspace_id = ? AND id IN (%s)`,
	param.KindUser:      `SELECT user_id, '' FROM workspace_members WHERE workspace_id = ? AND user_id IN (%s)`,
	param.KindConnector: `SELECT id, type FROM connectors WHERE workspace_id = ? AND id IN (%s)`,
}

// CheckRefs reports every reference to an object that is not in the
// workspace, and every connector of a type the parameter does not accept.
// It queries once per kind.
func (db *DB) CheckRefs(ctx context.Context, workspaceID int64, refs []param.Ref) ([]workflow.RefProblem, error) {
	byKind := map[param.Kind][]param.Ref{}
	for _, r := range refs {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	var problems []workflow.RefProblem
	for kind, kindRefs := range byKind {
		query, ok := refTables[kind]
		if !ok {
			return nil, fmt.Errorf("check refs: unknown kind %s", kind)
		}
		args := []any{workspaceID}
		for _, r := range kindRefs {
			args = append(args, r.ID)
		}
		found, err := queryAll(ctx, db.b.reader(), scanPair, fmt.Sprintf(query, placeholders(len(kindRefs))), args...)
		if err != nil {
			return nil, fmt.Errorf("check %s refs: %w", kind, err)
		}
		types := map[string]string{}
		for _, f := range found {
			types[f[0]] = f[1]
		}
		for _, r := range kindRefs {
			t, exists := types[r.ID]
			switch {
			case !exists:
				problems = append(problems, workflow.RefProblem{Ref: r, Message: fmt.Sprintf("no %s with id %q in this workspace", kind, r.ID)})
			case len(r.ConnectorTypes) > 0 && !slices.Contains(r.ConnectorTypes, t):
				problems = append(problems, workflow.RefProblem{Ref: r, Message: fmt.Sprintf("connector %q is of type %s; expected %s", r.ID, t, strings.Join(r.ConnectorTypes, " or "))})
			}
		}
	}
	return problems, nil
}

func scanPair(r row) ([2]string, error) {
	var p [2]string
	err := r.Scan(&p[0], &p[1])
	return p, err
}

// MissingTags returns the ids among tagIDs that are not tags of the workspace.
func (db *DB) MissingTags(ctx context.Context, workspaceID int64, tagIDs []string) ([]string, error) {
	refs := make([]param.Ref, len(tagIDs))
	for i, id := range tagIDs {
		refs[i] = param.Ref{Kind: param.KindTag, ID: id}
	}
	problems, err := db.CheckRefs(ctx, workspaceID, refs)
	if err != nil {
		return nil, err
	}
	missing := make([]string, len(problems))
	for i, p := range problems {
		missing[i] = p.Ref.ID
	}
	return missing, nil
}

// Exists reports whether an object of kind with id is in the workspace.
func (db *DB) Exists(ctx context.Context, workspaceID int64, kind param.Kind, id string) (bool, error) {
	if kind != param.KindConnector && !helpdesk.IsID(id) {
		return false, nil
	}
	problems, err := db.CheckRefs(ctx, workspaceID, []param.Ref{{Kind: kind, ID: id}})
	return err == nil && len(problems) == 0, err
}
