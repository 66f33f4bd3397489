package storage

import (
	"context"
	"fmt"
)

// KeyCheck returns the database's credentials key check (ok false: none
// was stored yet).
func (db *DB) KeyCheck(ctx context.Context) (sealed []byte, ok bool, err error) {
	err = db.b.reader().queryRow(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&sealed)
	if db.b.isNoRows(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read the credentials key check: %w", err)
	}
	return sealed, true, nil
}

// SetKeyCheck stores the credentials key check, replacing any other.
func (db *DB) SetKeyCheck(ctx context.Context, sealed []byte) error {
	_, err := db.b.writer().exec(ctx, `INSERT INTO key_check (id, sealed, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at`,
		sealed, micros(db.Now()))
	if err != nil {
		return fmt.Errorf("store the credentials key check: %w", err)
	}
	return nil
}

// SomeSealedCredentials returns the sealed credentials of one connector,
// in any workspace (ok false: no connector has any).
func (db *DB) SomeSealedCredentials(ctx context.Context) (connectorID string, sealed []byte, ok bool, err error) {
	err = db.b.reader().queryRow(ctx, `SELECT id, credentials FROM connectors WHERE credentials IS NOT NULL ORDER BY id LIMIT 1`).Scan(&connectorID, &sealed)
	if db.b.isNoRows(err) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("read sealed credentials: %w", err)
	}
	return connectorID, sealed, true, nil
}

// Reseal replaces, in one transaction, the sealed credentials of every
// connector in every workspace with what reseal makes of them, and the key
// check with check; it returns how many it resealed.
func (db *DB) Reseal(ctx context.Context, reseal func(connectorID string, sealed []byte) ([]byte, error), check []byte) (int, error) {
	type sealedRow struct {
		id     string
		sealed []byte
	}
	n := 0
	err := db.InTx(ctx, func(tx *Tx) error {
		rows, err := queryAll(ctx, tx.q, func(r row) (sealedRow, error) {
			var s sealedRow
			err := r.Scan(&s.id, &s.sealed)
			return s, err
		}, `SELECT id, credentials FROM connectors WHERE credentials IS NOT NULL ORDER BY id`)
		if err != nil {
			return fmt.Errorf("read sealed credentials: %w", err)
		}
		for _, r := range rows {
			resealed, err := reseal(r.id, r.sealed)
			if err != nil {
				return fmt.Errorf("reseal the credentials of connector %s: %w", r.id, err)
			}
			if _, err := tx.q.exec(ctx, `UPDATE connectors SET credentials = ? WHERE id = ?`, resealed, r.id); err != nil {
				return fmt.Errorf("store the credentials of connector %s: %w", r.id, err)
			}
		}
		n = len(rows)
		_, err = tx.q.exec(ctx, `INSERT INTO key_check (id, sealed, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at`,
			check, micros(db.Now()))
		if err != nil {
			return fmt.Errorf("store the credentials key check: %w", err)
		}
		return nil
	})
	return n, err
}
