package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// addNotes adds n internal notes of size bytes to a ticket of workspace A
// in one transaction, straight through storage: test setup, not what the
// tests check. Note i starts "note <i> " (three digits).
func (e *env) addNotes(ticket string, n, size int) {
	e.t.Helper()
	ctx := e.t.Context()
	err := e.db.InTx(ctx, func(tx *storage.Tx) error {
		for i := range n {
			body := fmt.Sprintf("note %03d ", i)
			body += strings.Repeat("x", max(size-len(body), 0))
			m := helpdesk.Message{TicketID: ticket, Direction: helpdesk.DirectionNote, Body: body}
			if _, err := tx.AddMessage(ctx, e.wsA, m, helpdesk.Cause{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("add %d notes: %v", n, err)
	}
}

// The single-ticket view carries the latest 50 messages, oldest first, with
// the count of all and where to page through them: its size does not grow
// with the conversation.
func TestTicketViewIsBounded(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		const noteSize = 4 << 10
		tk := e.newTicket("Long", "first", "ann@example.com", nil)
		e.addNotes(tk, 300, noteSize)

		r := e.must(200, e.asAdmin("GET", "/api/tickets/"+tk, nil))
		got := r.data()
		msgs, _ := got["messages"].([]any)
		if len(msgs) != 50 {
			t.Fatalf("the view of a ticket with 301 messages has %d, want the latest 50", len(msgs))
		}
		for i, m := range msgs {
			want := fmt.Sprintf("note %03d ", 250+i)
			if body, _ := m.(map[string]any)["body"].(string); !strings.HasPrefix(body, want) {
				t.Fatalf("message %d of the view starts %.12q, want %q (the latest 50, oldest first)", i, body, want)
			}
		}
		if got["messages_total"] != 301.0 {
			t.Errorf("messages_total %v, want 301", got["messages_total"])
		}
		if want := "/api/tickets/" + tk + "/messages"; got["messages_url"] != want {
			t.Errorf("messages_url %v, want %s", got["messages_url"], want)
		}
		// 50 notes and their JSON fields, the ticket and its contact.
		if limit := 50*(noteSize+1024) + 4096; len(r.Raw) > limit {
			t.Errorf("the view is %d bytes, more than %d: it must not grow with the conversation", len(r.Raw), limit)
		}

		// Creating a ticket answers the same view.
		created := e.must(201, e.asAdmin("POST", "/api/tickets", map[string]any{"subject": "New", "body": "hello", "contact": map[string]any{"email": "bo@example.com"}})).data()
		if msgs, _ := created["messages"].([]any); len(msgs) != 1 || created["messages_total"] != 1.0 || created["messages_url"] != "/api/tickets/"+created["id"].(string)+"/messages" {
			t.Errorf("created ticket's view: messages %v, messages_total %v, messages_url %v", created["messages"], created["messages_total"], created["messages_url"])
		}
	})
}

// BenchmarkTicketView measures GET /api/tickets/{id} on a ticket with n
// notes of 256 KiB: bytes allocated per GET (B/op, with -benchmem) and the
// size of the answer (resp-B/op). Neither may grow with n.
//
//	go test ./internal/api -run '^$' -bench BenchmarkTicketView -benchmem
func BenchmarkTicketView(b *testing.B) {
	for _, backend := range storagetest.Backends(b) {
		for _, n := range []int{100, 400} {
			b.Run(fmt.Sprintf("%s/messages=%d", backend.Name, n), func(b *testing.B) {
				e := newEnv(b, backend.URL(b))
				tk := e.newTicket("Long", "first", "ann@example.com", nil)
				e.addNotes(tk, n, 256<<10)
				req, err := http.NewRequest("GET", e.srv.URL+"/api/tickets/"+tk, nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+e.adminA)
				req.Header.Set("X-Workspace-Id", itoa(e.wsA))
				var size int64
				b.ReportAllocs()
				for b.Loop() {
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					size, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err != nil || res.StatusCode != http.StatusOK {
						b.Fatalf("GET the ticket: status %d, %v", res.StatusCode, err)
					}
				}
				b.ReportMetric(float64(size), "resp-B/op")
			})
		}
	}
}

// GET /api/tickets/{ticket}/messages pages through the conversation oldest
// first, by creation time and then by id, the same on both back ends.
func TestMessagesPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		tk := e.newTicket("Paged", "m0", "ann@example.com", nil)
		post := func(direction, body string) {
			t.Helper()
			e.must(201, e.asAdmin("POST", "/api/tickets/"+tk+"/messages", map[string]any{"direction": direction, "body": body}))
		}
		// m1…m3 are stamped with m0's time (the test clock stands still):
		// their ids order them. "late" is stamped an hour later; "early",
		// posted last, an hour earlier than all (a clock set back).
		post("inbound", "m1")
		post("note", "m2")
		post("outbound", "m3")
		e.clock.Advance(time.Hour)
		post("note", "late")
		e.clock.Advance(-2 * time.Hour)
		post("note", "early")

		page := func(query string) (string, map[string]any) {
			t.Helper()
			r := e.must(200, e.asAdmin("GET", "/api/tickets/"+tk+"/messages?"+query, nil))
			data, isList := r.Body["data"].([]any)
			if !isList {
				t.Fatalf("?%s: data is not a list: %s", query, r.Raw)
			}
			var bodies []string
			for _, m := range data {
				bodies = append(bodies, m.(map[string]any)["body"].(string))
			}
			meta, _ := r.Body["meta"].(map[string]any)
			return fmt.Sprint(bodies), meta
		}
		meta := func(current, perPage, total, last float64) map[string]any {
			return map[string]any{"current_page": current, "per_page": perPage, "total": total, "last_page": last}
		}
		for _, c := range []struct {
			query, bodies string
			meta          map[string]any
		}{
			{"", "[early m0 m1 m2 m3 late]", meta(1, 50, 6, 1)},
			{"per_page=4", "[early m0 m1 m2]", meta(1, 4, 6, 2)},
			{"per_page=4&page=2", "[m3 late]", meta(2, 4, 6, 2)},
			{"per_page=4&page=3", "[]", meta(3, 4, 6, 2)},
			{"per_page=200", "[early m0 m1 m2 m3 late]", meta(1, 200, 6, 1)},
		} {
			bodies, m := page(c.query)
			if bodies != c.bodies || fmt.Sprint(m) != fmt.Sprint(c.meta) {
				t.Errorf("?%s: %s %v, want %s %v", c.query, bodies, m, c.bodies, c.meta)
			}
		}
		// The ticket's view shows them in the same order.
		var shown []string
		for _, m := range e.ticket(tk)["messages"].([]any) {
			shown = append(shown, m.(map[string]any)["body"].(string))
		}
		if fmt.Sprint(shown) != "[early m0 m1 m2 m3 late]" {
			t.Errorf("the ticket's view: %v", shown)
		}

		for query, field := range map[string]string{"per_page=201": "per_page", "per_page=0": "per_page", "page=0": "page", "page=x": "page"} {
			if r := e.must(422, e.asAdmin("GET", "/api/tickets/"+tk+"/messages?"+query, nil)); r.fieldErrors()[field] == nil {
				t.Errorf("?%s: %s, want an error naming %s", query, r.Raw, field)
			}
		}
		// The OpenAPI description says the list pages.
		doc := e.must(200, e.call("GET", "/api/openapi.json", "", 0, nil))
		list := doc.Body["paths"].(map[string]any)["/api/tickets/{ticket}/messages"].(map[string]any)["get"].(map[string]any)
		if params := fmt.Sprint(list["parameters"]); !strings.Contains(params, "name:page") || !strings.Contains(params, "name:per_page") {
			t.Errorf("the OpenAPI description of the list has parameters %s, want page and per_page", params)
		}
		e.must(404, e.call("GET", "/api/tickets/"+tk+"/messages", e.adminB, e.wsB, nil))
		e.must(404, e.asAdmin("GET", "/api/tickets/01ARZ3NDEKTSV4RRFFQ69G5FAV/messages", nil))
	})
}

