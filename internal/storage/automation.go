package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
)

// The writes of an automation bundle's apply (package bundle): every one
// inside the caller's transaction, so that an apply is all or nothing.

// CreateNamed creates a tag or team with the given id.
func (tx *Tx) CreateNamed(ctx context.Context, k NamedKind, workspaceID int64, id, name string) error {
	_, err := tx.q.exec(ctx, `INSERT INTO `+k.table+` (id, workspace_id, name, created_at) VALUES (?, ?, ?, ?)`, id, workspaceID, name, micros(tx.db.Now()))
	return tx.db.nameTaken(err, "create "+k.kind)
}

// DeleteNamed deletes a tag or team unless a workflow refers to it.
func (tx *Tx) DeleteNamed(ctx context.Context, k NamedKind, workspaceID int64, id string) error {
	return tx.deleteUnused(ctx, workspaceID, k.table, k.kind, id)
}

// PutConnector creates a connector without credentials (CreatedAt zero) or
// changes an existing one's name and settings, keeping its credentials.
func (tx *Tx) PutConnector(ctx context.Context, workspaceID int64, c connector.Connector) error {
	settings, err := json.Marshal(nonNilMap(c.Settings))
	if err != nil {
		return fmt.Errorf("encode connector settings: %w", err)
	}
	now := micros(tx.db.Now())
	if c.CreatedAt.IsZero() {
		_, err = tx.q.exec(ctx, `INSERT INTO connectors (id, workspace_id, type, name, settings, credentials, credential_keys, created_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, '[]', ?, ?)`,
			c.ID, workspaceID, c.Type, c.Name, string(settings), now, now)
		if err != nil {
			return fmt.Errorf("create connector %q: %w", c.Name, err)
		}
		return nil
	}
	return execOne(ctx, tx.q, "connector", c.ID, `UPDATE connectors SET name = ?, settings = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		c.Name, string(settings), now, workspaceID, c.ID)
}

// DeleteConnector deletes a connector unless a workflow uses it.
func (tx *Tx) DeleteConnector(ctx context.Context, workspaceID int64, id string) error {
	return tx.deleteUnused(ctx, workspaceID, "connectors", "connector", id)
}

// SaveSavedReply creates (CreatedAt zero) or updates a saved reply with the
// given id.
func (tx *Tx) SaveSavedReply(ctx context.Context, workspaceID int64, s helpdesk.SavedReply) error {
	return saveSavedReply(ctx, tx.q, workspaceID, s, micros(tx.db.Now()))
}

// DeleteSavedReply deletes a saved reply.
func (tx *Tx) DeleteSavedReply(ctx context.Context, workspaceID int64, id string) error {
	return execOne(ctx, tx.q, "saved reply", id, `DELETE FROM saved_replies WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}
