package storage

import (
	"context"
	"fmt"
	"sync"

	"github.com/deskflow/deskflow/internal/workflow"
)

// The enabled workflows of a trigger are read for every event; they change
// rarely. They are cached per workspace and trigger, keyed by the
// workspace's workflows_version, which every workflow change bumps in its
// own transaction: one primary-key read tells whether the cache is current,
// on every node.

type workflowCacheKey struct {
	workspaceID int64
	trigger     string
}

type workflowCacheEntry struct {
	version   int64
	workflows []*workflow.Workflow
}

type workflowCache struct {
	mu      sync.Mutex
	entries map[workflowCacheKey]workflowCacheEntry
}

// maxCachedTriggers bounds the cache (workspaces × triggers).
const maxCachedTriggers = 60_000

func (tx *Tx) bumpWorkflowsVersion(ctx context.Context, workspaceID int64) error {
	if _, err := tx.q.exec(ctx, `UPDATE workspaces SET workflows_version = workflows_version + 1 WHERE id = ?`, workspaceID); err != nil {
		return fmt.Errorf("bump workflows version: %w", err)
	}
	return nil
}

// EnabledWorkflowsCached is EnabledWorkflows served from memory while the
// workspace's workflows are unchanged. The workflows returned are shared:
// callers must not modify them.
func (db *DB) EnabledWorkflowsCached(ctx context.Context, workspaceID int64, trigger string) ([]*workflow.Workflow, error) {
	return db.enabledWorkflowsCached(ctx, db.b.reader(), workspaceID, trigger)
}

// EnabledWorkflowsCached is the same inside a transaction (which must not
// wait for a second connection of the pool).
func (tx *Tx) EnabledWorkflowsCached(ctx context.Context, workspaceID int64, trigger string) ([]*workflow.Workflow, error) {
	return tx.db.enabledWorkflowsCached(ctx, tx.q, workspaceID, trigger)
}

func (db *DB) enabledWorkflowsCached(ctx context.Context, q querier, workspaceID int64, trigger string) ([]*workflow.Workflow, error) {
	var version int64
	if err := q.queryRow(ctx, `SELECT workflows_version FROM workspaces WHERE id = ?`, workspaceID).Scan(&version); err != nil {
		if db.b.isNoRows(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("workflows version: %w", err)
	}
	key := workflowCacheKey{workspaceID, trigger}
	db.workflows.mu.Lock()
	entry, ok := db.workflows.entries[key]
	db.workflows.mu.Unlock()
	if ok && entry.version == version {
		return entry.workflows, nil
	}
	wfs, err := queryAll(ctx, q, scanWorkflow,
		`SELECT `+workflowColumns+` FROM workflows WHERE workspace_id = ? AND trigger_type = ? AND is_enabled = ? ORDER BY position, created_at, id`, workspaceID, trigger, true)
	if err != nil {
		return nil, err
	}
	db.workflows.mu.Lock()
	if db.workflows.entries == nil || len(db.workflows.entries) >= maxCachedTriggers {
		db.workflows.entries = map[workflowCacheKey]workflowCacheEntry{}
	}
	// The version read before the load may be older than what was loaded;
	// storing under the older version only causes one extra load later.
	db.workflows.entries[key] = workflowCacheEntry{version: version, workflows: wfs}
	db.workflows.mu.Unlock()
	return wfs, nil
}
