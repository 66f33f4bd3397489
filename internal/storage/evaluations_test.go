package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// The workflows the matching index ruled out are stored with the
// evaluation and listed as a JSON array, empty rather than null when there
// are none.
func TestEvaluationRuledOut(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, wsID := storagetest.Open(t, b.URL(t))
			at := time.Now().Truncate(time.Millisecond)
			results := []run.WorkflowResult{{WorkflowID: "wf_2", Name: "two", Outcome: run.OutcomeNotMatched, Conditions: []condition.Result{{Type: "is_first_message"}}}}
			saved := []run.Evaluation{
				{EventID: "evt_1", TicketID: "tkt_1", EventType: "message.inbound", Results: results, RuledOut: []string{"wf_1", "wf_3"}, CreatedAt: at},
				{EventID: "evt_2", TicketID: "tkt_1", EventType: "message.inbound", Results: results, RuledOut: []string{}, CreatedAt: at},
				{EventID: "evt_3", TicketID: "tkt_1", EventType: "ticket.created", Results: []run.WorkflowResult{}, CreatedAt: at}, // nil RuledOut
			}
			err := db.InTx(ctx, func(tx *storage.Tx) error {
				for _, ev := range saved {
					if err := tx.SaveEvaluation(ctx, wsID, ev); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			got, total, err := db.ListEvaluations(ctx, wsID, "tkt_1", storage.Page{Number: 1, Size: 10})
			if err != nil {
				t.Fatal(err)
			}
			if total != 3 || len(got) != 3 {
				t.Fatalf("listed %d of %d evaluations, want 3", len(got), total)
			}
			want := map[string][]string{"evt_1": {"wf_1", "wf_3"}, "evt_2": {}, "evt_3": {}}
			for _, ev := range got {
				if ev.RuledOut == nil || !slices.Equal(ev.RuledOut, want[ev.EventID]) {
					t.Errorf("%s: ruled out %#v, want %#v", ev.EventID, ev.RuledOut, want[ev.EventID])
				}
				if len(ev.Results) != len(saved[0].Results) && ev.EventID != "evt_3" {
					t.Errorf("%s: results %v", ev.EventID, ev.Results)
				}
			}
		})
	}
}
