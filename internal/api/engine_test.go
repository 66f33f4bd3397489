package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/condition"
)

// settle waits until the engine has no work left: every event matched and
// every path driven as far as it goes (a path waiting for an approval is
// done for now). All engine work is queued jobs, enqueued in the same
// transaction as what caused it, so an empty backlog means quiescence.
func (e *env) settle(string) {
	e.t.Helper()
	e.eventually("the engine's backlog empties", func() bool {
		n, err := e.node.Engine.Backlog(e.t.Context())
		if err != nil {
			e.t.Fatal(err)
		}
		return n == 0
	})
}

// runs lists a ticket's runs, oldest first.
func (e *env) runs(ticket string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, r := range e.asAdmin("GET", "/api/tickets/"+ticket+"/runs?per_page=200", nil).list() {
		out = append([]map[string]any{r.(map[string]any)}, out...)
	}
	return out
}

// runsOf lists the ticket's runs of one workflow.
func (e *env) runsOf(ticket, workflow string) []map[string]any {
	var out []map[string]any
	for _, r := range e.runs(ticket) {
		if r["workflow_id"] == workflow {
			out = append(out, r)
		}
	}
	return out
}

func (e *env) ticket(id string) map[string]any {
	e.t.Helper()
	return e.must(200, e.asAdmin("GET", "/api/tickets/"+id, nil)).data()
}

func (e *env) newTicket(subject, body, email string, extra map[string]any) string {
	e.t.Helper()
	b := map[string]any{"subject": subject, "body": body, "contact": map[string]any{"email": email, "name": "Customer"}}
	for k, v := range extra {
		b[k] = v
	}
	return e.create("/api/tickets", b)
}

func workflowBody(name, trigger string, conds []any, actions ...any) map[string]any {
	return map[string]any{"name": name, "trigger_type": trigger, "conditions": conds, "actions": actions}
}

func act(typ string, params map[string]any) map[string]any {
	return map[string]any{"type": typ, "parameters": params}
}

func cond(typ string, value any) map[string]any {
	if value == nil {
		return map[string]any{"type": typ}
	}
	return map[string]any{"type": typ, "parameters": map[string]any{"value": value}}
}

func tagNames(e *env, t map[string]any) []string {
	names := map[string]string{}
	for _, tag := range e.asAdmin("GET", "/api/tags?per_page=200", nil).list() {
		m := tag.(map[string]any)
		names[m["id"].(string)] = m["name"].(string)
	}
	var out []string
	for _, id := range t["tags"].([]any) {
		out = append(out, names[id.(string)])
	}
	sort.Strings(out)
	return out
}

func stepStatuses(r map[string]any) []string {
	var out []string
	for _, s := range r["steps"].([]any) {
		m := s.(map[string]any)
		out = append(out, fmt.Sprintf("%v.%v:%v", m["path"], m["position"], m["status"]))
	}
	return out
}

func TestTriggersFireOnTheirEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		mark := func(name string) string { return e.create("/api/tags", map[string]any{"name": name}) }
		newTag, inboundTag := mark("new"), mark("inbound")
		wNew := e.create("/api/workflows", workflowBody("New", "on_new_ticket", nil, act("add_tags", map[string]any{"tags": []any{newTag}})))
		wIn := e.create("/api/workflows", workflowBody("Inbound", "on_inbound_message", nil, act("add_internal_note", map[string]any{"content": "got: {{message.body}}"})))
		e.create("/api/workflows", map[string]any{"name": "Disabled", "trigger_type": "on_new_ticket", "is_enabled": false, "actions": []any{act("set_status", map[string]any{"status": "closed"})}})
		_ = inboundTag

		tk := e.newTicket("Hello", "first", "ann@example.com", nil)
		e.settle(tk)
		e.must(201, e.asAdmin("POST", "/api/tickets/"+tk+"/messages", map[string]any{"direction": "inbound", "body": "second"}))
		e.must(201, e.asAdmin("POST", "/api/tickets/"+tk+"/messages", map[string]any{"direction": "outbound", "body": "a reply"}))
		e.must(201, e.asAdmin("POST", "/api/tickets/"+tk+"/messages", map[string]any{"direction": "note", "body": "a note"}))
		e.settle(tk)

		if n := len(e.runsOf(tk, wNew)); n != 1 {
			t.Errorf("on_new_ticket ran %d times, want once", n)
		}
		if n := len(e.runsOf(tk, wIn)); n != 2 {
			t.Errorf("on_inbound_message ran %d times, want 2 (first message and reply)", n)
		}
		got := e.ticket(tk)
		if got["status"] != "open" {
			t.Errorf("disabled workflow ran: status %v", got["status"])
		}
		var notes []string
		for _, m := range got["messages"].([]any) {
			if mm := m.(map[string]any); mm["direction"] == "note" && mm["workflow_run_id"] != nil {
				notes = append(notes, mm["body"].(string))
			}
		}
		if !reflect.DeepEqual(notes, []string{"got: first", "got: second"}) {
			t.Errorf("notes = %q", notes)
		}
		if !reflect.DeepEqual(tagNames(e, got), []string{"new"}) {
			t.Errorf("tags = %v", tagNames(e, got))
		}
		// The run is readable with its event and condition results.
		r := e.runsOf(tk, wNew)[0]
		shown := e.must(200, e.asAdmin("GET", "/api/runs/"+r["id"].(string), nil)).data()
		if shown["status"] != "succeeded" || shown["event"].(map[string]any)["type"] != "ticket.created" {
			t.Errorf("run = %v", shown)
		}
		if n := len(e.must(200, e.asAdmin("GET", "/api/workflows/"+wIn+"/runs", nil)).list()); n != 2 {
			t.Errorf("workflow runs: %d", n)
		}
	})
}

