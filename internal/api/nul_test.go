package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"reflect"
	"strings"
	"testing"
)

// nul is U+0000, which PostgreSQL cannot store in text and SQLite can.
const nul = "\x00"

// withNUL puts a NUL after the first byte of s.
func withNUL(s string) string {
	if s == "" {
		return nul
	}
	return s[:1] + nul + s[1:]
}

// pick keeps of got what want has: the keys of want's objects, the indexes
// of its arrays where it has something else than nil, and whole values
// elsewhere; so pick(got, want) equals want when got holds want.
func pick(got, want any) any {
	switch w := want.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		out := make(map[string]any, len(w))
		for k, wv := range w {
			out[k] = pick(g[k], wv)
		}
		return out
	case []any:
		g, _ := got.([]any)
		out := make([]any, len(w))
		for i, wv := range w {
			if wv != nil && i < len(g) {
				out[i] = pick(g[i], wv)
			}
		}
		return out
	}
	return got
}

// Every text a request gives — values and object keys, free text and
// validated values alike — is stored without its NUL characters, on both
// back ends alike: each write succeeds, and reading it back gives the text
// without NUL, the same on SQLite and PostgreSQL.
func TestNULIsRemovedFromText(t *testing.T) {
	stored := map[string]map[string]any{} // back end → case and path → value read back
	eachBackend(t, func(t *testing.T, e *env) {
		seen := map[string]any{}
		stored[path.Base(t.Name())] = seen
		// Objects to change, made without NUL.
		e.create("/api/custom-fields", map[string]any{"key": "order", "name": "Order"})
		tk := e.newTicket("Hi", "Hello", "ann@example.com", nil)
		talk := e.newTicket("Talk", "Hello", "ann@example.com", nil)
		tag := e.create("/api/tags", map[string]any{"name": "VIP"})
		team := e.create("/api/teams", map[string]any{"name": "Tier 1"})
		channel := e.create("/api/channels", map[string]any{"name": "Web", "type": "web"})
		contact := e.create("/api/contacts", map[string]any{"email": "eve@example.com"})
		field := e.create("/api/custom-fields", map[string]any{"key": "plan", "name": "Plan"})
		reply := e.create("/api/saved-replies", map[string]any{"title": "Hi", "body": "Hello"})
		conn := e.create("/api/connectors", map[string]any{"type": "webhook", "name": "Hook", "credentials": map[string]any{"signing_secret": secret}})
		wf := e.create("/api/workflows", workflowBody("Approve", "manual", nil, act("add_internal_note", map[string]any{"content": "x", "requireApproval": true})))
		e.must(201, e.asAdmin("POST", "/api/workflows/"+wf+"/runs", map[string]any{"ticket_id": tk}))
		e.settle(tk)
		approvals := e.asAdmin("GET", "/api/approvals?status=pending", nil).list()
		if len(approvals) != 1 {
			t.Fatalf("approvals: %v", approvals)
		}
		approval := approvals[0].(map[string]any)["id"].(string)

		cases := []struct {
			name, method, url string
			body              map[string]any
			// read is where to read the result; "" reads the object
			// created, at url/{id}.
			read string
			want map[string]any // what is read has at least this (see pick)
		}{
			{"create ticket", "POST", "/api/tickets", map[string]any{
				"subject": withNUL("Refund"), "body": withNUL("Body"),
				"contact":       map[string]any{"email": withNUL("bob@example.com"), "name": withNUL("Bob")},
				"custom_fields": map[string]any{withNUL("order"): withNUL("A1")},
			}, "", map[string]any{"subject": "Refund", "messages": []any{map[string]any{"body": "Body"}}, "contact": map[string]any{"email": "bob@example.com", "name": "Bob"}, "custom_fields": map[string]any{"order": "A1"}}},
			{"update ticket", "PUT", "/api/tickets/" + tk, map[string]any{"subject": withNUL("Updated"), "custom_fields": map[string]any{"order": withNUL("B2")}},
				"/api/tickets/" + tk, map[string]any{"subject": "Updated", "custom_fields": map[string]any{"order": "B2"}}},
			{"add message", "POST", "/api/tickets/" + talk + "/messages", map[string]any{"direction": withNUL("inbound"), "body": withNUL("Question"),
				"sender_name": withNUL("Eve"), "sender_email": withNUL("eve@example.com"), "email_message_id": withNUL("<q@example.com>")},
				"/api/tickets/" + talk, map[string]any{"messages": []any{nil, map[string]any{"direction": "inbound", "body": "Question", "sender_name": "Eve", "sender_email": "eve@example.com"}}}},
			{"tag ticket", "POST", "/api/tickets/" + tk + "/tags", map[string]any{"tags": []any{withNUL(tag)}}, "/api/tickets/" + tk, nil}, // checked by name below: ids differ from one database to the other
			{"create contact", "POST", "/api/contacts", map[string]any{"email": withNUL("carl@example.com"), "name": withNUL("Carl")}, "", map[string]any{"email": "carl@example.com", "name": "Carl"}},
			{"update contact", "PUT", "/api/contacts/" + contact, map[string]any{"name": withNUL("Eve")}, "/api/contacts/" + contact, map[string]any{"name": "Eve"}},
			{"create tag", "POST", "/api/tags", map[string]any{"name": withNUL("Billing")}, "", map[string]any{"name": "Billing"}},
			{"rename tag", "PUT", "/api/tags/" + tag, map[string]any{"name": withNUL("VIP customer")}, "/api/tags/" + tag, map[string]any{"name": "VIP customer"}},
			{"create team", "POST", "/api/teams", map[string]any{"name": withNUL("Billing")}, "", map[string]any{"name": "Billing"}},
			{"rename team", "PUT", "/api/teams/" + team, map[string]any{"name": withNUL("Tier 2")}, "/api/teams/" + team, map[string]any{"name": "Tier 2"}},
			{"create channel", "POST", "/api/channels", map[string]any{"name": withNUL("Chat"), "type": withNUL("chat")}, "", map[string]any{"name": "Chat", "type": "chat"}},
			{"update channel", "PUT", "/api/channels/" + channel, map[string]any{"name": withNUL("Web form")}, "/api/channels/" + channel, map[string]any{"name": "Web form"}},
			{"create custom field", "POST", "/api/custom-fields", map[string]any{"key": withNUL("region"), "name": withNUL("Region")}, "", map[string]any{"key": "region", "name": "Region"}},
			{"rename custom field", "PUT", "/api/custom-fields/" + field, map[string]any{"name": withNUL("Plan name")}, "/api/custom-fields/" + field, map[string]any{"name": "Plan name"}},
			{"create workflow", "POST", "/api/workflows", map[string]any{
				"name": withNUL("Notes"), "description": withNUL("Adds notes"), "trigger_type": withNUL("on_new_ticket"),
				"conditions": []any{cond("subject_contains", withNUL("refund"))},
				"actions":    []any{map[string]any{"type": withNUL("add_internal_note"), "label": withNUL("Note"), "parameters": map[string]any{"content": withNUL("Seen {{ticket.subject}}")}}},
			}, "", map[string]any{"name": "Notes", "description": "Adds notes", "trigger_type": "on_new_ticket",
				"conditions": []any{map[string]any{"parameters": map[string]any{"value": "refund"}}},
				"actions":    []any{map[string]any{"type": "add_internal_note", "label": "Note", "parameters": map[string]any{"content": "Seen {{ticket.subject}}"}}}}},
			{"update workflow", "PUT", "/api/workflows/" + wf, map[string]any{"name": withNUL("Approved notes"), "description": withNUL("Asks first")},
				"/api/workflows/" + wf, map[string]any{"name": "Approved notes", "description": "Asks first"}},
			{"reject", "POST", "/api/approvals/" + approval + "/reject", map[string]any{"reason": withNUL("Not now")}, "/api/approvals/" + approval, map[string]any{"reason": "Not now"}},
			{"update workspace", "PUT", "/api/workspace", map[string]any{"name": withNUL("Acme"), "signature": withNUL("The team")}, "/api/workspace", map[string]any{"name": "Acme", "signature": "The team"}},
			{"create saved reply", "POST", "/api/saved-replies", map[string]any{"title": withNUL("Refunds"), "body": withNUL("Hi {{customer.name}}")}, "", map[string]any{"title": "Refunds", "body": "Hi {{customer.name}}"}},
			{"update saved reply", "PUT", "/api/saved-replies/" + reply, map[string]any{"body": withNUL("Hello there")}, "/api/saved-replies/" + reply, map[string]any{"body": "Hello there"}},
			{"ai settings", "PUT", "/api/ai-settings", map[string]any{"categories": []any{withNUL("billing")}, "keywords": map[string]any{withNUL("billing"): []any{withNUL("invoice")}}},
				"/api/ai-settings", map[string]any{"categories": []any{"billing"}, "keywords": map[string]any{"billing": []any{"invoice"}}}},
			{"business hours", "PUT", "/api/business-hours", map[string]any{"timezone": withNUL("Europe/Berlin"), "weekly": map[string]any{withNUL("monday"): []any{map[string]any{"start": withNUL("09:00"), "end": "17:00"}}}},
				"/api/business-hours", map[string]any{"timezone": "Europe/Berlin", "weekly": map[string]any{"monday": []any{map[string]any{"start": "09:00"}}}}},
			{"create connector", "POST", "/api/connectors", map[string]any{"type": withNUL("smtp"), "name": withNUL("Mail"),
				"settings":    map[string]any{"host": withNUL("smtp.example.com"), "port": 587, "from_address": withNUL("help@example.com"), "from_name": withNUL("Support")},
				"credentials": map[string]any{withNUL("username"): withNUL("user"), "password": withNUL("secret")}},
				"", map[string]any{"name": "Mail", "settings": map[string]any{"host": "smtp.example.com", "from_address": "help@example.com", "from_name": "Support"}, "credentials_set": []any{"password", "username"}}},
			{"update connector", "PUT", "/api/connectors/" + conn, map[string]any{"name": withNUL("Signed hook"), "credentials": map[string]any{"signing_secret": withNUL(secret)}},
				"/api/connectors/" + conn, map[string]any{"name": "Signed hook"}},
		}
		for _, c := range cases {
			r := e.asAdmin(c.method, c.url, c.body)
			if r.Status/100 != 2 {
				t.Errorf("%s: %s %s answered %d: %.300s", c.name, c.method, c.url, r.Status, r.Raw)
				continue
			}
			read := c.read
			if read == "" {
				id, _ := r.data()["id"].(string)
				read = c.url + "/" + id
			}
			if c.want == nil {
				continue
			}
			got := pick(e.must(200, e.asAdmin("GET", read, nil)).data(), c.want)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: read back %q, want %q", c.name, got, c.want)
			}
			seen[c.name] = got
		}
		got := tagNames(e, e.ticket(tk))
		if want := []string{"VIP customer"}; !reflect.DeepEqual(got, want) {
			t.Errorf("ticket tags %q, want %q", got, want)
		}
		seen["tag ticket"] = got
		// Write-only credentials are stored without NUL too.
		opened, err := e.node.Engine.Services().Connectors.Connector(t.Context(), e.wsA, conn)
		if err != nil {
			t.Fatal(err)
		}
		if got := opened.Secret("signing_secret"); got != secret {
			t.Errorf("credential %q, want %q", got, secret)
		}
	})
	if sqlite, postgres := stored["sqlite"], stored["postgres"]; sqlite != nil && postgres != nil {
		for name, v := range sqlite {
			if !reflect.DeepEqual(v, postgres[name]) {
				t.Errorf("%s reads back differently: SQLite %q, PostgreSQL %q", name, v, postgres[name])
			}
		}
	}
}

