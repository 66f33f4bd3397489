// Package metrics owns deskflow's Prometheus metrics: the HTTP API's
// requests, the engine's events, runs, steps, timers and outbound requests,
// and gauges read from the database at scrape time (queues, armed timers,
// pending approvals, connection pool). Labels name kinds — routes, triggers,
// action and connector types, outcomes — never ids or customer data, so
// their number stays bounded.
package metrics

import (
	"context"
	"crypto/subtle"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every metric of the process.
var Registry = prometheus.NewRegistry()

var (
	// HTTPRequests counts API requests by route pattern, method and status.
	HTTPRequests = counter("http_requests_total", "API requests by route pattern, method and status.", "route", "method", "status")
	// HTTPDuration is the API's latency by route pattern and method.
	HTTPDuration = histogram("http_request_duration_seconds", "API request latency.", prometheus.DefBuckets, "route", "method")
	// EventsProcessed counts processed events by outcome (processed, failed).
	EventsProcessed = counter("deskflow_events_processed_total", "Events matched against the workflows, by outcome.", "outcome")
	// EventLag is how long an event waited from its change to its
	// processing.
	EventLag = histogram("deskflow_event_lag_seconds", "Time from an event's change to the end of its processing.", lagBuckets)
	// RunsStarted counts runs started by trigger type.
	RunsStarted = counter("deskflow_runs_started_total", "Workflow runs started, by trigger type.", "trigger")
	// RunsFinished counts runs finished by trigger type and status.
	RunsFinished = counter("deskflow_runs_finished_total", "Workflow runs finished, by trigger type and status.", "trigger", "status")
	// StepDuration is how long step attempts took, by action type and
	// outcome (the step's status).
	StepDuration = histogram("deskflow_step_duration_seconds", "Step attempts, by action type and outcome.", prometheus.DefBuckets, "action_type", "outcome")
	// OutboundRequests counts outbound HTTP requests by connector type (the
	// action type when no connector is used) and outcome (the status class,
	// or error).
	OutboundRequests = counter("deskflow_outbound_requests_total", "Outbound HTTP requests, by connector type and outcome.", "connector_type", "outcome")
	// TimerLateness is how late no-reply timers fired after their due time.
	TimerLateness = histogram("deskflow_timer_lateness_seconds", "How late no-reply timers fired after their due time.", lagBuckets)
)

var lagBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

func counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	Registry.MustRegister(c)
	return c
}

func histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	Registry.MustRegister(h)
	return h
}