// TestEveryCondition checks each condition matching and not matching, via
// the manual-workflow listing (synchronous) and via a live trigger.
func TestEveryCondition(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		email := e.create("/api/channels", map[string]any{"name": "Mail", "type": "email"})
		chat := e.create("/api/channels", map[string]any{"name": "Chat", "type": "chat"})
		vip := e.create("/api/tags", map[string]any{"name": "vip"})
		other := e.create("/api/tags", map[string]any{"name": "other"})
		cases := []struct {
			name string
			cond map[string]any
		}{
			{"subject_contains", cond("subject_contains", "  REFUND ")},
			{"subject_equals", cond("subject_equals", "refund request")},
			{"body_contains", cond("body_contains", "order 42")},
			{"from_email_contains", cond("from_email_contains", "ANN@")},
			{"from_email_equals", cond("from_email_equals", "ann@shop.example")},
			{"from_domain_equals", cond("from_domain_equals", "@Shop.Example")},
			{"channel_is", cond("channel_is", email)},
			{"channel_type_is", cond("channel_type_is", "email")},
			{"has_tag", cond("has_tag", vip)},
			{"does_not_have_tag", cond("does_not_have_tag", other)},
			{"contact_is_new", cond("contact_is_new", nil)},
		}
		ids := map[string]string{}
		for _, c := range cases {
			ids[c.name] = e.create("/api/workflows", workflowBody(c.name, "manual", []any{c.cond}, act("set_priority", map[string]any{"priority": "high"})))
		}
		// A ticket that matches every condition...
		yes := e.newTicket("Refund request", "About order 42, thanks", "ann@shop.example", map[string]any{"channel_id": email})
		e.must(200, e.asAdmin("POST", "/api/tickets/"+yes+"/tags", map[string]any{"tags": []any{vip}}))
		// ...and one that matches none: other subject, body, sender, channel,
		// tags, and a contact who wrote before.
		e.newTicket("Earlier", "x", "bob@else.example", nil)
		no := e.newTicket("Question", "About order 7", "bob@else.example", map[string]any{"channel_id": chat})
		e.must(200, e.asAdmin("POST", "/api/tickets/"+no+"/tags", map[string]any{"tags": []any{other}}))

		listed := func(ticket string) map[string]bool {
			out := map[string]bool{}
			for _, w := range e.must(200, e.asAdmin("GET", "/api/tickets/"+ticket+"/workflows", nil)).list() {
				out[w.(map[string]any)["name"].(string)] = true
			}
			return out
		}
		gotYes, gotNo := listed(yes), listed(no)
		for _, c := range cases {
			if !gotYes[c.name] {
				t.Errorf("%s does not match the matching ticket", c.name)
			}
			if gotNo[c.name] {
				t.Errorf("%s matches the non-matching ticket", c.name)
			}
		}

		// is_first_message needs a triggering message: live triggers.
		first := e.create("/api/workflows", workflowBody("first", "on_inbound_message", []any{cond("is_first_message", nil)}, act("add_internal_note", map[string]any{"content": "first"})))
		tk := e.newTicket("Hi", "one", "carl@example.com", nil)
		e.settle(tk)
		e.must(201, e.asAdmin("POST", "/api/tickets/"+tk+"/messages", map[string]any{"direction": "inbound", "body": "two"}))
		e.settle(tk)
		runs := e.runsOf(tk, first)
		if len(runs) != 1 {
			t.Fatalf("is_first_message ran %d times, want 1", len(runs))
		}
		// The evaluation of the reply records why it did not run.
		evals := e.must(200, e.asAdmin("GET", "/api/tickets/"+tk+"/evaluations", nil)).list()
		found := false
		for _, ev := range evals {
			for _, res := range ev.(map[string]any)["results"].([]any) {
				r := res.(map[string]any)
				if r["workflow_id"] == first && r["outcome"] == "not_matched" {
					c := r["conditions"].([]any)[0].(map[string]any)
					found = c["type"] == "is_first_message" && c["matched"] == false
				}
			}
		}
		if !found {
			t.Errorf("no not_matched evaluation recorded for the reply: %v", evals)
		}

		// variable_equals reads what the main path saved: paths only.
		vars := e.create("/api/workflows", map[string]any{"name": "variable_equals", "trigger_type": "manual",
			"actions": []any{act("set_priority", map[string]any{"priority": "low", "saveAs": "p"})},
			"paths": []any{
				map[string]any{"name": "yes", "conditions": []any{map[string]any{"type": "variable_equals", "parameters": map[string]any{"name": "p.priority", "value": " LOW "}}},
					"actions": []any{act("add_internal_note", map[string]any{"content": "low"})}},
				map[string]any{"name": "no", "conditions": []any{map[string]any{"type": "variable_equals", "parameters": map[string]any{"name": "p.previous", "value": "low"}}},
					"actions": []any{act("add_internal_note", map[string]any{"content": "was low"})}},
			},
		})
		e.must(201, e.asAdmin("POST", "/api/workflows/"+vars+"/runs", map[string]any{"ticket_id": yes}))
		e.settle(yes)
		paths := e.runsOf(yes, vars)[0]["match"].(map[string]any)["paths"].([]any)
		if paths[0].(map[string]any)["matched"] != true || paths[1].(map[string]any)["matched"] != false {
			t.Errorf("variable_equals: path matches %v", paths)
		}

		// Every registered condition type has been checked.
		checked := map[string]bool{"is_first_message": true, "variable_equals": true}
		for _, c := range cases {
			checked[c.name] = true
		}
		for _, typ := range condition.Types() {
			if !checked[typ] {
				t.Errorf("condition %s is registered but not checked here", typ)
			}
		}
	})
}

