package storage

import (
	"context"
	"fmt"

	"github.com/deskflow/deskflow/internal/helpdesk"
)

// Member is the user behind an API token and their role in a workspace.
type Member struct {
	User helpdesk.User
	Role string
}

// CreateUserWithToken creates a user, makes them a member of the workspace
// with role, and stores the hash of their first API token.
func (db *DB) CreateUserWithToken(ctx context.Context, workspaceID int64, name, email, role, tokenName, tokenHash string) (helpdesk.User, error) {
	now := db.Now()
	u := helpdesk.User{ID: helpdesk.NewID(), Name: name, Email: email, Role: role, CreatedAt: now}
	err := db.InTx(ctx, func(tx *Tx) error {
		var exists int
		if err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM workspaces WHERE id = ?`, workspaceID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return ErrNotFound
		}
		if _, err := tx.q.exec(ctx, `INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)`, u.ID, name, email, micros(now)); err != nil {
			return err
		}
		if _, err := tx.q.exec(ctx, `INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`, workspaceID, u.ID, role, micros(now)); err != nil {
			return err
		}
		_, err := tx.q.exec(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)`, helpdesk.NewID(), u.ID, tokenName, tokenHash, micros(now))
		return err
	})
	if err != nil {
		return u, fmt.Errorf("create user in workspace %d: %w", workspaceID, err)
	}
	return u, nil
}

// UserByTokenHash finds the user that owns a token.
func (db *DB) UserByTokenHash(ctx context.Context, hash string) (helpdesk.User, error) {
	var (
		u       helpdesk.User
		created int64
	)
	err := db.b.reader().queryRow(ctx, `SELECT u.id, u.name, u.email, u.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, hash).
		Scan(&u.ID, &u.Name, &u.Email, &created)
	if err != nil {
		if db.b.isNoRows(err) {
			return u, ErrNotFound
		}
		return u, fmt.Errorf("find token: %w", err)
	}
	u.CreatedAt = fromMicros(created)
	return u, nil
}

// MemberRole returns the user's role in the workspace, or ErrNotFound when
// they are not a member.
func (db *DB) MemberRole(ctx context.Context, workspaceID int64, userID string) (string, error) {
	var role string
	err := db.b.reader().queryRow(ctx, `SELECT role FROM workspace_members WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID).Scan(&role)
	if err != nil {
		if db.b.isNoRows(err) {
			return "", ErrNotFound
		}
		return "", fmt.Errorf("read membership: %w", err)
	}
	return role, nil
}

const userColumns = `u.id, u.name, u.email, m.role, u.created_at`

func scanUser(r row) (helpdesk.User, error) {
	var (
		u       helpdesk.User
		created int64
	)
	err := r.Scan(&u.ID, &u.Name, &u.Email, &u.Role, &created)
	u.CreatedAt = fromMicros(created)
	return u, err
}

// ListUsers lists the members of the workspace.
func (db *DB) ListUsers(ctx context.Context, workspaceID int64, page Page) ([]helpdesk.User, int, error) {
	return list(ctx, db, page, scanUser,
		`SELECT COUNT(*) FROM workspace_members WHERE workspace_id = ?`,
		`SELECT `+userColumns+` FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? ORDER BY u.id LIMIT ? OFFSET ?`,
		workspaceID)
}

// GetUser loads one member of the workspace.
func (db *DB) GetUser(ctx context.Context, workspaceID int64, id string) (helpdesk.User, error) {
	return get(ctx, db, scanUser, "user", id,
		`SELECT `+userColumns+` FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? AND u.id = ?`, workspaceID, id)
}
