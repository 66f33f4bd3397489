package storage

import (
	"context"
	"fmt"
)

// Page selects one page of a list: 1-based page number and page size.
type Page struct {
	Number int
	Size   int
}

func (p Page) offset() int { return (p.Number - 1) * p.Size }

// list runs a count query and a page query that take the same leading
// arguments (the page query gets LIMIT and OFFSET after them).
func list[T any](ctx context.Context, db *DB, page Page, scan func(row) (T, error), countQuery, pageQuery string, args ...any) ([]T, int, error) {
	var total int
	if err := db.b.reader().queryRow(ctx, countQuery, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count: %w", err)
	}
	items, err := queryAll(ctx, db.b.reader(), scan, pageQuery, append(args, page.Size, page.offset())...)
	return items, total, err
}

func queryAll[T any](ctx context.Context, q querier, scan func(row) (T, error), query string, args ...any) ([]T, error) {
	r, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer r.Close()
	out := []T{}
	for r.Next() {
		item, err := scan(r)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		out = append(out, item)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	return out, nil
}

func get[T any](ctx context.Context, db *DB, scan func(row) (T, error), kind, id, query string, args ...any) (T, error) {
	return getWith(ctx, db, db.b.reader(), scan, kind, id, query, args...)
}

func getWith[T any](ctx context.Context, db *DB, q querier, scan func(row) (T, error), kind, id, query string, args ...any) (T, error) {
	item, err := scan(q.queryRow(ctx, query, args...))
	if err != nil {
		if db.b.isNoRows(err) {
			return item, ErrNotFound
		}
		return item, fmt.Errorf("get %s %s: %w", kind, id, err)
	}
	return item, nil
}

// execOne runs a change that must hit exactly one row of the workspace.
func execOne(ctx context.Context, q querier, kind, id, query string, args ...any) error {
	n, err := q.exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("change %s %s: %w", kind, id, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
