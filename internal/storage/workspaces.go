package storage

import (
	"context"
	"fmt"

	"github.com/deskflow/deskflow/internal/helpdesk"
)

// CreateWorkspace creates a workspace and returns it.
func (db *DB) CreateWorkspace(ctx context.Context, name string) (helpdesk.Workspace, error) {
	now := db.Now()
	w := helpdesk.Workspace{Name: name, CreatedAt: now}
	err := db.b.writer().queryRow(ctx,
		`INSERT INTO workspaces (name, created_at) VALUES (?, ?) RETURNING id`, name, micros(now)).Scan(&w.ID)
	if err != nil {
		return w, fmt.Errorf("create workspace: %w", err)
	}
	return w, nil
}

// CountWorkspaces tells whether the database is new.
func (db *DB) CountWorkspaces(ctx context.Context) (int, error) {
	var n int
	if err := db.b.reader().queryRow(ctx, `SELECT COUNT(*) FROM workspaces`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count workspaces: %w", err)
	}
	return n, nil
}

// GetWorkspace loads one workspace.
func (db *DB) GetWorkspace(ctx context.Context, id int64) (helpdesk.Workspace, error) {
	var (
		w       helpdesk.Workspace
		created int64
	)
	err := db.b.reader().queryRow(ctx, `SELECT id, name, signature, created_at FROM workspaces WHERE id = ?`, id).Scan(&w.ID, &w.Name, &w.Signature, &created)
	if err != nil {
		if db.b.isNoRows(err) {
			return w, ErrNotFound
		}
		return w, fmt.Errorf("get workspace %d: %w", id, err)
	}
	w.CreatedAt = fromMicros(created)
	return w, nil
}

// UpdateWorkspace changes a workspace's name and signature.
func (db *DB) UpdateWorkspace(ctx context.Context, w helpdesk.Workspace) (helpdesk.Workspace, error) {
	if err := execOne(ctx, db.b.writer(), "workspace", fmt.Sprint(w.ID), `UPDATE workspaces SET name = ?, signature = ? WHERE id = ?`, w.Name, w.Signature, w.ID); err != nil {
		return w, err
	}
	return db.GetWorkspace(ctx, w.ID)
}
