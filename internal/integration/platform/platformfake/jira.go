package platformfake

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Jira credentials the fake accepts.
const (
	JiraEmail    = "agent@example.com"
	JiraAPIToken = "ATATT3xFfGF0fakejiratoken"
)

// Jira answers as a Jira Cloud site's REST API v3: Basic email:token,
// Atlassian Document Format texts, {"errorMessages", "errors"} errors. It
// has issue SUP-1 in status "To Do".
type Jira struct {
	*Server
	issues map[string]map[string]any
	next   int
	// Comments are the comment bodies received (ADF documents).
	Comments []map[string]any
}

// NewJira starts a Jira fake.
func NewJira(t testing.TB) *Jira {
	f := &Jira{issues: map[string]map[string]any{}, next: 24}
	f.issues["SUP-1"] = map[string]any{"id": "10001", "key": "SUP-1", "status": "To Do", "assignee": nil}
	f.Server = newServer(t, f.handle)
	return f
}

// Issue returns an issue as the fake has it.
func (f *Jira) Issue(key string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issues[key]
}

func jiraError(w http.ResponseWriter, status int, messages []any, errs map[string]any) {
	if messages == nil {
		messages = []any{}
	}
	if errs == nil {
		errs = map[string]any{}
	}
	writeJSON(w, status, map[string]any{"errorMessages": messages, "errors": errs})
}

var jiraTransitions = []any{
	map[string]any{"id": "11", "name": "To Do", "to": map[string]any{"id": "10000", "name": "To Do"}},
	map[string]any{"id": "21", "name": "Start Progress", "to": map[string]any{"id": "3", "name": "In Progress"}},
	map[string]any{"id": "31", "name": "Resolve", "to": map[string]any{"id": "10001", "name": "Done"}},
}

func (f *Jira) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(JiraEmail+":"+JiraAPIToken))
	if r.Header.Get("Authorization") != want {
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.Header().Set("WWW-Authenticate", `Basic realm="protected-area"`)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, "Client must be authenticated to access this resource.")
		return
	}
	if (r.Method == http.MethodPost || r.Method == http.MethodPut) && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		jiraError(w, 415, []any{"Unsupported Media Type"}, nil)
		return
	}
	var in map[string]any
	if len(body) > 0 && body[0] == '{' {
		in, _ = decodeJSON(body)
	}
	path := r.URL.Path
	if r.Method == http.MethodGet && path == "/rest/api/3/myself" {
		writeJSON(w, 200, map[string]any{"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": JiraEmail, "displayName": "Support Agent", "active": true})
		return
	}
	if r.Method == http.MethodPost && path == "/rest/api/3/issue" {
		fields, _ := field(in, "fields").(map[string]any)
		errs := map[string]any{}
		if str(field(fields, "summary")) == "" {
			errs["summary"] = "You must specify a summary of the issue."
		}
		if str(field(field(fields, "project"), "key")) != "SUP" {
			errs["project"] = "valid project is required"
		}
		if d, ok := fields["description"]; ok && field(d, "type") != "doc" {
			errs["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
		}
		if len(errs) > 0 {
			jiraError(w, 400, nil, errs)
			return
		}
		key := fmt.Sprintf("SUP-%d", f.next)
		id := fmt.Sprintf("100%d", f.next)
		f.next++
		f.issues[key] = map[string]any{"id": id, "key": key, "status": "To Do", "fields": fields}
		writeJSON(w, http.StatusCreated, map[string]any{"id": id, "key": key, "self": "https://your-domain.atlassian.net/rest/api/3/issue/" + id})
		return
	}
	rest, ok := strings.CutPrefix(path, "/rest/api/3/issue/")
	if !ok {
		jiraError(w, 404, []any{"null for uri: " + path}, nil)
		return
	}
	key, sub, _ := strings.Cut(rest, "/")
	iss := f.issues[key]
	if iss == nil {
		jiraError(w, 404, []any{"Issue does not exist or you do not have permission to see it."}, nil)
		return
	}
	switch {
	case r.Method == http.MethodGet && sub == "":
		writeJSON(w, 200, map[string]any{"id": iss["id"], "key": key, "self": "https://your-domain.atlassian.net/rest/api/3/issue/" + str(iss["id"]),
			"fields": map[string]any{"summary": "Printer on fire", "status": map[string]any{"name": iss["status"], "statusCategory": map[string]any{"key": "new"}}, "assignee": iss["assignee"], "labels": []any{}, "description": map[string]any{"type": "doc", "version": 1, "content": []any{}}}})
	case r.Method == http.MethodGet && sub == "transitions":
		writeJSON(w, 200, map[string]any{"expand": "transitions", "transitions": jiraTransitions})
	case r.Method == http.MethodPost && sub == "transitions":
		id := str(field(field(in, "transition"), "id"))
		for _, t := range jiraTransitions {
			if field(t, "id") == id {
				iss["status"] = field(field(t, "to"), "name")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		jiraError(w, 400, []any{fmt.Sprintf("Transition id '%s' is not valid for this issue.", id)}, nil)
	case r.Method == http.MethodPost && sub == "comment":
		doc, _ := field(in, "body").(map[string]any)
		if field(doc, "type") != "doc" {
			jiraError(w, 400, nil, map[string]any{"comment": "Comment body can not be empty!"})
			return
		}
		f.Comments = append(f.Comments, doc)
		writeJSON(w, http.StatusCreated, map[string]any{"id": "10000", "self": "https://your-domain.atlassian.net/rest/api/3/issue/10001/comment/10000", "created": "2024-11-05T10:00:00.000+0000", "author": map[string]any{"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Support Agent"}, "body": doc})
	case r.Method == http.MethodPut && sub == "assignee":
		iss["assignee"] = field(in, "accountId")
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && sub == "watchers":
		watcher := strings.Trim(strings.TrimSpace(string(body)), `"`)
		iss["watcher"] = watcher
		w.WriteHeader(http.StatusNoContent)
	default:
		jiraError(w, 404, []any{"null for uri: " + path}, nil)
	}
}
