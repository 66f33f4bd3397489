package platform

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/outbound"
)

// hangUp answers every request by closing the connection.
func hangUp(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func ghConnTo(base string) *connector.Connector {
	return &connector.Connector{ID: "c-github", Type: "github", Settings: map[string]any{"base_url": base},
		Credentials: map[string]string{"token": "ghp_transport_test_token"}}
}

func TestBrokenConnectionsRetriedOnlyWhenSafe(t *testing.T) {
	srv, n := hangUp(t)
	sl := &sleeper{}
	env := Env{HTTP: srv.Client(), Sleep: sl.sleep}
	_, err := execute(t, env, ghConnTo(srv.URL), "create_issue", map[string]any{"owner": "a", "repo": "b", "title": "t"}, "k")
	wantError(t, err, "request to GitHub failed")
	if n.Load() != 1 || len(sl.got()) != 0 {
		t.Errorf("non-idempotent create attempted %d times (waits %v)", n.Load(), sl.got())
	}
	n.Store(0)
	_, err = execute(t, env, ghConnTo(srv.URL), "get_issue", map[string]any{"owner": "a", "repo": "b", "issueNumber": 1}, "k")
	wantError(t, err, "request to GitHub failed")
	if n.Load() != MaxAttempts || !slices.Equal(sl.got(), []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}) {
		t.Errorf("idempotent read attempted %d times (waits %v)", n.Load(), sl.got())
	}
}

func TestConnectionNotMadeIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused
	sl := &sleeper{}
	_, err = execute(t, Env{HTTP: &http.Client{}, Sleep: sl.sleep}, ghConnTo("http://"+addr), "create_issue", map[string]any{"owner": "a", "repo": "b", "title": "t"}, "k")
	wantError(t, err, "request to GitHub failed")
	if len(sl.got()) != MaxAttempts-1 {
		t.Errorf("waits %v: a refused dial is safe to repeat even for a creation", sl.got())
	}
}

func TestGuardRefusalIsNotRetried(t *testing.T) {
	srv, n := hangUp(t)
	sl := &sleeper{}
	guarded := outbound.NewClient(outbound.Options{})
	_, err := execute(t, Env{HTTP: guarded, Sleep: sl.sleep}, ghConnTo(srv.URL), "get_issue", map[string]any{"owner": "a", "repo": "b", "issueNumber": 1}, "k")
	wantError(t, err, "refused to connect to 127.0.0.1", "loopback")
	if n.Load() != 0 || len(sl.got()) != 0 {
		t.Errorf("%d requests, waits %v", n.Load(), sl.got())
	}
	// With loopback allowed (tests, on-premise), the same client reaches it.
	allowed := outbound.NewClient(outbound.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	_, _ = execute(t, Env{HTTP: allowed, Sleep: sl.sleep}, ghConnTo(srv.URL), "create_issue", map[string]any{"owner": "a", "repo": "b", "title": "t"}, "k")
	if n.Load() != 1 {
		t.Errorf("%d requests through the allow list", n.Load())
	}
}
