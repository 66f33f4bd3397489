package storage

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// wireCounter counts the statements a PostgreSQL pool sends and the round
// trips they take: a statement alone is one round trip (pgx's statement
// cache prepares each distinct query once per connection, not counted), a
// batch is one round trip for all its statements, a COPY one for all its
// rows. It is pgx's tracer, so River's statements on the same pool count
// too.
type wireCounter struct {
	statements, roundTrips atomic.Int64
}

func (w *wireCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	w.statements.Add(1)
	w.roundTrips.Add(1)
	return ctx
}

func (w *wireCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (w *wireCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	w.roundTrips.Add(1)
	return ctx
}

func (w *wireCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	w.statements.Add(1)
}

func (w *wireCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (w *wireCounter) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	w.statements.Add(1)
	w.roundTrips.Add(1)
	return ctx
}

func (w *wireCounter) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}
