package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/deskflow/deskflow/internal/businesshours"
)

// BusinessHours returns the workspace's schedule (the default when never set).
func (db *DB) BusinessHours(ctx context.Context, workspaceID int64) (businesshours.Schedule, error) {
	return db.businessHours(ctx, db.b.reader(), workspaceID)
}

// BusinessHours reads the schedule inside the transaction.
func (tx *Tx) BusinessHours(ctx context.Context, workspaceID int64) (businesshours.Schedule, error) {
	return tx.db.businessHours(ctx, tx.q, workspaceID)
}

func (db *DB) businessHours(ctx context.Context, q querier, workspaceID int64) (businesshours.Schedule, error) {
	var text string
	err := q.queryRow(ctx, `SELECT business_hours FROM workspaces WHERE id = ?`, workspaceID).Scan(&text)
	if err != nil {
		if db.b.isNoRows(err) {
			return businesshours.Schedule{}, ErrNotFound
		}
		return businesshours.Schedule{}, fmt.Errorf("load business hours of workspace %d: %w", workspaceID, err)
	}
	if text == "" {
		return businesshours.Default(), nil
	}
	var s businesshours.Schedule
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return s, fmt.Errorf("decode business hours of workspace %d: %w", workspaceID, err)
	}
	return s, nil
}

// SetBusinessHours stores a validated schedule.
func (tx *Tx) SetBusinessHours(ctx context.Context, workspaceID int64, s businesshours.Schedule) error {
	text, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode business hours: %w", err)
	}
	return execOne(ctx, tx.q, "workspace", fmt.Sprint(workspaceID), `UPDATE workspaces SET business_hours = ? WHERE id = ?`, string(text), workspaceID)
}