// What a step saves (saveAs) from outside — here a webhook's answer — is
// kept without NUL characters in its keys and values: in the run's record
// and in the text later steps render from it.
func TestNULIsRemovedFromSavedOutputs(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"te\u0000xt": "ab\u0000c", "list": ["x\u0000y"]}`)
		}))
		t.Cleanup(hook.Close)
		wf := e.create("/api/workflows", workflowBody("Hook", "on_new_ticket", nil,
			act("send_webhook", map[string]any{"url": hook.URL, "saveAs": "hook"}),
			act("add_internal_note", map[string]any{"content": "got {{variables.hook.body.text}}"}),
		))
		tk := e.newTicket("Hi", "b", "ann@example.com", nil)
		e.settle(tk)
		runs := e.runsOf(tk, wf)
		if len(runs) != 1 {
			t.Fatalf("runs: %v", runs)
		}
		if got := stepStatuses(runs[0]); !reflect.DeepEqual(got, []string{"0.0:succeeded", "0.1:succeeded"}) {
			t.Fatalf("steps %v: %v", got, runs[0]["steps"])
		}
		run := e.must(200, e.asAdmin("GET", "/api/runs/"+runs[0]["id"].(string), nil))
		if strings.Contains(run.Raw, `\u0000`) {
			t.Errorf("the run keeps a NUL: %s", run.Raw)
		}
		body := run.data()["steps"].([]any)[0].(map[string]any)["output"].(map[string]any)["body"]
		if want := map[string]any{"text": "abc", "list": []any{"xy"}}; !reflect.DeepEqual(body, want) {
			t.Errorf("saved output %v, want %v", body, want)
		}
		msgs := e.ticket(tk)["messages"].([]any)
		if note := msgs[len(msgs)-1].(map[string]any)["body"]; note != "got abc" {
			t.Errorf("note %q", note)
		}
	})
}
