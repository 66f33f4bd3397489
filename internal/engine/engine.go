// Package engine runs workflows: it turns stored events into runs of the
// matching workflows (conditions, tag scopes, loop prevention), drives each
// run's paths step by step through the job queue, pauses paths for
// approvals, and records everything as run history. Ticket actions commit
// with their step; external actions run outside transactions with a stable
// idempotency key.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/queue"
	"github.com/deskflow/deskflow/internal/storage"
)

// Defaults of the engine's settings.
const (
	DefaultApprovalTTL         = 7 * 24 * time.Hour
	DefaultEvaluationRetention = 7 * 24 * time.Hour
	// DefaultRunRetention and DefaultEventRetention keep run history and
	// the events of tickets for 90 days.
	DefaultRunRetention   = 90 * 24 * time.Hour
	DefaultEventRetention = 90 * 24 * time.Hour
	// DefaultRescueAfter is how long a job's node may be silent before its
	// job runs elsewhere; a job is also never rescued before its own
	// timeout (a path job's is the sum of its steps' timeouts).
	DefaultRescueAfter = time.Minute
	// EventJobTimeout bounds processing one batch of events.
	EventJobTimeout = 10 * time.Second
	// MaxChainDepth is DESIGN.md §4's limit: a causal chain of workflow runs
	// stops at depth 10.
	MaxChainDepth = 10
)

// Config configures the engine.
type Config struct {
	DB     *storage.DB
	Logger *slog.Logger
	// Now is the clock (tests inject one); default time.Now.
	Now func() time.Time
	// HTTP is the guarded client for external actions.
	HTTP *http.Client
	// CheckURL refuses URLs outbound requests may never reach.
	CheckURL func(string) error
	// Sealer opens connector credentials for actions.
	Sealer *connector.Sealer
	// AI is the process-wide default language model; nil: built-in.
	AI *AIDefault
	// ApprovalTTL is how long an approval waits before it expires.
	ApprovalTTL time.Duration
	// Retention is how long finished runs, evaluations and events are
	// kept.
	Retention Retention
	// RescueAfter is how long a job may run before another node takes it
	// over; it must exceed the longest action timeout in use.
	RescueAfter time.Duration
	// Workers is how many jobs this node works at once.
	Workers int
	// PollInterval is how often an idle SQLite node looks for jobs.
	PollInterval time.Duration
	// IdlePoll is how often an idle node looks for events queued by other
	// nodes or due for a retry; its own new events wake it at once.
	IdlePoll time.Duration
	// EventBatch is the most events processed in one transaction.
	EventBatch int
	// EventProcessors is how many batches this node processes at once:
	// 1 on SQLite (one writer), several on PostgreSQL.
	EventProcessors int
	Limits
	// MaxMessageBytes is the largest body of a message a workflow adds to
	// a ticket (a note, a sent reply): a longer one fails its step. Zero
	// means helpdesk.DefaultMaxMessageBytes.
	MaxMessageBytes int
}

// Retention says how long what is kept for a while only is kept; a
// negative duration keeps it for ever.
type Retention struct {
	// Runs are finished runs with their steps and approvals.
	Runs time.Duration
	// Evaluations are how every workflow fared against each event.
	Evaluations time.Duration
	// Events are the changes of tickets, once processed and not the cause
	// of a run still kept.
	Events time.Duration
	// Batch is how many rows one statement deletes at most.
	Batch int
}

// Limits bound what one workspace's automation may take of the service.
type Limits struct {
	// ChainRuns and ChainSteps are the budget of one chain of runs: what
	// an event and every event its runs cause may start in all.
	ChainRuns, ChainSteps int
	// QueueLimit is how many events a workspace may have waiting before
	// the events its workflows cause are no longer queued; negative: no
	// limit.
	QueueLimit int
}

// Engine runs workflows.
type Engine struct {
	db       *storage.DB
	log      *slog.Logger
	now      func() time.Time
	queue    *queue.Queue
	services *action.Services
	cfg      Config

	running   atomic.Bool
	timerWake chan struct{}
	eventWake chan struct{}
	stopLoop  context.CancelFunc
	loops     sync.WaitGroup

	candidates candidateCache
	// claimTurn is the workspace whose events the last batch claimed
	// first: the next batch starts after it.
	claimTurn atomic.Int64
	// queues remembers which workspaces have a full event queue.
	queues queueLimits
}

