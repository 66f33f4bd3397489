package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/deskflow/deskflow/internal/helpdesk"
)

// People signing in to the console: passwords, sessions, one-time sign-in
// links, invitations and roles. Secrets are stored as their SHA-256 hashes
// (auth.Hash); passwords as bcrypt hashes.

// Credential is a user who may sign in with a password.
type Credential struct {
	UserID       string
	PasswordHash string
}

// PasswordsOf lists the users with this email (case-insensitively) who
// have a password.
func (db *DB) PasswordsOf(ctx context.Context, email string) ([]Credential, error) {
	return queryAll(ctx, db.b.reader(), func(r row) (Credential, error) {
		var c Credential
		return c, r.Scan(&c.UserID, &c.PasswordHash)
	}, `SELECT id, password_hash FROM users WHERE lower(email) = lower(?) AND password_hash <> '' ORDER BY id`, email)
}

// SetProfile changes a user's name, email and, when hash is not empty,
// password hash.
func (db *DB) SetProfile(ctx context.Context, userID, name, email, hash string) error {
	if hash == "" {
		return execOne(ctx, db.b.writer(), "user", userID, `UPDATE users SET name = ?, email = ? WHERE id = ?`, name, email, userID)
	}
	return execOne(ctx, db.b.writer(), "user", userID, `UPDATE users SET name = ?, email = ?, password_hash = ? WHERE id = ?`, name, email, hash, userID)
}

// CreateSession stores a session of the user until expires.
func (db *DB) CreateSession(ctx context.Context, userID, tokenHash string, expires time.Time) error {
	_, err := db.b.writer().exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`, tokenHash, userID, micros(db.Now()), micros(expires))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionUser returns the user of a session that has not expired.
func (db *DB) SessionUser(ctx context.Context, tokenHash string) (helpdesk.User, error) {
	var u helpdesk.User
	var created int64
	err := db.b.reader().queryRow(ctx, `SELECT u.id, u.name, u.email, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?`,
		tokenHash, micros(db.Now())).Scan(&u.ID, &u.Name, &u.Email, &created)
	if db.b.isNoRows(err) {
		return u, ErrNotFound
	}
	if err != nil {
		return u, fmt.Errorf("find session: %w", err)
	}
	u.CreatedAt = fromMicros(created)
	return u, nil
}

// DeleteSession ends a session (signing out); an unknown one is no error.
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := db.b.writer().exec(ctx, `DELETE FROM sessions WHERE token_hash = ? OR expires_at <= ?`, tokenHash, micros(db.Now()))
	return err
}

// CreateSignInLink stores a one-time sign-in link of a member into a
// workspace, valid until expires.
func (db *DB) CreateSignInLink(ctx context.Context, workspaceID int64, userID, tokenHash string, expires time.Time) error {
	_, err := db.b.writer().exec(ctx, `INSERT INTO sign_in_links (token_hash, user_id, workspace_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash, userID, workspaceID, micros(db.Now()), micros(expires))
	if err != nil {
		return fmt.Errorf("create sign-in link: %w", err)
	}
	return nil
}

// UseSignInLink spends a link that is unused and unexpired, once: it
// returns its user and workspace, or ErrNotFound.
func (db *DB) UseSignInLink(ctx context.Context, tokenHash string) (userID string, workspaceID int64, err error) {
	now := micros(db.Now())
	err = db.b.writer().queryRow(ctx, `UPDATE sign_in_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id, workspace_id`,
		now, tokenHash, now).Scan(&userID, &workspaceID)
	if db.b.isNoRows(err) {
		return "", 0, ErrNotFound
	}
	if err != nil {
		return "", 0, fmt.Errorf("use sign-in link: %w", err)
	}
	return userID, workspaceID, nil
}

// Membership is a workspace a user belongs to, with the user's role.
type Membership struct {
	WorkspaceID int64  `json:"workspace_id"`
	Name        string `json:"name"`
	Role        string `json:"role"`
}

// Memberships lists the workspaces of a user.
func (db *DB) Memberships(ctx context.Context, userID string) ([]Membership, error) {
	return queryAll(ctx, db.b.reader(), func(r row) (Membership, error) {
		var m Membership
		return m, r.Scan(&m.WorkspaceID, &m.Name, &m.Role)
	}, `SELECT w.id, w.name, m.role FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ? ORDER BY w.id`, userID)
}

// AddMember makes the user with this email (case-insensitively; a new
// user when none has it) a member of the workspace with role. A member
// already is a conflict.
func (db *DB) AddMember(ctx context.Context, workspaceID int64, name, email, role string) (helpdesk.User, error) {
	u := helpdesk.User{Name: name, Email: email, Role: role}
	err := db.InTx(ctx, func(tx *Tx) error {
		var created int64
		err := tx.q.queryRow(ctx, `SELECT id, name, created_at FROM users WHERE lower(email) = lower(?) ORDER BY id LIMIT 1`, email).Scan(&u.ID, &u.Name, &created)
		switch {
		case db.b.isNoRows(err):
			u.ID, u.CreatedAt = helpdesk.NewID(), db.Now()
			if _, err := tx.q.exec(ctx, `INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)`, u.ID, name, email, micros(u.CreatedAt)); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			u.CreatedAt = fromMicros(created)
		}
		var members int
		if err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM workspace_members WHERE workspace_id = ? AND user_id = ?`, workspaceID, u.ID).Scan(&members); err != nil {
			return err
		}
		if members > 0 {
			return &ConflictError{Message: fmt.Sprintf("%s is a member of the workspace already", email)}
		}
		_, err = tx.q.exec(ctx, `INSERT INTO workspace_members (workspace_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`, workspaceID, u.ID, role, micros(db.Now()))
		return err
	})
	if err != nil {
		return u, fmt.Errorf("add member to workspace %d: %w", workspaceID, err)
	}
	return u, nil
}

// SetRole changes a member's role in the workspace.
func (db *DB) SetRole(ctx context.Context, workspaceID int64, userID, role string) error {
	return execOne(ctx, db.b.writer(), "user", userID, `UPDATE workspace_members SET role = ? WHERE workspace_id = ? AND user_id = ?`, role, workspaceID, userID)
}
