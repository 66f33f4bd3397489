package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/deskflow/deskflow/internal/workflow"
)

// DefaultKeepVersions is how many versions of a workflow are kept unless
// configured (SetKeepVersions).
const DefaultKeepVersions = 100

// SetKeepVersions sets how many versions of each workflow are kept; older
// ones are pruned at the next save, except those a run not yet finished
// started with.
func (db *DB) SetKeepVersions(n int) { db.keepVersions = n }

// Version is one immutable version of a workflow.
type Version struct {
	WorkflowID string              `json:"workflow_id"`
	Number     int                 `json:"number"`
	Author     string              `json:"author"`
	CreatedAt  time.Time           `json:"created_at"`
	Definition workflow.Definition `json:"definition"`
}

// saveVersion makes a new version of w when its definition differs from
// its current version's (a first save always makes version 1), records
// it on the workflow, and prunes versions past the kept count.
func (tx *Tx) saveVersion(ctx context.Context, workspaceID int64, w *workflow.Workflow) error {
	raw, err := json.Marshal(w.Definition())
	if err != nil {
		return fmt.Errorf("encode workflow definition: %w", err)
	}
	var current int
	var currentDef string
	err = tx.q.queryRow(ctx, `SELECT w.version, COALESCE(v.definition, '') FROM workflows w LEFT JOIN workflow_versions v ON v.workflow_id = w.id AND v.number = w.version WHERE w.workspace_id = ? AND w.id = ?`,
		workspaceID, w.ID).Scan(&current, &currentDef)
	if err != nil {
		return fmt.Errorf("load version of workflow %s: %w", w.ID, err)
	}
	if currentDef != "" && sameJSON(currentDef, string(raw)) {
		return nil
	}
	next := current + 1
	if _, err := tx.q.exec(ctx, `INSERT INTO workflow_versions (workflow_id, number, workspace_id, definition, author, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		w.ID, next, workspaceID, string(raw), w.Author, micros(tx.db.Now())); err != nil {
		return fmt.Errorf("store version %d of workflow %s: %w", next, w.ID, err)
	}
	if _, err := tx.q.exec(ctx, `UPDATE workflows SET version = ? WHERE workspace_id = ? AND id = ?`, next, workspaceID, w.ID); err != nil {
		return err
	}
	keep := tx.db.keepVersions
	if keep <= 0 {
		keep = DefaultKeepVersions
	}
	_, err = tx.q.exec(ctx, `DELETE FROM workflow_versions WHERE workspace_id = ? AND workflow_id = ? AND number <= ?
		AND number NOT IN (SELECT workflow_version FROM workflow_runs WHERE workspace_id = ? AND workflow_id = ? AND finished_at IS NULL)`,
		workspaceID, w.ID, next-keep, workspaceID, w.ID)
	if err != nil {
		return fmt.Errorf("prune versions of workflow %s: %w", w.ID, err)
	}
	return nil
}

// sameJSON compares two JSON documents by value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	ra, _ := json.Marshal(x)
	rb, _ := json.Marshal(y)
	return string(ra) == string(rb)
}

func scanVersion(r row) (Version, error) {
	var (
		v          Version
		definition string
		created    int64
	)
	if err := r.Scan(&v.WorkflowID, &v.Number, &v.Author, &created, &definition); err != nil {
		return v, err
	}
	v.CreatedAt = fromMicros(created)
	if err := decodeNumbers(definition, &v.Definition); err != nil {
		return v, fmt.Errorf("decode version %d of workflow %s: %w", v.Number, v.WorkflowID, err)
	}
	return v, nil
}

const versionColumns = `workflow_id, number, author, created_at, definition`

// ListVersions lists a workflow's versions, newest first.
func (db *DB) ListVersions(ctx context.Context, workspaceID int64, workflowID string, page Page) ([]Version, int, error) {
	return list(ctx, db, page, scanVersion, `SELECT COUNT(*) FROM workflow_versions WHERE workspace_id = ? AND workflow_id = ?`,
		`SELECT `+versionColumns+` FROM workflow_versions WHERE workspace_id = ? AND workflow_id = ? ORDER BY number DESC LIMIT ? OFFSET ?`, workspaceID, workflowID)
}

// GetVersion loads version number of a workflow.
func (db *DB) GetVersion(ctx context.Context, workspaceID int64, workflowID string, number int) (Version, error) {
	return get(ctx, db, scanVersion, "version", fmt.Sprint(number),
		`SELECT `+versionColumns+` FROM workflow_versions WHERE workspace_id = ? AND workflow_id = ? AND number = ?`, workspaceID, workflowID, number)
}
