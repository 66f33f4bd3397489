// Package storagetest gives tests real databases: a fresh SQLite file every
// time, and a fresh schema of the machine's PostgreSQL when
// DESKFLOW_TEST_DATABASE_URL is set, so that one suite covers both back ends.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
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
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvPostgres, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
