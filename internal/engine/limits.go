package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
)

// One workspace must not be able to stall the others. The loop rules (a
// workflow once per chain, depth 10) do not bound how many runs a chain
// fans out to, so each chain of runs also has a budget, and the events
// that workflows cause stop being queued while a workspace's queue is full.
// Events are claimed fairly between workspaces (storage.ClaimEvents).

// Defaults of the limits.
const (
	// DefaultChainRuns and DefaultChainSteps bound what one originating
	// event may start, its own runs and those of every event they cause.
	DefaultChainRuns  = 100
	DefaultChainSteps = 1000
	// DefaultQueueLimit is how many events a workspace may have waiting
	// before the events its workflows cause are no longer queued.
	DefaultQueueLimit = 10000
)

// chainOrigin is the event that began ev's chain of runs: ev itself when a
// person or the API caused it.
func chainOrigin(ev helpdesk.Event) string {
	if ev.Cause.Origin != "" {
		return ev.Cause.Origin
	}
	return ev.ID
}

func usageOf(r *run.Run) storage.ChainUsage {
	return storage.ChainUsage{Runs: 1, Steps: len(r.Steps)}
}

// withinBudget charges runs to the budget of ev's chain and returns those
// that fit, in order; once one does not fit, neither do the runs after it,
// and each is recorded in eval as budget_exhausted.
func (e *Engine) withinBudget(ctx context.Context, tx *storage.Tx, ws int64, ev helpdesk.Event, runs []*run.Run, eval *run.Evaluation) ([]*run.Run, error) {
	if len(runs) == 0 {
		return runs, nil
	}
	var want storage.ChainUsage
	for _, r := range runs {
		u := usageOf(r)
		want.Runs, want.Steps = want.Runs+u.Runs, want.Steps+u.Steps
	}
	origin := chainOrigin(ev)
	used, after, err := tx.ChargeChain(ctx, ws, origin, want, e.Now())
	if err != nil {
		return nil, err
	}
	limit := storage.ChainUsage{Runs: e.cfg.ChainRuns, Steps: e.cfg.ChainSteps}
	if after.Runs <= limit.Runs && after.Steps <= limit.Steps {
		return runs, nil
	}
	kept := 0
	for _, r := range runs {
		u := usageOf(r)
		if used.Runs+u.Runs > limit.Runs || used.Steps+u.Steps > limit.Steps {
			break
		}
		used.Runs, used.Steps = used.Runs+u.Runs, used.Steps+u.Steps
		kept++
	}
	detail := fmt.Sprintf("the chain of runs begun by event %s has started %d runs and %d steps; a chain may start at most %d runs and %d steps",
		origin, used.Runs, used.Steps, limit.Runs, limit.Steps)
	for _, r := range runs[kept:] {
		for i := range eval.Results {
			if eval.Results[i].RunID == r.ID {
				eval.Results[i].Outcome, eval.Results[i].Detail, eval.Results[i].RunID = run.OutcomeBudgetExhausted, detail, ""
			}
		}
	}
	e.log.Warn("chain budget exhausted", "workspace", ws, "event", ev.ID, "origin", origin, "runs_not_started", len(runs)-kept)
	refund := storage.ChainUsage{Runs: after.Runs - used.Runs, Steps: after.Steps - used.Steps}
	if err := tx.RefundChain(ctx, ws, origin, refund); err != nil {
		return nil, err
	}
	return runs[:kept], nil
}

// busyFrom is how many events a workspace must have waiting behind a batch
// to count as busy: its path jobs then wait behind the others'.
const busyFrom = eventBatch

// queueLimits remembers how many events each workspace had waiting when a
// batch last claimed its events.
type queueLimits struct {
	mu      sync.Mutex
	limit   int
	waiting map[int64]int
}

// update counts, once per batch, the events waiting behind the batch of
// each workspace the batch claimed events of (counting no further than
// needed to tell busy and full workspaces). A batch that claimed nothing
// found no workspace with events due: none waits.
func (q *queueLimits) update(ctx context.Context, tx *storage.Tx, claimed []storage.QueuedEvent) error {
	inBatch := make(map[int64]int)
	for _, c := range claimed {
		inBatch[c.WorkspaceID]++
	}
	counted := make(map[int64]int, len(inBatch))
	for ws, n := range inBatch {
		queued, err := tx.QueuedEvents(ctx, ws, max(q.limit, busyFrom)+n)
		if err != nil {
			return err
		}
		counted[ws] = queued - n
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(claimed) == 0 {
		clear(q.waiting)
		return nil
	}
	if q.waiting == nil {
		q.waiting = make(map[int64]int)
	}
	for ws, n := range counted {
		if n > 0 {
			q.waiting[ws] = n
		} else {
			delete(q.waiting, ws)
		}
	}
	return nil
}

// isFull reports whether the workspace had its limit of events waiting
// when last counted (a limit ≤ 0: no limit).
func (q *queueLimits) isFull(ws int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.limit > 0 && q.waiting[ws] >= q.limit
}

// isBusy reports whether the workspace had a backlog of events when last
// counted.
func (q *queueLimits) isBusy(ws int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting[ws] >= busyFrom
}

// queueFull records that ev, caused by a workflow's run, is not queued
// because the workspace's queue is full: the change it reports is kept,
// only the workflows it would fire do not run, and the evaluation says why.
func (e *Engine) queueFull(ctx context.Context, tx *storage.Tx, ws int64, ev helpdesk.Event) error {
	e.log.Warn("event queue full: event caused by a workflow not processed", "workspace", ws, "event", ev.ID, "limit", e.cfg.QueueLimit)
	return tx.SaveEvaluation(ctx, ws, run.Evaluation{
		EventID: ev.ID, TicketID: ev.TicketID, EventType: ev.Type, CreatedAt: e.Now(),
		Results: []run.WorkflowResult{}, RuledOut: []string{},
		Stop: &run.Stop{Reason: run.StopQueueFull, Detail: fmt.Sprintf(
			"the workspace had %d events waiting to be processed, its limit; events caused by workflows are not processed until fewer wait (changes by people and the API always are)", e.cfg.QueueLimit)},
	})
}