func TestAllAndAny(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		conds := []any{cond("subject_contains", "refund"), cond("body_contains", "urgent")}
		all := e.create("/api/workflows", map[string]any{"name": "all", "trigger_type": "manual", "condition_match_type": "all", "conditions": conds, "actions": []any{act("set_status", map[string]any{"status": "pending"})}})
		anyW := e.create("/api/workflows", map[string]any{"name": "any", "trigger_type": "manual", "condition_match_type": "any", "conditions": conds, "actions": []any{act("set_status", map[string]any{"status": "pending"})}})
		cases := []struct {
			subject, body string
			all, any      bool
		}{
			{"Refund", "urgent please", true, true},
			{"Refund", "whenever", false, true},
			{"Hello", "urgent", false, true},
			{"Hello", "whenever", false, false},
		}
		for _, c := range cases {
			tk := e.newTicket(c.subject, c.body, "x@example.com", nil)
			got := map[string]bool{}
			for _, w := range e.asAdmin("GET", "/api/tickets/"+tk+"/workflows", nil).list() {
				got[w.(map[string]any)["id"].(string)] = true
			}
			if got[all] != c.all || got[anyW] != c.any {
				t.Errorf("%q/%q: all=%v any=%v, want %v %v", c.subject, c.body, got[all], got[anyW], c.all, c.any)
			}
		}
	})
}

func TestTicketActions(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		keep := e.create("/api/tags", map[string]any{"name": "keep"})
		drop := e.create("/api/tags", map[string]any{"name": "drop"})
		team := e.create("/api/teams", map[string]any{"name": "Billing"})
		agent := ""
		for _, u := range e.asAdmin("GET", "/api/users", nil).list() {
			if m := u.(map[string]any); m["role"] == "agent" {
				agent = m["id"].(string)
			}
		}
		e.create("/api/custom-fields", map[string]any{"key": "order_number", "name": "Order"})
		steps := []struct {
			action map[string]any
			check  func(tk map[string]any) bool
		}{
			{act("set_status", map[string]any{"status": "pending"}), func(tk map[string]any) bool { return tk["status"] == "pending" }},
			{act("set_priority", map[string]any{"priority": "urgent"}), func(tk map[string]any) bool { return tk["priority"] == "urgent" }},
			{act("assign_to", map[string]any{"assignee": agent}), func(tk map[string]any) bool {
				a := tk["assignee"].(map[string]any)
				return a["type"] == "user" && a["user_id"] == agent
			}},
			{act("assign_to", map[string]any{"assignee": "ai"}), func(tk map[string]any) bool { return tk["assignee"].(map[string]any)["type"] == "ai" }},
			{act("assign_to", map[string]any{"assignee": "unassigned"}), func(tk map[string]any) bool { return tk["assignee"].(map[string]any)["type"] == "none" }},
			{act("assign_ticket", map[string]any{"assign_type": "team", "team": team, "user": nil}), func(tk map[string]any) bool {
				a := tk["assignee"].(map[string]any)
				return a["type"] == "team" && a["team_id"] == team
			}},
			{act("assign_ticket", map[string]any{"assign_type": "user", "user": agent}), func(tk map[string]any) bool {
				a := tk["assignee"].(map[string]any)
				return a["type"] == "user" && a["user_id"] == agent
			}},
			{act("add_tags", map[string]any{"tags": []any{keep, drop}}), func(tk map[string]any) bool { return len(tk["tags"].([]any)) == 2 }},
			{act("remove_tags", map[string]any{"tags": []any{drop}}), func(tk map[string]any) bool { return reflect.DeepEqual(tk["tags"], []any{keep}) }},
			{act("add_internal_note", map[string]any{"content": "{{customer.name}} <{{customer.email}}> VIP={{customer.isVip}} order={{customFields.order_number}} {{customFields.missing | default: \"n/a\"}} on {{ticket.subject | upcase}}"}), func(tk map[string]any) bool {
				msgs := tk["messages"].([]any)
				last := msgs[len(msgs)-1].(map[string]any)
				return last["direction"] == "note" && last["body"] == "Customer <dana@example.com> VIP=false order=A-7 n/a on BROKEN"
			}},
		}
		for i, s := range steps {
			wf := e.create("/api/workflows", workflowBody(fmt.Sprint("step ", i), "manual", nil, s.action))
			tk := e.newTicket("Broken", "b", "dana@example.com", map[string]any{"custom_fields": map[string]any{"order_number": "A-7"}})
			if i >= 8 { // remove_tags needs the tags on the ticket
				e.must(200, e.asAdmin("POST", "/api/tickets/"+tk+"/tags", map[string]any{"tags": []any{keep, drop}}))
			}
			e.must(201, e.asAdmin("POST", "/api/workflows/"+wf+"/runs", map[string]any{"ticket_id": tk}))
			e.settle(tk)
			runs := e.runsOf(tk, wf)
			if len(runs) != 1 || runs[0]["status"] != "succeeded" {
				t.Errorf("%v: runs %v", s.action["type"], runs)
				continue
			}
			if got := e.ticket(tk); !s.check(got) {
				t.Errorf("%v: ticket after the action: %v", s.action["type"], got)
			}
		}
	})
}

