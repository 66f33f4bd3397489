package engine

import (
	"context"

	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
)

// Replay runs a failed run again from its failed steps (one per path that
// failed), on the definition it started with, once the cause is fixed (a
// connector's credentials, a webhook receiver back up); its succeeded
// steps are not repeated. External steps keep their idempotency keys.
func (e *Engine) Replay(ctx context.Context, ws int64, runID string) (*run.Run, error) {
	err := e.db.InTx(ctx, func(tx *storage.Tx) error {
		r, err := tx.LockRun(ctx, ws, runID)
		if err != nil {
			return err
		}
		if r.Status != run.StatusFailed {
			return &storage.ConflictError{Message: "only a failed run can be replayed; this one is " + r.Status}
		}
		if len(r.Paths) == 0 {
			return &storage.ConflictError{Message: "this run ran whole inside its event's processing (ticket actions only) and kept no definition to replay"}
		}
		paths, err := tx.ReplaySteps(ctx, ws, runID)
		if err != nil {
			return err
		}
		for _, p := range paths {
			if err := e.enqueuePath(ctx, tx, ws, r, p, "replay"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e.db.GetRun(ctx, ws, runID)
}
