package api

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// health is the answer of the liveness and readiness probes.
type health struct {
	Status string `json:"status" enum:"health_status"`
	Reason string `json:"reason,omitempty" doc:"Why the node is not ready."`
}

// healthz answers while the process serves HTTP: a liveness probe.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ principal) error {
	writeJSON(w, http.StatusOK, health{Status: "ok"})
	return nil
}

// readyz answers 200 when the node can do its work: the database answers,
// its schema is this build's, and the engine runs; else 503 with the
// reason. It is cheap: one indexed count.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ principal) error {
	if reason := s.notReady(r.Context()); reason != "" {
		writeJSON(w, http.StatusServiceUnavailable, health{Status: "unavailable", Reason: reason})
		return nil
	}
	writeJSON(w, http.StatusOK, health{Status: "ready"})
	return nil
}

func (s *Server) notReady(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	pending, err := s.db.PendingMigrations(ctx)
	switch {
	case err != nil:
		s.log.Warn("readiness: database", "err", err)
		return "the database does not answer"
	case pending > 0:
		return fmt.Sprintf("the database schema lacks %d migrations of this build (run deskflow migrate)", pending)
	case s.engine == nil || !s.engine.Running():
		return "the workflow engine is not running"
	}
	return ""
}

// serveMetrics serves the Prometheus metrics (behind the metrics token
// when one is configured).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ principal) error {
	s.metrics.ServeHTTP(w, r)
	return nil
}