// hookServer is a loopback HTTP server that answers as a webhook receiver
// would: scripted per path, recording what it received.
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	received []hookRequest
	release  chan struct{}
}

type hookRequest struct {
	Path, Method, Body string
	Header             http.Header
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{release: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.received = append(h.received, hookRequest{Path: r.URL.Path, Method: r.Method, Body: string(body), Header: r.Header.Clone()})
		h.mu.Unlock()
		switch r.URL.Path {
		case "/refund":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id": "re_123", "amount": 42}`)
		case "/fail":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/hang":
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(func() { close(h.release); h.Close() })
	return h
}

func (h *hookServer) requests(path string) []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookRequest
	for _, r := range h.received {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func TestVariablesPathsFailureAndTimeout(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		hooks := newHookServer(t)
		a := e.create("/api/tags", map[string]any{"name": "a"})
		b := e.create("/api/tags", map[string]any{"name": "b"})
		wf := e.create("/api/workflows", map[string]any{
			"name": "Refund", "trigger_type": "on_new_ticket",
			"actions": []any{
				act("send_webhook", map[string]any{"url": hooks.URL + "/refund", "body": `{"ticket": "{{ticket.id}}", "subject": "{{ticket.subject}}"}`, "saveAs": "refund"}),
				act("add_internal_note", map[string]any{"content": "refund {{variables.refund.body.id}} for {{variables.refund.body.amount}}"}),
			},
			"paths": []any{
				map[string]any{"name": "failing", "actions": []any{
					act("send_webhook", map[string]any{"url": hooks.URL + "/fail"}),
					act("add_tags", map[string]any{"tags": []any{a}}),
				}},
				map[string]any{"name": "working", "actions": []any{act("add_tags", map[string]any{"tags": []any{b}})}},
				map[string]any{"name": "not taken", "conditions": []any{cond("subject_contains", "never")}, "actions": []any{act("set_status", map[string]any{"status": "closed"})}},
				map[string]any{"name": "slow", "actions": []any{
					act("send_webhook", map[string]any{"url": hooks.URL + "/hang", "timeout": 300}),
					act("set_priority", map[string]any{"priority": "low"}),
				}},
			},
		})
		tk := e.newTicket(`He said "refund" \ now`, "b", "eve@example.com", nil)
		e.settle(tk)
		runs := e.runsOf(tk, wf)
		if len(runs) != 1 {
			t.Fatalf("runs: %v", runs)
		}
		r := runs[0]
		want := []string{"0.0:succeeded", "0.1:succeeded", "1.0:failed", "1.1:skipped", "2.0:succeeded", "4.0:timed_out", "4.1:skipped"}
		if got := stepStatuses(r); !reflect.DeepEqual(got, want) {
			t.Errorf("steps = %v, want %v", got, want)
		}
		if r["status"] != "failed" {
			t.Errorf("run status %v", r["status"])
		}
		paths := r["match"].(map[string]any)["paths"].([]any)
		if len(paths) != 4 || paths[2].(map[string]any)["matched"] != false {
			t.Errorf("path matches: %v", paths)
		}
		got := e.ticket(tk)
		if !reflect.DeepEqual(tagNames(e, got), []string{"b"}) || got["priority"] != "medium" || got["status"] != "open" {
			t.Errorf("ticket: tags %v priority %v status %v", tagNames(e, got), got["priority"], got["status"])
		}
		msgs := got["messages"].([]any)
		if note := msgs[len(msgs)-1].(map[string]any)["body"]; note != "refund re_123 for 42" {
			t.Errorf("note = %v", note)
		}
		// The webhook body was valid JSON despite quotes and backslashes.
		reqs := hooks.requests("/refund")
		if len(reqs) != 1 {
			t.Fatalf("refund webhook called %d times", len(reqs))
		}
		var sent map[string]string
		if err := json.Unmarshal([]byte(reqs[0].Body), &sent); err != nil || sent["subject"] != `He said "refund" \ now` || sent["ticket"] != tk {
			t.Errorf("webhook body %q: %v", reqs[0].Body, err)
		}
		if reqs[0].Header.Get("webhook-id") == "" {
			t.Errorf("no webhook-id header")
		}
		for _, s := range r["steps"].([]any) {
			m := s.(map[string]any)
			if m["status"] == "failed" && !strings.Contains(m["error"].(string), "500") {
				t.Errorf("failed step error: %v", m["error"])
			}
			if m["status"] == "timed_out" && !strings.Contains(m["error"].(string), "timed out") {
				t.Errorf("timed out step error: %v", m["error"])
			}
		}
	})
}

func TestApprovals(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		wf := e.create("/api/workflows", map[string]any{
			"name": "Close after approval", "trigger_type": "on_new_ticket",
			"actions": []any{
				act("add_internal_note", map[string]any{"content": "Closing {{ticket.subject}}", "requireApproval": true}),
				act("set_status", map[string]any{"status": "closed"}),
			},
		})
		pending := func(ticket string) map[string]any {
			var found map[string]any
			e.eventually("approval requested", func() bool {
				for _, a := range e.asAdmin("GET", "/api/approvals?status=pending&per_page=200", nil).list() {
					if m := a.(map[string]any); m["ticket_id"] == ticket {
						found = m
					}
				}
				return found != nil
			})
			return found
		}
		// Approve: the path resumes.
		t1 := e.newTicket("One", "b", "a@example.com", nil)
		a1 := pending(t1)
		if a1["parameters"].(map[string]any)["content"] != "Closing One" || a1["workflow_id"] != wf {
			t.Errorf("approval shows %v", a1)
		}
		e.settle(t1)
		if r := e.runsOf(t1, wf)[0]; r["status"] != "waiting_approval" {
			t.Errorf("run while waiting: %v", r["status"])
		}
		if r := e.call("POST", "/api/approvals/"+a1["id"].(string)+"/approve", e.agentA, e.wsA, nil); r.Status != 403 {
			t.Errorf("agent approved: %d", r.Status)
		}
		e.must(200, e.asAdmin("POST", "/api/approvals/"+a1["id"].(string)+"/approve", nil))
		e.settle(t1)
		if got := e.ticket(t1); got["status"] != "closed" {
			t.Errorf("approved path did not finish: %v", got["status"])
		}
		if r := e.asAdmin("POST", "/api/approvals/"+a1["id"].(string)+"/reject", nil); r.Status != 409 {
			t.Errorf("deciding twice: %d", r.Status)
		}
		// Reject: the rest of the path is skipped.
		t2 := e.newTicket("Two", "b", "b@example.com", nil)
		a2 := pending(t2)
		e.must(200, e.asAdmin("POST", "/api/approvals/"+a2["id"].(string)+"/reject", map[string]any{"reason": "not yet"}))
		e.settle(t2)
		r2 := e.runsOf(t2, wf)[0]
		if got := stepStatuses(r2); !reflect.DeepEqual(got, []string{"0.0:rejected", "0.1:skipped"}) || r2["status"] != "failed" {
			t.Errorf("rejected run: %v %v", r2["status"], got)
		}
		if got := e.ticket(t2); got["status"] != "open" {
			t.Errorf("rejected path changed the ticket")
		}
		// Expiry after 7 days, by the injected clock.
		t3 := e.newTicket("Three", "b", "c@example.com", nil)
		a3 := pending(t3)
		e.clock.Advance(7*24*time.Hour - time.Minute)
		if n, err := e.node.Engine.ExpireApprovals(t.Context()); err != nil || n != 0 {
			t.Fatalf("expired early: %d %v", n, err)
		}
		e.clock.Advance(2 * time.Minute)
		if n, err := e.node.Engine.ExpireApprovals(t.Context()); err != nil || n != 1 {
			t.Fatalf("expired %d, %v", n, err)
		}
		e.settle(t3)
		shown := e.must(200, e.asAdmin("GET", "/api/approvals/"+a3["id"].(string), nil)).data()
		r3 := e.runsOf(t3, wf)[0]
		if shown["status"] != "expired" || !reflect.DeepEqual(stepStatuses(r3), []string{"0.0:rejected", "0.1:skipped"}) {
			t.Errorf("expired: %v %v", shown["status"], stepStatuses(r3))
		}
		if r := e.asAdmin("POST", "/api/approvals/"+a3["id"].(string)+"/approve", nil); r.Status != 409 {
			t.Errorf("approving an expired approval: %d", r.Status)
		}
		e.must(422, e.asAdmin("GET", "/api/approvals?status=maybe", nil))
	})
}

