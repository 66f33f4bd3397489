package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/workflow"
)

// matchFixture is one inbound-message event and n enabled workflows, each
// with a body_contains condition on its own keyword, so that two match.
type matchFixture struct {
	wfs   []*workflow.Workflow
	ev    helpdesk.Event
	facts *condition.Facts
}

func newMatchFixture(n int) matchFixture {
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
	return matchFixture{
		wfs:   wfs,
		facts: &condition.Facts{Ticket: ticket, Message: msg},
		ev:    helpdesk.Event{ID: helpdesk.NewID(), Type: helpdesk.EventInboundMessage, TicketID: ticket.ID, MessageID: &msg.ID},
	}
}

// BenchmarkMatchEvent matches one inbound-message event against n enabled
// workflows with the candidate index (built before the timer starts) — the
// in-memory part of processing an event.
func BenchmarkMatchEvent(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			f := newMatchFixture(n)
			e := &Engine{now: time.Now}
			match := func() []*run.Run {
				eval := run.Evaluation{Results: []run.WorkflowResult{}}
				return e.matchEvent(1, workflow.TriggerInboundMessage, f.wfs, f.ev, f.facts, &eval)
			}
			match() // builds the index
			b.ReportAllocs()
			b.ResetTimer()
			matched := 0
			for b.Loop() {
				matched = len(match())
			}
			if matched != 2 {
				b.Fatalf("%d workflows matched, want 2", matched)
			}
		})
	}
}

// BenchmarkMatchEventReusedEvaluation is BenchmarkMatchEvent/10000 by a
// caller that reuses its evaluation's buffers from one event to the next
// (once the previous evaluation is saved): most of matchEvent's cost for
// 10,000 workflows is allocating the list of the ~10,000 ruled-out ids,
// and collecting it.
func BenchmarkMatchEventReusedEvaluation(b *testing.B) {
	f := newMatchFixture(10000)
	e := &Engine{now: time.Now}
	eval := run.Evaluation{Results: []run.WorkflowResult{}}
	match := func() []*run.Run {
		eval.Results, eval.RuledOut = eval.Results[:0], eval.RuledOut[:0]
		return e.matchEvent(1, workflow.TriggerInboundMessage, f.wfs, f.ev, f.facts, &eval)
	}
	match()
	b.ReportAllocs()
	b.ResetTimer()
	matched := 0
	for b.Loop() {
		matched = len(match())
	}
	if matched != 2 || len(eval.RuledOut) != 9998 {
		b.Fatalf("%d workflows matched and %d ruled out, want 2 and 9998", matched, len(eval.RuledOut))
	}
}

// BenchmarkMatchEventLinear is the same evaluating every workflow, as
// before the index.
func BenchmarkMatchEventLinear(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			f := newMatchFixture(n)
			e := &Engine{now: time.Now}
			b.ReportAllocs()
			b.ResetTimer()
			matched := 0
			for b.Loop() {
				matched = 0
				for _, wf := range f.wfs {
					if _, r := e.evaluate(wf, f.ev, f.facts); r != nil {
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

// BenchmarkBuildCandidateIndex is the cost paid once per change of a
// trigger's workflows.
func BenchmarkBuildCandidateIndex(b *testing.B) {
	f := newMatchFixture(10000)
	b.ReportAllocs()
	for b.Loop() {
		buildCandidateIndex(f.wfs)
	}
}
