package api_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestCatalogObjects(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// Tags and teams: create, show, rename, unique names, delete.
		for _, kind := range []string{"tags", "teams"} {
			id := e.create("/api/"+kind, map[string]any{"name": "Billing"})
			if r := e.must(200, e.asAdmin("GET", "/api/"+kind+"/"+id, nil)); r.data()["name"] != "Billing" {
				t.Errorf("%s show: %s", kind, r.Raw)
			}
			r := e.must(422, e.asAdmin("POST", "/api/"+kind, map[string]any{"name": "billing"}))
			if _, ok := r.fieldErrors()["name"]; !ok {
				t.Errorf("%s duplicate name: %s", kind, r.Raw)
			}
			e.must(422, e.asAdmin("POST", "/api/"+kind, map[string]any{"name": strings.Repeat("x", 101)}))
			if r := e.must(200, e.asAdmin("PUT", "/api/"+kind+"/"+id, map[string]any{"name": "Payments"})); r.data()["name"] != "Payments" {
				t.Errorf("%s rename: %s", kind, r.Raw)
			}
			list := e.must(200, e.asAdmin("GET", "/api/"+kind, nil))
			if len(list.list()) != 1 || list.Body["meta"].(map[string]any)["total"] != 1.0 {
				t.Errorf("%s list: %s", kind, list.Raw)
			}
			e.must(204, e.asAdmin("DELETE", "/api/"+kind+"/"+id, nil))
			e.must(404, e.asAdmin("GET", "/api/"+kind+"/"+id, nil))
		}
		// Channels have a type.
		ch := e.create("/api/channels", map[string]any{"name": "Chat", "type": "chat"})
		if r := e.must(422, e.asAdmin("POST", "/api/channels", map[string]any{"name": "Fax"})); r.fieldErrors()["type"] == nil {
			t.Errorf("channel without type: %s", r.Raw)
		}
		e.must(422, e.asAdmin("POST", "/api/channels", map[string]any{"name": "Fax", "type": "fax"}))
		if r := e.must(200, e.asAdmin("PUT", "/api/channels/"+ch, map[string]any{"type": "sms"})); r.data()["type"] != "sms" || r.data()["name"] != "Chat" {
			t.Errorf("channel update: %s", r.Raw)
		}
		// Contacts: email unique and valid, VIP flag.
		c := e.create("/api/contacts", map[string]any{"email": "vip@example.com", "name": "Vera", "is_vip": true})
		if r := e.must(200, e.asAdmin("GET", "/api/contacts/"+c, nil)); r.data()["is_vip"] != true {
			t.Errorf("contact: %s", r.Raw)
		}
		e.must(422, e.asAdmin("POST", "/api/contacts", map[string]any{"email": "VIP@example.com"}))
		for _, bad := range []any{"nope", "Vera <vip@example.com>", 7, ""} {
			if r := e.asAdmin("POST", "/api/contacts", map[string]any{"email": bad}); r.Status != 422 || r.fieldErrors()["email"] == nil {
				t.Errorf("contact email %v: %d %s", bad, r.Status, r.Raw)
			}
		}
		if r := e.must(200, e.asAdmin("PUT", "/api/contacts/"+c, map[string]any{"is_vip": false})); r.data()["is_vip"] != false || r.data()["email"] != "vip@example.com" {
			t.Errorf("contact update: %s", r.Raw)
		}
		// Custom fields: key format, unique key, fixed key and type.
		f := e.create("/api/custom-fields", map[string]any{"key": "order_number", "name": "Order", "type": "text"})
		e.must(422, e.asAdmin("POST", "/api/custom-fields", map[string]any{"key": "order_number", "name": "Again"}))
		e.must(422, e.asAdmin("POST", "/api/custom-fields", map[string]any{"key": "Order Number", "name": "Bad"}))
		e.must(422, e.asAdmin("POST", "/api/custom-fields", map[string]any{"key": "amount", "name": "Amount", "type": "money"}))
		e.must(422, e.asAdmin("PUT", "/api/custom-fields/"+f, map[string]any{"name": "Order", "key": "order"}))
		if r := e.must(200, e.asAdmin("PUT", "/api/custom-fields/"+f, map[string]any{"name": "Order no."})); r.data()["key"] != "order_number" {
			t.Errorf("custom field rename: %s", r.Raw)
		}
		// Users: the workspace's members with their roles.
		users := e.must(200, e.asAdmin("GET", "/api/users", nil)).list()
		roles := map[string]bool{}
		for _, u := range users {
			roles[u.(map[string]any)["role"].(string)] = true
		}
		if len(users) != 2 || !roles["admin"] || !roles["agent"] {
			t.Errorf("users: %v", users)
		}
		// Pagination.
		for i := 0; i < 3; i++ {
			e.create("/api/tags", map[string]any{"name": "p" + itoa(int64(i))})
		}
		page := e.must(200, e.asAdmin("GET", "/api/tags?per_page=2&page=2", nil))
		meta := page.Body["meta"].(map[string]any)
		if len(page.list()) != 1 || meta["total"] != 3.0 || meta["last_page"] != 2.0 || meta["current_page"] != 2.0 {
			t.Errorf("page 2: %s", page.Raw)
		}
		for _, q := range []string{"page=0", "per_page=1000", "page=x"} {
			e.must(422, e.asAdmin("GET", "/api/tags?"+q, nil))
		}
	})
}

func TestBusinessHoursAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		def := e.must(200, e.asAdmin("GET", "/api/business-hours", nil)).data()
		if def["timezone"] != "UTC" || len(def["weekly"].(map[string]any)["monday"].([]any)) != 1 || len(def["weekly"].(map[string]any)["saturday"].([]any)) != 0 {
			t.Errorf("default: %v", def)
		}
		berlin := map[string]any{
			"timezone": "Europe/Berlin",
			"weekly": map[string]any{
				"monday": []any{map[string]any{"start": "09:00", "end": "12:00"}, map[string]any{"start": "13:00", "end": "17:00"}},
				"friday": []any{map[string]any{"start": "09:00", "end": "17:00"}},
			},
			"closed_dates": []any{"2026-12-25", "2026-12-24"},
		}
		e.must(200, e.asAdmin("PUT", "/api/business-hours", berlin))
		got := e.must(200, e.asAdmin("GET", "/api/business-hours", nil)).data()
		if got["timezone"] != "Europe/Berlin" || !reflect.DeepEqual(got["closed_dates"], []any{"2026-12-24", "2026-12-25"}) {
			t.Errorf("stored: %v", got)
		}
		if len(got["weekly"].(map[string]any)["monday"].([]any)) != 2 {
			t.Errorf("monday: %v", got["weekly"])
		}
		bad := []struct {
			body map[string]any
			path string
		}{
			{map[string]any{"timezone": "Mars/Olympus", "weekly": berlin["weekly"]}, "timezone"},
			{map[string]any{"timezone": "UTC", "weekly": map[string]any{"monday": []any{map[string]any{"start": "9am", "end": "17:00"}}}}, "weekly.monday.0.start"},
			{map[string]any{"timezone": "UTC", "weekly": map[string]any{"funday": []any{}}}, "weekly.funday"},
			{map[string]any{"timezone": "UTC", "weekly": map[string]any{}}, "weekly"},
			{map[string]any{"timezone": "UTC", "weekly": berlin["weekly"], "closed_dates": []any{"2026-02-30"}}, "closed_dates.0"},
		}
		for _, b := range bad {
			r := e.must(422, e.asAdmin("PUT", "/api/business-hours", b.body))
			if r.fieldErrors()[b.path] == nil {
				t.Errorf("no error at %s: %s", b.path, r.Raw)
			}
		}
		if again := e.must(200, e.asAdmin("GET", "/api/business-hours", nil)).data(); !reflect.DeepEqual(again, got) {
			t.Errorf("refused updates changed business hours")
		}
		// Another workspace keeps its own.
		if other := e.must(200, e.call("GET", "/api/business-hours", e.adminB, e.wsB, nil)).data(); other["timezone"] != "UTC" {
			t.Errorf("workspace B sees %v", other["timezone"])
		}
	})
}

func eventTypes(e *env, ticket string) []string {
	var out []string
	for _, ev := range e.must(200, e.asAdmin("GET", "/api/tickets/"+ticket+"/events", nil)).list() {
		out = append(out, ev.(map[string]any)["type"].(string))
	}
	return out
}

func TestTicketsMessagesTagsAndEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ch := e.create("/api/channels", map[string]any{"name": "Email", "type": "email"})
		e.create("/api/custom-fields", map[string]any{"key": "order_number", "name": "Order"})
		e.create("/api/custom-fields", map[string]any{"key": "amount", "name": "Amount", "type": "number"})
		r := e.must(201, e.asAdmin("POST", "/api/tickets", map[string]any{
			"subject": "Refund please", "body": "Order 1234 arrived broken", "channel_id": ch,
			"contact":       map[string]any{"email": "ann@example.com", "name": "Ann"},
			"custom_fields": map[string]any{"order_number": "1234", "amount": 12.5},
		}))
		tk := r.data()
		id := tk["id"].(string)
		if tk["status"] != "open" || tk["priority"] != "medium" || tk["channel_id"] != ch || tk["contact"].(map[string]any)["name"] != "Ann" {
			t.Errorf("ticket: %s", r.Raw)
		}
		if msgs := tk["messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["direction"] != "inbound" || msgs[0].(map[string]any)["sender_email"] != "ann@example.com" {
			t.Errorf("first message: %v", tk["messages"])
		}
		if !reflect.DeepEqual(eventTypes(e, id), []string{"ticket.created", "message.inbound"}) {
			t.Errorf("events after create: %v", eventTypes(e, id))
		}
		// The same contact is reused by email.
		r2 := e.must(201, e.asAdmin("POST", "/api/tickets", map[string]any{"subject": "Again", "body": "b", "contact": map[string]any{"email": "ANN@example.com"}}))
		if r2.data()["contact_id"] != tk["contact_id"] {
			t.Errorf("contact not reused")
		}

		// Messages: a reply, an internal note, a customer reply.
		e.must(201, e.asAdmin("POST", "/api/tickets/"+id+"/messages", map[string]any{"direction": "outbound", "body": "Sorry!"}))
		e.must(201, e.asAdmin("POST", "/api/tickets/"+id+"/messages", map[string]any{"direction": "note", "body": "Check stock"}))
		in := e.must(201, e.asAdmin("POST", "/api/tickets/"+id+"/messages", map[string]any{"direction": "inbound", "body": "Thanks"})).data()
		if in["sender_email"] != "ann@example.com" {
			t.Errorf("inbound sender: %v", in)
		}
		e.must(422, e.asAdmin("POST", "/api/tickets/"+id+"/messages", map[string]any{"direction": "sideways", "body": "x"}))
		e.must(422, e.asAdmin("POST", "/api/tickets/"+id+"/messages", map[string]any{"direction": "inbound"}))

		// Tags: add (twice is one event), remove.
		tag := e.create("/api/tags", map[string]any{"name": "refund"})
		for i := 0; i < 2; i++ {
			got := e.must(200, e.asAdmin("POST", "/api/tickets/"+id+"/tags", map[string]any{"tags": []any{tag}})).data()
			if !reflect.DeepEqual(got["tags"], []any{tag}) {
				t.Errorf("tags: %v", got["tags"])
			}
		}
		if r := e.must(422, e.asAdmin("POST", "/api/tickets/"+id+"/tags", map[string]any{"tags": []any{"01ARZ3NDEKTSV4RRFFQ69G5FAV"}})); r.fieldErrors()["tags.0"] == nil {
			t.Errorf("unknown tag: %s", r.Raw)
		}
		e.must(204, e.asAdmin("DELETE", "/api/tickets/"+id+"/tags/"+tag, nil))
		e.must(204, e.asAdmin("DELETE", "/api/tickets/"+id+"/tags/"+tag, nil))
		want := []string{"ticket.created", "message.inbound", "message.outbound", "message.inbound", "tag.added", "tag.removed"}
		if got := eventTypes(e, id); !reflect.DeepEqual(got, want) {
			t.Errorf("events = %v, want %v", got, want)
		}

		// Update: status, priority, assignee, custom fields.
		team := e.create("/api/teams", map[string]any{"name": "Billing"})
		up := e.must(200, e.asAdmin("PUT", "/api/tickets/"+id, map[string]any{
			"status": "pending", "priority": "urgent",
			"assignee":      map[string]any{"type": "team", "team_id": team},
			"custom_fields": map[string]any{"amount": nil, "order_number": "99"},
		})).data()
		if up["status"] != "pending" || up["priority"] != "urgent" || up["assignee"].(map[string]any)["team_id"] != team {
			t.Errorf("update: %v", up)
		}
		if !reflect.DeepEqual(up["custom_fields"], map[string]any{"order_number": "99"}) {
			t.Errorf("custom fields: %v", up["custom_fields"])
		}
		shown := e.must(200, e.asAdmin("GET", "/api/tickets/"+id, nil)).data()
		if len(shown["messages"].([]any)) != 4 {
			t.Errorf("messages: %v", shown["messages"])
		}
		list := e.must(200, e.asAdmin("GET", "/api/tickets", nil)).list()
		if len(list) != 2 || list[0].(map[string]any)["subject"] != "Again" {
			t.Errorf("list newest first: %v", list)
		}

		// Ticket validation names each field.
		bad := []struct {
			body map[string]any
			path string
		}{
			{map[string]any{"body": "b", "contact": map[string]any{"email": "a@example.com"}}, "subject"},
			{map[string]any{"subject": "s", "contact": map[string]any{"email": "a@example.com"}}, "body"},
			{map[string]any{"subject": "s", "body": "b"}, "contact"},
			{map[string]any{"subject": "s", "body": "b", "contact": map[string]any{"email": "nope"}}, "contact.email"},
			{map[string]any{"subject": "s", "body": "b", "contact": map[string]any{"email": "a@example.com"}, "status": "lost"}, "status"},
			{map[string]any{"subject": "s", "body": "b", "contact": map[string]any{"email": "a@example.com"}, "priority": "asap"}, "priority"},
			{map[string]any{"subject": "s", "body": "b", "contact": map[string]any{"email": "a@example.com"}, "channel_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "channel_id"},
			{map[string]any{"subject": "s", "body": "b", "contact": map[string]any{"email": "a@example.com"}, "custom_fields": map[string]any{"colour": "red"}}, "custom_fields.colour"},
			{map[string]any{"subject": "s", "body": "b", "contact": map[string]any{"email": "a@example.com"}, "custom_fields": map[string]any{"amount": "12"}}, "custom_fields.amount"},
			{map[string]any{"subject": strings.Repeat("s", 1000), "body": "b", "contact": map[string]any{"email": "a@example.com"}}, "subject"},
		}
		for _, b := range bad {
			r := e.asAdmin("POST", "/api/tickets", b.body)
			if r.Status != http.StatusUnprocessableEntity || r.fieldErrors()[b.path] == nil {
				t.Errorf("ticket %v: %d %s", b.path, r.Status, r.Raw)
			}
		}
		if n := len(e.must(200, e.asAdmin("GET", "/api/tickets", nil)).list()); n != 2 {
			t.Errorf("refused tickets were saved: %d tickets", n)
		}
		if n := len(e.must(200, e.asAdmin("GET", "/api/contacts", nil)).list()); n != 1 {
			t.Errorf("refused tickets left contacts behind: %d", n)
		}
	})
}

