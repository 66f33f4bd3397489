package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteBackend keeps one writer connection (SQLite allows one writer at a
// time; a single connection avoids SQLITE_BUSY) and a pool of readers.
type sqliteBackend struct {
	path       string
	write      *sql.DB
	read       *sql.DB
	writeStmts *stmtCache
	readStmts  *stmtCache
}

func sqliteDSN(path string, readOnly bool) string {
	pragmas := []string{
		"_pragma=journal_mode(WAL)",
		"_pragma=busy_timeout(10000)",
		"_pragma=foreign_keys(ON)",
		"_pragma=synchronous(NORMAL)",
		// Savepoints (one per event and per inline step) keep their
		// statement journals in memory rather than in temporary files.
		"_pragma=temp_store(MEMORY)",
		"_txlock=immediate",
	}
	if readOnly {
		pragmas = append(pragmas, "mode=ro")
	}
	return "file:" + path + "?" + strings.Join(pragmas, "&")
}

func openSQLite(ctx context.Context, path string) (*sqliteBackend, error) {
	write, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s for reading: %w", path, err)
	}
	readers := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	return &sqliteBackend{path: path, write: write, read: read, writeStmts: newStmtCache(write), readStmts: newStmtCache(read)}, nil
}

func (b *sqliteBackend) name() string            { return BackendSQLite }
func (b *sqliteBackend) reader() querier         { return sqlQuerier{x: b.read, stmts: b.readStmts} }
func (b *sqliteBackend) writer() querier         { return sqlQuerier{x: b.write, stmts: b.writeStmts} }
func (b *sqliteBackend) isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func (b *sqliteBackend) isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		code := se.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func (b *sqliteBackend) inTx(ctx context.Context, fn func(q querier, raw any) error) error {
	tx, err := b.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(sqlQuerier{x: tx, tx: tx, stmts: b.writeStmts}, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (b *sqliteBackend) poolStats() (open, inUse, idle int, waits int64) {
	for _, db := range []*sql.DB{b.write, b.read} {
		s := db.Stats()
		open, inUse, idle, waits = open+s.OpenConnections, inUse+s.InUse, idle+s.Idle, waits+s.WaitCount
	}
	return open, inUse, idle, waits
}

// wireStats: SQLite runs in the process, there is no wire to count.
func (b *sqliteBackend) wireStats() (statements, roundTrips int64) { return 0, 0 }

func (b *sqliteBackend) close() error {
	return errors.Join(b.readStmts.close(), b.writeStmts.close(), b.read.Close(), b.write.Close())
}

// sqlExecutor is *sql.DB or *sql.Tx.
type sqlExecutor interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlQuerier runs statements on a *sql.DB or *sql.Tx through prepared
// statements cached per query: SQLite spends most of a small query's time
// parsing it otherwise.
type sqlQuerier struct {
	x     sqlExecutor
	tx    *sql.Tx // set inside a transaction
	stmts *stmtCache
}

// stmt returns the cached prepared statement for query, bound to the
// transaction when there is one; nil means "run the query unprepared".
func (q sqlQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	if q.stmts == nil {
		return nil
	}
	st := q.stmts.get(ctx, query)
	if st == nil || q.tx == nil {
		return st
	}
	return q.tx.StmtContext(ctx, st)
}

func (q sqlQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	args = withoutNUL(args)
	var (
		res sql.Result
		err error
	)
	if st := q.stmt(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = q.x.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqlQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	args = withoutNUL(args)
	var (
		r   *sql.Rows
		err error
	)
	if st := q.stmt(ctx, query); st != nil {
		r, err = st.QueryContext(ctx, args...)
	} else {
		r, err = q.x.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (q sqlQuerier) queryRow(ctx context.Context, query string, args ...any) row {
	args = withoutNUL(args)
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.x.QueryRowContext(ctx, query, args...)
}

// stmtCache prepares each distinct query once per database handle. It is
// bounded: queries built with a variable number of placeholders are few,
// and past the bound queries simply run unprepared. Preparing needs a
// connection, and the writer has only one, which a transaction may hold:
// so a query is prepared in the background the first time it is seen and
// runs unprepared until then.
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt
	pending map[string]bool
	closed  bool
}

const maxCachedStmts = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

func (c *stmtCache) get(_ context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if c.closed || c.pending[query] || len(c.stmts)+len(c.pending) >= maxCachedStmts ||
		strings.HasPrefix(query, "SAVEPOINT") || strings.HasPrefix(query, "ROLLBACK") || strings.HasPrefix(query, "RELEASE") {
		return nil
	}
	c.pending[query] = true
	go c.prepare(query)
	return nil
}

func (c *stmtCache) prepare(query string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := c.db.PrepareContext(ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	if err != nil {
		return // it runs unprepared, which reports any error
	}
	if c.closed {
		st.Close()
		return
	}
	c.stmts[query] = st
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	c.stmts = map[string]*sql.Stmt{}
	return errors.Join(errs...)
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }
