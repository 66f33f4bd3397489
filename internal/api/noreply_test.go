package api_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/businesshours"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
)

// timers lists a ticket's pending no-reply timers.
func (e *env) timers(ticket string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, t := range e.must(200, e.asAdmin("GET", "/api/tickets/"+ticket+"/timers", nil)).list() {
		out = append(out, t.(map[string]any))
	}
	return out
}

func dueOf(t *testing.T, timer map[string]any) time.Time {
	t.Helper()
	due, err := time.Parse(time.RFC3339, timer["due_at"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return due
}

// fire advances the clock, fires due timers and returns how many fired.
// The node's own scheduler may fire them first (it reads the same clock),
// so the count is of no_reply.due events, whoever fired them.
func (e *env) fire(advance time.Duration) int {
	e.t.Helper()
	before := e.countDue()
	e.clock.Advance(advance)
	if _, err := e.node.Engine.FireDueTimers(e.t.Context()); err != nil {
		e.t.Fatal(err)
	}
	e.settle("")
	return e.countDue() - before
}

func (e *env) countDue() int {
	n, err := e.db.CountEvents(e.t.Context(), e.wsA, helpdesk.EventNoReplyDue)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) reply(ticket, direction, body string) {
	e.t.Helper()
	e.must(201, e.asAdmin("POST", "/api/tickets/"+ticket+"/messages", map[string]any{"direction": direction, "body": body}))
	e.settle(ticket)
}

func noReplyWorkflow(value int, unit string, business bool) map[string]any {
	return map[string]any{
		"name": "Escalate", "trigger_type": "on_no_reply",
		"trigger_parameters": map[string]any{"value": value, "unit": unit, "only_business_hours": business},
		"actions":            []any{act("add_internal_note", map[string]any{"content": "still waiting on: {{message.body}}"})},
	}
}

func notes(e *env, ticket string) []string {
	var out []string
	for _, m := range e.ticket(ticket)["messages"].([]any) {
		if mm := m.(map[string]any); mm["direction"] == "note" {
			out = append(out, mm["body"].(string))
		}
	}
	return out
}

func TestNoReplyPeriods(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		wf := e.create("/api/workflows", noReplyWorkflow(4, "hours", false))
		start := e.clock.Now()
		tk := e.newTicket("Where is my order?", "first question", "w@example.com", nil)
		e.settle(tk)
		timers := e.timers(tk)
		if len(timers) != 1 || timers[0]["workflow_id"] != wf || !dueOf(t, timers[0]).Equal(start.Add(4*time.Hour)) {
			t.Fatalf("timers: %v", timers)
		}
		// A second customer message in the same period does not restart it.
		e.clock.Advance(time.Hour)
		e.reply(tk, "inbound", "hello??")
		if got := e.timers(tk); len(got) != 1 || !dueOf(t, got[0]).Equal(start.Add(4*time.Hour)) {
			t.Fatalf("timers after a second message: %v", got)
		}
		if n := e.fire(3*time.Hour - time.Minute); n != 0 {
			t.Fatalf("fired %d timers a minute early", n)
		}
		if n := e.fire(2 * time.Minute); n != 1 {
			t.Fatalf("fired %d timers when due", n)
		}
		if got := notes(e, tk); !reflect.DeepEqual(got, []string{"still waiting on: first question"}) {
			t.Errorf("notes = %v", got)
		}
		// Once per period.
		if n := e.fire(48 * time.Hour); n != 0 {
			t.Errorf("fired again in the same period")
		}
		if len(e.timers(tk)) != 0 {
			t.Errorf("a fired timer is still listed as pending")
		}
		// An agent reply ends the period; the next customer message re-arms.
		e.reply(tk, "outbound", "on its way")
		e.reply(tk, "inbound", "thanks, one more thing")
		rearmed := e.clock.Now()
		if got := e.timers(tk); len(got) != 1 || !dueOf(t, got[0]).Equal(rearmed.Add(4*time.Hour)) {
			t.Fatalf("re-armed timers: %v", got)
		}
		if n := e.fire(4 * time.Hour); n != 1 {
			t.Fatalf("second period fired %d", n)
		}
		if got := notes(e, tk); len(got) != 2 || got[1] != "still waiting on: thanks, one more thing" {
			t.Errorf("notes = %v", got)
		}
		if runs := e.runsOf(tk, wf); len(runs) != 2 || runs[0]["event"].(map[string]any)["type"] != "no_reply.due" {
			t.Errorf("runs: %v", runs)
		}
	})
}