// TestRequestBodies: malformed JSON is 400, another content type 415, an
// oversized body 413, an unknown route 404 — all as JSON.
func TestRequestBodies(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		send := func(contentType, body string) response {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/workflows", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+e.adminA)
			req.Header.Set("X-Workspace-Id", itoa(e.wsA))
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			return e.send(req)
		}
		cases := []struct {
			name, contentType, body string
			want                    int
		}{
			{"malformed", "application/json", `{"name": `, 400},
			{"trailing data", "application/json", `{"name": "x"} {}`, 400},
			{"array", "application/json", `[]`, 400},
			{"not json", "application/json", `name=x`, 400},
			{"form", "application/x-www-form-urlencoded", `name=x`, 415},
			{"no content type", "", `{"name": "x"}`, 415},
			{"too large", "application/json", `{"name": "` + strings.Repeat("x", 1<<20) + `"}`, 413},
			{"charset is fine", "application/json; charset=utf-8", `{"name": "x", "trigger_type": "manual"}`, 201},
		}
		for _, c := range cases {
			r := send(c.contentType, c.body)
			if r.Status != c.want {
				t.Errorf("%s: %d, want %d (%.200s)", c.name, r.Status, c.want, r.Raw)
			}
			if msg, _ := r.Body["message"].(string); c.want >= 400 && msg == "" {
				t.Errorf("%s: no message", c.name)
			}
		}
		if r := e.asAdmin("GET", "/api/nothing-here", nil); r.Status != 404 {
			t.Errorf("unknown route: %d", r.Status)
		}
		if r := e.asAdmin("GET", "/api/workflows/not-an-id", nil); r.Status != 404 {
			t.Errorf("malformed id: %d", r.Status)
		}
	})
}
