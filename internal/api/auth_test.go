package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/api"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// objectsOf creates one object of every kind in workspace ws (as token) and
// returns their ids by path parameter name.
func (e *env) objectsOf(token string, ws int64) map[string]string {
	e.t.Helper()
	mk := func(path string, body any) string {
		r := e.call("POST", path, token, ws, body)
		if r.Status != http.StatusCreated {
			e.t.Fatalf("POST %s: %d %s", path, r.Status, r.Raw)
		}
		return r.data()["id"].(string)
	}
	ids := map[string]string{
		"tag":     mk("/api/tags", map[string]any{"name": "vip"}),
		"team":    mk("/api/teams", map[string]any{"name": "Billing"}),
		"channel": mk("/api/channels", map[string]any{"name": "Support email", "type": "email", "settings": map[string]any{"address": fmt.Sprintf("support-%d@acme.test", ws)}}),
		"contact": mk("/api/contacts", map[string]any{"email": "ann@example.com", "name": "Ann"}),
		"field":   mk("/api/custom-fields", map[string]any{"key": "order_number", "name": "Order number"}),
		"reply":   mk("/api/saved-replies", map[string]any{"title": "Refund policy", "body": "Hi {{customer.name}}, refunds take 5 days."}),
	}
	ids["message"], ids["attachment"] = e.receiveEmail(token, ws, ids["channel"], "Please see the attached invoice.")
	ids["connector"] = mk("/api/connectors", map[string]any{"type": "webhook", "name": "Signed hooks", "credentials": map[string]any{"signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}})
	ids["ticket"] = mk("/api/tickets", map[string]any{"subject": "Help", "body": "Hi", "contact": map[string]any{"email": "bob@example.com"}})
	ids["workflow"] = mk("/api/workflows", map[string]any{"name": "W", "trigger_type": "on_new_ticket", "actions": []any{map[string]any{"type": "add_tags", "parameters": map[string]any{"tags": []any{ids["tag"]}}}}})
	ids["version"] = "1"
	me := e.call("GET", "/api/me", token, ws, nil)
	ids["user"] = me.data()["id"].(string)
	manual := mk("/api/workflows", map[string]any{"name": "Ask first", "trigger_type": "manual", "actions": []any{
		map[string]any{"type": "add_internal_note", "parameters": map[string]any{"content": "approved", "requireApproval": true}},
	}})
	ids["run"] = e.must(201, e.call("POST", "/api/workflows/"+manual+"/runs", token, ws, map[string]any{"ticket_id": ids["ticket"]})).data()["id"].(string)
	e.eventually("an approval is requested", func() bool {
		list := e.call("GET", "/api/approvals?status=pending", token, ws, nil).list()
		if len(list) == 1 {
			ids["approval"] = list[0].(map[string]any)["id"].(string)
		}
		return len(list) == 1
	})
	return ids
}

// documentedRoute is one operation; public ones need no token.
type documentedRoute struct {
	method, path string
	public       bool
}

// documentedRoutes reads every route from the served OpenAPI description.
func (e *env) documentedRoutes() []documentedRoute {
	e.t.Helper()
	doc := e.must(http.StatusOK, e.call("GET", "/api/openapi.json", "", 0, nil))
	if doc.Body["openapi"] != "3.1.0" {
		e.t.Fatalf("openapi version %v", doc.Body["openapi"])
	}
	var out []documentedRoute
	for path, item := range doc.Body["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			security, declared := op.(map[string]any)["security"].([]any)
			out = append(out, documentedRoute{strings.ToUpper(method), path, declared && len(security) == 0})
		}
	}
	slices.SortFunc(out, func(a, b documentedRoute) int { return strings.Compare(a.path+a.method, b.path+b.method) })
	if len(out) < 40 {
		e.t.Fatalf("only %d routes documented", len(out))
	}
	return out
}

var param = regexp.MustCompile(`\{([a-z_]+)\}`)

func TestAuthentication(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		cases := []struct {
			name   string
			header map[string]string
			want   int
		}{
			{"no token", map[string]string{"X-Workspace-Id": itoa(e.wsA)}, 401},
			{"not bearer", map[string]string{"Authorization": "Basic " + e.adminA, "X-Workspace-Id": itoa(e.wsA)}, 401},
			{"unknown token", map[string]string{"Authorization": "Bearer dfk_" + strings.Repeat("x", 43), "X-Workspace-Id": itoa(e.wsA)}, 401},
			{"malformed token", map[string]string{"Authorization": "Bearer nope", "X-Workspace-Id": itoa(e.wsA)}, 401},
			{"no workspace", map[string]string{"Authorization": "Bearer " + e.adminA}, 403},
			{"bad workspace", map[string]string{"Authorization": "Bearer " + e.adminA, "X-Workspace-Id": "abc"}, 403},
			{"other workspace", map[string]string{"Authorization": "Bearer " + e.adminA, "X-Workspace-Id": itoa(e.wsB)}, 403},
			{"unknown workspace", map[string]string{"Authorization": "Bearer " + e.adminA, "X-Workspace-Id": "999999"}, 403},
			{"member", map[string]string{"Authorization": "Bearer " + e.agentA, "X-Workspace-Id": itoa(e.wsA)}, 200},
		}
		for _, c := range cases {
			req, _ := http.NewRequest("GET", e.srv.URL+"/api/workflows", nil)
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			r := e.send(req)
			if r.Status != c.want {
				t.Errorf("%s: status %d, want %d (%s)", c.name, r.Status, c.want, r.Raw)
			}
			if r.Status >= 400 && r.Body["message"] == "" {
				t.Errorf("%s: no message", c.name)
			}
		}
	})
}

