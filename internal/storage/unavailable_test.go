package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
	"github.com/deskflow/deskflow/internal/validate"
)

// A transaction whose connection PostgreSQL terminates fails with an error
// Unavailable recognizes (the work is retried); errors of the work itself
// are not.
func TestUnavailable(t *testing.T) {
	url := storagetest.PostgresURL(t)
	db, wsID := storagetest.Open(t, url)
	ctx := context.Background()
	killer, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(ctx)

	var broken error
	_ = db.InTx(ctx, func(tx *storage.Tx) error {
		raw := tx.Driver().(pgx.Tx)
		var pid int
		if err := raw.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			t.Fatal(err)
		}
		if _, err := killer.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
		_, broken = tx.TagByName(ctx, wsID, "anything")
		return broken
	})
	if broken == nil || !storage.Unavailable(broken) {
		t.Errorf("query on a terminated connection: %v; Unavailable = false", broken)
	}
	for _, err := range []error{
		storage.ErrNotFound,
		&validate.Error{},
		fmt.Errorf("render: %w", errors.New("unknown variable")),
		&storage.ConflictError{Message: "in use"},
	} {
		if storage.Unavailable(err) {
			t.Errorf("Unavailable(%v) = true", err)
		}
	}
}
