// Package api is deskflow's REST API (DESIGN.md §2): bearer-token and
// workspace authentication, JSON envelopes, 422 validation errors by field
// path, and one handler file per resource. Handlers translate HTTP to calls
// on storage and the domain packages; they hold no business rules of their
// own.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"github.com/deskflow/deskflow/internal/bundle"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/engine"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/metrics"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// MaxBodyBytes caps request bodies; larger ones get 413.
const MaxBodyBytes = 1 << 20

// Config configures the API.
type Config struct {
	DB     *storage.DB
	Logger *slog.Logger
	// CheckURL refuses URLs that outbound requests could never reach; nil
	// accepts every URL.
	CheckURL func(raw string) error
	// Engine runs workflows: manual runs and approval decisions go to it.
	Engine *engine.Engine
	// Sealer seals connector credentials.
	Sealer *connector.Sealer
	// RateLimit limits each API token; nil means DefaultRateLimit, a zero
	// Rate no limit.
	RateLimit *RateLimit
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken string
	// MaxMessageBytes is the largest body of a message created through the
	// API (422 beyond); zero means helpdesk.DefaultMaxMessageBytes.
	MaxMessageBytes int
}

// Server serves the API.
type Server struct {
	db      *storage.DB
	engine  *engine.Engine
	bundles *bundle.Service
	// signIns limits password attempts per email and per address.
	signIns, signInsByAddr *limiter
	// protected is mux behind the cross-origin protection.
	protected http.Handler
	sealer    *connector.Sealer
	log       *slog.Logger
	workflows *workflow.Validator
	mux       *http.ServeMux
	routes    []route
	limiter   *limiter
	metrics   http.Handler
	// maxMessageBytes is the largest body of a new message.
	maxMessageBytes int
	openAPIDoc      openAPIDoc
}

// New builds the API server.
func New(cfg Config) *Server {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{
		db:     cfg.DB,
		engine: cfg.Engine,
		sealer: cfg.Sealer,
		log:    logger,
		workflows: &workflow.Validator{
			Refs:     cfg.DB,
			Schema:   template.DefaultSchema,
			CheckURL: cfg.CheckURL,
		},
		bundles: &bundle.Service{DB: cfg.DB, Engine: cfg.Engine,
			Workflows: workflow.Validator{Schema: template.DefaultSchema, CheckURL: cfg.CheckURL}},
		mux:             http.NewServeMux(),
		metrics:         metrics.Handler(cfg.MetricsToken),
		maxMessageBytes: cfg.MaxMessageBytes,
	}
	if s.maxMessageBytes <= 0 {
		s.maxMessageBytes = helpdesk.DefaultMaxMessageBytes
	}
	limit := DefaultRateLimit
	if cfg.RateLimit != nil {
		limit = *cfg.RateLimit
	}
	s.limiter = newLimiter(limit, time.Now)
	s.signIns = newLimiter(signInRate, time.Now)
	s.signInsByAddr = newLimiter(signInAddrRate, time.Now)
	s.registerRoutes()
	// Browsers send the session cookie with requests that other sites
	// make: those that are not safe (POST, PUT, DELETE) are refused when
	// the browser says they come from another origin. API clients send no
	// such header and are not affected.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusForbidden, errorBody{Message: "Forbidden: a cross-origin request that changes something is refused."})
	}))
	s.protected = cop.Handler(s.mux)
	return s
}

// ServeHTTP implements http.Handler. Every request gets a request id
// (the caller's X-Request-Id when it is a plain token, else a new one),
// echoed in X-Request-Id, and one access-log line: method, route pattern,
// status, duration and request id — never the path's ids, a token, a body
// or customer data.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestID(r.Header.Get("X-Request-Id"))
	w.Header().Set("X-Request-Id", id)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in handler", "method", r.Method, "route", r.Pattern, "request_id", id, "panic", p, "stack", string(debug.Stack()))
			if !rec.wrote {
				writeJSON(rec, http.StatusInternalServerError, errorBody{Message: "Internal server error."})
			}
		}
		route := r.Pattern
		if route == "/" {
			route = "unknown"
		}
		elapsed := time.Since(start)
		label := strings.TrimPrefix(route, r.Method+" ")
		metrics.HTTPRequests.WithLabelValues(label, r.Method, strconv.Itoa(rec.status)).Inc()
		metrics.HTTPDuration.WithLabelValues(label, r.Method).Observe(elapsed.Seconds())
		s.log.Info("request", "method", r.Method, "route", route, "status", rec.status, "duration_ms", float64(elapsed.Microseconds())/1000, "request_id", id)
	}()
	s.protected.ServeHTTP(rec, r)
}

// requestID keeps a caller's request id made of at most 64 letters,
// digits, '-', '_' and '.', and makes a new one otherwise.
func requestID(given string) string {
	if given != "" && len(given) <= 64 && strings.Trim(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return given
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// httpError is an error with its own status, for request-level problems
// (bad JSON, wrong content type, forbidden role).
type httpError struct {
	status  int
	message string
}

func (e *httpError) Error() string { return e.message }

func errStatus(status int, message string) error { return &httpError{status: status, message: message} }

var errNotFound = errStatus(http.StatusNotFound, "Not found.")

// fail writes the response for err: user errors by type, anything else 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		he       *httpError
		conflict *storage.ConflictError
	)
	if ve, ok := validate.As(err); ok {
		writeJSON(w, http.StatusUnprocessableEntity, validationErrorBody{Message: ve.Message(), Errors: ve.Fields})
		return
	}
	switch {
	case errors.As(err, &he):
		writeJSON(w, he.status, errorBody{Message: he.message})
	case errors.Is(err, storage.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody{Message: "Not found."})
	case errors.As(err, &conflict):
		writeJSON(w, http.StatusConflict, errorBody{Message: conflict.Message})
	case errors.Is(err, context.Canceled):
		// The client went away; nothing to answer.
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{Message: "Internal server error."})
	}
}