func TestManualRuns(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		wf := e.create("/api/workflows", workflowBody("Escalate", "manual", []any{cond("subject_contains", "help")}, act("set_priority", map[string]any{"priority": "urgent"})))
		auto := e.create("/api/workflows", workflowBody("Auto", "on_new_ticket", nil, act("add_internal_note", map[string]any{"content": "x"})))
		yes := e.newTicket("Please help", "b", "a@example.com", nil)
		no := e.newTicket("Thanks", "b", "b@example.com", nil)
		// Agents may run manual workflows.
		r := e.must(201, e.call("POST", "/api/workflows/"+wf+"/runs", e.agentA, e.wsA, map[string]any{"ticket_id": yes})).data()
		if r["event"].(map[string]any)["type"] != "manual.run" {
			t.Errorf("manual run event: %v", r["event"])
		}
		e.settle(yes)
		if got := e.ticket(yes); got["priority"] != "urgent" {
			t.Errorf("manual run did not apply: %v", got["priority"])
		}
		if r := e.asAdmin("POST", "/api/workflows/"+wf+"/runs", map[string]any{"ticket_id": no}); r.Status != 422 || r.fieldErrors()["ticket_id"] == nil {
			t.Errorf("non-matching manual run: %d %s", r.Status, r.Raw)
		}
		if r := e.asAdmin("POST", "/api/workflows/"+auto+"/runs", map[string]any{"ticket_id": yes}); r.Status != 422 {
			t.Errorf("manual run of a non-manual workflow: %d", r.Status)
		}
		if r := e.asAdmin("POST", "/api/workflows/"+wf+"/runs", map[string]any{"ticket_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}); r.Status != 422 {
			t.Errorf("unknown ticket: %d", r.Status)
		}
		if list := e.asAdmin("GET", "/api/tickets/"+no+"/workflows", nil).list(); len(list) != 0 {
			t.Errorf("listed for a non-matching ticket: %v", list)
		}
	})
}

