package api_test

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// contentHash hashes every row of every deskflow table (River's own
// tables, which its leader election touches on its own, aside).
func (e *env) contentHash() (string, map[string]int) {
	e.t.Helper()
	db := e.rawDB()
	query := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if strings.HasPrefix(e.url, "postgres") {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	var tables []string
	rows, err := db.Query(query)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var name string
		_ = rows.Scan(&name)
		if !strings.HasPrefix(name, "river_") && !strings.HasPrefix(name, "sqlite_") {
			tables = append(tables, name)
		}
	}
	rows.Close()
	sort.Strings(tables)
	h := sha256.New()
	counts := map[string]int{}
	for _, table := range tables {
		lines := tableRows(e, db, table)
		sort.Strings(lines)
		counts[table] = len(lines)
		fmt.Fprintf(h, "%s\n%s\n", table, strings.Join(lines, "\n"))
	}
	return fmt.Sprintf("%x", h.Sum(nil)), counts
}

func tableRows(e *env, db *sql.DB, table string) []string {
	rows, err := db.Query(`SELECT * FROM ` + table)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	return out
}

// TestDryRun: a draft workflow tried on the workspace's recent tickets
// says which match (with each condition's result) and what each step
// would do, rendered, and what its webhook would send (credentials
// masked), with the output of a step that leaves the system marked as a
// placeholder in the steps after it; the database is unchanged, row for
// row, and the webhook's receiver sees no connection.
func TestDryRun(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var connections atomic.Int32
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				connections.Add(1)
				c.Close()
			}
		}()
		// A workspace with a history: 998 tickets, then the two below.
		for i := range 998 {
			if _, err := e.db.CreateTicket(t.Context(), e.wsA, storage.NewTicket{Subject: fmt.Sprint("Older ", i), Body: "older message", ContactEmail: fmt.Sprintf("c%d@example.com", i%50)}); err != nil {
				t.Fatal(err)
			}
		}
		refund := e.newTicket("Refund please", "I want a refund for order 7", "ann@example.com", nil)
		other := e.newTicket("Hello", "just saying hi", "bob@example.com", nil)
		e.settle("")
		saved := e.create("/api/workflows", workflowBody("Saved", "on_new_ticket", nil, act("add_internal_note", map[string]any{"content": "v1 {{ticket.subject}}"})))
		e.must(200, e.asAdmin("PUT", "/api/workflows/"+saved, map[string]any{"actions": []any{act("add_internal_note", map[string]any{"content": "v2 {{ticket.subject}}"})}}))
		before, counts := e.contentHash()

		draft := workflowBody("Refunds", "on_new_ticket",
			[]any{map[string]any{"type": "body_contains", "parameters": map[string]any{"value": "refund"}}},
			act("classify_ticket", map[string]any{"categories": []any{"refund", "other"}, "saveAs": "triage"}),
			act("send_webhook", map[string]any{"url": "http://" + l.Addr().String() + "/hook", "headers": map[string]any{"Authorization": "Bearer s3cret"},
				"body": `{"ticket": "{{ticket.id}}", "category": "{{variables.triage}}"}`}),
			act("add_internal_note", map[string]any{"content": "Refund asked by {{customer.email}}"}))
		since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		answer := e.must(200, e.asAdmin("POST", "/api/workflows/dry-run", map[string]any{"workflow": draft, "since": since, "limit": 1000})).data()
		if n := len(answer["tickets"].([]any)); n != 1000 {
			t.Errorf("%d tickets tried, want the last 1,000", n)
		}
		results := map[string]map[string]any{}
		for _, r := range answer["tickets"].([]any) {
			m := r.(map[string]any)
			results[m["ticket_id"].(string)] = m
		}
		if results[other]["matched"] != false || len(results[other]["steps"].([]any)) != 0 || results[other]["conditions"].([]any)[0].(map[string]any)["matched"] != false {
			t.Errorf("the other ticket: %v", results[other])
		}
		got := results[refund]
		if got["matched"] != true || got["trigger_seen"] != true {
			t.Fatalf("the refund ticket: %v", got)
		}
		steps := got["steps"].([]any)
		classify, webhook, note := steps[0].(map[string]any), steps[1].(map[string]any), steps[2].(map[string]any)
		if classify["external"] != true || note["parameters"].(map[string]any)["content"] != "Refund asked by ann@example.com" {
			t.Errorf("steps: %v", steps)
		}
		req := webhook["request"].(map[string]any)
		if !strings.Contains(req["body"].(string), refund) || !strings.Contains(req["body"].(string), "not run in a dry run") ||
			req["headers"].(map[string]any)["Authorization"] != "(masked)" || strings.Contains(fmt.Sprint(answer), "s3cret") {
			t.Errorf("webhook request: %v", req)
		}

		// A saved workflow's older version.
		v1 := e.must(200, e.asAdmin("POST", "/api/workflows/"+saved+"/dry-run", map[string]any{"ticket_id": other, "version": 1})).data()
		step := v1["tickets"].([]any)[0].(map[string]any)["steps"].([]any)[0].(map[string]any)
		if step["parameters"].(map[string]any)["content"] != "v1 Hello" {
			t.Errorf("version 1 dry run: %v", step)
		}
		if r := e.must(422, e.asAdmin("POST", "/api/workflows/dry-run", map[string]any{"workflow": map[string]any{"name": "x", "trigger_type": "on_new_ticket", "actions": []any{act("send_webhook", map[string]any{})}}, "ticket_id": refund})); r.fieldErrors()["workflow.actions.0.parameters.url"] == nil {
			t.Errorf("draft errors: %s", r.Raw)
		}
		e.must(422, e.asAdmin("POST", "/api/workflows/"+saved+"/dry-run", map[string]any{}))

		after, countsAfter := e.contentHash()
		if before != after {
			t.Errorf("the dry runs wrote to the database: row counts %v, then %v", counts, countsAfter)
		}
		time.Sleep(50 * time.Millisecond) // let a connection, had one been made, be counted
		if n := connections.Load(); n != 0 {
			t.Errorf("%d outbound connections during dry runs", n)
		}
	})
}

