package storage

import (
	"context"
	"fmt"

	"github.com/deskflow/deskflow/internal/metrics"
	"github.com/deskflow/deskflow/internal/run"
)

// Gauges reads what the metrics show of the database at scrape time, over
// every workspace: counts by kind only.
func (db *DB) Gauges(ctx context.Context) (metrics.Gauges, error) {
	g := metrics.Gauges{JobsByState: map[string]int{}}
	var err error
	if g.EventsQueued, err = db.PendingEvents(ctx); err != nil {
		return g, err
	}
	r := db.b.reader()
	for _, c := range []struct {
		into   *int
		query  string
		status string
	}{
		{&g.TimersArmed, `SELECT COUNT(*) FROM no_reply_timers WHERE status = ?`, TimerPending},
		{&g.ApprovalsPending, `SELECT COUNT(*) FROM approvals WHERE status = ?`, run.ApprovalPending},
	} {
		if err := r.queryRow(ctx, c.query, c.status).Scan(c.into); err != nil {
			return g, fmt.Errorf("read gauges: %w", err)
		}
	}
	type jobs struct {
		state string
		n     int
	}
	byState, err := queryAll(ctx, r, func(row row) (jobs, error) {
		var j jobs
		err := row.Scan(&j.state, &j.n)
		return j, err
	}, `SELECT state, COUNT(*) FROM river_job GROUP BY state`)
	if err != nil {
		return g, fmt.Errorf("read job counts: %w", err)
	}
	for _, j := range byState {
		g.JobsByState[j.state] = j.n
	}
	g.PoolOpen, g.PoolInUse, g.PoolIdle, g.PoolWaits = db.b.poolStats()
	g.Statements, g.RoundTrips = db.b.wireStats()
	return g, nil
}