func TestTagTriggersScopeAndLoops(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		tags := map[string]string{}
		for _, n := range []string{"a", "b", "c", "scoped", "unscoped"} {
			tags[n] = e.create("/api/tags", map[string]any{"name": n})
		}
		scoped := e.create("/api/workflows", map[string]any{"name": "scoped", "trigger_type": "on_tag_added", "trigger_parameters": map[string]any{"tags": []any{tags["scoped"]}},
			"actions": []any{act("set_priority", map[string]any{"priority": "high"})}})
		removed := e.create("/api/workflows", workflowBody("removed", "on_tag_removed", nil, act("set_status", map[string]any{"status": "pending"})))
		tk := e.newTicket("t", "b", "a@example.com", nil)
		e.must(200, e.asAdmin("POST", "/api/tickets/"+tk+"/tags", map[string]any{"tags": []any{tags["unscoped"]}}))
		e.settle(tk)
		if n := len(e.runsOf(tk, scoped)); n != 0 {
			t.Errorf("scoped trigger fired for another tag")
		}
		e.must(200, e.asAdmin("POST", "/api/tickets/"+tk+"/tags", map[string]any{"tags": []any{tags["scoped"]}}))
		e.settle(tk)
		if n := len(e.runsOf(tk, scoped)); n != 1 {
			t.Errorf("scoped trigger ran %d times for its tag", n)
		}
		e.must(204, e.asAdmin("DELETE", "/api/tickets/"+tk+"/tags/"+tags["unscoped"], nil))
		e.settle(tk)
		if n := len(e.runsOf(tk, removed)); n != 1 || e.ticket(tk)["status"] != "pending" {
			t.Errorf("on_tag_removed ran %d times", n)
		}

		// Two workflows that add each other's trigger tags terminate.
		w1 := e.create("/api/workflows", map[string]any{"name": "a→b", "trigger_type": "on_tag_added", "trigger_parameters": map[string]any{"tags": []any{tags["a"]}},
			"actions": []any{act("remove_tags", map[string]any{"tags": []any{tags["a"]}}), act("add_tags", map[string]any{"tags": []any{tags["b"]}})}})
		w2 := e.create("/api/workflows", map[string]any{"name": "b→a", "trigger_type": "on_tag_added", "trigger_parameters": map[string]any{"tags": []any{tags["b"]}},
			"actions": []any{act("remove_tags", map[string]any{"tags": []any{tags["b"]}}), act("add_tags", map[string]any{"tags": []any{tags["a"]}})}})
		loop := e.newTicket("loop", "b", "l@example.com", nil)
		e.must(200, e.asAdmin("POST", "/api/tickets/"+loop+"/tags", map[string]any{"tags": []any{tags["a"]}}))
		e.settle(loop)
		if n1, n2 := len(e.runsOf(loop, w1)), len(e.runsOf(loop, w2)); n1 != 1 || n2 != 1 {
			t.Errorf("loop ran w1 %d and w2 %d times, want once each", n1, n2)
		}
		prevented := false
		for _, ev := range e.asAdmin("GET", "/api/tickets/"+loop+"/evaluations?per_page=200", nil).list() {
			for _, res := range ev.(map[string]any)["results"].([]any) {
				if m := res.(map[string]any); m["workflow_id"] == w1 && m["outcome"] == "loop_prevented" {
					prevented = true
				}
			}
		}
		if !prevented {
			t.Errorf("the loop stop is not recorded")
		}
		if got := tagNames(e, e.ticket(loop)); !reflect.DeepEqual(got, []string{"a"}) {
			t.Errorf("tags after the loop: %v", got)
		}
	})
}

