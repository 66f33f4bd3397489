package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// RunCompletion is one finished run with the message of its event.
type RunCompletion struct {
	Status     string
	FinishedAt time.Time
	MessageID  string
}

// RunCompletions lists the workspace's runs created since a time, with
// their finish time and the message their event concerns.
func (db *DB) RunCompletions(ctx context.Context, workspaceID int64, since time.Time) ([]RunCompletion, error) {
	return queryAll(ctx, db.b.reader(), func(r row) (RunCompletion, error) {
		var (
			c        RunCompletion
			finished nullInt
			message  nullString
		)
		err := r.Scan(&c.Status, &finished, &message)
		if t := finished.time(); t != nil {
			c.FinishedAt = *t
		}
		c.MessageID = message.String
		return c, err
	}, `SELECT r.status, r.finished_at, e.message_id FROM workflow_runs r JOIN events e ON e.id = r.event_id WHERE r.workspace_id = ? AND r.created_at >= ?`, workspaceID, micros(since))
}

// SchemaBytes is the size of the current PostgreSQL schema's tables and
// indexes.
func (db *DB) SchemaBytes(ctx context.Context) (int64, error) {
	var n int64
	err := db.b.reader().queryRow(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
	return n, err
}

// FreshPostgresSchema creates a new, empty schema in the database at base
// and returns a URL whose connections use it, and a function that drops it.
func FreshPostgresSchema(ctx context.Context, base, prefix string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := prefix + "_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, fmt.Errorf("parse postgres url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
