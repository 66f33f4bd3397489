package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// A never-due timer (no due time) is listed with its reason, never fires,
// does not count as the next due time, and goes like a pending one when its
// workflow's timers are replaced or the waiting period ends.
func TestNeverDueTimers(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, ws := storagetest.Open(t, b.URL(t))
			now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
			db.SetClock(func() time.Time { return now })
			tk, err := db.CreateTicket(ctx, ws, storage.NewTicket{Subject: "Hi", Body: "first", ContactEmail: "ann@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			inTx := func(fn func(tx *storage.Tx) error) {
				t.Helper()
				if err := db.InTx(ctx, fn); err != nil {
					t.Fatal(err)
				}
			}
			timer := func(workflow string, due *time.Time) storage.Timer {
				return storage.Timer{ID: helpdesk.NewID(), WorkspaceID: ws, TicketID: tk.ID, WorkflowID: workflow, MessageID: "m", PeriodStartedAt: now, DueAt: due}
			}
			due := now.Add(time.Hour)
			inTx(func(tx *storage.Tx) error {
				return tx.ArmTimers(ctx, []storage.Timer{timer("never", nil), timer("soon", &due)})
			})
			listed, err := db.TicketTimers(ctx, ws, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(listed) != 2 || listed[0].WorkflowID != "soon" || listed[0].Status != storage.TimerPending || listed[0].DueAt == nil || !listed[0].DueAt.Equal(due) ||
				listed[1].WorkflowID != "never" || listed[1].Status != storage.TimerNeverDue || listed[1].DueAt != nil || listed[1].Reason == "" {
				t.Fatalf("listed %+v", listed)
			}
			if next, ok, err := db.NextTimer(ctx); err != nil || !ok || !next.Equal(due) {
				t.Errorf("next timer %v %v %v, want %v", next, ok, err, due)
			}
			fired, err := db.DueTimers(ctx, now.AddDate(10, 0, 0), 10)
			if err != nil || len(fired) != 1 || fired[0].WorkflowID != "soon" {
				t.Errorf("due timers in ten years: %+v %v", fired, err)
			}
			// Re-arming a workflow replaces its never-due timer.
			inTx(func(tx *storage.Tx) error {
				if err := tx.DeleteWorkflowTimers(ctx, ws, "never"); err != nil {
					return err
				}
				return tx.ArmTimers(ctx, []storage.Timer{timer("never", &due)})
			})
			if listed, err := db.TicketTimers(ctx, ws, tk.ID); err != nil || len(listed) != 2 || listed[1].Status != storage.TimerPending {
				t.Fatalf("after re-arming: %+v %v", listed, err)
			}
			inTx(func(tx *storage.Tx) error { return tx.ArmTimers(ctx, []storage.Timer{timer("other", nil)}) })
			inTx(func(tx *storage.Tx) error { return tx.EndWaiting(ctx, ws, tk.ID) })
			if listed, err := db.TicketTimers(ctx, ws, tk.ID); err != nil || len(listed) != 0 {
				t.Errorf("after the period ended: %+v %v", listed, err)
			}
		})
	}
}