func TestNoReplyAgentReplyStopsWorkflowReplyDoesNot(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		wf := e.create("/api/workflows", noReplyWorkflow(30, "minutes", false))
		answered := e.newTicket("a", "b", "a@example.com", nil)
		auto := e.newTicket("c", "d", "c@example.com", nil)
		e.settle(auto)
		e.reply(answered, "outbound", "an agent answers")
		if len(e.timers(answered)) != 0 {
			t.Errorf("an agent reply left timers armed")
		}
		// A reply sent by a workflow (an auto-acknowledgement) carries its
		// run as cause: the period stays open.
		err := e.db.InTx(t.Context(), func(tx *storage.Tx) error {
			run := helpdesk.NewID()
			_, err := tx.AddMessage(t.Context(), e.wsA, helpdesk.Message{TicketID: auto, Direction: helpdesk.DirectionOutbound, Body: "We got your message", WorkflowRunID: &run},
				helpdesk.Cause{WorkflowIDs: []string{wf}, RunID: run})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(e.timers(auto)) != 1 {
			t.Errorf("a workflow's reply ended the period")
		}
		if n := e.fire(31 * time.Minute); n != 1 {
			t.Errorf("fired %d, want 1 (only the auto-replied ticket)", n)
		}
		if len(e.runsOf(answered, wf)) != 0 || len(e.runsOf(auto, wf)) != 1 {
			t.Errorf("runs: answered %d, auto %d", len(e.runsOf(answered, wf)), len(e.runsOf(auto, wf)))
		}
	})
}

func outcomeOf(e *env, ticket, workflow string) string {
	for _, ev := range e.asAdmin("GET", "/api/tickets/"+ticket+"/evaluations?per_page=200", nil).list() {
		m := ev.(map[string]any)
		if m["event_type"] != "no_reply.due" {
			continue
		}
		for _, r := range m["results"].([]any) {
			if rr := r.(map[string]any); rr["workflow_id"] == workflow {
				return rr["outcome"].(string)
			}
		}
	}
	return ""
}

func TestNoReplyDoesNotFireOnSolvedTickets(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		wf := e.create("/api/workflows", noReplyWorkflow(1, "hours", false))
		for _, status := range []string{"solved", "closed", "spam"} {
			tk := e.newTicket(status, "b", status+"@example.com", nil)
			e.settle(tk)
			e.must(200, e.asAdmin("PUT", "/api/tickets/"+tk, map[string]any{"status": status}))
			if n := e.fire(61 * time.Minute); n != 1 {
				t.Fatalf("%s: fired %d", status, n)
			}
			if n := len(e.runsOf(tk, wf)); n != 0 {
				t.Errorf("%s ticket: workflow ran", status)
			}
			if got := outcomeOf(e, tk, wf); got != "ticket_closed" {
				t.Errorf("%s ticket: outcome %q", status, got)
			}
		}
	})
}

func TestNoReplyWorkflowChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		start := e.clock.Now()
		waiting := e.newTicket("before", "b", "w@example.com", nil)
		e.settle(waiting)
		// A workflow created while a customer waits arms a timer for them.
		wf := e.create("/api/workflows", noReplyWorkflow(4, "hours", false))
		if got := e.timers(waiting); len(got) != 1 || !dueOf(t, got[0]).Equal(start.Add(4*time.Hour)) {
			t.Fatalf("timers of an open period after creating the workflow: %v", got)
		}
		// Editing the duration moves the due time.
		e.must(200, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"trigger_parameters": map[string]any{"value": 90, "unit": "minutes"}}))
		if got := e.timers(waiting); len(got) != 1 || !dueOf(t, got[0]).Equal(start.Add(90*time.Minute)) {
			t.Fatalf("timers after editing: %v", got)
		}
		// Editing something else keeps it.
		e.must(200, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"name": "Renamed"}))
		if got := e.timers(waiting); len(got) != 1 || !dueOf(t, got[0]).Equal(start.Add(90*time.Minute)) {
			t.Fatalf("timers after renaming: %v", got)
		}
		// Disabled: no timers, never fires; enabled again: armed again.
		e.must(200, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"is_enabled": false}))
		if len(e.timers(waiting)) != 0 {
			t.Errorf("a disabled workflow keeps timers")
		}
		if n := e.fire(2 * time.Hour); n != 0 {
			t.Errorf("a disabled workflow fired")
		}
		// Enabled again: re-armed, and as the due time has passed, it fires
		// promptly by itself.
		e.must(200, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"is_enabled": true}))
		e.eventually("the re-armed, overdue timer fires", func() bool { return e.countDue() == 1 })
		e.settle(waiting)
		if n := len(e.runsOf(waiting, wf)); n != 1 {
			t.Errorf("runs after re-enabling: %d", n)
		}
		e.reply(waiting, "outbound", "agent")
		e.reply(waiting, "inbound", "customer again")
		// Deleted: its timers go, nothing fires.
		e.must(204, e.asAdmin("DELETE", "/api/workflows/"+wf, nil))
		if len(e.timers(waiting)) != 0 {
			t.Errorf("a deleted workflow keeps timers")
		}
		if n := e.fire(time.Hour); n != 0 {
			t.Errorf("a deleted workflow fired")
		}
	})
}

// TestNoReplyBusinessHours: the DESIGN.md example (Fri 16:00 + 4 business
// hours = Mon 12:00 in Berlin) through the API, and a change of business
// hours re-computing the due time.
func TestNoReplyBusinessHours(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		berlin, _ := time.LoadLocation("Europe/Berlin")
		week := func(end string) map[string]any {
			day := []any{map[string]any{"start": "09:00", "end": end}}
			return map[string]any{"timezone": "Europe/Berlin", "weekly": map[string]any{"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day}}
		}
		e.must(200, e.asAdmin("PUT", "/api/business-hours", week("17:00")))
		e.create("/api/workflows", noReplyWorkflow(4, "hours", true))
		friday := time.Date(2026, 11, 27, 16, 0, 0, 0, berlin)
		e.clock.Advance(friday.Sub(e.clock.Now()))
		tk := e.newTicket("weekend", "b", "b@example.com", nil)
		e.settle(tk)
		if got := e.timers(tk); len(got) != 1 || !dueOf(t, got[0]).Equal(time.Date(2026, 11, 30, 12, 0, 0, 0, berlin)) {
			t.Fatalf("due: %v", got)
		}
		e.must(200, e.asAdmin("PUT", "/api/business-hours", week("18:00")))
		if got := e.timers(tk); len(got) != 1 || !dueOf(t, got[0]).Equal(time.Date(2026, 11, 30, 11, 0, 0, 0, berlin)) {
			t.Fatalf("due after changing hours: %v", got)
		}
		if n := e.fire(time.Date(2026, 11, 30, 11, 0, 0, 0, berlin).Sub(e.clock.Now())); n != 1 {
			t.Errorf("fired %d at the due time", n)
		}
	})
}

// TestNoReplyTimerDueDuringDowntime: a timer that fell due while no node
// ran fires when a node starts, by itself.
func TestNoReplyTimerDueDuringDowntime(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		wf := e.create("/api/workflows", noReplyWorkflow(2, "hours", false))
		tk := e.newTicket("down", "b", "d@example.com", nil)
		e.settle(tk)
		e.restart(func() { e.clock.Advance(3 * time.Hour) })
		e.eventually("the overdue timer fires after the restart", func() bool {
			return len(e.runsOf(tk, wf)) == 1
		})
		e.settle(tk)
		if got := notes(e, tk); len(got) != 1 {
			t.Errorf("notes after restart: %v", got)
		}
	})
}