// BenchmarkDryRun measures a dry run of a draft over a workspace's last
// 1,000 tickets: time and bytes allocated per dry run, and its answer's
// size (resp-B/op).
//
//	go test ./internal/api -run '^$' -bench BenchmarkDryRun -benchmem
func BenchmarkDryRun(b *testing.B) {
	for _, backend := range storagetest.Backends(b) {
		b.Run(backend.Name, func(b *testing.B) {
			e := newEnv(b, backend.URL(b))
			for i := range 1000 {
				body := "just saying hi"
				if i%10 == 0 {
					body = fmt.Sprint("I want a refund for order ", i)
				}
				if _, err := e.db.CreateTicket(b.Context(), e.wsA, storage.NewTicket{Subject: fmt.Sprint("Ticket ", i), Body: body, ContactEmail: fmt.Sprintf("c%d@example.com", i%50)}); err != nil {
					b.Fatal(err)
				}
			}
			draft := workflowBody("Refunds", "on_new_ticket",
				[]any{map[string]any{"type": "body_contains", "parameters": map[string]any{"value": "refund"}}},
				act("send_webhook", map[string]any{"url": "https://hooks.example.com/refunds", "body": `{"ticket": "{{ticket.id}}", "from": "{{customer.email}}"}`}),
				act("add_internal_note", map[string]any{"content": "Refund asked by {{customer.email}}: {{message.body}}"}))
			body := map[string]any{"workflow": draft, "since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "limit": 1000}
			var size int
			b.ReportAllocs()
			for b.Loop() {
				r := e.asAdmin("POST", "/api/workflows/dry-run", body)
				if r.Status != 200 || len(r.data()["tickets"].([]any)) != 1000 {
					b.Fatalf("dry run: %d %.300s", r.Status, r.Raw)
				}
				size = len(r.Raw)
			}
			b.ReportMetric(float64(size), "resp-B/op")
		})
	}
}
