package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// TestHealth: /healthz answers while the process serves; /readyz answers
// 200 while the node can work and 503 with the reason when its engine is
// stopped or its database is gone. Neither needs a token.
func TestHealth(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		if r := e.call("GET", "/healthz", "", 0, nil); r.Status != http.StatusOK || r.Body["status"] != "ok" {
			t.Errorf("/healthz: %d %s", r.Status, r.Raw)
		}
		if r := e.call("GET", "/readyz", "", 0, nil); r.Status != http.StatusOK || r.Body["status"] != "ready" {
			t.Errorf("/readyz: %d %s", r.Status, r.Raw)
		}
		if err := e.node.Engine.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if r := e.call("GET", "/readyz", "", 0, nil); r.Status != http.StatusServiceUnavailable || r.Body["reason"] != "the workflow engine is not running" {
			t.Errorf("/readyz with the engine stopped: %d %s", r.Status, r.Raw)
		}
		e.db.Close()
		if r := e.call("GET", "/readyz", "", 0, nil); r.Status != http.StatusServiceUnavailable || r.Body["reason"] != "the database does not answer" {
			t.Errorf("/readyz with the database closed: %d %s", r.Status, r.Raw)
		}
		if r := e.call("GET", "/healthz", "", 0, nil); r.Status != http.StatusOK {
			t.Errorf("/healthz with the database closed: %d", r.Status)
		}
	})
}

// syncBuffer is a log sink the node's goroutines may write concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAccessLog: each request is one log line with its method, route
// pattern, status, duration and request id (the caller's, echoed, or a new
// one), and none of the token, the path's ids or the body.
func TestAccessLog(t *testing.T) {
	e := newEnv(t, storagetestBackends(t)[0].URL(t))
	var logs syncBuffer
	e.config.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	e.restart(func() {})
	tk := e.newTicket("Secret subject", "secret body", "secret@example.com", nil)
	req, err := http.NewRequest("GET", e.srv.URL+"/api/tickets/"+tk, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.adminA)
	req.Header.Set("X-Workspace-Id", itoa(e.wsA))
	req.Header.Set("X-Request-Id", "trace-42")
	r := e.send(req)
	if r.Status != http.StatusOK || r.Header.Get("X-Request-Id") != "trace-42" {
		t.Fatalf("GET ticket: %d, X-Request-Id %q", r.Status, r.Header.Get("X-Request-Id"))
	}
	if got := e.call("GET", "/healthz", "", 0, nil).Header.Get("X-Request-Id"); len(got) != 24 {
		t.Errorf("a new request id: %q", got)
	}
	var line map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "trace-42") {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line["msg"] != "request" || line["method"] != "GET" || line["route"] != "GET /api/tickets/{ticket}" || line["status"] != float64(200) || line["duration_ms"] == nil {
		t.Errorf("access log line: %v", line)
	}
	for _, secret := range []string{e.adminA, tk, "Secret subject", "secret body", "secret@example.com"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// TestMethodNotAllowed: a known path with a method it does not take is 405
// with Allow naming the ones it does; an unknown path stays 404.
func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t, storagetestBackends(t)[0].URL(t))
	tk := e.newTicket("s", "b", "a@example.com", nil)
	for _, c := range []struct{ method, path, allow string }{
		{"DELETE", "/api/tickets", "GET, POST"},
		{"PATCH", "/api/tickets/" + tk, "GET, PUT"},
		{"POST", "/healthz", "GET"},
	} {
		r := e.call(c.method, c.path, e.adminA, e.wsA, nil)
		if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405 and %q", c.method, c.path, r.Status, r.Header.Get("Allow"), c.allow)
		}
	}
	if r := e.call("GET", "/api/nothing-here", e.adminA, e.wsA, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", r.Status)
	}
}

// TestUnauthenticatedMessages: no token and a token that is not valid get
// 401s that say which.
func TestUnauthenticatedMessages(t *testing.T) {
	e := newEnv(t, storagetestBackends(t)[0].URL(t))
	if r := e.call("GET", "/api/tickets", "", e.wsA, nil); r.Status != 401 || !strings.Contains(r.Body["message"].(string), "send Authorization") {
		t.Errorf("no token: %d %s", r.Status, r.Raw)
	}
	for _, token := range []string{"garbage", "dfk_" + strings.Repeat("0", 43)} {
		if r := e.call("GET", "/api/tickets", token, e.wsA, nil); r.Status != 401 || r.Body["message"] != "Unauthenticated: the token is not valid." {
			t.Errorf("token %q: %d %s", token, r.Status, r.Raw)
		}
	}
}

// TestCreateAnswersAsGet: the answer to creating a ticket is what a GET of
// it shows (its waiting period included), and tickets show their tags'
// names beside their ids.
func TestCreateAnswersAsGet(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		created := e.must(201, e.asAdmin("POST", "/api/tickets", map[string]any{"subject": "s", "body": "b", "contact": map[string]any{"email": "a@example.com"}})).data()
		got := e.ticket(created["id"].(string))
		for _, k := range []string{"waiting_since", "status", "updated_at", "tags", "tag_names", "messages_total"} {
			if !reflect.DeepEqual(created[k], got[k]) {
				t.Errorf("%s: created %v, GET %v", k, created[k], got[k])
			}
		}
		if created["waiting_since"] == nil {
			t.Errorf("a new ticket's waiting period is not shown")
		}
		tag := e.create("/api/tags", map[string]any{"name": "vip"})
		e.must(200, e.asAdmin("POST", "/api/tickets/"+created["id"].(string)+"/tags", map[string]any{"tags": []any{tag}}))
		if names := e.ticket(created["id"].(string))["tag_names"]; !reflect.DeepEqual(names, []any{"vip"}) {
			t.Errorf("tag_names: %v", names)
		}
		list := e.must(200, e.asAdmin("GET", "/api/tickets", nil)).list()
		if names := list[0].(map[string]any)["tag_names"]; !reflect.DeepEqual(names, []any{"vip"}) {
			t.Errorf("tag_names in the list: %v", names)
		}
	})
}
