package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrBackupPostgres says that PostgreSQL is backed up with its own tools.
var ErrBackupPostgres = errors.New("deskflow backup copies SQLite databases; back up PostgreSQL with pg_dump (or your provider's snapshots)")

// Backup writes a consistent copy of a SQLite database to path while it
// serves (VACUUM INTO reads one snapshot; writers go on). The file must not
// exist.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.b.name() != BackendSQLite {
		return ErrBackupPostgres
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("back up to %s: the file exists", path)
	}
	if _, err := db.b.reader().exec(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	return nil
}