// mondays lists the dates of the Mondays in the search horizon of the
// business-hours arithmetic from from's date (UTC) but the last keep of
// them: closing them leaves keep Mondays open in the horizon.
func mondays(from time.Time, keep int) []any {
	today := from.UTC().Truncate(24 * time.Hour)
	d := today
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, -1)
	}
	var out []any
	for end := today.AddDate(0, 0, businesshours.ScanDays); !d.After(end); d = d.AddDate(0, 0, 7) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out[:len(out)-keep]
}

// mondayHours is a UTC schedule open on Mondays from 09:00 to end.
func mondayHours(end string, closed []any) map[string]any {
	return map[string]any{"timezone": "UTC", "closed_dates": closed,
		"weekly": map[string]any{"monday": []any{map[string]any{"start": "09:00", "end": end}}}}
}

// fieldError checks that r is a 422 naming field with a message containing
// want.
func fieldError(t *testing.T, r response, field, want string) {
	t.Helper()
	if r.Status != 422 {
		t.Fatalf("status %d, want 422 on %s: %s", r.Status, field, r.Raw)
	}
	msgs, _ := r.fieldErrors()[field].([]any)
	if len(msgs) == 0 || !strings.Contains(fmt.Sprint(msgs...), want) {
		t.Fatalf("errors %v, want %s: …%s…", r.fieldErrors(), field, want)
	}
}

// TestBusinessHoursWithoutBusinessTime: a schedule whose closed dates close
// every opening of the search horizon, and a business-hours workflow whose
// due time lies beyond it, are refused at save time with a 422 naming the
// field to change, not a 500, whichever is saved last.
func TestBusinessHoursWithoutBusinessTime(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// A customer waits, so a save re-computes a timer.
		tk := e.newTicket("waiting", "b", "w@example.com", nil)
		e.settle(tk)
		now := e.clock.Now()
		fieldError(t, e.asAdmin("PUT", "/api/business-hours", mondayHours("10:00", mondays(now, 0))), "closed_dates", "never be open")
		// One hour a week: some 157 hours of business time in the horizon.
		e.must(200, e.asAdmin("PUT", "/api/business-hours", mondayHours("10:00", nil)))
		fieldError(t, e.asAdmin("POST", "/api/workflows", noReplyWorkflow(720, "hours", true)), "trigger_parameters.only_business_hours", "no business time")
		wf := e.create("/api/workflows", noReplyWorkflow(4, "hours", true))
		fieldError(t, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"trigger_parameters": map[string]any{"value": 600, "unit": "hours", "only_business_hours": true}}),
			"trigger_parameters.only_business_hours", "no business time")
		// 157 minutes are less than the workflow's 4 hours: the weekly hours
		// are too short.
		fieldError(t, e.asAdmin("PUT", "/api/business-hours", mondayHours("09:01", nil)), "weekly", `"Escalate"`)
		// The weekly hours would do, but the closed dates leave 3 hours.
		fieldError(t, e.asAdmin("PUT", "/api/business-hours", mondayHours("10:00", mondays(now, 3))), "closed_dates", `"Escalate"`)
		// Refused saves changed nothing: the timer is the one of 1 hour on
		// Mondays, the workflow kept its 4 hours.
		if got := e.timers(tk); len(got) != 1 || got[0]["due_at"] == nil {
			t.Fatalf("timers after refused saves: %v", got)
		}
		if p := e.must(200, e.asAdmin("GET", "/api/workflows/"+wf, nil)).data()["trigger_parameters"].(map[string]any); p["value"] != 4.0 {
			t.Errorf("trigger_parameters after a refused update: %v", p)
		}
		// Disabled, the workflow asks nothing of the schedule; enabling it
		// again is refused while the schedule cannot serve it.
		e.must(200, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"is_enabled": false}))
		e.must(200, e.asAdmin("PUT", "/api/business-hours", mondayHours("10:00", mondays(now, 3))))
		fieldError(t, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"is_enabled": true}), "trigger_parameters.only_business_hours", "no business time")
		// Counting elapsed time needs no business time.
		e.must(200, e.asAdmin("PUT", "/api/workflows/"+wf, map[string]any{"is_enabled": true, "trigger_parameters": map[string]any{"value": 4, "only_business_hours": false}}))
	})
}

