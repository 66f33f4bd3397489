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

// Backends lists SQLite and, when configured, PostgreSQL. A CI run sets
// CI=true, and then a missing PostgreSQL fails the test instead of being
// silently left out.
func Backends(t testing.TB) []Backend {
	out := []Backend{{Name: "sqlite", URL: SQLiteURL}}
	if os.Getenv(EnvPostgres) != "" {
		out = append(out, Backend{Name: "postgres", URL: PostgresURL})
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("%s must be set in CI so that PostgreSQL is tested", EnvPostgres)
	}
	return out
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
		t.Skipf("%s is not set", EnvPostgres)
	}
	url, drop, err := storage.FreshPostgresSchema(context.Background(), base, "t")
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	t.Cleanup(drop)
	return url
}