// TestChainDepthLimit: a chain of twelve workflows, each adding the next
// one's tag, stops at depth 10 and records the stop.
func TestChainDepthLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var tags, wfs []string
		for i := 0; i <= 12; i++ {
			tags = append(tags, e.create("/api/tags", map[string]any{"name": fmt.Sprint("t", i)}))
		}
		for i := 0; i < 12; i++ {
			wfs = append(wfs, e.create("/api/workflows", map[string]any{"name": fmt.Sprint("w", i), "trigger_type": "on_tag_added",
				"trigger_parameters": map[string]any{"tags": []any{tags[i]}}, "actions": []any{act("add_tags", map[string]any{"tags": []any{tags[i+1]}})}}))
		}
		tk := e.newTicket("chain", "b", "c@example.com", nil)
		e.must(200, e.asAdmin("POST", "/api/tickets/"+tk+"/tags", map[string]any{"tags": []any{tags[0]}}))
		e.settle(tk)
		ran := 0
		for _, w := range wfs {
			ran += len(e.runsOf(tk, w))
		}
		if ran != 10 {
			t.Errorf("%d runs in the chain, want 10", ran)
		}
		stopped := false
		for _, ev := range e.asAdmin("GET", "/api/tickets/"+tk+"/evaluations?per_page=200", nil).list() {
			for _, res := range ev.(map[string]any)["results"].([]any) {
				if m := res.(map[string]any); m["workflow_id"] == wfs[10] && m["outcome"] == "depth_limit" {
					stopped = true
				}
			}
		}
		if !stopped {
			t.Errorf("the depth stop is not recorded")
		}
		if got := len(e.ticket(tk)["tags"].([]any)); got != 11 {
			t.Errorf("%d tags, want 11 (t0..t10)", got)
		}
	})
}

// TestWorkflowOrder: workflows of one trigger are evaluated and started in
// position order, then creation order.
func TestWorkflowOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var ids []string
		for i, pos := range []int{5, 1, 1, 0} {
			ids = append(ids, e.create("/api/workflows", map[string]any{"name": fmt.Sprint("w", i), "trigger_type": "on_new_ticket", "position": pos,
				"actions": []any{act("add_internal_note", map[string]any{"content": fmt.Sprint("w", i)})}}))
		}
		tk := e.newTicket("order", "b", "o@example.com", nil)
		e.settle(tk)
		evals := e.asAdmin("GET", "/api/tickets/"+tk+"/evaluations", nil).list()
		var order []string
		for _, res := range evals[len(evals)-1].(map[string]any)["results"].([]any) {
			order = append(order, res.(map[string]any)["workflow_id"].(string))
		}
		want := []string{ids[3], ids[1], ids[2], ids[0]}
		if !slices.Equal(order, want) {
			t.Errorf("evaluation order %v, want %v", order, want)
		}
		listed := e.asAdmin("GET", "/api/workflows", nil).list()
		var listOrder []string
		for _, w := range listed {
			listOrder = append(listOrder, w.(map[string]any)["id"].(string))
		}
		if !slices.Equal(listOrder, want) {
			t.Errorf("list order %v, want %v", listOrder, want)
		}
	})
}

// TestMissingValuesAreRecorded: a template that reads what a ticket does
// not have renders it empty and the run history says which values were
// missing; conditions on missing data simply do not match.
func TestMissingValuesAreRecorded(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.create("/api/custom-fields", map[string]any{"key": "order_number", "name": "Order"})
		wf := e.create("/api/workflows", map[string]any{"name": "note", "trigger_type": "on_new_ticket",
			"conditions": []any{cond("does_not_have_tag", e.create("/api/tags", map[string]any{"name": "x"}))},
			"actions": []any{act("set_priority", map[string]any{"priority": "low", "saveAs": "nothing"}), // its output has no id
				act("add_internal_note", map[string]any{"content": "order [{{customFields.order_number}}] ref [{{variables.nothing.id}}]"})}})
		chWF := e.create("/api/workflows", workflowBody("channel", "on_new_ticket", []any{cond("channel_type_is", "email")}, act("set_status", map[string]any{"status": "closed"})))
		tk := e.newTicket("no fields", "b", "m@example.com", nil)
		e.settle(tk)
		runs := e.runsOf(tk, wf)
		if len(runs) != 1 || runs[0]["status"] != "succeeded" {
			t.Fatalf("runs: %v", runs)
		}
		step := runs[0]["steps"].([]any)[1].(map[string]any)
		input := step["input"].(map[string]any)
		if input["content"] != "order [] ref []" {
			t.Errorf("rendered content %q", input["content"])
		}
		if !reflect.DeepEqual(input["missing_variables"], []any{"customFields.order_number", "variables.nothing.id"}) {
			t.Errorf("missing variables: %v", input["missing_variables"])
		}
		if n := len(e.runsOf(tk, chWF)); n != 0 {
			t.Errorf("channel condition matched a ticket without a channel")
		}
	})
}

