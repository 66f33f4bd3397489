package platformfake

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
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
// has project SUP with issues SUP-1 and SUP-2 in status "To Do", and one
// user, the agent the credentials belong to.
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
	f.issues["SUP-1"] = map[string]any{"id": "10001", "key": "SUP-1", "status": "To Do", "assignee": nil, "summary": "Printer on fire", "labels": []any{}}
	f.issues["SUP-2"] = map[string]any{"id": "10002", "key": "SUP-2", "status": "To Do", "assignee": nil, "summary": "Printer out of paper", "labels": []any{}}
	f.Server = newServer(t, f.handle)
	f.Server.official = "jira"
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
	if f.example(w, r) {
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "/rest/api/3/user/search":
		f.findUsers(w, r)
		return
	case r.Method == http.MethodGet && path == "/rest/api/3/search/jql":
		f.search(w, r)
		return
	case r.Method == http.MethodPost && path == "/rest/api/3/issueLink":
		f.link(w, in)
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
		labels, _ := fields["labels"].([]any)
		if labels == nil {
			labels = []any{}
		}
		f.issues[key] = map[string]any{"id": id, "key": key, "status": "To Do", "fields": fields, "summary": fields["summary"], "labels": labels}
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
		writeJSON(w, 200, jiraIssue(iss))
	case r.Method == http.MethodPut && sub == "":
		f.edit(w, iss, in)
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

// jiraIssue is an issue as GET issue and search answer it.
func jiraIssue(iss map[string]any) map[string]any {
	return map[string]any{"id": iss["id"], "key": iss["key"], "self": "https://your-domain.atlassian.net/rest/api/3/issue/" + str(iss["id"]),
		"fields": map[string]any{"summary": iss["summary"], "status": map[string]any{"name": iss["status"], "statusCategory": map[string]any{"key": "new"}}, "assignee": iss["assignee"], "labels": iss["labels"], "priority": iss["priority"], "description": map[string]any{"type": "doc", "version": 1, "content": []any{}}}}
}

// edit is PUT issue: "fields" set summary, description (a document) and
// priority, "update" adds labels; 204 without a body, also when nothing
// changes.
func (f *Jira) edit(w http.ResponseWriter, iss map[string]any, in map[string]any) {
	fields, _ := field(in, "fields").(map[string]any)
	update, _ := field(in, "update").(map[string]any)
	if d, ok := fields["description"]; ok && field(d, "type") != "doc" {
		jiraError(w, 400, nil, map[string]any{"description": "Operation value must be an Atlassian Document (see the Atlassian Document Format)"})
		return
	}
	for k := range update {
		if k != "labels" {
			jiraError(w, 400, nil, map[string]any{k: fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", k)})
			return
		}
	}
	if s, ok := fields["summary"]; ok {
		iss["summary"] = s
	}
	if p, ok := fields["priority"]; ok {
		iss["priority"] = p
	}
	labels, _ := iss["labels"].([]any)
	ops, _ := update["labels"].([]any)
	for _, op := range ops {
		add := field(op, "add")
		if str(add) == "" {
			jiraError(w, 400, nil, map[string]any{"labels": "The label operation must be add, remove or set with a value."})
			return
		}
		dup := false
		for _, l := range labels {
			dup = dup || l == add
		}
		if !dup {
			labels = append(labels, add)
		}
	}
	iss["labels"] = labels
	w.WriteHeader(http.StatusNoContent)
}

// maxResults reads the maxResults query parameter (default and cap 50, as
// Jira's).
func maxResults(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("maxResults"))
	if err != nil || n <= 0 || n > 50 {
		return 50
	}
	return n
}

// findUsers is GET user/search: the users whose display name or email
// starts with query, a bare JSON array.
func (f *Jira) findUsers(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("query")))
	if q == "" {
		jiraError(w, 400, []any{"The query parameter 'query' is required."}, nil)
		return
	}
	users := []any{}
	agent := map[string]any{"accountId": "5b10ac8d82e05b22cc7d4ef5", "accountType": "atlassian", "displayName": "Support Agent", "emailAddress": JiraEmail, "active": true}
	for _, word := range append(strings.Fields(strings.ToLower(str(agent["displayName"]))), strings.ToLower(JiraEmail)) {
		if strings.HasPrefix(word, q) {
			users = append(users, agent)
			break
		}
	}
	writeJSON(w, 200, users[:min(len(users), maxResults(r))])
}

var jqlProject = regexp.MustCompile(`(?i)\bproject\s*=\s*"?([A-Z][A-Z0-9_]*)"?`)

// search is GET search/jql: the issues of the project the query names
// (a query must be bounded), keys in order, as {"issues", "isLast"}.
func (f *Jira) search(w http.ResponseWriter, r *http.Request) {
	m := jqlProject.FindStringSubmatch(r.URL.Query().Get("jql"))
	if m == nil {
		jiraError(w, 400, []any{"Unbounded JQL queries are not allowed here. Please add a search restriction to your query."}, nil)
		return
	}
	if !strings.EqualFold(m[1], "SUP") {
		jiraError(w, 400, []any{fmt.Sprintf("The value '%s' does not exist for the field 'project'.", m[1])}, nil)
		return
	}
	keys := make([]string, 0, len(f.issues))
	for k := range f.issues {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	issues := []any{}
	for _, k := range keys[:min(len(keys), maxResults(r))] {
		issues = append(issues, jiraIssue(f.issues[k]))
	}
	writeJSON(w, 200, map[string]any{"issues": issues, "isLast": len(keys) <= maxResults(r)})
}

var jiraLinkTypes = []string{"Blocks", "Cloners", "Duplicate", "Relates"}

// link is POST issueLink: 201 without a body.
func (f *Jira) link(w http.ResponseWriter, in map[string]any) {
	name := str(field(field(in, "type"), "name"))
	if !slices.Contains(jiraLinkTypes, name) {
		jiraError(w, 404, []any{fmt.Sprintf("No issue link type with name '%s' found.", name)}, nil)
		return
	}
	for _, side := range []string{"inwardIssue", "outwardIssue"} {
		if f.issues[str(field(field(in, side), "key"))] == nil {
			jiraError(w, 404, []any{"Issue Does Not Exist"}, nil)
			return
		}
	}
	w.WriteHeader(http.StatusCreated)
}
