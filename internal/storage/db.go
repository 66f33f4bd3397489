// Package storage persists every deskflow object in SQLite (embedded
// default, one writer connection plus a reader pool, WAL) or PostgreSQL
// (pgx pool), behind one set of queries. Every method takes the workspace id
// and every query is scoped by it. Changes that emit events write the event
// in the same transaction.
package storage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/validate"
)

// ErrNotFound means the object does not exist in the workspace.
var ErrNotFound = errors.New("not found")

// ConflictError is a user error: the change clashes with existing data (a
// duplicate name, an object still in use). The API answers it with 409.
type ConflictError struct {
	Field   string
	Message string
}

func (e *ConflictError) Error() string { return e.Message }

// Backend names.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// rows is the part of sql.Rows and pgx.Rows that the queries use.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// row is one result row.
type row interface {
	Scan(dest ...any) error
}

// querier runs statements written with ? placeholders on either back end.
type querier interface {
	exec(ctx context.Context, query string, args ...any) (int64, error)
	query(ctx context.Context, query string, args ...any) (rows, error)
	queryRow(ctx context.Context, query string, args ...any) row
}

// backend is one database engine.
type backend interface {
	name() string
	reader() querier
	writer() querier
	inTx(ctx context.Context, fn func(q querier, raw any) error) error
	isUniqueViolation(err error) bool
	isNoRows(err error) bool
	// poolStats are the connection pool's open, in-use and idle
	// connections and the waits for one so far.
	poolStats() (open, inUse, idle int, waits int64)
	// wireStats are the statements sent to the server and the round trips
	// they took so far (zero for an engine in the process).
	wireStats() (statements, roundTrips int64)
	close() error
}

// DB is the store.
type DB struct {
	b         backend
	now       func() time.Time
	eventHook EventHook
	workflows workflowCache
	// keepVersions is how many versions of each workflow are kept.
	keepVersions int
}

// SQLitePath is the file of a SQLite database URL ("sqlite:PATH" or a plain
// path); ok is false for a PostgreSQL URL.
func SQLitePath(url string) (path string, ok bool) {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return "", false
	}
	return strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//"), true
}

// unsupportedScheme matches a URL of another database (checked after
// postgres:// and sqlite:).
var unsupportedScheme = regexp.MustCompile(`^(?i:[a-z][a-z0-9+.-]*)://`)

// Open connects to url: "postgres://…" (or "postgresql://…"), "sqlite:PATH",
// or a plain file path (SQLite).
func Open(ctx context.Context, url string) (*DB, error) {
	var (
		b   backend
		err error
	)
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		b, err = openPostgres(ctx, url)
	case !strings.HasPrefix(url, "sqlite:") && unsupportedScheme.MatchString(url):
		return nil, fmt.Errorf("open database: unsupported URL scheme %q: use postgres://… (or postgresql://…), sqlite:PATH or a file path", strings.SplitN(url, ":", 2)[0])
	default:
		path, _ := SQLitePath(url)
		if path == "" {
			return nil, fmt.Errorf("open database: empty SQLite path")
		}
		b, err = openSQLite(ctx, path)
	}
	if err != nil {
		return nil, err
	}
	return &DB{b: b, now: time.Now}, nil
}

// SetClock replaces the clock used for timestamps (tests inject one).
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Now is the store's clock, truncated to microseconds as stored.
func (db *DB) Now() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// Backend reports "sqlite" or "postgres".
func (db *DB) Backend() string { return db.b.name() }

// Close releases the connections.
func (db *DB) Close() error { return db.b.close() }

// Tx is a transaction: the queries of several changes that land together,
// plus the driver's own transaction for the job queue to enqueue into.
type Tx struct {
	db  *DB
	q   querier
	raw any
	// afterCommit run once the transaction has committed.
	afterCommit []func()
	// touched are the tickets this transaction marked updated, with their
	// contacts (see touch); a rollback to a savepoint forgets them.
	touched map[string]nullString
}

// AfterCommit runs fn once the transaction has committed (never if it
// rolls back): work that others must see only once it is durable, such as
// waking the event processor.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// Driver returns the driver transaction (*sql.Tx for SQLite, pgx.Tx for
// PostgreSQL), so that the job queue can enqueue in the same transaction.
func (tx *Tx) Driver() any { return tx.raw }

// InTx runs fn in one transaction, committed when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	var done []func()
	err := db.b.inTx(ctx, func(q querier, raw any) error {
		tx := &Tx{db: db, q: q, raw: raw}
		if err := fn(tx); err != nil {
			return err
		}
		done = tx.afterCommit
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range done {
		f()
	}
	return nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// withoutNUL returns args with NUL characters removed from its strings
// (validate.StripNUL): PostgreSQL refuses them in text (SQLSTATE 22021),
// SQLite stores them, and both must store the same. Text is cleaned where
// it enters (request bodies, saved outputs); this is the last guard, on
// both back ends, for any other way in. It copies args only when a string
// has a NUL.
func withoutNUL(args []any) []any {
	var out []any
	for i, a := range args {
		var clean any
		switch v := a.(type) {
		case string:
			if s := validate.StripNUL(v); len(s) != len(v) {
				clean = s
			}
		case *string:
			if v == nil {
				break
			}
			if s := validate.StripNUL(*v); len(s) != len(*v) {
				clean = &s
			}
		}
		if clean == nil {
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = clean
	}
	if out == nil {
		return args
	}
	return out
}

// inList returns the placeholders and arguments of "IN (…)" for values,
// padded to a power of two by repeating the last value (which changes
// nothing in an IN list): lists of every length then share a few
// statements, so they neither crowd out the other queries of SQLite's
// statement cache nor grow PostgreSQL's rebound-query cache one length at
// a time. values must not be empty.
func inList[T any](values []T) (string, []any) {
	n := 1
	for n < len(values) {
		n *= 2
	}
	args := make([]any, n)
	for i := range args {
		args[i] = values[min(i, len(values)-1)]
	}
	return placeholders(n), args
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// Handle returns the writer handle of the back end, *sql.DB for SQLite or
// *pgxpool.Pool for PostgreSQL, for the job queue's driver.
func (db *DB) Handle() any {
	switch b := db.b.(type) {
	case *sqliteBackend:
		return b.write
	case *postgresBackend:
		return b.pool
	}
	return nil
}

// Savepoint marks a point in the transaction to roll back to: one step of
// a run executed inline can fail without undoing the others.
func (tx *Tx) Savepoint(ctx context.Context, name string) error {
	_, err := tx.q.exec(ctx, "SAVEPOINT "+name)
	return err
}

// RollbackTo undoes the transaction's changes since the savepoint.
func (tx *Tx) RollbackTo(ctx context.Context, name string) error {
	clear(tx.touched)
	_, err := tx.q.exec(ctx, "ROLLBACK TO SAVEPOINT "+name)
	return err
}

// Release forgets a savepoint, keeping the changes.
func (tx *Tx) Release(ctx context.Context, name string) error {
	_, err := tx.q.exec(ctx, "RELEASE SAVEPOINT "+name)
	return err
}
