package storage_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// queueEvents queues events of tickets, in order: pairs of ticket id and
// event id.
func queueEvents(t *testing.T, db *storage.DB, wsID int64, pairs ...[2]string) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *storage.Tx) error {
		for _, p := range pairs {
			if err := tx.EnqueueEvent(context.Background(), wsID, p[0], p[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// claim claims up to limit events in a transaction of its own, runs then
// on them inside it, and returns their event ids.
func claim(t *testing.T, db *storage.DB, now time.Time, limit int, then func(tx *storage.Tx, claimed []storage.QueuedEvent) error) []string {
	t.Helper()
	var ids []string
	err := db.InTx(context.Background(), func(tx *storage.Tx) error {
		claimed, _, err := tx.ClaimEvents(context.Background(), now, limit, 0)
		if err != nil {
			return err
		}
		for _, q := range claimed {
			ids = append(ids, q.EventID)
		}
		if then != nil {
			return then(tx, claimed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func processed(tx *storage.Tx, claimed []storage.QueuedEvent) error {
	for _, q := range claimed {
		if err := tx.EventProcessed(context.Background(), q.Seq); err != nil {
			return err
		}
	}
	return nil
}

// A ticket's events are claimed one at a time and in order, on both
// databases: the later one waits until the earlier one is processed, and
// while the earlier one waits for a retry, until it is discarded.
func TestClaimEventsKeepsTicketOrder(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db, wsID := storagetest.Open(t, b.URL(t))
			now := time.Now()
			queueEvents(t, db, wsID, [2]string{"tkt_a", "a1"}, [2]string{"tkt_a", "a2"}, [2]string{"tkt_b", "b1"}, [2]string{"tkt_a", "a3"})

			if got := claim(t, db, now, 10, processed); !slices.Equal(got, []string{"a1", "b1"}) {
				t.Fatalf("first claim = %v, want [a1 b1]: one event per ticket, the earliest", got)
			}
			// a2 fails: it is retried in a minute, and a3 waits for it.
			got := claim(t, db, now, 10, func(tx *storage.Tx, claimed []storage.QueuedEvent) error {
				return tx.RetryEvent(context.Background(), claimed[0].Seq, now.Add(time.Minute), errors.New("boom"))
			})
			if !slices.Equal(got, []string{"a2"}) {
				t.Fatalf("second claim = %v, want [a2]", got)
			}
			if got := claim(t, db, now, 10, nil); len(got) != 0 {
				t.Fatalf("claim while a2 waits for its retry = %v, want nothing: a3 must not overtake a2", got)
			}
			// Discarded after its last attempt, a2 no longer holds a3 back.
			claim(t, db, now.Add(2*time.Minute), 10, func(tx *storage.Tx, claimed []storage.QueuedEvent) error {
				return tx.RetryEvent(context.Background(), claimed[0].Seq, time.Time{}, errors.New("boom"))
			})
			if got := claim(t, db, now, 10, processed); !slices.Equal(got, []string{"a3"}) {
				t.Fatalf("claim after a2 was discarded = %v, want [a3]", got)
			}
		})
	}
}

// Two PostgreSQL processors at once: while one holds a ticket's event, the
// other takes other tickets' events, never the ticket's next one (which it
// used to, skipping the locked row).
func TestClaimEventsConcurrentProcessorsKeepTicketOrder(t *testing.T) {
	db, wsID := storagetest.Open(t, storagetest.PostgresURL(t))
	now := time.Now()
	queueEvents(t, db, wsID, [2]string{"tkt_a", "a1"}, [2]string{"tkt_a", "a2"}, [2]string{"tkt_b", "b1"})

	holding := make(chan []string)
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.InTx(context.Background(), func(tx *storage.Tx) error {
			claimed, _, err := tx.ClaimEvents(context.Background(), now, 1, 0)
			if err != nil {
				return err
			}
			var ids []string
			for _, q := range claimed {
				ids = append(ids, q.EventID)
			}
			holding <- ids
			<-release
			return processed(tx, claimed)
		})
	}()
	if got := <-holding; !slices.Equal(got, []string{"a1"}) {
		close(release)
		t.Fatalf("first processor claimed %v, want [a1]", got)
	}
	got := claim(t, db, now, 10, processed)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"b1"}) {
		t.Fatalf("second processor claimed %v while a1 was being processed, want [b1]", got)
	}
	if got := claim(t, db, now, 10, processed); !slices.Equal(got, []string{"a2"}) {
		t.Fatalf("after a1 committed: claimed %v, want [a2]", got)
	}
}
