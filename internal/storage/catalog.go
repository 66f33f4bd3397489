package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/validate"
)

// Tags, teams, channels and custom field definitions: the small per-workspace
// objects that workflows refer to by id.

// NamedKind is a table of objects that are only a name: tags or teams.
type NamedKind struct {
	table, kind string
}

// Kinds of named objects.
var (
	Tags  = NamedKind{table: "tags", kind: "tag"}
	Teams = NamedKind{table: "teams", kind: "team"}
)

// Kind names the objects ("tag", "team").
func (k NamedKind) Kind() string { return k.kind }

func scanNamed(r row) (helpdesk.Named, error) {
	var (
		n       helpdesk.Named
		created int64
	)
	err := r.Scan(&n.ID, &n.Name, &created)
	n.CreatedAt = fromMicros(created)
	return n, err
}

// ListNamed lists the workspace's objects of a kind by name.
func (db *DB) ListNamed(ctx context.Context, k NamedKind, workspaceID int64, page Page) ([]helpdesk.Named, int, error) {
	return list(ctx, db, page, scanNamed, `SELECT COUNT(*) FROM `+k.table+` WHERE workspace_id = ?`,
		`SELECT id, name, created_at FROM `+k.table+` WHERE workspace_id = ? ORDER BY lower(name), id LIMIT ? OFFSET ?`, workspaceID)
}

