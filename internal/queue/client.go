package queue

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// Config configures the queue.
type Config struct {
	Workers      *river.Workers
	PeriodicJobs []*river.PeriodicJob
	// MaxWorkers is how many jobs this node works at once.
	MaxWorkers int
	// RescueAfter is how long a job may run before the queue assumes its
	// node died and runs it again elsewhere. It must exceed the longest job.
	RescueAfter time.Duration
	// JobTimeout bounds jobs whose worker sets no timeout of its own.
	JobTimeout time.Duration
	// PollInterval is how often idle nodes look for new jobs where the
	// database cannot notify them (SQLite); Nudge makes them look at once.
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Queue enqueues and works jobs on either database.
type Queue struct {
	insertTx func(ctx context.Context, tx any, args river.JobArgs, opts *river.InsertOpts) error
	insert   func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
	start    func(ctx context.Context) error
	stop     func(ctx context.Context) error
	// nudges asks the nudger (SQLite only) to make the queue look for
	// jobs; nil where the database notifies the queue itself.
	nudges      chan struct{}
	done        chan struct{}
	insertNudge func(ctx context.Context) error
	stopNudger  context.CancelFunc
	log         *slog.Logger
}

// New builds a queue on the store's writer handle: *sql.DB (SQLite) or
// *pgxpool.Pool (PostgreSQL).
func New(handle any, cfg Config) (*Queue, error) {
	rc := &river.Config{
		Workers:              cfg.Workers,
		PeriodicJobs:         cfg.PeriodicJobs,
		RescueStuckJobsAfter: cfg.RescueAfter,
		JobTimeout:           cfg.JobTimeout,
		Logger:               routine(cfg.Logger),
		MaxAttempts:          jobAttempts,
		RetryPolicy:          cappedRetry{},
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(cfg.MaxWorkers, 1)}},
	}
	switch h := handle.(type) {
	case *sql.DB:
		rc.PollOnly = true
		rc.FetchCooldown = 5 * time.Millisecond
		rc.FetchPollInterval = max(cfg.PollInterval, rc.FetchCooldown)
		river.AddWorker(cfg.Workers, &nudgeWorker{})
		client, err := river.NewClient[*sql.Tx](withoutListener{riversqlite.New(h)}, rc)
		if err != nil {
			return nil, fmt.Errorf("queue on sqlite: %w", err)
		}
		q := wrap[*sql.Tx](client)
		q.nudges = make(chan struct{}, 1)
		q.insertNudge = func(ctx context.Context) error {
			_, err := client.Insert(ctx, nudgeArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByState: nudgeStates}})
			return err
		}
		q.log = cfg.Logger
		if q.log == nil {
			q.log = slog.Default()
		}
		return q, nil
	case *pgxpool.Pool:
		client, err := river.NewClient(riverpgxv5.New(h), rc)
		if err != nil {
			return nil, fmt.Errorf("queue on postgres: %w", err)
		}
		return wrap[pgx.Tx](client), nil
	default:
		return nil, fmt.Errorf("queue: unsupported database handle %T", handle)
	}
}

func wrap[TTx any](c *river.Client[TTx]) *Queue {
	return &Queue{
		insertTx: func(ctx context.Context, tx any, args river.JobArgs, opts *river.InsertOpts) error {
			t, ok := tx.(TTx)
			if !ok {
				return fmt.Errorf("enqueue %s: transaction of type %T", args.Kind(), tx)
			}
			_, err := c.InsertTx(ctx, t, args, opts)
			return err
		},
		insert: func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
			_, err := c.Insert(ctx, args, opts)
			return err
		},
		start: c.Start,
		stop:  c.Stop,
	}
}

// InsertTx enqueues a job inside a store transaction (its Driver()), so the
// job exists exactly when the change that caused it commits.
func (q *Queue) InsertTx(ctx context.Context, driverTx any, args river.JobArgs, opts *river.InsertOpts) error {
	if err := q.insertTx(ctx, driverTx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Insert enqueues a job on its own.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if err := q.insert(ctx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Start begins working jobs.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.start(ctx); err != nil {
		return err
	}
	if q.nudges != nil {
		nudgeCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		q.stopNudger, q.done = cancel, make(chan struct{})
		go q.nudger(nudgeCtx, q.log)
	}
	return nil
}

// Stop stops fetching jobs and waits for running ones to finish.
func (q *Queue) Stop(ctx context.Context) error {
	if q.stopNudger != nil {
		q.stopNudger()
		<-q.done
		q.stopNudger = nil
	}
	return q.stop(ctx)
}

// Nudge makes the queue look for jobs now rather than at its next poll:
// call it once a transaction that enqueued jobs has committed. River learns
// of jobs inserted in a transaction through PostgreSQL's notifications; on
// SQLite it fetches at once only after an insert outside a transaction, so
// the nudger makes one: a unique no-op job, coalesced.
func (q *Queue) Nudge() {
	if q.nudges == nil {
		return
	}
	select {
	case q.nudges <- struct{}{}:
	default:
	}
}

func (q *Queue) nudger(ctx context.Context, log *slog.Logger) {
	defer close(q.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.nudges:
			if err := q.insertNudge(ctx); err != nil && ctx.Err() == nil {
				log.Warn("nudge the job queue", "err", err)
			}
		}
	}
}

// withoutListener is riversqlite's driver saying it has no listener: River
// then wakes its producer itself after an insert made outside a
// transaction (the nudge), where it would otherwise rely on riversqlite's
// listener, which polls a table every 50 ms.
type withoutListener struct{ *riversqlite.Driver }

func (withoutListener) SupportsListener() bool { return false }

// nudgeArgs is the job whose insertion makes River fetch; it does nothing.
type nudgeArgs struct{}

func (nudgeArgs) Kind() string { return "nudge" }

type nudgeWorker struct {
	river.WorkerDefaults[nudgeArgs]
}

func (*nudgeWorker) Work(context.Context, *river.Job[nudgeArgs]) error { return nil }

// nudgeStates are the states in which a nudge job makes another one
// unnecessary.
var nudgeStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled}
