package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/integration/retry"
	"github.com/deskflow/deskflow/internal/metrics"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/workflow"
)

// Events are processed in batches: a processor claims the events waiting in
// the queue (up to eventBatch), matches each against the workflows, runs the
// inline paths, stores runs and evaluations, and takes the events off the
// queue, all in one transaction. On SQLite, whose single writer is the
// bound, this turns several transactions per event into a fraction of one.
// Each event has a savepoint: one that fails is rolled back alone, counted
// as an attempt and retried later with backoff, and the rest of the batch
// commits.

const (
	// eventBatch bounds the events of one transaction, which bounds how
	// long the writer is held (and so the API's latency under load).
	eventBatch = 100
	// eventAttempts is how often an event is tried before it is discarded
	// (kept in the queue with its last error, logged).
	eventAttempts = 10
	// maxEventBackoff caps the wait between attempts of one event.
	maxEventBackoff = 10 * time.Minute
	// maxLoopBackoff caps the pause after batches that failed as a whole
	// (the database unreachable, say): processing resumes soon after it is
	// back.
	maxLoopBackoff = 30 * time.Second
)

// onEvent queues the processing of an event that can fire workflows,
// inside the transaction that stored it, and wakes the processors once the
// transaction has committed.
func (e *Engine) onEvent(ctx context.Context, tx *storage.Tx, workspaceID int64, ev helpdesk.Event) error {
	if err := e.trackWaiting(ctx, tx, workspaceID, ev); err != nil {
		return err
	}
	if workflow.TriggerOf(ev.Type) == "" {
		return nil
	}
	if ev.Cause.Chained() && e.queues.isFull(workspaceID) {
		return e.queueFull(ctx, tx, workspaceID, ev)
	}
	if err := tx.EnqueueEvent(ctx, workspaceID, ev.TicketID, ev.ID); err != nil {
		return err
	}
	tx.AfterCommit(e.wakeEventProcessors)
	return nil
}

func (e *Engine) wakeEventProcessors() {
	select {
	case e.eventWake <- struct{}{}:
	default:
	}
}

// eventLoop processes queued events until ctx ends: at once while events
// wait, else when woken by a new event of this node (or Wake), or after
// IdlePoll (events queued by other nodes, retries that became due).
func (e *Engine) eventLoop(ctx context.Context) {
	failures := 0
	for {
		n, err := e.processEventBatch(ctx, e.cfg.EventBatch)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			e.log.Error("process events", "err", err, "failures", failures)
			// A batch that cannot commit is retried one event at a time,
			// so that a poisonous event is isolated and counted.
			if _, err := e.processEventBatch(ctx, 1); err != nil {
				e.log.Error("process event", "err", err)
			}
			if retry.Sleep(ctx, backoff(failures, maxLoopBackoff)) != nil {
				return
			}
			continue
		}
		failures = 0
		// After a batch, look again at once: more may wait, among them a
		// ticket's next event, held back while its earlier one was in
		// the batch (storage.ClaimEvents).
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-e.eventWake:
		case <-time.After(e.cfg.IdlePoll):
		}
	}
}

// processEventBatch processes up to limit due events in one transaction
// and reports how many it claimed.
func (e *Engine) processEventBatch(ctx context.Context, limit int) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, EventJobTimeout)
	defer cancel()
	var (
		claimed []storage.QueuedEvent
		failed  []failedEvent
	)
	err := e.db.InTx(ctx, func(tx *storage.Tx) error {
		var (
			err  error
			next int64
		)
		claimed, next, err = tx.ClaimEvents(ctx, e.Now(), limit, e.claimTurn.Load())
		if err != nil {
			return err
		}
		e.claimTurn.Store(next)
		if err := e.queues.update(ctx, tx, claimed); err != nil {
			return err
		}
		for _, q := range claimed {
			const sp = "deskflow_event"
			if err := tx.Savepoint(ctx, sp); err != nil {
				return err
			}
			if err := e.processQueuedEvent(ctx, tx, q); err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("event %s: %w", q.EventID, err)
				}
				if err := tx.RollbackTo(ctx, sp); err != nil {
					return err
				}
				if err := e.retryEvent(ctx, tx, q, err); err != nil {
					return err
				}
				failed = append(failed, failedEvent{q, err})
				continue
			}
			if err := tx.Release(ctx, sp); err != nil {
				return err
			}
			if err := tx.EventProcessed(ctx, q.Seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// A database that failed under the batch (connection lost, server
		// restarting) charges no event: the batch is simply tried again.
		if limit == 1 && len(claimed) == 1 && ctx.Err() == nil && !storage.Unavailable(err) {
			// Even alone the event cannot commit: count the attempt in a
			// transaction of its own.
			q := claimed[0]
			return 1, errors.Join(err, e.db.InTx(context.WithoutCancel(ctx), func(tx *storage.Tx) error {
				return e.retryEvent(ctx, tx, q, err)
			}))
		}
		return 0, err
	}
	metrics.EventsProcessed.WithLabelValues("processed").Add(float64(len(claimed) - len(failed)))
	metrics.EventsProcessed.WithLabelValues("failed").Add(float64(len(failed)))
	for _, f := range failed {
		e.log.Error("process event", "event", f.q.EventID, "workspace", f.q.WorkspaceID, "attempt", f.q.Attempts+1, "err", f.err)
	}
	return len(claimed), nil
}

type failedEvent struct {
	q   storage.QueuedEvent
	err error
}

// processQueuedEvent processes one event, turning a panic into an error so
// that one bad event cannot take the node down.
func (e *Engine) processQueuedEvent(ctx context.Context, tx *storage.Tx, q storage.QueuedEvent) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic processing event %s: %v\n%s", q.EventID, p, debug.Stack())
		}
	}()
	return e.processEvent(ctx, tx, q.WorkspaceID, q.EventID)
}

// retryEvent schedules the next attempt of a failed event, or discards it
// after eventAttempts.
func (e *Engine) retryEvent(ctx context.Context, tx *storage.Tx, q storage.QueuedEvent, cause error) error {
	attempt := q.Attempts + 1
	if attempt >= eventAttempts {
		e.log.Error("event discarded after failed attempts", "event", q.EventID, "workspace", q.WorkspaceID, "attempts", attempt, "err", cause)
		return tx.RetryEvent(ctx, q.Seq, time.Time{}, cause)
	}
	return tx.RetryEvent(ctx, q.Seq, e.Now().Add(backoff(attempt, maxEventBackoff)), cause)
}

// backoff is the wait after the attempt-th failure: a second, doubled
// each time, at most ceiling.
func backoff(attempt int, ceiling time.Duration) time.Duration {
	// Past 20 doublings every ceiling in use is reached; stopping there
	// keeps the shift from overflowing however long failures last.
	return min(retry.Backoff(time.Second, min(attempt, 20)), ceiling)
}