// A message body is at most 256 KiB by default, configurably: the API
// answers 422 naming the body and stating the limit, and a workflow's note
// beyond it fails its step.
func TestMessageBodyLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		const limit = 256 << 10
		tk := e.newTicket("Big", strings.Repeat("b", limit), "ann@example.com", nil)
		e.must(201, e.asAdmin("POST", "/api/tickets/"+tk+"/messages", map[string]any{"direction": "note", "body": strings.Repeat("n", limit)}))
		tooLong := func(path string, body map[string]any, want string) {
			t.Helper()
			r := e.must(422, e.asAdmin("POST", path, body))
			if errs := fmt.Sprint(r.fieldErrors()["body"]); !strings.Contains(errs, want) {
				t.Errorf("POST %s: body errors %s, want them to say %q", path, errs, want)
			}
		}
		over := strings.Repeat("o", limit+1)
		tooLong("/api/tickets", map[string]any{"subject": "s", "body": over, "contact": map[string]any{"email": "bo@example.com"}},
			"is 262145 bytes, more than the limit of 262144 bytes (256 KiB) for one message")
		tooLong("/api/tickets/"+tk+"/messages", map[string]any{"direction": "inbound", "body": over}, "limit of 262144 bytes (256 KiB)")

		e.config.MaxMessageBytes = 1000
		e.restart(func() {})
		tooLong("/api/tickets/"+tk+"/messages", map[string]any{"direction": "outbound", "body": strings.Repeat("o", 1001)}, "is 1001 bytes, more than the limit of 1000 bytes for one message")
		e.must(201, e.asAdmin("POST", "/api/tickets/"+tk+"/messages", map[string]any{"direction": "outbound", "body": strings.Repeat("o", 1000)}))
		doc := e.must(200, e.call("GET", "/api/openapi.json", "", 0, nil))
		create := doc.Body["paths"].(map[string]any)["/api/tickets/{ticket}/messages"].(map[string]any)["post"].(map[string]any)
		if summary, _ := create["summary"].(string); !strings.HasSuffix(summary, "; body at most 1000 bytes") {
			t.Errorf("the OpenAPI summary of adding a message: %q, want it to state the limit", summary)
		}

		// The ticket's earlier messages must not fire the workflow.
		e.settle(tk)
		// The note would quote the 600-byte message twice: 1201 bytes.
		wf := e.create("/api/workflows", workflowBody("Quote", "on_inbound_message", nil,
			act("add_internal_note", map[string]any{"content": "{{message.body}} {{message.body}}"})))
		e.must(201, e.asAdmin("POST", "/api/tickets/"+tk+"/messages", map[string]any{"direction": "inbound", "body": strings.Repeat("q", 600)}))
		e.settle(tk)
		runs := e.runsOf(tk, wf)
		if len(runs) != 1 {
			t.Fatalf("%d runs of the quoting workflow, want 1", len(runs))
		}
		step := runs[0]["steps"].([]any)[0].(map[string]any)
		if msg, _ := step["error"].(string); step["status"] != "failed" || !strings.Contains(msg, "content: the message is 1201 bytes, more than the limit of 1000 bytes") {
			t.Errorf("the note's step: %s %q", step["status"], msg)
		}
		for _, m := range e.ticket(tk)["messages"].([]any) {
			if m.(map[string]any)["workflow_run_id"] != nil {
				t.Errorf("a workflow added a message over the limit: %.80v", m)
			}
		}
	})
}

// The engine sees the message that triggered an event, however long the
// conversation before it.
func TestEngineSeesTheTriggeringMessageOfALongTicket(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		tk := e.newTicket("Long", "first", "ann@example.com", nil)
		e.addNotes(tk, 120, 100)
		e.create("/api/workflows", workflowBody("Echo", "on_inbound_message",
			[]any{map[string]any{"type": "body_contains", "parameters": map[string]any{"value": "latest"}}},
			act("add_internal_note", map[string]any{"content": "got: {{message.body}}"})))
		e.must(201, e.asAdmin("POST", "/api/tickets/"+tk+"/messages", map[string]any{"direction": "inbound", "body": "the latest word"}))
		e.settle(tk)
		msgs := e.ticket(tk)["messages"].([]any)
		last := msgs[len(msgs)-1].(map[string]any)
		if last["body"] != "got: the latest word" || last["workflow_run_id"] == nil {
			t.Errorf("the conversation ends with %.80v, want the workflow's note quoting the triggering message", last)
		}
	})
}
