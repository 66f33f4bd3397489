package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
)

// person is someone using the console: a browser's cookie jar and the
// headers a browser sends.
type person struct {
	e      *env
	client *http.Client
	ws     int64
}

func (e *env) person(ws int64) *person {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &person{e: e, ws: ws, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request as the person; extra are more headers (name, value).
func (p *person) do(method, path string, body any, extra ...string) response {
	p.e.t.Helper()
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			p.e.t.Fatal(err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.e.srv.URL+path, reader)
	if err != nil {
		p.e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if p.ws != 0 {
		req.Header.Set("X-Workspace-Id", itoa(p.ws))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	res, err := p.client.Do(req)
	if err != nil {
		p.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out
}

func TestConsoleSignIn(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		inv := e.must(201, e.asAdmin("POST", "/api/invitations", map[string]any{"name": "Sam Agent", "email": "sam@example.com", "role": "agent"})).data()
		link := inv["link_path"].(string)
		e.must(409, e.asAdmin("POST", "/api/invitations", map[string]any{"name": "Sam", "email": "SAM@example.com", "role": "agent"}))
		e.must(422, e.asAdmin("POST", "/api/invitations", map[string]any{"name": "X", "email": "not an email", "role": "owner"}))
		e.must(403, e.call("POST", "/api/invitations", e.agentA, e.wsA, map[string]any{"name": "X", "email": "x@example.com", "role": "admin"}))

		sam := e.person(e.wsA)
		r := sam.do("GET", link, nil)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/#/"+itoa(e.wsA)+"/") {
			t.Fatalf("sign-in link: %d %v", r.Status, r.Header)
		}
		cookie := r.Header.Get("Set-Cookie")
		for _, want := range []string{"deskflow_session=dfs_", "HttpOnly", "SameSite=Lax", "Max-Age=43200", "Path=/"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("session cookie %q lacks %s", cookie, want)
			}
		}
		if strings.Contains(cookie, "Secure") {
			t.Errorf("Secure cookie over plain HTTP: %s", cookie)
		}
		if again := e.person(e.wsA).do("GET", link, nil); again.Status != 404 || again.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("a link used twice: %d", again.Status)
		}

		s := sam.do("GET", "/api/session", nil)
		if s.Status != 200 || s.data()["user"].(map[string]any)["email"] != "sam@example.com" || len(s.data()["workspaces"].([]any)) != 1 {
			t.Fatalf("session: %d %s", s.Status, s.Raw)
		}
		if r := sam.do("GET", "/api/tickets", nil); r.Status != 200 {
			t.Errorf("the API with a session: %d %s", r.Status, r.Raw)
		}
		if r := sam.do("GET", "/api/tickets", nil, "X-Workspace-Id", itoa(e.wsB)); r.Status != 403 {
			t.Errorf("another workspace with a session: %d", r.Status)
		}
		if r := sam.do("POST", "/api/workflows", workflowBody("x", "on_new_ticket", nil, act("set_status", map[string]any{"status": "open"}))); r.Status != 403 {
			t.Errorf("an agent creating a workflow: %d", r.Status)
		}
		// Cross-site requests that change something are refused.
		if r := sam.do("PUT", "/api/me", map[string]any{"name": "Evil"}, "Sec-Fetch-Site", "cross-site"); r.Status != 403 {
			t.Errorf("cross-site PUT: %d %s", r.Status, r.Raw)
		}
		if r := sam.do("PUT", "/api/me", map[string]any{"name": "Evil"}, "Origin", "https://evil.example"); r.Status != 403 {
			t.Errorf("PUT from another origin: %d %s", r.Status, r.Raw)
		}
		if r := sam.do("PUT", "/api/me", map[string]any{"password": "short"}); r.Status != 422 || r.fieldErrors()["password"] == nil {
			t.Errorf("a short password: %d %s", r.Status, r.Raw)
		}
		if r := sam.do("PUT", "/api/me", map[string]any{"password": "correct horse battery"}, "Sec-Fetch-Site", "same-origin"); r.Status != 200 {
			t.Fatalf("set a password: %d %s", r.Status, r.Raw)
		}
		if r := sam.do("DELETE", "/api/session", nil); r.Status != 204 {
			t.Errorf("sign out: %d", r.Status)
		}
		if r := sam.do("GET", "/api/tickets", nil); r.Status != 401 {
			t.Errorf("after signing out: %d", r.Status)
		}

		later := e.person(e.wsA)
		if r := later.do("POST", "/api/session", map[string]any{"email": "sam@example.com", "password": "wrong password!"}); r.Status != 401 {
			t.Errorf("a wrong password: %d", r.Status)
		}
		if r := later.do("POST", "/api/session", map[string]any{"email": "Sam@Example.com", "password": "correct horse battery"}); r.Status != 200 {
			t.Fatalf("sign in: %d %s", r.Status, r.Raw)
		}
		if r := later.do("GET", "/api/me", nil); r.Status != 200 || r.data()["role"] != "agent" {
			t.Errorf("me after signing in: %d %s", r.Status, r.Raw)
		}
		// Admins set roles; the API answers what an agent may now do.
		e.must(200, e.asAdmin("PUT", "/api/users/"+inv["user"].(map[string]any)["id"].(string), map[string]any{"role": "admin"}))
		if r := later.do("POST", "/api/tags", map[string]any{"name": "made by sam"}); r.Status != 201 {
			t.Errorf("an admin by role change: %d %s", r.Status, r.Raw)
		}

		guesser := e.person(0)
		statuses := map[int]int{}
		for range 7 {
			statuses[guesser.do("POST", "/api/session", map[string]any{"email": "nobody@example.com", "password": "guess guess"}).Status]++
		}
		if statuses[401] != 5 || statuses[429] != 2 {
			t.Errorf("7 guesses answered %v, want 5 × 401 then 429", statuses)
		}
	})
}

func TestConsolePagesHaveAStrictPolicy(t *testing.T) {
	e := newEnv(t, storagetestBackends(t)[0].URL(t))
	for _, path := range []string{"/", "/assets/app.js", "/assets/app.css", "/assets/forms.js"} {
		r, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		csp := r.Header.Get("Content-Security-Policy")
		if r.StatusCode != 200 || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || r.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: %d, CSP %q", path, r.StatusCode, csp)
		}
		if path == "/" && (strings.Contains(string(body), "<script>") || strings.Contains(string(body), " style=")) {
			t.Errorf("the page has inline script or style")
		}
	}
}
