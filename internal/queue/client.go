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
	// database cannot notify them (SQLite).
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Queue enqueues and works jobs on either database.
type Queue struct {
	insertTx func(ctx context.Context, tx any, args river.JobArgs, opts *river.InsertOpts) error
	insert   func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
	start    func(ctx context.Context) error
	stop     func(ctx context.Context) error
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
		MaxAttempts:          10,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(cfg.MaxWorkers, 1)}},
	}
	switch h := handle.(type) {
	case *sql.DB:
		rc.PollOnly = true
		rc.FetchCooldown = 5 * time.Millisecond
		rc.FetchPollInterval = max(cfg.PollInterval, rc.FetchCooldown)
		client, err := river.NewClient(riversqlite.New(h), rc)
		if err != nil {
			return nil, fmt.Errorf("queue on sqlite: %w", err)
		}
		return wrap[*sql.Tx](client), nil
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
func (q *Queue) Start(ctx context.Context) error { return q.start(ctx) }

// Stop stops fetching jobs and waits for running ones to finish.
func (q *Queue) Stop(ctx context.Context) error { return q.stop(ctx) }