// TestRetention: what is past its retention is pruned in batches, oldest
// first: evaluations after 7 days while runs stay; finished runs (with their
// steps) and processed events after 90 days; never an event still queued.
func TestRetention(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.config.Retention.Batch = 2 // several batches per prune
		e.restart(func() {})
		e.create("/api/workflows", workflowBody("w", "on_new_ticket", nil, act("set_priority", map[string]any{"priority": "low"})))
		var tickets []string
		for i := range 3 {
			tk := e.newTicket(fmt.Sprint("t", i), "b", "p@example.com", nil)
			e.settle(tk)
			tickets = append(tickets, tk)
		}
		count := func(table string) int {
			t.Helper()
			var n int
			if err := e.rawDB().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if count("evaluations") != 6 || count("workflow_runs") != 3 || count("run_steps") != 3 {
			t.Fatalf("before pruning: %d evaluations, %d runs, %d steps", count("evaluations"), count("workflow_runs"), count("run_steps"))
		}
		prune := func(after time.Duration) {
			t.Helper()
			e.clock.Advance(after)
			if err := e.node.Engine.Prune(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		prune(24 * time.Hour)
		if n := count("evaluations"); n != 6 {
			t.Errorf("%d evaluations a day later, want 6", n)
		}
		prune(7 * 24 * time.Hour)
		if count("evaluations") != 0 || count("workflow_runs") != 3 || len(e.runs(tickets[0])) != 1 {
			t.Errorf("after 8 days: %d evaluations (want 0), %d runs (want 3)", count("evaluations"), count("workflow_runs"))
		}
		events := count("events")
		// An old event still waiting in the queue is never pruned.
		exec(t, e.rawDB(), fmt.Sprintf(`INSERT INTO event_queue (workspace_id, event_id, available_at) SELECT workspace_id, id, %d FROM events WHERE ticket_id = '%s' AND type = 'message.inbound'`, int64(1)<<62, tickets[2]))
		prune(90 * 24 * time.Hour)
		if count("workflow_runs") != 0 || count("run_steps") != 0 {
			t.Errorf("after 98 days: %d runs, %d steps, want none", count("workflow_runs"), count("run_steps"))
		}
		if n := count("events"); n != 1 || events < 6 {
			t.Errorf("after 98 days: %d of %d events left, want the queued one", n, events)
		}
		if n := len(e.ticket(tickets[0])["messages"].([]any)); n != 1 {
			t.Errorf("the ticket lost its messages: %d", n)
		}
	})
}

// TestPathsReadingVariables: a path whose conditions read what the main
// path saved starts once the main path has finished.
func TestPathsReadingVariables(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		hooks := newHookServer(t)
		wf := e.create("/api/workflows", map[string]any{
			"name": "Triage by answer", "trigger_type": "on_new_ticket",
			"actions": []any{act("send_webhook", map[string]any{"url": hooks.URL + "/refund", "saveAs": "triage"})},
			"paths": []any{
				map[string]any{"name": "big refund", "conditions": []any{map[string]any{"type": "variable_equals", "parameters": map[string]any{"name": "triage.body.amount", "value": "42"}}},
					"actions": []any{act("set_priority", map[string]any{"priority": "urgent"})}},
				map[string]any{"name": "other", "conditions": []any{map[string]any{"type": "variable_equals", "parameters": map[string]any{"name": "triage.body.amount", "value": "7"}}},
					"actions": []any{act("set_status", map[string]any{"status": "closed"})}},
			},
		})
		tk := e.newTicket("refund", "b", "v@example.com", nil)
		e.settle(tk)
		r := e.runsOf(tk, wf)[0]
		if got := stepStatuses(r); !reflect.DeepEqual(got, []string{"0.0:succeeded", "1.0:succeeded"}) || r["status"] != "succeeded" {
			t.Errorf("run %v: %v", r["status"], got)
		}
		paths := r["match"].(map[string]any)["paths"].([]any)
		if paths[0].(map[string]any)["matched"] != true || paths[1].(map[string]any)["matched"] != false {
			t.Errorf("path matches: %v", paths)
		}
		if got := e.ticket(tk); got["priority"] != "urgent" || got["status"] != "open" {
			t.Errorf("ticket: %v %v", got["priority"], got["status"])
		}
		// At the workflow level, variables do not exist yet: refused.
		r422 := e.must(422, e.asAdmin("POST", "/api/workflows", map[string]any{"name": "x", "trigger_type": "manual",
			"conditions": []any{map[string]any{"type": "variable_equals", "parameters": map[string]any{"name": "a", "value": "b"}}}}))
		if r422.fieldErrors()["conditions.0.type"] == nil {
			t.Errorf("variable condition at the workflow level: %s", r422.Raw)
		}
	})
}
