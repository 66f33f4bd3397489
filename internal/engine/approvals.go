package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
)

// Decide approves or rejects a pending approval. Approval resumes the path
// at its step; rejection ends the path like a failure. An approval whose
// time ran out is expired instead, and the answer says so.
func (e *Engine) Decide(ctx context.Context, ws int64, approvalID, userID string, approve bool, reason string) (run.Approval, error) {
	a, err := e.db.GetApproval(ctx, ws, approvalID)
	if err != nil {
		return a, err
	}
	now := e.Now()
	if a.Status == run.ApprovalPending && !now.Before(a.ExpiresAt) {
		if err := e.expire(ctx, ws, a); err != nil {
			return a, err
		}
		return a, &storage.ConflictError{Message: "the approval expired at " + a.ExpiresAt.Format("2006-01-02T15:04:05Z") + "; the path was ended"}
	}
	status := run.ApprovalRejected
	if approve {
		status = run.ApprovalApproved
	}
	errDecided := errors.New("already decided")
	err = e.db.InTx(ctx, func(tx *storage.Tx) error {
		ok, err := tx.DecideApproval(ctx, ws, a.ID, status, &userID, reason, now)
		if err != nil {
			return err
		}
		if !ok {
			return errDecided
		}
		if approve {
			return e.resume(ctx, tx, ws, a)
		}
		return e.endPath(ctx, tx, ws, a, "rejected by an admin"+reasonSuffix(reason))
	})
	if errors.Is(err, errDecided) {
		current, err := e.db.GetApproval(ctx, ws, a.ID)
		if err != nil {
			return a, err
		}
		return a, &storage.ConflictError{Message: "the approval is already " + current.Status}
	}
	if err != nil {
		return a, err
	}
	return e.db.GetApproval(ctx, ws, a.ID)
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}

// resume puts the approved step back to pending and enqueues its path.
func (e *Engine) resume(ctx context.Context, tx *storage.Tx, ws int64, a run.Approval) error {
	r, err := tx.LockRun(ctx, ws, a.RunID)
	if err != nil {
		return err
	}
	for _, s := range r.Steps {
		if s.Path == a.Path && s.Position == a.Position {
			s.Status = run.StepPending
			if err := tx.SaveStep(ctx, ws, s); err != nil {
				return err
			}
		}
	}
	if err := e.settleTx(ctx, tx, ws, a.RunID); err != nil {
		return err
	}
	return e.enqueuePath(ctx, tx, ws, r, a.Path, "approved")
}

// endPath marks the waiting step rejected and skips the rest of its path.
func (e *Engine) endPath(ctx context.Context, tx *storage.Tx, ws int64, a run.Approval, why string) error {
	r, err := tx.LockRun(ctx, ws, a.RunID)
	if err != nil {
		return err
	}
	now := e.Now()
	for _, s := range r.Steps {
		if s.Path == a.Path && s.Position == a.Position {
			s.Status, s.Error, s.FinishedAt = run.StepRejected, why, &now
			if err := tx.SaveStep(ctx, ws, s); err != nil {
				return err
			}
		}
	}
	if err := tx.SkipRest(ctx, ws, a.RunID, a.Path, a.Position, now); err != nil {
		return err
	}
	return e.settleTx(ctx, tx, ws, a.RunID)
}

func (e *Engine) expire(ctx context.Context, ws int64, a run.Approval) error {
	return e.db.InTx(ctx, func(tx *storage.Tx) error {
		ok, err := tx.DecideApproval(ctx, ws, a.ID, run.ApprovalExpired, nil, "no decision before it expired", e.Now())
		if err != nil || !ok {
			return err
		}
		return e.endPath(ctx, tx, ws, a, "the approval expired")
	})
}

// ExpireApprovals ends every path whose approval ran out of time, by the
// engine's clock; it returns how many.
func (e *Engine) ExpireApprovals(ctx context.Context) (int, error) {
	count := 0
	for {
		due, err := e.db.ExpiredApprovals(ctx, e.Now(), 100)
		if err != nil {
			return count, err
		}
		if len(due) == 0 {
			return count, nil
		}
		for _, ref := range due {
			a, err := e.db.GetApproval(ctx, ref.WorkspaceID, ref.ID)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				return count, err
			}
			if err := e.expire(ctx, ref.WorkspaceID, a); err != nil {
				return count, fmt.Errorf("expire approval %s: %w", a.ID, err)
			}
			count++
		}
	}
}
