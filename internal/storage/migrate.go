package storage

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := "migrations/" + db.b.name()
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		version, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, dir+"/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: version, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate brings the schema to the current version. Each migration runs in
// its own transaction; on PostgreSQL an advisory lock lets several nodes
// start at once.
func (db *DB) Migrate(ctx context.Context) error {
	all, err := db.migrations()
	if err != nil {
		return err
	}
	if _, err := db.b.writer().exec(ctx, `CREATE TABLE IF NOT EXISTS deskflow_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	for _, m := range all {
		err := db.InTx(ctx, func(tx *Tx) error {
			if db.b.name() == BackendPostgres {
				if _, err := tx.q.exec(ctx, `SELECT pg_advisory_xact_lock(7265734)`); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			var applied int
			if err := tx.q.queryRow(ctx, `SELECT COUNT(*) FROM deskflow_migrations WHERE version = ?`, m.version).Scan(&applied); err != nil {
				return fmt.Errorf("read applied migrations: %w", err)
			}
			if applied > 0 {
				return nil
			}
			for _, stmt := range splitStatements(m.sql) {
				if _, err := tx.q.exec(ctx, stmt); err != nil {
					return fmt.Errorf("%w\n%s", err, stmt)
				}
			}
			_, err := tx.q.exec(ctx, `INSERT INTO deskflow_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, micros(db.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// splitStatements splits a migration file on semicolons that end a line.
// Migrations hold no procedural code, so this is enough.
func splitStatements(script string) []string {
	var out []string
	for _, part := range strings.Split(script, ";\n") {
		if s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), ";")); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// PendingMigrations counts the migrations this build has that the database
// has not applied: 0 when its schema is current. It is also the readiness
// probe's check that the database answers.
func (db *DB) PendingMigrations(ctx context.Context) (int, error) {
	all, err := db.migrations()
	if err != nil {
		return 0, err
	}
	var applied int
	if err := db.b.reader().queryRow(ctx, `SELECT COUNT(*) FROM deskflow_migrations`).Scan(&applied); err != nil {
		return 0, fmt.Errorf("read applied migrations: %w", err)
	}
	return max(len(all)-applied, 0), nil
}