// TestNoReplyTimerNeverDue: a schedule with no business time, stored behind
// the API's back (or become so since), does not break anything: the
// customer's message is stored, its event processed and the other
// workflows run; the timer that can never be due is listed as such, and
// armed once the schedule opens again.
func TestNoReplyTimerNeverDue(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		tagged := e.create("/api/tags", map[string]any{"name": "new"})
		other := e.create("/api/workflows", workflowBody("Tag new tickets", "on_new_ticket", nil, act("add_tags", map[string]any{"tags": []any{tagged}})))
		wf := e.create("/api/workflows", noReplyWorkflow(4, "hours", true))
		elapsed := e.create("/api/workflows", noReplyWorkflow(4, "hours", false))
		never, err := businesshours.Parse(mondayHours("10:00", mondays(e.clock.Now(), 0)))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.InTx(t.Context(), func(tx *storage.Tx) error { return tx.SetBusinessHours(t.Context(), e.wsA, never) }); err != nil {
			t.Fatal(err)
		}
		tk := e.newTicket("never due", "b", "n@example.com", nil)
		e.settle(tk)
		if runs := e.runsOf(tk, other); len(runs) != 1 || runs[0]["status"] != "succeeded" {
			t.Errorf("runs of the ticket-created workflow: %v", runs)
		}
		byWorkflow := map[string]map[string]any{}
		for _, timer := range e.timers(tk) {
			byWorkflow[timer["workflow_id"].(string)] = timer
		}
		if got := byWorkflow[elapsed]; got == nil || got["status"] != "pending" || !dueOf(t, got).Equal(e.clock.Now().Add(4*time.Hour)) {
			t.Errorf("timer of the elapsed-time workflow: %v", got)
		}
		got := byWorkflow[wf]
		if got == nil || got["status"] != "never_due" || got["due_at"] != nil || !strings.Contains(fmt.Sprint(got["reason"]), "no business time") {
			t.Fatalf("timer of the business-hours workflow: %v", got)
		}
		if n := e.fire(24 * time.Hour); n != 1 {
			t.Errorf("fired %d timers in a day, want 1 (the elapsed-time one)", n)
		}
		// Business hours that open again arm the timer: 4 hours of Mondays'
		// single hour are 4 weeks away.
		e.must(200, e.asAdmin("PUT", "/api/business-hours", mondayHours("10:00", nil)))
		if got := e.timers(tk); len(got) != 1 || got[0]["workflow_id"] != wf || got[0]["status"] != "pending" || got[0]["due_at"] == nil {
			t.Fatalf("timers once the schedule opens: %v", got)
		}
		if n := e.fire(35 * 24 * time.Hour); n != 1 || len(e.runsOf(tk, wf)) != 1 {
			t.Errorf("the re-armed timer: fired %d, runs %d", n, len(e.runsOf(tk, wf)))
		}
	})
}

// TestNoReplyTimerNeverDueOnRearm: a workflow saved while a customer has
// waited for weeks re-computes their timer from when they started waiting;
// business hours that give the workflow its due time from now but not from
// then make that one timer never due, and the save succeeds.
func TestNoReplyTimerNeverDueOnRearm(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		tk := e.newTicket("waiting for weeks", "b", "w@example.com", nil)
		e.settle(tk)
		// Every Monday closed in the horizon of the period's start: six
		// weeks later, the horizon of now has six Mondays past it.
		closed := mondays(e.clock.Now(), 0)
		e.clock.Advance(42 * 24 * time.Hour)
		e.must(200, e.asAdmin("PUT", "/api/business-hours", mondayHours("10:00", closed)))
		wf := e.create("/api/workflows", noReplyWorkflow(4, "hours", true))
		if got := e.timers(tk); len(got) != 1 || got[0]["workflow_id"] != wf || got[0]["status"] != "never_due" || got[0]["due_at"] != nil {
			t.Fatalf("timers: %v", got)
		}
		// A customer who starts waiting now gets a due time.
		fresh := e.newTicket("waiting from now", "b", "f@example.com", nil)
		e.settle(fresh)
		if got := e.timers(fresh); len(got) != 1 || got[0]["status"] != "pending" || got[0]["due_at"] == nil {
			t.Fatalf("timers of a new period: %v", got)
		}
	})
}