// TestEveryRouteChecksTheWorkspace: a token of workspace A sent with
// X-Workspace-Id of B gets 403 on every route, and B's object ids used in A
// get 404 on every route that takes an id; A's lists never show B's objects.
func TestEveryRouteChecksTheWorkspace(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		idsB := e.objectsOf(e.adminB, e.wsB)
		idsA := e.objectsOf(e.adminA, e.wsA)
		routes := e.documentedRoutes()
		for _, rt := range routes {
			if rt.public {
				continue
			}
			path := param.ReplaceAllStringFunc(rt.path, func(m string) string { return idsB[m[1:len(m)-1]] })
			var body any
			if rt.method == "POST" || rt.method == "PUT" {
				body = map[string]any{}
			}
			if r := e.call(rt.method, path, e.adminA, e.wsB, body); r.Status != http.StatusForbidden {
				t.Errorf("%s %s with A's token in B: %d, want 403", rt.method, rt.path, r.Status)
			}
			if !strings.Contains(rt.path, "{") {
				continue
			}
			if r := e.call(rt.method, path, e.adminA, e.wsA, body); r.Status != http.StatusNotFound {
				t.Errorf("%s %s with B's ids in A: %d, want 404 (%s)", rt.method, rt.path, r.Status, r.Raw)
			}
		}
		// Every list (a GET answering an array), with A's ids in its path.
		lists := 0
		for _, rt := range routes {
			if rt.method != "GET" || rt.public {
				continue
			}
			path := param.ReplaceAllStringFunc(rt.path, func(m string) string { return idsA[m[1:len(m)-1]] })
			r := e.must(200, e.asAdmin("GET", path, nil))
			if _, isList := r.Body["data"].([]any); !isList {
				continue
			}
			lists++
			for _, item := range r.list() {
				id := item.(map[string]any)["id"]
				for _, b := range idsB {
					if id == b {
						t.Errorf("%s in A shows B's object %s", path, b)
					}
				}
			}
		}
		if lists == 0 {
			t.Error("no documented route answers a list")
		}
	})
}

// TestAgentRole: agents read everything and work tickets, but workflow and
// configuration writes need an admin.
func TestAgentRole(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ids := e.objectsOf(e.adminA, e.wsA)
		wf := "/api/workflows/" + ids["workflow"]
		forbidden := []struct{ method, path string }{
			{"POST", "/api/workflows"},
			{"PUT", wf},
			{"DELETE", wf},
			{"PUT", "/api/business-hours"},
			{"POST", "/api/teams"},
			{"POST", "/api/channels"},
			{"POST", "/api/custom-fields"},
			{"PUT", "/api/tags/" + ids["tag"]},
			{"DELETE", "/api/tags/" + ids["tag"]},
		}
		for _, f := range forbidden {
			var body any
			if f.method != "DELETE" {
				body = map[string]any{"name": "x", "trigger_type": "manual"}
			}
			if r := e.call(f.method, f.path, e.agentA, e.wsA, body); r.Status != http.StatusForbidden {
				t.Errorf("agent %s %s: %d, want 403", f.method, f.path, r.Status)
			}
		}
		if r := e.call("GET", wf, e.agentA, e.wsA, nil); r.Status != 200 {
			t.Errorf("agent reads workflow: %d", r.Status)
		}
		if r := e.call("POST", "/api/tickets/"+ids["ticket"]+"/messages", e.agentA, e.wsA, map[string]any{"direction": "outbound", "body": "On it"}); r.Status != 201 {
			t.Errorf("agent replies: %d %s", r.Status, r.Raw)
		}
		// The workflow is untouched by the refused writes.
		if r := e.must(200, e.asAdmin("GET", wf, nil)); r.data()["name"] != "W" {
			t.Errorf("workflow changed: %v", r.data()["name"])
		}
	})
}

// TestRateLimit: a token over its limit gets 429 with Retry-After; other
// tokens are not affected.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, storagetest.SQLiteURL(t))
	e.config.RateLimit = &api.RateLimit{Rate: 1, Burst: 5}
	e.restart(func() {})
	for i := 0; i < 5; i++ {
		e.must(200, e.asAdmin("GET", "/api/tags", nil))
	}
	r := e.asAdmin("GET", "/api/tags", nil)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || r.Body["message"] == "" {
		t.Errorf("over the limit: %d %v %s", r.Status, r.Header, r.Raw)
	}
	if r := e.call("GET", "/api/tags", e.agentA, e.wsA, nil); r.Status != 200 {
		t.Errorf("another token: %d", r.Status)
	}
}
