package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/storage"
)

// checkKey refuses to start a node whose credentials key cannot open the
// credentials stored in the database: without a key (ErrNoKey) or with
// another key than the one they were sealed with (ErrWrongKey), instead of
// failing connector by connector at run time.
//
// The database keeps a key check, a known value sealed with the key. With a
// key set and no check yet, the check is written: at the first start with a
// key, so before any credential is sealed, or, on a database whose
// credentials predate the check, once the key has opened one of them. A
// check that the key does not open while no credentials are stored guards
// nothing, and is replaced (the key may change until credentials are
// stored); one that the key does not open while the key opens the stored
// credentials is stale (written by a node with another key before they were
// sealed), and is replaced too.
func checkKey(ctx context.Context, db *storage.DB, sealer *connector.Sealer, log *slog.Logger) error {
	n, err := db.CountSealedConnectors(ctx)
	if err != nil {
		return err
	}
	if !sealer.Ready() {
		if n > 0 {
			return fmt.Errorf("%d connectors have stored credentials, but %s is not set: %w", n, connector.EnvKey, connector.ErrNoKey)
		}
		return nil
	}
	check, ok, err := db.KeyCheck(ctx)
	if err != nil {
		return err
	}
	if ok && sealer.OpenKeyCheck(check) == nil {
		return nil
	}
	if n > 0 {
		id, sealed, _, err := db.SomeSealedCredentials(ctx)
		if err != nil {
			return err
		}
		if _, err := sealer.Open(id, sealed); err != nil {
			return connector.ErrWrongKey
		}
	}
	if check, err = sealer.SealKeyCheck(); err != nil {
		return err
	}
	if err := db.SetKeyCheck(ctx, check); err != nil {
		return err
	}
	log.Info("stored the credentials key check: starting with another " + connector.EnvKey + " will be refused while credentials are stored")
	return nil
}
