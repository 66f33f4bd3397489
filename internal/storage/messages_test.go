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

// withTicket runs fn on each back end with a fresh database whose clock
// reads *now (from 2026-11-22 09:00 UTC) and a ticket whose first message
// is first.
func withTicket(t *testing.T, first string, fn func(t *testing.T, db *storage.DB, wsID int64, tk helpdesk.Ticket, now *time.Time)) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db, wsID := storagetest.Open(t, b.URL(t))
			now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
			db.SetClock(func() time.Time { return now })
			tk, err := db.CreateTicket(context.Background(), wsID, storage.NewTicket{Subject: "Hi", Body: first, ContactEmail: "ann@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			fn(t, db, wsID, tk, &now)
		})
	}
}

// A transaction touches a ticket once however many messages it adds (the
// runs of one event add several notes), and forgets that it did when it
// rolls back to a savepoint: the next message then touches it again.
func TestMessagesTouchTheirTicketOncePerTransaction(t *testing.T) {
	withTicket(t, "first", func(t *testing.T, db *storage.DB, wsID int64, tk helpdesk.Ticket, now *time.Time) {
		ctx := context.Background()
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
		err := db.InTx(ctx, func(tx *storage.Tx) error {
			*now = t1
			if err := note(tx, "one"); err != nil {
				return err
			}
			*now = t2
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
			*now = t2
			if err := note(tx, "undone"); err != nil {
				return err
			}
			if err := tx.RollbackTo(ctx, "sp"); err != nil {
				return err
			}
			*now = t3
			return note(tx, "three") // the touch was undone: touch again
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := updatedAt(); !got.Equal(t3) {
			t.Errorf("updated_at %v after a rolled-back touch, want %v", got, t3)
		}
		msgs, _, err := db.ListMessages(ctx, wsID, tk.ID, storage.Page{Number: 1, Size: 10})
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

// A conversation reads oldest first, by creation time and then by id: a
// page and the latest messages keep that order, the same on both back ends.
func TestConversationOrderAndBounds(t *testing.T) {
	withTicket(t, "m0", func(t *testing.T, db *storage.DB, wsID int64, tk helpdesk.Ticket, now *time.Time) {
		ctx := context.Background()
		start := *now
		add := func(direction, body string) {
			t.Helper()
			if _, err := db.AddMessage(ctx, wsID, helpdesk.Message{TicketID: tk.ID, Direction: direction, Body: body}); err != nil {
				t.Fatal(err)
			}
		}
		bodies := func(msgs []helpdesk.Message) string {
			var out []string
			for _, m := range msgs {
				out = append(out, m.Body)
			}
			return fmt.Sprint(out)
		}
		// m1…m3 share m0's time: the id decides. m4 is stamped an hour
		// later, m5 (a clock set back) an hour earlier than all.
		add(helpdesk.DirectionInbound, "m1")
		add(helpdesk.DirectionNote, "m2")
		add(helpdesk.DirectionOutbound, "m3")
		*now = start.Add(time.Hour)
		add(helpdesk.DirectionInbound, "m4")
		*now = start.Add(-time.Hour)
		add(helpdesk.DirectionNote, "m5")

		for _, c := range []struct {
			page storage.Page
			want string
		}{
			{storage.Page{Number: 1, Size: 4}, "[m5 m0 m1 m2]"},
			{storage.Page{Number: 2, Size: 4}, "[m3 m4]"},
			{storage.Page{Number: 3, Size: 4}, "[]"},
			{storage.Page{Number: 1, Size: 50}, "[m5 m0 m1 m2 m3 m4]"},
		} {
			msgs, total, err := db.ListMessages(ctx, wsID, tk.ID, c.page)
			if err != nil {
				t.Fatal(err)
			}
			if got := bodies(msgs); got != c.want || total != 6 {
				t.Errorf("page %v: %s of %d, want %s of 6", c.page, got, total, c.want)
			}
		}
		latest, total, err := db.LatestMessages(ctx, wsID, tk.ID, 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := bodies(latest); got != "[m2 m3 m4]" || total != 6 {
			t.Errorf("latest 3: %s of %d, want [m2 m3 m4] of 6", got, total)
		}
	})
}

// The email thread of a reply is bounded however long the conversation:
// the first message with a Message-ID, the latest inbound one and the
// latest n, notes excepted and bodies left out.
func TestEmailThread(t *testing.T) {
	withTicket(t, "chat first", func(t *testing.T, db *storage.DB, wsID int64, tk helpdesk.Ticket, now *time.Time) {
		ctx := context.Background()
		add := func(direction, emailID string) string {
			t.Helper()
			*now = now.Add(time.Second)
			m, err := db.AddMessage(ctx, wsID, helpdesk.Message{TicketID: tk.ID, Direction: direction, Body: "text of " + emailID, EmailMessageID: emailID})
			if err != nil {
				t.Fatal(err)
			}
			return m.ID
		}
		add(helpdesk.DirectionInbound, "<a@x>")
		add(helpdesk.DirectionNote, "<note@x>")
		add(helpdesk.DirectionInbound, "")
		add(helpdesk.DirectionInbound, "<b@x>")
		sent := map[string]string{}
		for _, id := range []string{"<o1@x>", "<o2@x>", "<o3@x>", "<o4@x>", "plain@x"} {
			sent[id] = add(helpdesk.DirectionOutbound, id)
		}
		thread := func(n int) string {
			t.Helper()
			msgs, err := db.EmailThread(ctx, wsID, tk.ID, n)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range msgs {
				if m.Body != "" || m.TicketID != tk.ID {
					t.Errorf("thread message %+v: want its ticket and no body", m)
				}
				out = append(out, m.Direction[:1]+":"+m.EmailMessageID)
			}
			return fmt.Sprint(out)
		}
		if got, want := thread(2), "[i:<a@x> i:<b@x> o:<o4@x> o:plain@x]"; got != want {
			t.Errorf("thread of the latest 2: %s, want %s", got, want)
		}
		if got, want := thread(100), "[i:<a@x> i:<b@x> o:<o1@x> o:<o2@x> o:<o3@x> o:<o4@x> o:plain@x]"; got != want {
			t.Errorf("whole thread: %s, want %s", got, want)
		}

		for id, stored := range map[string]string{"o2@x": "<o2@x>", "plain@x": "plain@x"} {
			m, err := db.SentEmail(ctx, wsID, tk.ID, id)
			if err != nil || m.ID != sent[stored] || m.Body != "" {
				t.Errorf("sent email %s: %+v, %v; want message %s without body", id, m, err, sent[stored])
			}
		}
		for _, id := range []string{"a@x", "nowhere@x"} { // inbound, unknown
			if m, err := db.SentEmail(ctx, wsID, tk.ID, id); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("sent email %s: %+v, %v; want ErrNotFound", id, m, err)
			}
		}
	})
}
