package main_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, to read the copy as it is
)

// TestBackupUnderLoad: `deskflow backup` of a SQLite database that a node
// is writing to gives a copy that passes SQLite's integrity check and holds
// every ticket whose creation had been answered before the backup began.
// PostgreSQL is refused with a pointer to pg_dump.
func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "deskflow.db")
	s := startServe(t, url)
	token := s.waitToken(t)

	var (
		mu      sync.Mutex
		created []string
		stop    = make(chan struct{})
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			code, answer := s.post(t, token, "/api/tickets", fmt.Sprintf(`{"subject": "load %d", "body": "b", "contact": {"email": "c%d@example.com"}}`, i, i))
			if code != 201 {
				t.Errorf("create ticket: %d %s", code, answer)
				return
			}
			var r struct {
				Data struct{ ID string } `json:"data"`
			}
			_ = json.Unmarshal([]byte(answer), &r)
			mu.Lock()
			created = append(created, r.Data.ID)
			mu.Unlock()
		}
	}()
	for {
		mu.Lock()
		n := len(created)
		mu.Unlock()
		if n >= 50 {
			break
		}
	}
	mu.Lock()
	before := append([]string(nil), created...)
	mu.Unlock()
	copyPath := filepath.Join(dir, "copy.db")
	out, stderr, code := run(t, nil, "backup", "--to", copyPath, "--database-url", url)
	close(stop)
	<-done
	if code != 0 || !strings.Contains(out, "Backed up to") {
		t.Fatalf("backup: exit %d, %q %q", code, out, stderr)
	}
	s.stop()

	copyDB, err := sql.Open("sqlite", copyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var integrity string
	if err := copyDB.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity check of the copy: %q %v", integrity, err)
	}
	missing := 0
	for _, id := range before {
		var n int
		if err := copyDB.QueryRow(`SELECT COUNT(*) FROM tickets WHERE id = ?`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d tickets committed before the backup are missing from it", missing, len(before))
	}
	if _, _, code := run(t, nil, "backup", "--to", copyPath, "--database-url", url); code != 1 {
		t.Errorf("a backup over an existing file: exit %d, want 1", code)
	}
	if _, stderr, code := run(t, nil, "backup", "--to", filepath.Join(dir, "pg.db"), "--database-url", "postgres://127.0.0.1:1/none"); code != 1 || !strings.Contains(stderr, "pg_dump") {
		t.Errorf("PostgreSQL backup: exit %d, %q", code, stderr)
	}
}