// New builds an engine and installs its event hook on the store, so that
// every stored event enqueues its processing in the same transaction.
func New(cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTP == nil {
		return nil, fmt.Errorf("engine: an HTTP client is required")
	}
	cfg.ApprovalTTL = cmpOr(cfg.ApprovalTTL, DefaultApprovalTTL)
	for _, r := range []struct {
		keep *time.Duration
		def  time.Duration
	}{{&cfg.Retention.Evaluations, DefaultEvaluationRetention}, {&cfg.Retention.Runs, DefaultRunRetention}, {&cfg.Retention.Events, DefaultEventRetention}} {
		if *r.keep == 0 {
			*r.keep = r.def
		}
	}
	if cfg.Retention.Batch <= 0 {
		cfg.Retention.Batch = 1000
	}
	cfg.RescueAfter = cmpOr(cfg.RescueAfter, DefaultRescueAfter)
	if cfg.RescueAfter <= EventJobTimeout {
		return nil, fmt.Errorf("engine: rescue-after must be longer than %s", EventJobTimeout)
	}
	cfg.PollInterval = cmpOr(cfg.PollInterval, 5*time.Second)
	cfg.IdlePoll = cmpOr(cfg.IdlePoll, 5*time.Second)
	if cfg.Workers <= 0 {
		cfg.Workers = 50
	}
	if cfg.EventBatch <= 0 {
		cfg.EventBatch = eventBatch
		if cfg.DB.Backend() == storage.BackendPostgres {
			cfg.EventBatch = 25
		}
	}
	if cfg.ChainRuns <= 0 {
		cfg.ChainRuns = DefaultChainRuns
	}
	if cfg.ChainSteps <= 0 {
		cfg.ChainSteps = DefaultChainSteps
	}
	if cfg.QueueLimit == 0 {
		cfg.QueueLimit = DefaultQueueLimit
	}
	if cfg.EventProcessors <= 0 {
		cfg.EventProcessors = 1
		if cfg.DB.Backend() == storage.BackendPostgres {
			cfg.EventProcessors = 4
		}
	}
	e := &Engine{
		db:  cfg.DB,
		log: cfg.Logger,
		now: cfg.Now,
		services: &action.Services{HTTP: cfg.HTTP, CheckURL: cfg.CheckURL,
			Connectors: &vault{db: cfg.DB, sealer: cfg.Sealer}, Helpdesk: helpdeskView{db: cfg.DB}, MaxMessageBytes: cfg.MaxMessageBytes},
		cfg:       cfg,
		timerWake: make(chan struct{}, 1),
		eventWake: make(chan struct{}, 1),
		queues:    queueLimits{limit: cfg.QueueLimit},
	}
	e.services.AI = newAIProviders(cfg.DB, e.services.Connectors.(*vault), cfg.AI, e.services)
	workers := river.NewWorkers()
	river.AddWorker(workers, &runPathWorker{e: e})
	river.AddWorker(workers, &maintenanceWorker{e: e})
	q, err := queue.New(cfg.DB.Handle(), queue.Config{
		Workers:      workers,
		MaxWorkers:   cfg.Workers,
		RescueAfter:  cfg.RescueAfter,
		JobTimeout:   EventJobTimeout,
		PollInterval: cfg.PollInterval,
		Logger:       cfg.Logger,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(maintenanceEvery), func() (river.JobArgs, *river.InsertOpts) {
				return maintenanceArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}),
		},
	})
	if err != nil {
		return nil, err
	}
	e.queue = q
	cfg.DB.SetEventHook(e.onEvent)
	return e, nil
}

func cmpOr(v, fallback time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return fallback
}

// Start begins working jobs and firing no-reply timers.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.queue.Start(ctx); err != nil {
		return fmt.Errorf("start engine: %w", err)
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stopLoop = cancel
	e.loops.Go(func() { e.timerLoop(loopCtx) })
	for range e.cfg.EventProcessors {
		e.loops.Go(func() { e.eventLoop(loopCtx) })
	}
	e.running.Store(true)
	return nil
}

// Wake makes the idle event processors and the timer scheduler look for
// work now (tests call it after moving the clock).
func (e *Engine) Wake() {
	e.wakeEventProcessors()
	e.wakeTimers()
}

// Running reports whether the engine has started and not stopped.
func (e *Engine) Running() bool { return e.running.Load() }

// Stop stops firing timers, processing events and taking jobs, and waits
// for the batch and the jobs in progress.
func (e *Engine) Stop(ctx context.Context) error {
	e.running.Store(false)
	if e.stopLoop != nil {
		e.stopLoop()
		e.loops.Wait()
	}
	return e.queue.Stop(ctx)
}

// Now is the engine's clock.
func (e *Engine) Now() time.Time { return e.now().UTC() }

// Backlog counts the engine's unfinished work: events to match and paths
// to drive, waiting, running or to be retried.
func (e *Engine) Backlog(ctx context.Context) (int, error) { return Backlog(ctx, e.db) }

// Backlog counts the work waiting in a database, whichever nodes will do
// it: events to process and path jobs not finished.
func Backlog(ctx context.Context, db *storage.DB) (int, error) {
	events, err := db.PendingEvents(ctx)
	if err != nil {
		return 0, err
	}
	jobs, err := db.PendingJobs(ctx, runPathArgs{}.Kind())
	return events + jobs, err
}

// Services are what external actions use: the guarded HTTP client, the URL
// check and the connectors. Connector tests use them too.
func (e *Engine) Services() *action.Services { return e.services }
