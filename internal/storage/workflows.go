package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

const workflowColumns = `id, name, description, trigger_type, trigger_parameters, condition_match_type, is_enabled, position, conditions, actions, paths, created_at, updated_at, version`

func scanWorkflow(r row) (*workflow.Workflow, error) {
	var (
		w                                  workflow.Workflow
		params, conditions, actions, paths string
		created, updated                   int64
	)
	err := r.Scan(&w.ID, &w.Name, &w.Description, &w.TriggerType, &params, &w.ConditionMatchType, &w.IsEnabled, &w.Position, &conditions, &actions, &paths, &created, &updated, &w.Version)
	if err != nil {
		return nil, err
	}
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
	for _, f := range []struct {
		text string
		into any
	}{{params, &w.TriggerParameters}, {conditions, &w.Conditions}, {actions, &w.Actions}, {paths, &w.Paths}} {
		if err := decodeNumbers(f.text, f.into); err != nil {
			return nil, fmt.Errorf("decode workflow %s: %w", w.ID, err)
		}
	}
	return &w, nil
}

// decodeNumbers decodes stored JSON keeping numbers as json.Number, the form
// validation produced, so that values round-trip exactly.
func decodeNumbers(text string, into any) error {
	v, err := validate.Decode([]byte(text))
	if err != nil {
		return err
	}
	encoded, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return validate.DecodeInto(encoded, into)
}

// ListWorkflows lists workflows in run order: position, then creation.
func (db *DB) ListWorkflows(ctx context.Context, workspaceID int64, page Page) ([]*workflow.Workflow, int, error) {
	return list(ctx, db, page, scanWorkflow, `SELECT COUNT(*) FROM workflows WHERE workspace_id = ?`,
		`SELECT `+workflowColumns+` FROM workflows WHERE workspace_id = ? ORDER BY position, created_at, id LIMIT ? OFFSET ?`, workspaceID)
}

// EnabledWorkflows lists the enabled workflows of a trigger in run order.
func (db *DB) EnabledWorkflows(ctx context.Context, workspaceID int64, trigger string) ([]*workflow.Workflow, error) {
	return queryAll(ctx, db.b.reader(), scanWorkflow,
		`SELECT `+workflowColumns+` FROM workflows WHERE workspace_id = ? AND trigger_type = ? AND is_enabled = ? ORDER BY position, created_at, id`, workspaceID, trigger, true)
}

// GetWorkflow loads one workflow.
func (db *DB) GetWorkflow(ctx context.Context, workspaceID int64, id string) (*workflow.Workflow, error) {
	return get(ctx, db, scanWorkflow, "workflow", id, `SELECT `+workflowColumns+` FROM workflows WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

type workflowDocument struct {
	params, conditions, actions, paths string
}

func encodeWorkflow(w *workflow.Workflow) (workflowDocument, error) {
	var (
		d   workflowDocument
		err error
	)
	enc := func(v any) string {
		if err != nil {
			return ""
		}
		var b []byte
		b, err = json.Marshal(v)
		return string(b)
	}
	d.params = enc(nonNilMap(w.TriggerParameters))
	d.conditions = enc(nonNilSlice(w.Conditions))
	d.actions = enc(nonNilSlice(w.Actions))
	d.paths = enc(nonNilSlice(w.Paths))
	return d, err
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// CreateWorkflow stores a validated workflow.
func (tx *Tx) CreateWorkflow(ctx context.Context, workspaceID int64, w *workflow.Workflow) (*workflow.Workflow, error) {
	d, err := encodeWorkflow(w)
	if err != nil {
		return nil, fmt.Errorf("encode workflow: %w", err)
	}
	now := tx.db.Now()
	w.ID, w.CreatedAt, w.UpdatedAt = helpdesk.NewID(), now, now
	_, err = tx.q.exec(ctx, `INSERT INTO workflows (`+workflowColumns+`, workspace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.Name, w.Description, w.TriggerType, d.params, w.ConditionMatchType, w.IsEnabled, w.Position, d.conditions, d.actions, d.paths, micros(now), micros(now), 0, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("create workflow: %w", err)
	}
	if err := tx.saveVersion(ctx, workspaceID, w); err != nil {
		return nil, err
	}
	if err := tx.bumpWorkflowsVersion(ctx, workspaceID); err != nil {
		return nil, err
	}
	return tx.Workflow(ctx, workspaceID, w.ID)
}

// Workflow loads one workflow inside the transaction.
func (tx *Tx) Workflow(ctx context.Context, workspaceID int64, id string) (*workflow.Workflow, error) {
	return getWith(ctx, tx.db, tx.q, scanWorkflow, "workflow", id, `SELECT `+workflowColumns+` FROM workflows WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// UpdateWorkflow replaces a workflow's definition with a validated one.
func (tx *Tx) UpdateWorkflow(ctx context.Context, workspaceID int64, w *workflow.Workflow) (*workflow.Workflow, error) {
	d, err := encodeWorkflow(w)
	if err != nil {
		return nil, fmt.Errorf("encode workflow %s: %w", w.ID, err)
	}
	err = execOne(ctx, tx.q, "workflow", w.ID, `UPDATE workflows SET name = ?, description = ?, trigger_type = ?, trigger_parameters = ?, condition_match_type = ?, is_enabled = ?, position = ?, conditions = ?, actions = ?, paths = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		w.Name, w.Description, w.TriggerType, d.params, w.ConditionMatchType, w.IsEnabled, w.Position, d.conditions, d.actions, d.paths, micros(tx.db.Now()), workspaceID, w.ID)
	if err != nil {
		return nil, err
	}
	if err := tx.saveVersion(ctx, workspaceID, w); err != nil {
		return nil, err
	}
	if err := tx.bumpWorkflowsVersion(ctx, workspaceID); err != nil {
		return nil, err
	}
	return tx.Workflow(ctx, workspaceID, w.ID)
}

// DeleteWorkflow deletes a workflow and its pending timers.
func (tx *Tx) DeleteWorkflow(ctx context.Context, workspaceID int64, id string) error {
	if err := execOne(ctx, tx.q, "workflow", id, `DELETE FROM workflows WHERE workspace_id = ? AND id = ?`, workspaceID, id); err != nil {
		return err
	}
	if err := tx.bumpWorkflowsVersion(ctx, workspaceID); err != nil {
		return err
	}
	return tx.DeleteWorkflowTimers(ctx, workspaceID, id)
}
