package storage

import (
	"context"
	"fmt"
	"time"
)

// Retention deletes what is kept for a while only: each call deletes at
// most batch rows (with their dependent rows), oldest first, so that the
// writer is never held long; callers repeat while a batch was full.

// PruneRuns deletes up to batch runs that finished before before, with
// their steps and approvals.
func (db *DB) PruneRuns(ctx context.Context, before time.Time, batch int) (int64, error) {
	oldest := `SELECT id FROM workflow_runs WHERE finished_at < ? ORDER BY finished_at, id LIMIT ?`
	var n int64
	err := db.InTx(ctx, func(tx *Tx) error {
		for _, table := range []string{"run_steps", "approvals"} {
			if _, err := tx.q.exec(ctx, `DELETE FROM `+table+` WHERE run_id IN (`+oldest+`)`, micros(before), batch); err != nil {
				return fmt.Errorf("prune %s: %w", table, err)
			}
		}
		var err error
		n, err = tx.q.exec(ctx, `DELETE FROM workflow_runs WHERE id IN (`+oldest+`)`, micros(before), batch)
		if err != nil {
			return fmt.Errorf("prune runs: %w", err)
		}
		return nil
	})
	return n, err
}

// PruneEvents deletes up to batch events created before before that are
// no longer queued and that no remaining run was started by.
func (db *DB) PruneEvents(ctx context.Context, before time.Time, batch int) (int64, error) {
	n, err := db.b.writer().exec(ctx, `DELETE FROM events WHERE id IN (
		SELECT e.id FROM events e WHERE e.created_at < ?
			AND NOT EXISTS (SELECT 1 FROM event_queue q WHERE q.event_id = e.id)
			AND NOT EXISTS (SELECT 1 FROM workflow_runs r WHERE r.event_id = e.id)
		ORDER BY e.created_at, e.id LIMIT ?)`, micros(before), batch)
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	return n, nil
}

// PruneEvaluations deletes up to batch evaluations made before before, in
// every workspace; they are kept briefly (run history stays).
func (db *DB) PruneEvaluations(ctx context.Context, before time.Time, batch int) (int64, error) {
	n, err := db.b.writer().exec(ctx, `DELETE FROM evaluations WHERE event_id IN (SELECT event_id FROM evaluations WHERE created_at < ? ORDER BY created_at LIMIT ?)`, micros(before), batch)
	if err != nil {
		return 0, fmt.Errorf("prune evaluations: %w", err)
	}
	return n, nil
}
