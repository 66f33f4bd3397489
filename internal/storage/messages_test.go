package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// A transaction touches a ticket once however many messages it adds (the
// runs of one event add several notes), and forgets that it did when it
// rolls back to a savepoint: the next message then touches it again.
func TestMessagesTouchTheirTicketOncePerTransaction(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, wsID := storagetest.Open(t, b.URL(t))
			now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
			db.SetClock(func() time.Time { return now })
			tk, err := db.CreateTicket(ctx, wsID, storage.NewTicket{Subject: "Hi", Body: "first", ContactEmail: "ann@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			updatedAt := func() time.Time {
				t.Helper()
				got, err := db.GetTicket(ctx, wsID, tk.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got.UpdatedAt
			}
			note := func(tx *storage.Tx, body string) error {
				_, err := tx.AddMessage(ctx, wsID, helpdesk.Message{TicketID: tk.ID, Direction: helpdesk.DirectionNote, Body: body}, helpdesk.Cause{})
				return err
			}

			t1, t2, t3 := now.Add(time.Minute), now.Add(2*time.Minute), now.Add(3*time.Minute)
			err = db.InTx(ctx, func(tx *storage.Tx) error {
				now = t1
				if err := note(tx, "one"); err != nil {
					return err
				}
				now = t2
				return note(tx, "two") // the ticket was touched at t1 already
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := updatedAt(); !got.Equal(t1) {
				t.Errorf("updated_at %v after two notes in one transaction, want the first touch %v", got, t1)
			}

			err = db.InTx(ctx, func(tx *storage.Tx) error {
				if err := tx.Savepoint(ctx, "sp"); err != nil {
					return err
				}
				now = t2
				if err := note(tx, "undone"); err != nil {
					return err
				}
				if err := tx.RollbackTo(ctx, "sp"); err != nil {
					return err
				}
				now = t3
				return note(tx, "three") // the touch was undone: touch again
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := updatedAt(); !got.Equal(t3) {
				t.Errorf("updated_at %v after a rolled-back touch, want %v", got, t3)
			}
			msgs, err := db.ListMessages(ctx, wsID, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			var bodies []string
			for _, m := range msgs {
				bodies = append(bodies, m.Body)
			}
			if want := "[first one two three]"; fmt.Sprint(bodies) != want {
				t.Errorf("messages %v, want %s", bodies, want)
			}

			err = db.InTx(ctx, func(tx *storage.Tx) error {
				_, err := tx.AddMessage(ctx, wsID, helpdesk.Message{TicketID: "no-such-ticket", Direction: helpdesk.DirectionNote, Body: "x"}, helpdesk.Cause{})
				return err
			})
			if !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("message on a missing ticket: %v, want ErrNotFound", err)
			}
		})
	}
}
