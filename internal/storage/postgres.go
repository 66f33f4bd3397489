package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

type postgresBackend struct {
	pool *pgxpool.Pool
	wire *wireCounter
}

func openPostgres(ctx context.Context, url string) (*postgresBackend, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default (the number of CPUs, at least 4) is too small for
		// the API's handlers, the queue's listener and its workers together.
		cfg.MaxConns = 20
	}
	wire := &wireCounter{}
	cfg.ConnConfig.Tracer = wire
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	return &postgresBackend{pool: pool, wire: wire}, nil
}

func (b *postgresBackend) name() string            { return BackendPostgres }
func (b *postgresBackend) reader() querier         { return pgQuerier{b.pool} }
func (b *postgresBackend) writer() querier         { return pgQuerier{b.pool} }
func (b *postgresBackend) isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

func (b *postgresBackend) isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func (b *postgresBackend) inTx(ctx context.Context, fn func(q querier, raw any) error) error {
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(pgQuerier{tx}, tx); err != nil {
		_ = tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (b *postgresBackend) poolStats() (open, inUse, idle int, waits int64) {
	s := b.pool.Stat()
	return int(s.TotalConns()), int(s.AcquiredConns()), int(s.IdleConns()), s.EmptyAcquireCount()
}

func (b *postgresBackend) wireStats() (statements, roundTrips int64) {
	return b.wire.statements.Load(), b.wire.roundTrips.Load()
}

func (b *postgresBackend) close() error {
	b.pool.Close()
	return nil
}

// pgExecutor is *pgxpool.Pool or pgx.Tx.
type pgExecutor interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type pgQuerier struct{ x pgExecutor }

func (q pgQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.x.Exec(ctx, rebind(query), withoutNUL(args)...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := q.x.Query(ctx, rebind(query), withoutNUL(args)...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (q pgQuerier) queryRow(ctx context.Context, query string, args ...any) row {
	return q.x.QueryRow(ctx, rebind(query), withoutNUL(args)...)
}

var rebound sync.Map // query with ? → query with $n

// rebind turns ? placeholders into PostgreSQL's $1, $2, … . Queries are
// constants of this package and never contain a literal question mark.
func rebind(query string) string {
	if cached, ok := rebound.Load(query); ok {
		return cached.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	out := b.String()
	rebound.Store(query, out)
	return out
}
