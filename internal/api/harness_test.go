package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/api"
	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// env is a running API on a real database with two workspaces: A (admin and
// agent tokens) and B (admin token), to test roles and tenant isolation.
type env struct {
	t      testing.TB
	url    string
	db     *storage.DB
	srv    *httptest.Server
	node   *app.App
	clock  *clock
	config app.Config
	mu     sync.Mutex
	wsA    int64
	adminA string
	agentA string
	wsB    int64
	adminB string
	// described is the OpenAPI description the node serves.
	described *contract
}

var storagetestBackends = storagetest.Backends

// eachBackend runs fn once per database back end.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, newEnv(t, b.URL(t)))
		})
	}
}

func newEnv(t testing.TB, url string) *env {
	t.Helper()
	ctx := context.Background()
	db, err := app.OpenDatabase(ctx, url)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, url: url, db: db}
	for _, ws := range []struct {
		id     *int64
		tokens []*string
		roles  []string
	}{
		{&e.wsA, []*string{&e.adminA, &e.agentA}, []string{"admin", "agent"}},
		{&e.wsB, []*string{&e.adminB}, []string{"admin"}},
	} {
		w, err := db.CreateWorkspace(ctx, "ws")
		if err != nil {
			t.Fatal(err)
		}
		*ws.id = w.ID
		for i, role := range ws.roles {
			tok, err := app.CreateToken(ctx, db, w.ID, role, role)
			if err != nil {
				t.Fatal(err)
			}
			*ws.tokens[i] = tok
		}
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.clock = &clock{now: time.Now().UTC().Truncate(time.Second)}
	db.SetClock(e.clock.Now)
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	// Tests poll the API quickly; TestRateLimit checks the limit itself.
	e.config = app.Config{DB: db, Logger: logger, Now: e.clock.Now, OutboundAllow: []netip.Prefix{loopback}, SecretKey: testKey, RateLimit: &api.RateLimit{}}
	e.node = e.startNode()
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		h := e.node.Handler
		e.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// startNode starts a deskflow node (API and engine) on the env's database.
func (e *env) startNode() *app.App {
	e.t.Helper()
	node, err := app.New(e.config)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := node.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { stopNode(node) })
	return node
}

func stopNode(node *app.App) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = node.Stop(ctx)
}

// restart stops the node, runs between (the service is down), and starts a
// new node on the same database.
func (e *env) restart(between func()) {
	e.t.Helper()
	stopNode(e.node)
	between()
	node := e.startNode()
	e.mu.Lock()
	e.node, e.described = node, nil
	e.mu.Unlock()
}

// clock is the engine's injected clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// response is a decoded API answer.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// data returns the "data" object of the answer.
func (r response) data() map[string]any {
	d, _ := r.Body["data"].(map[string]any)
	return d
}

// list returns the "data" array of the answer.
func (r response) list() []any {
	d, _ := r.Body["data"].([]any)
	return d
}

// fieldErrors returns the 422 errors by path.
func (r response) fieldErrors() map[string]any {
	e, _ := r.Body["errors"].(map[string]any)
	return e
}

// call sends a request as token in workspace ws; body may be a string (sent
// as is) or any value (sent as JSON).
func (e *env) call(method, path, token string, ws int64, body any) response {
	e.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		reader = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, reader)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ws != 0 {
		req.Header.Set("X-Workspace-Id", itoa(ws))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(req)
}

// send sends req; the exchange is checked against the API's OpenAPI
// description (contractTransport).
func (e *env) send(req *http.Request) response {
	e.t.Helper()
	res, err := e.client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	// A download (an attachment) is the file itself.
	if res.StatusCode == http.StatusOK && res.Header.Get("Content-Type") == "application/octet-stream" {
		return out
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			e.t.Fatalf("%s %s: answer is not a JSON object: %v\n%s", req.Method, req.URL.Path, err, raw)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			e.t.Errorf("%s %s: Content-Type %q", req.Method, req.URL.Path, ct)
		}
	}
	return out
}

// asAdmin calls in workspace A as its admin.
func (e *env) asAdmin(method, path string, body any) response {
	e.t.Helper()
	return e.call(method, path, e.adminA, e.wsA, body)
}

// must checks the status and returns the answer.
func (e *env) must(status int, r response) response {
	e.t.Helper()
	if r.Status != status {
		e.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

// create POSTs as A's admin, expects 201, and returns the new object's id.
func (e *env) create(path string, body any) string {
	e.t.Helper()
	r := e.must(http.StatusCreated, e.asAdmin("POST", path, body))
	id, _ := r.data()["id"].(string)
	if id == "" {
		e.t.Fatalf("POST %s: no id in %s", path, r.Raw)
	}
	return id
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// eventually polls cond until it holds: the engine works asynchronously.
// The deadline only stops a broken test; no timing is asserted.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testKey seals connector credentials in tests.
var testKey = []byte("0123456789abcdef0123456789abcdef")
