package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/storage"
)

// KeyFile is where an embedded (SQLite) installation keeps its credentials
// key when DESKFLOW_SECRET_KEY is not set: beside the database.
func KeyFile(databaseURL string) (string, bool) {
	path, ok := storage.SQLitePath(databaseURL)
	if !ok || path == "" {
		return "", false
	}
	return path + ".key", true
}

// ResolveKey returns the credentials key: DESKFLOW_SECRET_KEY (env) when
// set; else, for SQLite, the key file beside the database, which the first
// start creates (mode 0600) and announces on out; else none (PostgreSQL
// nodes share a key through the environment).
func ResolveKey(databaseURL, env string, out io.Writer) ([]byte, error) {
	if env != "" {
		return connector.ParseKey(env)
	}
	path, ok := KeyFile(databaseURL)
	if !ok {
		return nil, nil
	}
	if raw, err := os.ReadFile(path); err == nil {
		key, err := connector.ParseKey(strings.TrimSpace(string(raw)))
		if err != nil {
			return nil, fmt.Errorf("credentials key file %s: %w", path, err)
		}
		return key, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read the credentials key file: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := writeKeyFile(path, key, false); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Created the credentials key in %s (mode 0600): keep it with the database and back it up; without it the stored credentials cannot be opened. %s overrides it.\n", path, connector.EnvKey)
	return key, nil
}

// writeKeyFile writes key (base64) to path, readable by its owner only; it
// refuses to replace a file unless replace, and replaces atomically.
func writeKeyFile(path string, key []byte, replace bool) error {
	data := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("create the credentials key file: %w", err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return fmt.Errorf("write the credentials key file: %w", err)
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return fmt.Errorf("write the credentials key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write the credentials key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// RotateKey reseals every stored credential and the key check under
// newKey, in one transaction; oldKey must open them. When the key lives in
// the key file (keyFile non-empty), the file gets the new key once the
// database has committed. It returns how many connectors were resealed.
func RotateKey(ctx context.Context, db *storage.DB, oldKey, newKey []byte, keyFile string) (int, error) {
	oldSealer, err := connector.NewSealer(oldKey)
	if err != nil {
		return 0, err
	}
	if !oldSealer.Ready() {
		return 0, fmt.Errorf("the current key: %w", connector.ErrNoKey)
	}
	newSealer, err := connector.NewSealer(newKey)
	if err != nil {
		return 0, err
	}
	if check, ok, err := db.KeyCheck(ctx); err != nil {
		return 0, err
	} else if ok && oldSealer.OpenKeyCheck(check) != nil {
		return 0, fmt.Errorf("the current key: %w", connector.ErrWrongKey)
	}
	check, err := newSealer.SealKeyCheck()
	if err != nil {
		return 0, err
	}
	n, err := db.Reseal(ctx, func(id string, sealed []byte) ([]byte, error) {
		creds, err := oldSealer.Open(id, sealed)
		if err != nil {
			return nil, err
		}
		return newSealer.Seal(id, creds)
	}, check)
	if err != nil {
		return 0, err
	}
	if keyFile != "" {
		if err := writeKeyFile(keyFile, newKey, true); err != nil {
			return n, fmt.Errorf("the credentials were resealed with the new key but the key file was not replaced (set %s to the new key): %w", connector.EnvKey, err)
		}
	}
	return n, nil
}
