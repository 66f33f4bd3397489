package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// timerFixture is a database with tickets to arm timers for.
type timerFixture struct {
	url     string
	db      *storage.DB
	node    *app.App
	ws      int64
	tickets []string
}

func newTimerFixture(b *testing.B, tickets int) *timerFixture {
	b.Helper()
	ctx := context.Background()
	url := storagetest.SQLiteURL(b)
	if os.Getenv("DESKFLOW_BENCH_POSTGRES") != "" {
		url = storagetest.PostgresURL(b)
	}
	db, err := app.OpenDatabase(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ws, err := db.CreateWorkspace(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	f := &timerFixture{url: url, db: db, ws: ws.ID}
	for i := 0; i < tickets; i++ {
		t, err := db.CreateTicket(ctx, ws.ID, storage.NewTicket{Subject: "s", Body: "b", Status: "open", Priority: "medium", ContactEmail: fmt.Sprintf("c%d@example.com", i)})
		if err != nil {
			b.Fatal(err)
		}
		f.tickets = append(f.tickets, t.ID)
	}
	node, err := app.New(app.Config{DB: db})
	if err != nil {
		b.Fatal(err)
	}
	f.node = node
	return f
}

// arm stores count timers, 1,000 per transaction, due at due(i).
func (f *timerFixture) arm(b *testing.B, first, count int, due func(i int) time.Time) {
	b.Helper()
	ctx := context.Background()
	const perTx = 1000
	now := time.Now()
	for start := first; start < first+count; start += perTx {
		batch := make([]storage.Timer, 0, perTx)
		for i := start; i < min(start+perTx, first+count); i++ {
			batch = append(batch, storage.Timer{
				ID: helpdesk.NewID(), WorkspaceID: f.ws, TicketID: f.tickets[i%len(f.tickets)],
				WorkflowID: fmt.Sprintf("wf-%07d", i/len(f.tickets)), MessageID: "m",
				PeriodStartedAt: now, DueAt: new(due(i)),
			})
		}
		if err := f.db.InTx(ctx, func(tx *storage.Tx) error { return tx.ArmTimers(ctx, batch) }); err != nil {
			b.Fatal(err)
		}
	}
}

func dbBytes(b *testing.B, f *timerFixture) int64 {
	if f.db.Backend() != storage.BackendSQLite {
		return 0
	}
	var total int64
	matches, _ := filepath.Glob(strings.TrimPrefix(f.url, "sqlite:") + "*")
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil {
			total += st.Size()
		}
	}
	return total
}

// BenchmarkArmTimers arms b.N timers (1,000 tickets × workflows) and
// reports the cost per armed timer, the database's size and the Go heap.
// Run it with -benchtime=1000000x for the million-timer figure.
func BenchmarkArmTimers(b *testing.B) {
	f := newTimerFixture(b, 1000)
	future := time.Now().Add(24 * time.Hour)
	b.ResetTimer()
	f.arm(b, 0, b.N, func(i int) time.Time { return future.Add(time.Duration(i) * time.Millisecond) })
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	if size := dbBytes(b, f); size > 0 {
		b.ReportMetric(float64(size)/float64(b.N), "db-bytes/timer")
	}
}

// BenchmarkTimerFiringLateness arms a million timers due tomorrow plus
// 10,000 due within the next two seconds, then runs the node's scheduler
// while another goroutine keeps arming timers (load), and reports how late
// the due timers fired (p50, p99, max).
func BenchmarkTimerFiringLateness(b *testing.B) {
	const (
		background = 1_000_000
		due        = 10_000
	)
	f := newTimerFixture(b, 1000)
	future := time.Now().Add(24 * time.Hour)
	f.arm(b, 0, background, func(i int) time.Time { return future.Add(time.Duration(i) * time.Millisecond) })
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		start := time.Now().Add(500 * time.Millisecond)
		f.arm(b, background, due, func(i int) time.Time { return start.Add(time.Duration(i%2000) * time.Millisecond) })
		if err := f.node.Start(ctx); err != nil {
			b.Fatal(err)
		}
		var armed atomic.Int64
		done := make(chan struct{})
		go func() { // load: 100 timers every 10 ms, due far away
			defer close(done)
			next := background + due
			for ctx.Err() == nil {
				f.arm(b, next, 100, func(int) time.Time { return future.Add(48 * time.Hour) })
				next += 100
				armed.Add(100)
				time.Sleep(10 * time.Millisecond)
			}
		}()
		deadline := time.Now().Add(time.Minute)
		for {
			n, err := f.db.CountEvents(ctx, f.ws, helpdesk.EventNoReplyDue)
			if err != nil {
				b.Fatal(err)
			}
			if n >= due*(b.N) || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		_ = f.node.Stop(stopCtx)
		stop()
		late, err := f.db.FiringLateness(context.Background(), start.Add(-time.Second), start.Add(3*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		if len(late) < due {
			b.Fatalf("only %d of %d due timers fired", len(late), due)
		}
		slices.Sort(late)
		b.ReportMetric(float64(late[len(late)/2].Milliseconds()), "p50-late-ms")
		b.ReportMetric(float64(late[len(late)*99/100].Milliseconds()), "p99-late-ms")
		b.ReportMetric(float64(late[len(late)-1].Milliseconds()), "max-late-ms")
		b.ReportMetric(float64(armed.Load()), "armed-during")
	}
}
