package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/helpdesk"
)

const savedReplyColumns = `id, title, body, created_at, updated_at`

func scanSavedReply(r row) (helpdesk.SavedReply, error) {
	var (
		s                helpdesk.SavedReply
		created, updated int64
	)
	err := r.Scan(&s.ID, &s.Title, &s.Body, &created, &updated)
	s.CreatedAt, s.UpdatedAt = fromMicros(created), fromMicros(updated)
	return s, err
}

// ListSavedReplies lists saved replies by title.
func (db *DB) ListSavedReplies(ctx context.Context, workspaceID int64, page Page) ([]helpdesk.SavedReply, int, error) {
	return list(ctx, db, page, scanSavedReply, `SELECT COUNT(*) FROM saved_replies WHERE workspace_id = ?`,
		`SELECT `+savedReplyColumns+` FROM saved_replies WHERE workspace_id = ? ORDER BY lower(title), id LIMIT ? OFFSET ?`, workspaceID)
}

// AllSavedReplies returns every saved reply of the workspace (at most
// limit), for retrieval.
func (db *DB) AllSavedReplies(ctx context.Context, workspaceID int64, limit int) ([]helpdesk.SavedReply, error) {
	return queryAll(ctx, db.b.reader(), scanSavedReply, `SELECT `+savedReplyColumns+` FROM saved_replies WHERE workspace_id = ? ORDER BY id LIMIT ?`, workspaceID, limit)
}

// GetSavedReply loads one saved reply.
func (db *DB) GetSavedReply(ctx context.Context, workspaceID int64, id string) (helpdesk.SavedReply, error) {
	return get(ctx, db, scanSavedReply, "saved reply", id, `SELECT `+savedReplyColumns+` FROM saved_replies WHERE workspace_id = ? AND id = ?`, workspaceID, id)
}

// SaveSavedReply creates (empty id) or updates a saved reply.
func (db *DB) SaveSavedReply(ctx context.Context, workspaceID int64, s helpdesk.SavedReply) (helpdesk.SavedReply, error) {
	if s.ID == "" {
		s.ID = helpdesk.NewID()
		s.CreatedAt = time.Time{}
	}
	if err := saveSavedReply(ctx, db.b.writer(), workspaceID, s, micros(db.Now())); err != nil {
		return s, err
	}
	return db.GetSavedReply(ctx, workspaceID, s.ID)
}

// saveSavedReply inserts s when its CreatedAt is zero, else updates it.
func saveSavedReply(ctx context.Context, q querier, workspaceID int64, s helpdesk.SavedReply, now int64) error {
	if s.CreatedAt.IsZero() {
		if _, err := q.exec(ctx, `INSERT INTO saved_replies (id, workspace_id, title, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			s.ID, workspaceID, s.Title, s.Body, now, now); err != nil {
			return fmt.Errorf("create saved reply: %w", err)
		}
		return nil
	}
	return execOne(ctx, q, "saved reply", s.ID, `UPDATE saved_replies SET title = ?, body = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		s.Title, s.Body, now, workspaceID, s.ID)
}

// DeleteSavedReply deletes a saved reply.
func (db *DB) DeleteSavedReply(ctx context.Context, workspaceID int64, id string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.DeleteSavedReply(ctx, workspaceID, id) })
}

// AISettings returns the workspace's AI defaults.
func (db *DB) AISettings(ctx context.Context, workspaceID int64) (helpdesk.AISettings, error) {
	var (
		s    helpdesk.AISettings
		text string
	)
	if err := db.b.reader().queryRow(ctx, `SELECT ai_settings FROM workspaces WHERE id = ?`, workspaceID).Scan(&text); err != nil {
		if db.b.isNoRows(err) {
			return s, ErrNotFound
		}
		return s, fmt.Errorf("load AI settings: %w", err)
	}
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return s, fmt.Errorf("decode AI settings: %w", err)
	}
	if s.Categories == nil {
		s.Categories = []string{}
	}
	if s.Keywords == nil {
		s.Keywords = map[string][]string{}
	}
	return s, nil
}

// SetAISettings stores the workspace's AI defaults.
func (db *DB) SetAISettings(ctx context.Context, workspaceID int64, s helpdesk.AISettings) error {
	text, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode AI settings: %w", err)
	}
	return execOne(ctx, db.b.writer(), "workspace", fmt.Sprint(workspaceID), `UPDATE workspaces SET ai_settings = ? WHERE id = ?`, string(text), workspaceID)
}

// LabelledTicket is a past ticket with its label, for training.
type LabelledTicket struct {
	Subject, Body, Label string
}

// LabelledTickets returns up to limit recent tickets labelled with one of
// the categories: by the value of the custom field fieldKey, or (fieldKey
// empty) by a tag named like a category. The body is the ticket's first
// customer message.
func (db *DB) LabelledTickets(ctx context.Context, workspaceID int64, categories []string, fieldKey string, limit int) ([]LabelledTicket, error) {
	if len(categories) == 0 {
		return nil, nil
	}
	byName := map[string]string{}
	for _, c := range categories {
		byName[strings.ToLower(c)] = c
	}
	firstBody := `(SELECT body FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'inbound' ORDER BY m.id LIMIT 1)`
	scan := func(r row) (LabelledTicket, error) {
		var (
			lt   LabelledTicket
			body nullString
		)
		err := r.Scan(&lt.Subject, &body, &lt.Label)
		lt.Body = body.String
		return lt, err
	}
	var (
		rowsOut []LabelledTicket
		err     error
	)
	if fieldKey != "" {
		rowsOut, err = queryAll(ctx, db.b.reader(), func(r row) (LabelledTicket, error) {
			var (
				lt     LabelledTicket
				body   nullString
				fields string
			)
			if err := r.Scan(&lt.Subject, &body, &fields); err != nil {
				return lt, err
			}
			lt.Body = body.String
			var values map[string]any
			if json.Unmarshal([]byte(fields), &values) == nil {
				lt.Label, _ = values[fieldKey].(string)
			}
			return lt, nil
		}, `SELECT t.subject, `+firstBody+`, t.custom_fields FROM tickets t WHERE t.workspace_id = ? ORDER BY t.id DESC LIMIT ?`, workspaceID, limit*4)
	} else {
		rowsOut, err = queryAll(ctx, db.b.reader(), scan,
			`SELECT t.subject, `+firstBody+`, g.name FROM tickets t JOIN ticket_tags tt ON tt.ticket_id = t.id JOIN tags g ON g.id = tt.tag_id WHERE t.workspace_id = ? ORDER BY t.id DESC LIMIT ?`, workspaceID, limit*4)
	}
	if err != nil {
		return nil, fmt.Errorf("labelled tickets: %w", err)
	}
	out := make([]LabelledTicket, 0, min(len(rowsOut), limit))
	for _, lt := range rowsOut {
		if label, ok := byName[strings.ToLower(strings.TrimSpace(lt.Label))]; ok && len(out) < limit {
			lt.Label = label
			out = append(out, lt)
		}
	}
	return out, nil
}
