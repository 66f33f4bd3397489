// Package storagetest gives tests real databases: a fresh SQLite file every
// time, and a fresh schema of the machine's PostgreSQL when
// DESKFLOW_TEST_DATABASE_URL is set, so that one suite covers both back ends.
package storagetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/deskflow/deskflow/internal/storage"
)

// EnvPostgres names the variable with the PostgreSQL URL for tests.
const EnvPostgres = "DESKFLOW_TEST_DATABASE_URL"

// Backend is one database to run a test against.
type Backend struct {
	Name string
	// URL opens a fresh, empty database for this test.
	URL func(t testing.TB) string
}

// Backends lists SQLite and PostgreSQL. Without DESKFLOW_TEST_DATABASE_URL
// the PostgreSQL cases are skipped, saying so; a CI run (CI=true) fails them
// instead, so that PostgreSQL is never silently left out there.
func Backends(t testing.TB) []Backend {
	if os.Getenv(EnvPostgres) == "" && os.Getenv("CI") == "true" {
		t.Fatalf("%s must be set in CI so that PostgreSQL is tested", EnvPostgres)
	}
	return []Backend{{Name: "sqlite", URL: SQLiteURL}, {Name: "postgres", URL: PostgresURL}}
}

// SQLiteURL returns the path of a new SQLite file in the test's temp dir.
func SQLiteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "deskflow.db")
}

// PostgresURL creates a new schema, dropped when the test ends, and returns
// a URL whose connections use it.
func PostgresURL(t testing.TB) string {
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("PostgreSQL not tested: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", EnvPostgres)
	}
	url, drop, err := storage.FreshPostgresSchema(context.Background(), base, "t")
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	t.Cleanup(drop)
	return url
}

// Open opens the database at url with its schema migrated and a workspace
// "Acme" created, closed when the test ends.
func Open(t testing.TB, url string) (*storage.DB, int64) {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ws, err := db.CreateWorkspace(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	return db, ws.ID
}
