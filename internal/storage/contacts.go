package storage

import (
	"context"
	"fmt"
	"strings"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/validate"
)

const contactColumns = `id, email, name, is_vip, created_at, updated_at`

func scanContact(r row) (helpdesk.Contact, error) {
	var (
		c                helpdesk.Contact
		created, updated int64
	)
	err := r.Scan(&c.ID, &c.Email, &c.Name, &c.IsVIP, &created, &updated)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, err
}

// ListContacts lists the workspace's contacts.
func (db *DB) ListContacts(ctx context.Context, workspaceID int64, page Page) ([]helpdesk.Contact, int, error) {
	return list(ctx, db, page, scanContact, `SELECT COUNT(*) FROM contacts WHERE workspace_id = ?`,
		`SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? ORDER BY id LIMIT ? OFFSET ?`, workspaceID)
}

// GetContact loads one contact.
func (db *DB) GetContact(ctx context.Context, workspaceID int64, id string) (helpdesk.Contact, error) {
	return get(ctx, db, scanContact, "contact", id, `SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// SaveContact creates (empty id) or updates a contact; emails are unique per
// workspace, case-insensitively.
func (db *DB) SaveContact(ctx context.Context, workspaceID int64, c helpdesk.Contact) (helpdesk.Contact, error) {
	now := db.Now()
	var err error
	if c.ID == "" {
		c.ID, c.CreatedAt, c.UpdatedAt = helpdesk.NewID(), now, now
		_, err = db.b.writer().exec(ctx, `INSERT INTO contacts (id, workspace_id, email, name, is_vip, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ID, workspaceID, c.Email, c.Name, c.IsVIP, micros(now), micros(now))
	} else {
		err = execOne(ctx, db.b.writer(), "contact", c.ID, `UPDATE contacts SET email = ?, name = ?, is_vip = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
			c.Email, c.Name, c.IsVIP, micros(now), workspaceID, c.ID)
	}
	if err != nil {
		if db.b.isUniqueViolation(err) {
			return c, validate.Field("email", "has already been taken")
		}
		if err == ErrNotFound {
			return c, err
		}
		return c, fmt.Errorf("save contact: %w", err)
	}
	return db.GetContact(ctx, workspaceID, c.ID)
}

// contactByEmail finds or creates the contact with that email inside tx;
// created reports whether it is new.
func (tx *Tx) contactByEmail(ctx context.Context, workspaceID int64, email, name string) (helpdesk.Contact, bool, error) {
	c, err := getWith(ctx, tx.db, tx.q, scanContact, "contact", email,
		`SELECT `+contactColumns+` FROM contacts WHERE workspace_id = ? AND lower(email) = ?`, workspaceID, strings.ToLower(email))
	if err == nil {
		if c.Name == "" && name != "" {
			c.Name = name
			if _, err := tx.q.exec(ctx, `UPDATE contacts SET name = ? WHERE workspace_id = ? AND id = ?`, name, workspaceID, c.ID); err != nil {
				return c, false, fmt.Errorf("name contact %s: %w", c.ID, err)
			}
		}
		return c, false, nil
	}
	if err != ErrNotFound {
		return c, false, err
	}
	now := tx.db.Now()
	c = helpdesk.Contact{ID: helpdesk.NewID(), Email: email, Name: name, CreatedAt: now, UpdatedAt: now}
	_, err = tx.q.exec(ctx, `INSERT INTO contacts (id, workspace_id, email, name, is_vip, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, workspaceID, c.Email, c.Name, false, micros(now), micros(now))
	if err != nil {
		return c, false, fmt.Errorf("create contact: %w", err)
	}
	return c, true, nil
}