// GetNamed loads one object.
func (db *DB) GetNamed(ctx context.Context, k NamedKind, workspaceID int64, id string) (helpdesk.Named, error) {
	return get(ctx, db, scanNamed, k.kind, id, `SELECT id, name, created_at FROM `+k.table+` WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// CreateNamed creates an object; a name already used (case-insensitively)
// is a validation error.
func (db *DB) CreateNamed(ctx context.Context, k NamedKind, workspaceID int64, name string) (helpdesk.Named, error) {
	n := helpdesk.Named{ID: helpdesk.NewID(), Name: name, CreatedAt: db.Now()}
	_, err := db.b.writer().exec(ctx, `INSERT INTO `+k.table+` (id, workspace_id, name, created_at) VALUES (?, ?, ?, ?)`, n.ID, workspaceID, name, micros(n.CreatedAt))
	return n, db.nameTaken(err, "create "+k.kind)
}

// RenameNamed changes an object's name.
func (db *DB) RenameNamed(ctx context.Context, k NamedKind, workspaceID int64, id, name string) (helpdesk.Named, error) {
	err := execOne(ctx, db.b.writer(), k.kind, id, `UPDATE `+k.table+` SET name = ? WHERE workspace_id = ? AND id = ?`, name, workspaceID, id)
	if err := db.nameTaken(err, "rename "+k.kind); err != nil {
		return helpdesk.Named{}, err
	}
	return db.GetNamed(ctx, k, workspaceID, id)
}

// DeleteNamed deletes an object (a tag also leaves the tickets that had it)
// unless a workflow refers to it.
func (db *DB) DeleteNamed(ctx context.Context, k NamedKind, workspaceID int64, id string) error {
	return db.deleteUnused(ctx, workspaceID, k.table, k.kind, id)
}

// GetTag loads one tag.
func (db *DB) GetTag(ctx context.Context, workspaceID int64, id string) (helpdesk.Tag, error) {
	return db.GetNamed(ctx, Tags, workspaceID, id)
}

// CreateTag creates a tag.
func (db *DB) CreateTag(ctx context.Context, workspaceID int64, name string) (helpdesk.Tag, error) {
	return db.CreateNamed(ctx, Tags, workspaceID, name)
}

const channelColumns = `id, name, type, settings, credentials_set, created_at`

func scanChannel(r row) (helpdesk.Channel, error) { return scanChannelAfter(r) }

// scanChannelAfter scans a channel's columns after the leading ones into
// lead.
func scanChannelAfter(r row, lead ...any) (helpdesk.Channel, error) {
	var (
		c               helpdesk.Channel
		settings, creds string
		created         int64
	)
	if err := r.Scan(append(lead, &c.ID, &c.Name, &c.Type, &settings, &creds, &created)...); err != nil {
		return c, err
	}
	c.CreatedAt = fromMicros(created)
	if err := json.Unmarshal([]byte(settings), &c.Settings); err != nil {
		return c, fmt.Errorf("decode settings of channel %s: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(creds), &c.CredentialsSet); err != nil {
		return c, fmt.Errorf("decode credentials of channel %s: %w", c.ID, err)
	}
	return c, nil
}

// ListChannels lists the workspace's channels.
func (db *DB) ListChannels(ctx context.Context, workspaceID int64, page Page) ([]helpdesk.Channel, int, error) {
	return list(ctx, db, page, scanChannel, `SELECT COUNT(*) FROM channels WHERE workspace_id = ?`,
		`SELECT `+channelColumns+` FROM channels WHERE workspace_id = ? ORDER BY id LIMIT ? OFFSET ?`, workspaceID)
}

// GetChannel loads one channel.
func (db *DB) GetChannel(ctx context.Context, workspaceID int64, id string) (helpdesk.Channel, error) {
	return get(ctx, db, scanChannel, "channel", id, `SELECT `+channelColumns+` FROM channels WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// ChannelCredentials returns a channel's sealed credentials (nil: none).
func (db *DB) ChannelCredentials(ctx context.Context, workspaceID int64, id string) ([]byte, error) {
	var sealed []byte
	err := db.b.reader().queryRow(ctx, `SELECT credentials FROM channels WHERE workspace_id = ? AND id = ?`, workspaceID, id).Scan(&sealed)
	if db.b.isNoRows(err) {
		return nil, ErrNotFound
	}
	return sealed, err
}

// SaveChannel creates (no creation time yet; the id is made when empty) or
// updates a channel. sealed replaces its
// credentials when not nil. The address of an email channel is unique
// among all workspaces' channels (mail to it must reach one): a taken one
// is a 422 on settings.address.
func (db *DB) SaveChannel(ctx context.Context, workspaceID int64, c helpdesk.Channel, sealed []byte) (helpdesk.Channel, error) {
	settings, err := json.Marshal(c.Settings)
	if err != nil {
		return c, fmt.Errorf("encode channel settings: %w", err)
	}
	if c.CredentialsSet == nil {
		c.CredentialsSet = []string{}
	}
	credsSet, err := json.Marshal(c.CredentialsSet)
	if err != nil {
		return c, err
	}
	var address *string
	if a := strings.ToLower(c.Settings.Address); a != "" {
		address = &a
	}
	taken := func(err error) error {
		if db.b.isUniqueViolation(err) {
			return validate.Field("settings.address", "another channel receives mail for %s", *address)
		}
		return err
	}
	if c.CreatedAt.IsZero() {
		if c.ID == "" {
			c.ID = helpdesk.NewID()
		}
		c.CreatedAt = db.Now()
		_, err := db.b.writer().exec(ctx, `INSERT INTO channels (id, workspace_id, name, type, address, settings, credentials, credentials_set, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, workspaceID, c.Name, c.Type, address, string(settings), sealed, string(credsSet), micros(c.CreatedAt))
		if err != nil {
			return c, fmt.Errorf("create channel: %w", taken(err))
		}
		return c, nil
	}
	query, args := `UPDATE channels SET name = ?, type = ?, address = ?, settings = ?, credentials_set = ?`, []any{c.Name, c.Type, address, string(settings), string(credsSet)}
	if sealed != nil {
		query, args = query+`, credentials = ?`, append(args, sealed)
	}
	if err := execOne(ctx, db.b.writer(), "channel", c.ID, query+` WHERE workspace_id = ? AND id = ?`, append(args, workspaceID, c.ID)...); err != nil {
		return c, taken(err)
	}
	return db.GetChannel(ctx, workspaceID, c.ID)
}

// DeleteChannel deletes a channel unless a workflow refers to it.
func (db *DB) DeleteChannel(ctx context.Context, workspaceID int64, id string) error {
	return db.deleteUnused(ctx, workspaceID, "channels", "channel", id)
}

func scanCustomField(r row) (helpdesk.CustomField, error) {
	var (
		f       helpdesk.CustomField
		created int64
	)
	err := r.Scan(&f.ID, &f.Key, &f.Name, &f.Type, &created)
	f.CreatedAt = fromMicros(created)
	return f, err
}

const customFieldColumns = `id, key, name, type, created_at`

// ListCustomFields lists the workspace's custom field definitions by key.
func (db *DB) ListCustomFields(ctx context.Context, workspaceID int64, page Page) ([]helpdesk.CustomField, int, error) {
	return list(ctx, db, page, scanCustomField, `SELECT COUNT(*) FROM custom_fields WHERE workspace_id = ?`,
		`SELECT `+customFieldColumns+` FROM custom_fields WHERE workspace_id = ? ORDER BY key LIMIT ? OFFSET ?`, workspaceID)
}

// CustomFieldsByKey returns every custom field definition keyed by key.
func (db *DB) CustomFieldsByKey(ctx context.Context, workspaceID int64) (map[string]helpdesk.CustomField, error) {
	fields, err := queryAll(ctx, db.b.reader(), scanCustomField, `SELECT `+customFieldColumns+` FROM custom_fields WHERE workspace_id = ?`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("load custom fields: %w", err)
	}
	out := make(map[string]helpdesk.CustomField, len(fields))
	for _, f := range fields {
		out[f.Key] = f
	}
	return out, nil
}

// GetCustomField loads one custom field definition.
func (db *DB) GetCustomField(ctx context.Context, workspaceID int64, id string) (helpdesk.CustomField, error) {
	return get(ctx, db, scanCustomField, "custom field", id, `SELECT `+customFieldColumns+` FROM custom_fields WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// CreateCustomField creates a definition; its key must be unique.
func (db *DB) CreateCustomField(ctx context.Context, workspaceID int64, f helpdesk.CustomField) (helpdesk.CustomField, error) {
	f.ID, f.CreatedAt = helpdesk.NewID(), db.Now()
	_, err := db.b.writer().exec(ctx, `INSERT INTO custom_fields (id, workspace_id, key, name, type, created_at) VALUES (?, ?, ?, ?, ?, ?)`, f.ID, workspaceID, f.Key, f.Name, f.Type, micros(f.CreatedAt))
	if err != nil && db.b.isUniqueViolation(err) {
		return f, validate.Field("key", "has already been taken")
	}
	if err != nil {
		return f, fmt.Errorf("create custom field: %w", err)
	}
	return f, nil
}

// RenameCustomField changes the display name (key and type are fixed once
// tickets use them).
func (db *DB) RenameCustomField(ctx context.Context, workspaceID int64, id, name string) (helpdesk.CustomField, error) {
	if err := execOne(ctx, db.b.writer(), "custom field", id, `UPDATE custom_fields SET name = ? WHERE workspace_id = ? AND id = ?`, name, workspaceID, id); err != nil {
		return helpdesk.CustomField{}, err
	}
	return db.GetCustomField(ctx, workspaceID, id)
}

// DeleteCustomField deletes a definition; values already on tickets stay.
func (db *DB) DeleteCustomField(ctx context.Context, workspaceID int64, id string) error {
	return execOne(ctx, db.b.writer(), "custom field", id, `DELETE FROM custom_fields WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

func (db *DB) nameTaken(err error, what string) error {
	if err == nil {
		return nil
	}
	if db.b.isUniqueViolation(err) {
		return validate.Field("name", "has already been taken")
	}
	if err == ErrNotFound {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// deleteUnused deletes a row of table unless a workflow of the workspace
// mentions its id. Ids are ULIDs, so a text search of the stored
// definitions is exact.
func (db *DB) deleteUnused(ctx context.Context, workspaceID int64, table, kind, id string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.deleteUnused(ctx, workspaceID, table, kind, id) })
}

func (tx *Tx) deleteUnused(ctx context.Context, workspaceID int64, table, kind, id string) error {
	pattern := `%"` + id + `"%`
	var name string
	err := tx.q.queryRow(ctx, `SELECT name FROM workflows WHERE workspace_id = ? AND (trigger_parameters LIKE ? OR conditions LIKE ? OR actions LIKE ? OR paths LIKE ?) ORDER BY id LIMIT 1`,
		workspaceID, pattern, pattern, pattern, pattern).Scan(&name)
	switch {
	case err == nil:
		return &ConflictError{Message: fmt.Sprintf("the %s is used by workflow %q; change the workflow first", kind, name)}
	case !tx.db.b.isNoRows(err):
		return fmt.Errorf("check %s %s use: %w", kind, id, err)
	}
	return execOne(ctx, tx.q, kind, id, `DELETE FROM `+table+` WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// TagByName returns the id of the tag named name (case-insensitively),
// creating it if the workspace has none.
func (tx *Tx) TagByName(ctx context.Context, workspaceID int64, name string) (string, error) {
	var id string
	err := tx.q.queryRow(ctx, `SELECT id FROM tags WHERE workspace_id = ? AND lower(name) = lower(?)`, workspaceID, name).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !tx.db.b.isNoRows(err) {
		return "", fmt.Errorf("find tag %q: %w", name, err)
	}
	id = helpdesk.NewID()
	if _, err := tx.q.exec(ctx, `INSERT INTO tags (id, workspace_id, name, created_at) VALUES (?, ?, ?, ?)`, id, workspaceID, name, micros(tx.db.Now())); err != nil {
		return "", fmt.Errorf("create tag %q: %w", name, err)
	}
	return id, nil
}
