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
// workspace, and every connector of a type the parameter does not accept,
// in the order of refs. Each kind's distinct ids are looked up together, in
// statements of at most refBatch ids (SQLite takes at most 32,766
// variables in a statement, PostgreSQL 65,535).
func (db *DB) CheckRefs(ctx context.Context, workspaceID int64, refs []param.Ref) ([]workflow.RefProblem, error) {
	ids := map[param.Kind][]string{}
	seen := map[refKey]bool{}
	for _, r := range refs {
		key := refKey{r.Kind, r.ID}
		if !seen[key] {
			seen[key] = true
			ids[r.Kind] = append(ids[r.Kind], r.ID)
		}
	}
	types := map[refKey]string{} // the objects found, with their connector type
	for kind, kindIDs := range ids {
		query, ok := refTables[kind]
		if !ok {
			return nil, fmt.Errorf("check refs: unknown kind %s", kind)
		}
		for batch := range slices.Chunk(kindIDs, refBatch) {
			list, args := inList(batch)
			found, err := queryAll(ctx, db.b.reader(), scanPair, fmt.Sprintf(query, list), append([]any{workspaceID}, args...)...)
			if err != nil {
				return nil, fmt.Errorf("check %s refs: %w", kind, err)
			}
			for _, f := range found {
				types[refKey{kind, f[0]}] = f[1]
			}
		}
	}
	var problems []workflow.RefProblem
	for _, r := range refs {
		t, exists := types[refKey{r.Kind, r.ID}]
		switch {
		case !exists:
			problems = append(problems, workflow.RefProblem{Ref: r, Message: fmt.Sprintf("no %s with id %q in this workspace", r.Kind, r.ID)})
		case len(r.ConnectorTypes) > 0 && !slices.Contains(r.ConnectorTypes, t):
			problems = append(problems, workflow.RefProblem{Ref: r, Message: fmt.Sprintf("connector %q is of type %s; expected %s", r.ID, t, strings.Join(r.ConnectorTypes, " or "))})
		}
	}
	return problems, nil
}

// refKey names one object of the workspace.
type refKey struct {
	kind param.Kind
	id   string
}

// refBatch is the most ids CheckRefs looks up in one statement.
const refBatch = 512

func scanPair(r row) ([2]string, error) {
	var p [2]string
	err := r.Scan(&p[0], &p[1])
	return p, err
}

// Exists reports whether an object of kind with id is in the workspace.
func (db *DB) Exists(ctx context.Context, workspaceID int64, kind param.Kind, id string) (bool, error) {
	if kind != param.KindConnector && !helpdesk.IsID(id) {
		return false, nil
	}
	problems, err := db.CheckRefs(ctx, workspaceID, []param.Ref{{Kind: kind, ID: id}})
	return err == nil && len(problems) == 0, err
}
