package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/validate"
)

const connectorColumns = `id, type, name, settings, credential_keys, created_at, updated_at`

func scanConnector(r row) (connector.Connector, error) {
	var (
		c                connector.Connector
		settings, keys   string
		created, updated int64
	)
	if err := r.Scan(&c.ID, &c.Type, &c.Name, &settings, &keys, &created, &updated); err != nil {
		return c, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := validate.DecodeInto([]byte(settings), &c.Settings); err != nil {
		return c, fmt.Errorf("decode settings of connector %s: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(keys), &c.CredentialsSet); err != nil {
		return c, fmt.Errorf("decode credential keys of connector %s: %w", c.ID, err)
	}
	return c, nil
}

// ListConnectors lists the workspace's connectors (never their credentials).
func (db *DB) ListConnectors(ctx context.Context, workspaceID int64, page Page) ([]connector.Connector, int, error) {
	return list(ctx, db, page, scanConnector, `SELECT COUNT(*) FROM connectors WHERE workspace_id = ?`,
		`SELECT `+connectorColumns+` FROM connectors WHERE workspace_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?`, workspaceID)
}

// GetConnector loads a connector without its credentials.
func (db *DB) GetConnector(ctx context.Context, workspaceID int64, id string) (connector.Connector, error) {
	return get(ctx, db, scanConnector, "connector", id, `SELECT `+connectorColumns+` FROM connectors WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// SealedCredentials returns a connector's sealed credentials.
func (db *DB) SealedCredentials(ctx context.Context, workspaceID int64, id string) ([]byte, error) {
	var sealed []byte
	err := db.b.reader().queryRow(ctx, `SELECT credentials FROM connectors WHERE workspace_id = ? AND id = ?`, workspaceID, id).Scan(&sealed)
	if err != nil {
		if db.b.isNoRows(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("credentials of connector %s: %w", id, err)
	}
	return sealed, nil
}

// SaveConnector creates (CreatedAt zero) or updates a connector with its
// sealed credentials and the list of their keys.
func (db *DB) SaveConnector(ctx context.Context, workspaceID int64, c connector.Connector, sealed []byte) (connector.Connector, error) {
	settings, err := json.Marshal(nonNilMap(c.Settings))
	if err != nil {
		return c, fmt.Errorf("encode connector settings: %w", err)
	}
	keys, err := json.Marshal(nonNilSlice(c.CredentialsSet))
	if err != nil {
		return c, err
	}
	now := db.Now()
	if c.CreatedAt.IsZero() {
		_, err = db.b.writer().exec(ctx, `INSERT INTO connectors (id, workspace_id, type, name, settings, credentials, credential_keys, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, workspaceID, c.Type, c.Name, string(settings), sealed, string(keys), micros(now), micros(now))
		if err != nil {
			return c, fmt.Errorf("create connector: %w", err)
		}
	} else if err := execOne(ctx, db.b.writer(), "connector", c.ID, `UPDATE connectors SET name = ?, settings = ?, credentials = ?, credential_keys = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		c.Name, string(settings), sealed, string(keys), micros(now), workspaceID, c.ID); err != nil {
		return c, err
	}
	return db.GetConnector(ctx, workspaceID, c.ID)
}

// DeleteConnector deletes a connector unless a workflow uses it.
func (db *DB) DeleteConnector(ctx context.Context, workspaceID int64, id string) error {
	return db.deleteUnused(ctx, workspaceID, "connectors", "connector", id)
}

// CountSealedConnectors counts connectors with stored credentials, in every
// workspace: at start, they need the credentials key.
func (db *DB) CountSealedConnectors(ctx context.Context) (int, error) {
	var n int
	if err := db.b.reader().queryRow(ctx, `SELECT COUNT(*) FROM connectors WHERE credentials IS NOT NULL`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count connectors with credentials: %w", err)
	}
	return n, nil
}

// ConnectorIDsOfType lists the ids of the workspace's connectors of a type.
func (db *DB) ConnectorIDsOfType(ctx context.Context, workspaceID int64, connectorType string) ([]string, error) {
	return queryAll(ctx, db.b.reader(), scanString, `SELECT id FROM connectors WHERE workspace_id = ? AND type = ? ORDER BY created_at, id`, workspaceID, connectorType)
}
