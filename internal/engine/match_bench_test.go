package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/workflow"
)

// BenchmarkMatchEvent evaluates one inbound-message event against n enabled
// workflows (each with a body_contains condition on its own keyword, so a
// few match) — the in-memory part of processEvent.
func BenchmarkMatchEvent(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			wfs := make([]*workflow.Workflow, n)
			for i := range wfs {
				wfs[i] = &workflow.Workflow{
					ID: helpdesk.NewID(), Name: fmt.Sprint("w", i), TriggerType: workflow.TriggerInboundMessage,
					ConditionMatchType: workflow.MatchAll, IsEnabled: true,
					Conditions: []workflow.Condition{{Type: "body_contains", Parameters: map[string]any{"value": fmt.Sprintf("kw%d ", i)}}},
					Actions:    []workflow.Action{{Type: "set_priority", Parameters: map[string]any{"priority": "high"}}},
				}
			}
			ticket := &helpdesk.Ticket{ID: helpdesk.NewID(), Subject: "Where is my order?", TagIDs: []string{}}
			msg := &helpdesk.Message{ID: helpdesk.NewID(), Body: "Hello, order kw3 and kw7 did not arrive, please check", SenderEmail: "a@example.com"}
			facts := &condition.Facts{Ticket: ticket, Message: msg}
			ev := helpdesk.Event{ID: helpdesk.NewID(), Type: helpdesk.EventInboundMessage, TicketID: ticket.ID, MessageID: &msg.ID}
			e := &Engine{now: time.Now}
			b.ReportAllocs()
			b.ResetTimer()
			matched := 0
			for b.Loop() {
				matched = 0
				for _, wf := range wfs {
					if _, r := e.evaluate(wf, ev, facts); r != nil {
						matched++
					}
				}
			}
			if matched != 2 {
				b.Fatalf("%d workflows matched, want 2", matched)
			}
		})
	}
}
