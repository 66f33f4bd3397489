package ai

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/outbound"
)

// reply is one scripted answer of the fake API server.
type reply struct {
	status int
	header map[string]string
	body   string
	// hang blocks until the client gives up on the request.
	hang bool
	// drop closes the connection without answering (a network error).
	drop bool
}

// recorded is one request the fake server received.
type recorded struct {
	method, path, rawQuery string
	header                 http.Header
	raw                    []byte
	body                   map[string]any
}

// fakeAPI is a loopback server answering from a script, as the real APIs
// do; once the script is used up it repeats the last reply.
type fakeAPI struct {
	*httptest.Server
	t       *testing.T
	mu      sync.Mutex
	replies []reply
	got     []recorded
}

func newFakeAPI(t *testing.T, replies ...reply) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, replies: replies}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	rec := recorded{method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, header: r.Header.Clone(), raw: raw}
	if err := json.Unmarshal(raw, &rec.body); err != nil {
		f.t.Errorf("request body is not JSON: %v: %s", err, raw)
	}
	f.mu.Lock()
	n := len(f.got)
	f.got = append(f.got, rec)
	rp := f.replies[min(n, len(f.replies)-1)]
	f.mu.Unlock()
	switch {
	case rp.hang:
		<-r.Context().Done()
		return
	case rp.drop:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rp.status)
	io.WriteString(w, rp.body)
}

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.got...)
}

// guardedClient is deskflow's outbound client with loopback allowed, as
// the tests' servers are on loopback.
func guardedClient() *http.Client {
	return outbound.NewClient(outbound.Options{
		Allow:   []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		Timeout: 10 * time.Second,
	})
}

// fixture reads testdata/name.
func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sleepLog replaces the retrier's sleep: it records the waits and returns
// at once (or the context's error).
type sleepLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepLog) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// instantRetries makes r's waits instant and its jitter the maximum, so
// the backoff is predictable (250ms, 500ms, 1s, ...).
func instantRetries(r *retrier) *sleepLog {
	s := &sleepLog{}
	r.sleep = s.sleep
	r.jitter = func(n time.Duration) time.Duration { return n }
	return s
}

func ptr[T any](v T) *T { return &v }
