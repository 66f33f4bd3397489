package api_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for raw access
)

// rawDB opens the env's database directly, to damage it the way a bug or a
// bad migration could, which the API never does.
func (e *env) rawDB() *sql.DB {
	e.t.Helper()
	driver, dsn := "sqlite", strings.TrimPrefix(e.url, "sqlite:")
	if strings.HasPrefix(e.url, "postgres") {
		driver, dsn = "pgx", e.url
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	return db
}

// TestPoisonedEventIsIsolated checks the batched event processor: an event
// that cannot be processed is rolled back alone while the events queued
// with it are processed, is retried with growing waits (by the injected
// clock), and after ten attempts is discarded with its error, so that the
// backlog empties.
func TestPoisonedEventIsIsolated(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		wf := e.create("/api/workflows", workflowBody("Note", "on_inbound_message", nil, act("add_internal_note", map[string]any{"content": "seen: {{message.body}}"})))
		tk := e.newTicket("Hello", "first", "ann@example.com", nil)
		e.settle(tk)
		if n := len(e.runsOf(tk, wf)); n != 1 {
			t.Fatalf("%d runs before the test, want 1", n)
		}

		// While the node is down, queue two copies of the ticket's inbound
		// event: one intact, one whose stored cause is not JSON.
		e.restart(func() {
			db := e.rawDB()
			for _, c := range []struct{ id, cause string }{{"00POISONED", "'{'"}, {"00INTACT", "cause"}} {
				exec(t, db, fmt.Sprintf(`INSERT INTO events (id, workspace_id, type, ticket_id, message_id, tag_id, workflow_id, cause, depth, created_at)
					SELECT '%s', workspace_id, type, ticket_id, message_id, tag_id, workflow_id, %s, depth, created_at FROM events WHERE ticket_id = '%s' AND type = 'message.inbound' AND id NOT LIKE '00%%'`, c.id, c.cause, tk))
				exec(t, db, fmt.Sprintf(`INSERT INTO event_queue (workspace_id, event_id, available_at) VALUES (%d, '%s', 0)`, e.wsA, c.id))
			}
		})

		e.eventually("the intact event is processed", func() bool { return len(e.runsOf(tk, wf)) == 2 })
		db := e.rawDB()
		attempts := func() (n int, lastError string) {
			t.Helper()
			if err := db.QueryRow(`SELECT attempts, last_error FROM event_queue WHERE event_id = '00POISONED'`).Scan(&n, &lastError); err != nil {
				t.Fatal(err)
			}
			return n, lastError
		}
		e.eventually("the poisoned event's first attempt is recorded", func() bool { n, _ := attempts(); return n == 1 })
		if _, msg := attempts(); !strings.Contains(msg, "cause") {
			t.Errorf("last error %q does not say what failed", msg)
		}
		if n, _ := e.node.Engine.Backlog(t.Context()); n != 1 {
			t.Errorf("backlog %d while the poisoned event waits for its retry, want 1", n)
		}
		for want := 2; want <= 10; want++ {
			e.clock.Advance(11 * time.Minute) // past the longest wait between attempts
			e.node.Engine.Wake()
			e.eventually(fmt.Sprintf("attempt %d is recorded", want), func() bool { n, _ := attempts(); return n == want })
		}
		e.settle(tk)
		discarded, err := e.db.DiscardedEvents(t.Context(), e.wsA)
		if err != nil {
			t.Fatal(err)
		}
		if len(discarded) != 1 || discarded[0].EventID != "00POISONED" || discarded[0].Attempts != 10 {
			t.Errorf("discarded events = %+v, want the poisoned one after 10 attempts", discarded)
		}
		if n := len(e.runsOf(tk, wf)); n != 2 {
			t.Errorf("%d runs after the retries, want 2 (the poisoned event never ran)", n)
		}
		// The workflow still serves new events.
		e.must(201, e.asAdmin("POST", "/api/tickets/"+tk+"/messages", map[string]any{"direction": "inbound", "body": "again"}))
		e.settle(tk)
		if n := len(e.runsOf(tk, wf)); n != 3 {
			t.Errorf("%d runs after a new message, want 3", n)
		}
	})
}

func exec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
