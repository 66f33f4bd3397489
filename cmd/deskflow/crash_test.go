package main_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	_ "modernc.org/sqlite"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// client calls a running deskflow as the bootstrap admin of workspace 1.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) call(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var reader io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		reader = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, c.base+path, reader)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Workspace-Id", "1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestCrashRecovery kills the server (SIGKILL) while runs are in flight and
// starts it again: every run reaches a final state, ticket actions happen
// exactly once, and no webhook step is delivered more often than it was
// attempted (a step that succeeded is never sent again).
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test waits for the queue's rescuer (about 35 s)")
	}
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			var (
				mu         sync.Mutex
				deliveries = map[string]int{}
			)
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				deliveries[r.Header.Get("webhook-id")]++
				mu.Unlock()
				time.Sleep(150 * time.Millisecond) // keep steps in flight
				w.WriteHeader(http.StatusNoContent)
			}))
			defer hook.Close()
			flags := []string{"--rescue-after", "11s", "--outbound-allow", "127.0.0.1/32"}

			s := startServe(t, url, flags...)
			c := &client{t: t, base: "http://" + s.addr, token: s.waitToken(t)}
			_, tag := c.call("POST", "/api/tags", map[string]any{"name": "seen"})
			tagID := tag["data"].(map[string]any)["id"].(string)
			status, _ := c.call("POST", "/api/workflows", map[string]any{
				"name": "Crash me", "trigger_type": "on_new_ticket",
				"actions": []any{
					map[string]any{"type": "add_tags", "parameters": map[string]any{"tags": []any{tagID}, "timeout": 1000}},
					map[string]any{"type": "send_webhook", "parameters": map[string]any{"url": hook.URL + "/hook", "body": `{"ticket": "{{ticket.id}}"}`, "timeout": 2000}},
					map[string]any{"type": "add_internal_note", "parameters": map[string]any{"content": "done {{ticket.id}}", "timeout": 1000}},
				},
			})
			if status != 201 {
				t.Fatalf("create workflow: %d", status)
			}
			const tickets = 20
			var ids []string
			for i := 0; i < tickets; i++ {
				status, tk := c.call("POST", "/api/tickets", map[string]any{"subject": fmt.Sprint("t", i), "body": "b", "contact": map[string]any{"email": fmt.Sprintf("c%d@example.com", i)}})
				if status != 201 {
					t.Fatalf("create ticket: %d", status)
				}
				ids = append(ids, tk["data"].(map[string]any)["id"].(string))
			}
			// Kill it once a few webhooks are out and others are not.
			deadline := time.Now().Add(30 * time.Second)
			for {
				mu.Lock()
				n := len(deliveries)
				mu.Unlock()
				if n >= 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no webhook was delivered")
				}
				time.Sleep(10 * time.Millisecond)
			}
			_ = s.cmd.Process.Signal(syscall.SIGKILL)
			_, _ = s.cmd.Process.Wait()

			s2 := startServe(t, url, flags...)
			c.base = "http://" + s2.addr
			final := map[string]bool{"succeeded": true, "failed": true}
			deadline = time.Now().Add(70 * time.Second)
			for _, id := range ids {
				for {
					_, runs := c.call("GET", "/api/tickets/"+id+"/runs", nil)
					list, _ := runs["data"].([]any)
					if len(list) == 1 && final[list[0].(map[string]any)["status"].(string)] {
						break
					}
					if time.Now().After(deadline) {
						dumpJobs(t, url)
						t.Fatalf("ticket %s: runs never finished: %v", id, list)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			retried := 0
			for _, id := range ids {
				_, runs := c.call("GET", "/api/tickets/"+id+"/runs", nil)
				r := runs["data"].([]any)[0].(map[string]any)
				if r["status"] != "succeeded" {
					t.Errorf("ticket %s: run %v", id, r["status"])
				}
				for _, st := range r["steps"].([]any) {
					step := st.(map[string]any)
					if step["action_type"] != "send_webhook" {
						continue
					}
					key := fmt.Sprintf("%s-%v-%v", r["id"], step["path"], step["position"])
					mu.Lock()
					got := deliveries[key]
					mu.Unlock()
					attempts := int(step["attempts"].(float64))
					if got < 1 || got > attempts {
						t.Errorf("ticket %s: webhook delivered %d times in %d attempts", id, got, attempts)
					}
					if attempts > 1 {
						retried++
					}
				}
				_, tk := c.call("GET", "/api/tickets/"+id, nil)
				notes := 0
				for _, m := range tk["data"].(map[string]any)["messages"].([]any) {
					if m.(map[string]any)["direction"] == "note" {
						notes++
					}
				}
				if notes != 1 {
					t.Errorf("ticket %s: %d notes, want exactly 1", id, notes)
				}
			}
			// The webhooks that were in flight (answered after 150 ms, the kill
			// came first) were attempted again after the restart.
			if retried == 0 {
				t.Errorf("no step was in flight at the kill")
			}
			if code, _ := s2.stop(); code != 0 {
				t.Errorf("second server exited %d", code)
			}
		})
	}
}

func dumpJobs(t *testing.T, url string) {
	db, err := sql.Open("sqlite", strings.TrimPrefix(url, "sqlite:"))
	if err != nil {
		t.Log(err)
		return
	}
	defer db.Close()
	for _, q := range []string{"SELECT id, kind, state, attempt, attempted_at, scheduled_at, coalesce(attempted_by,'') FROM river_job WHERE state != 'completed'", "SELECT * FROM river_leader"} {
		rows, err := db.Query(q)
		if err != nil {
			t.Log(err)
			continue
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			_ = rows.Scan(ptrs...)
			t.Logf("%v", vals)
		}
		rows.Close()
	}
}