func init() {
	Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Handler serves the metrics; with a token, only to requests that bear it.
func Handler(token string) http.Handler {
	h := promhttp.HandlerFor(Registry, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "Unauthenticated: send Authorization: Bearer <metrics token>.", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// outboundScope is where a step's outbound requests learn which connector
// type they belong to.
type outboundScope struct{ label atomic.Value }

type scopeKey struct{}

// OutboundScope returns ctx carrying the label of the outbound requests
// made under it: fallback (the action type) until SetConnectorType names
// the connector the step uses.
func OutboundScope(ctx context.Context, fallback string) context.Context {
	s := &outboundScope{}
	s.label.Store(fallback)
	return context.WithValue(ctx, scopeKey{}, s)
}

// SetConnectorType names the connector type of the requests made under
// ctx's scope.
func SetConnectorType(ctx context.Context, connectorType string) {
	if s, ok := ctx.Value(scopeKey{}).(*outboundScope); ok {
		s.label.Store(connectorType)
	}
}

func outboundLabel(ctx context.Context) string {
	if s, ok := ctx.Value(scopeKey{}).(*outboundScope); ok {
		return s.label.Load().(string)
	}
	return "none"
}

// CountOutbound wraps an outbound transport so that every request it makes
// is counted by connector type and outcome.
func CountOutbound(next http.RoundTripper) http.RoundTripper { return counting{next} }

type counting struct{ next http.RoundTripper }

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(r)
	outcome := "error"
	if err == nil {
		outcome = statusClass(res.StatusCode)
	}
	OutboundRequests.WithLabelValues(outboundLabel(r.Context()), outcome).Inc()
	return res, err
}

// Unwrap returns the transport that makes the requests (its guarded
// dialer serves other protocols too).
func (c counting) Unwrap() http.RoundTripper { return c.next }

func statusClass(code int) string {
	switch {
	case code >= 500:
		return "5xx"
	case code >= 400:
		return "4xx"
	case code >= 300:
		return "3xx"
	default:
		return "2xx"
	}
}

// Gauges are the values read from the database at scrape time.
type Gauges struct {
	EventsQueued     int
	JobsByState      map[string]int
	TimersArmed      int
	ApprovalsPending int
	// Pool is the database connection pool: open, in_use, idle, and the
	// total count of waits for a connection.
	PoolOpen, PoolInUse, PoolIdle int
	PoolWaits                     int64
	// Statements and RoundTrips count what this node sent to a database
	// server (PostgreSQL) so far.
	Statements, RoundTrips int64
}

// GaugeSource reads the gauges (the store implements it).
type GaugeSource interface {
	Gauges(ctx context.Context) (Gauges, error)
}

var (
	sourceMu sync.Mutex
	source   GaugeSource
)

// ObserveDatabase makes the scrape read the gauges from src (the node's
// store; the last one set wins in a process that runs several).
func ObserveDatabase(src GaugeSource) {
	sourceMu.Lock()
	defer sourceMu.Unlock()
	source = src
}

type gaugeCollector struct {
	events, jobs, timers, approvals, poolOpen, poolInUse, poolIdle, poolWaits, statements, roundTrips *prometheus.Desc
	failed                                                                                            prometheus.Counter
}

func init() {
	c := &gaugeCollector{
		events:     prometheus.NewDesc("deskflow_events_queued", "Events waiting to be processed (now or after a failed attempt).", nil, nil),
		jobs:       prometheus.NewDesc("deskflow_jobs", "Jobs of the job queue by state.", []string{"state"}, nil),
		timers:     prometheus.NewDesc("deskflow_timers_armed", "No-reply timers armed.", nil, nil),
		approvals:  prometheus.NewDesc("deskflow_approvals_pending", "Approvals waiting for a decision.", nil, nil),
		poolOpen:   prometheus.NewDesc("deskflow_db_connections_open", "Open database connections.", nil, nil),
		poolInUse:  prometheus.NewDesc("deskflow_db_connections_in_use", "Database connections in use.", nil, nil),
		poolIdle:   prometheus.NewDesc("deskflow_db_connections_idle", "Idle database connections.", nil, nil),
		poolWaits:  prometheus.NewDesc("deskflow_db_connection_waits_total", "Times a query waited for a database connection.", nil, nil),
		statements: prometheus.NewDesc("deskflow_db_statements_total", "Statements sent to the database server (PostgreSQL; the job queue's included).", nil, nil),
		roundTrips: prometheus.NewDesc("deskflow_db_round_trips_total", "Round trips to the database server (PostgreSQL): a statement alone, or a batch of them.", nil, nil),
		failed:     prometheus.NewCounter(prometheus.CounterOpts{Name: "deskflow_metrics_scrape_errors_total", Help: "Scrapes whose database gauges could not be read."}),
	}
	Registry.MustRegister(c, c.failed)
}

func (c *gaugeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.events, c.jobs, c.timers, c.approvals, c.poolOpen, c.poolInUse, c.poolIdle, c.poolWaits, c.statements, c.roundTrips} {
		ch <- d
	}
}

func (c *gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	sourceMu.Lock()
	src := source
	sourceMu.Unlock()
	if src == nil {
		return
	}
	g, err := src.Gauges(context.Background())
	if err != nil {
		c.failed.Inc()
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.events, float64(g.EventsQueued))
	for state, n := range g.JobsByState {
		gauge(c.jobs, float64(n), state)
	}
	gauge(c.timers, float64(g.TimersArmed))
	gauge(c.approvals, float64(g.ApprovalsPending))
	gauge(c.poolOpen, float64(g.PoolOpen))
	gauge(c.poolInUse, float64(g.PoolInUse))
	gauge(c.poolIdle, float64(g.PoolIdle))
	ch <- prometheus.MustNewConstMetric(c.poolWaits, prometheus.CounterValue, float64(g.PoolWaits))
	ch <- prometheus.MustNewConstMetric(c.statements, prometheus.CounterValue, float64(g.Statements))
	ch <- prometheus.MustNewConstMetric(c.roundTrips, prometheus.CounterValue, float64(g.RoundTrips))
}
