// Package queue is deskflow's durable job queue: River, on the same database
// as everything else (riversqlite on SQLite, riverpgxv5 on PostgreSQL), so
// that jobs are enqueued in the same transaction as the change that causes
// them and no work is lost or done twice when a node dies.
package queue

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrate creates or upgrades River's tables on the store's database.
// handle is the store's writer handle: *sql.DB (SQLite) or *pgxpool.Pool.
func Migrate(ctx context.Context, handle any) error {
	var err error
	switch h := handle.(type) {
	case *sql.DB:
		var m *rivermigrate.Migrator[*sql.Tx]
		if m, err = rivermigrate.New(riversqlite.New(h), nil); err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	case *pgxpool.Pool:
		m, newErr := rivermigrate.New(riverpgxv5.New(h), nil)
		if err = newErr; err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	default:
		return fmt.Errorf("migrate queue: unsupported database handle %T", handle)
	}
	if err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	return nil
}
