package engine

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// runPathArgs asks to drive one path of a run as far as it can go.
type runPathArgs struct {
	WorkspaceID int64  `json:"workspace_id"`
	RunID       string `json:"run_id"`
	Path        int    `json:"path"`
	// Reason tells why the path is driven (start, approval), for logs.
	Reason string `json:"reason,omitempty"`
	// TimeoutMS bounds the job: the sum of its steps' timeouts plus a
	// margin. The queue cancels a job that runs longer and, after a crash,
	// rescues a job only once it is older than this.
	TimeoutMS int64 `json:"timeout_ms"`
}

func (runPathArgs) Kind() string { return "run_path" }

type runPathWorker struct {
	river.WorkerDefaults[runPathArgs]
	e *Engine
}

func (w *runPathWorker) Work(ctx context.Context, job *river.Job[runPathArgs]) error {
	return w.e.drivePath(ctx, job.Args.WorkspaceID, job.Args.RunID, job.Args.Path, job.ID)
}

// Timeout lets a path job run all its steps; each step also bounds itself.
func (w *runPathWorker) Timeout(job *river.Job[runPathArgs]) time.Duration {
	if job.Args.TimeoutMS <= 0 {
		return jobMargin
	}
	return time.Duration(job.Args.TimeoutMS) * time.Millisecond
}

// jobMargin is added to a path's step timeouts for its database work.
const jobMargin = 10 * time.Second

// maintenanceEvery is how often approvals are expired and old records
// pruned: an approval expires at most this late after its 7 days.
const maintenanceEvery = 5 * time.Minute

// maintenanceArgs asks to expire approvals and prune old evaluations and
// chain budgets.
type maintenanceArgs struct{}

func (maintenanceArgs) Kind() string { return "maintenance" }

type maintenanceWorker struct {
	river.WorkerDefaults[maintenanceArgs]
	e *Engine
}

func (w *maintenanceWorker) Timeout(*river.Job[maintenanceArgs]) time.Duration { return time.Minute }

func (w *maintenanceWorker) Work(ctx context.Context, _ *river.Job[maintenanceArgs]) error {
	if _, err := w.e.ExpireApprovals(ctx); err != nil {
		return err
	}
	return w.e.Prune(ctx)
}

// pruneBudget bounds one maintenance run's pruning; what is left waits for
// the next run.
const pruneBudget = 30 * time.Second

// Prune deletes what is past its retention, in batches, oldest first:
// finished runs with their steps and approvals, evaluations and chain
// budgets, and events no longer queued nor the cause of a kept run.
func (e *Engine) Prune(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pruneBudget)
	defer cancel()
	r, now := e.cfg.Retention, e.Now()
	type pruner struct {
		keep  time.Duration
		prune func(context.Context, time.Time, int) (int64, error)
	}
	for _, p := range []pruner{
		{r.Runs, e.db.PruneRuns},
		{r.Evaluations, e.db.PruneEvaluations},
		{r.Evaluations, e.db.PruneChains},
		{r.Events, e.db.PruneEvents},
	} {
		if p.keep < 0 {
			continue
		}
		for {
			n, err := p.prune(ctx, now.Add(-p.keep), r.Batch)
			if err != nil {
				if ctx.Err() != nil {
					return nil // the budget is spent: the next run goes on
				}
				return err
			}
			if n < int64(r.Batch) {
				break
			}
		}
	}
	return nil
}
