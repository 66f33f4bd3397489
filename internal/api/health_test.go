package api_test

import (
	"context"
	"net/http"
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
