package storage

import (
	"context"
	"fmt"
	"time"
)

// ChainUsage is what a causal chain of workflow runs has started so far.
type ChainUsage struct {
	Runs  int
	Steps int
}

// ChargeChain adds runs and steps to the usage of the chain that event
// origin began, and returns the usage before and after the charge. On
// PostgreSQL the row stays locked until the transaction ends, so two events
// of one chain are charged one after the other.
func (tx *Tx) ChargeChain(ctx context.Context, workspaceID int64, origin string, add ChainUsage, now time.Time) (before, after ChainUsage, err error) {
	err = tx.q.queryRow(ctx, `INSERT INTO chain_usage (workspace_id, origin_event_id, runs, steps, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, origin_event_id) DO UPDATE SET runs = chain_usage.runs + excluded.runs, steps = chain_usage.steps + excluded.steps
		RETURNING runs, steps`, workspaceID, origin, add.Runs, add.Steps, micros(now)).Scan(&after.Runs, &after.Steps)
	if err != nil {
		return before, after, fmt.Errorf("charge chain of event %s: %w", origin, err)
	}
	before = ChainUsage{Runs: after.Runs - add.Runs, Steps: after.Steps - add.Steps}
	return before, after, nil
}

// RefundChain takes back part of a charge that went over the budget.
func (tx *Tx) RefundChain(ctx context.Context, workspaceID int64, origin string, back ChainUsage) error {
	if _, err := tx.q.exec(ctx, `UPDATE chain_usage SET runs = runs - ?, steps = steps - ? WHERE workspace_id = ? AND origin_event_id = ?`,
		back.Runs, back.Steps, workspaceID, origin); err != nil {
		return fmt.Errorf("refund chain of event %s: %w", origin, err)
	}
	return nil
}

// PruneChains forgets the usage of up to batch chains begun before
// before, in every workspace; their events have long been processed.
func (db *DB) PruneChains(ctx context.Context, before time.Time, batch int) (int64, error) {
	n, err := db.b.writer().exec(ctx, `DELETE FROM chain_usage WHERE (workspace_id, origin_event_id) IN (SELECT workspace_id, origin_event_id FROM chain_usage WHERE created_at < ? ORDER BY created_at LIMIT ?)`, micros(before), batch)
	if err != nil {
		return 0, fmt.Errorf("prune chain usage: %w", err)
	}
	return n, nil
}
