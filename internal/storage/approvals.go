package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/validate"
)

const approvalColumns = `a.id, a.run_id, r.workflow_id, r.ticket_id, a.path, a.position, a.status, a.action_type, a.parameters, a.requested_at, a.expires_at, a.decided_at, a.decided_by, a.reason`

const approvalFrom = ` FROM approvals a JOIN workflow_runs r ON r.id = a.run_id `

func scanApproval(r row) (run.Approval, error) {
	var (
		a                  run.Approval
		params             string
		requested, expires int64
		decided            nullInt
		by                 nullString
	)
	err := r.Scan(&a.ID, &a.RunID, &a.WorkflowID, &a.TicketID, &a.Path, &a.Position, &a.Status, &a.ActionType, &params, &requested, &expires, &decided, &by, &a.Reason)
	if err != nil {
		return a, err
	}
	a.RequestedAt, a.ExpiresAt, a.DecidedAt, a.DecidedBy = fromMicros(requested), fromMicros(expires), decided.time(), by.ptr()
	return a, validate.DecodeInto([]byte(params), &a.Parameters)
}

// CreateApproval stores a pending approval for a step (once per step).
func (tx *Tx) CreateApproval(ctx context.Context, workspaceID int64, a run.Approval) error {
	params, err := encodeJSON(a.Parameters)
	if err != nil {
		return fmt.Errorf("encode approval parameters: %w", err)
	}
	_, err = tx.q.exec(ctx, `INSERT INTO approvals (id, workspace_id, run_id, path, position, status, action_type, parameters, requested_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, path, position) DO NOTHING`,
		a.ID, workspaceID, a.RunID, a.Path, a.Position, a.Status, a.ActionType, params, micros(a.RequestedAt), micros(a.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create approval: %w", err)
	}
	return nil
}

// ApprovalForStep loads the approval of a step, if any.
func (tx *Tx) ApprovalForStep(ctx context.Context, workspaceID int64, runID string, path, position int) (run.Approval, error) {
	return getWith(ctx, tx.db, tx.q, scanApproval, "approval", runID,
		`SELECT `+approvalColumns+approvalFrom+`WHERE a.workspace_id = ? AND a.run_id = ? AND a.path = ? AND a.position = ?`, workspaceID, runID, path, position)
}

// GetApproval loads one approval.
func (db *DB) GetApproval(ctx context.Context, workspaceID int64, id string) (run.Approval, error) {
	return get(ctx, db, scanApproval, "approval", id, `SELECT `+approvalColumns+approvalFrom+`WHERE a.workspace_id = ? AND a.id = ?`, workspaceID, id)
}

// ListApprovals lists approvals, oldest first, optionally of one status.
func (db *DB) ListApprovals(ctx context.Context, workspaceID int64, status string, page Page) ([]run.Approval, int, error) {
	if status == "" {
		return list(ctx, db, page, scanApproval, `SELECT COUNT(*) FROM approvals WHERE workspace_id = ?`,
			`SELECT `+approvalColumns+approvalFrom+`WHERE a.workspace_id = ? ORDER BY a.id LIMIT ? OFFSET ?`, workspaceID)
	}
	return list(ctx, db, page, scanApproval, `SELECT COUNT(*) FROM approvals WHERE workspace_id = ? AND status = ?`,
		`SELECT `+approvalColumns+approvalFrom+`WHERE a.workspace_id = ? AND a.status = ? ORDER BY a.id LIMIT ? OFFSET ?`, workspaceID, status)
}

// DecideApproval moves a pending approval to status; ok is false when it
// was no longer pending (decided or expired already).
func (tx *Tx) DecideApproval(ctx context.Context, workspaceID int64, id, status string, by *string, reason string, at time.Time) (bool, error) {
	n, err := tx.q.exec(ctx, `UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, reason = ? WHERE workspace_id = ? AND id = ? AND status = ?`,
		status, micros(at), nullable(by), reason, workspaceID, id, run.ApprovalPending)
	if err != nil {
		return false, fmt.Errorf("decide approval %s: %w", id, err)
	}
	return n == 1, nil
}

// ApprovalRef names an approval across workspaces, for maintenance.
type ApprovalRef struct {
	WorkspaceID int64
	ID          string
	RunID       string
	Path        int
}

// ExpiredApprovals lists pending approvals whose time ran out, in every
// workspace, at most limit.
func (db *DB) ExpiredApprovals(ctx context.Context, now time.Time, limit int) ([]ApprovalRef, error) {
	return queryAll(ctx, db.b.reader(), func(r row) (ApprovalRef, error) {
		var a ApprovalRef
		err := r.Scan(&a.WorkspaceID, &a.ID, &a.RunID, &a.Path)
		return a, err
	}, `SELECT workspace_id, id, run_id, path FROM approvals WHERE status = ? AND expires_at <= ? ORDER BY expires_at LIMIT ?`, run.ApprovalPending, micros(now), limit)
}
