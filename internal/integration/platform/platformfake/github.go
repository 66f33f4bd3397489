package platformfake

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// GitHubToken is the token the GitHub fake accepts.
const GitHubToken = "ghp_fakeDeskflowToken0123456789abcdef"

// GitHub answers as api.github.com for the repository acme/app, which has
// issue 42 (labels "bug" and "needs triage"), and its issue search.
type GitHub struct {
	*Server
	issues   map[int64]map[string]any
	comments map[int64][]any
	next     int64
}

// NewGitHub starts a GitHub fake.
func NewGitHub(t testing.TB) *GitHub {
	f := &GitHub{issues: map[int64]map[string]any{}, comments: map[int64][]any{}, next: 43}
	f.issues[42] = f.issue(42, "Crash on login", "open", []string{"bug", "needs triage"})
	f.Server = newServer(t, f.handle)
	f.Server.official = "github"
	return f
}

// Issue returns an issue as the fake has it.
func (f *GitHub) Issue(n int64) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issues[n]
}

func (f *GitHub) issue(n int64, title, state string, labels []string) map[string]any {
	ls := []any{}
	for _, l := range labels {
		ls = append(ls, map[string]any{"id": 208045946, "name": l, "color": "f29513"})
	}
	return map[string]any{
		"id": 1000 + n, "number": n, "title": title, "state": state, "state_reason": nil, "body": "",
		"html_url": fmt.Sprintf("https://github.com/acme/app/issues/%d", n),
		"url":      fmt.Sprintf("https://api.github.com/repos/acme/app/issues/%d", n),
		"labels":   ls, "assignees": []any{}, "user": map[string]any{"login": "deskflow-bot"},
		"comments": 0, "created_at": "2024-11-05T15:00:00Z", "updated_at": "2024-11-05T15:00:00Z", "closed_at": nil,
	}
}

func githubError(w http.ResponseWriter, status int, message string, errs []any) {
	body := map[string]any{"message": message, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)}
	if errs != nil {
		body["errors"] = errs
	}
	writeJSON(w, status, body)
}

func (f *GitHub) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	if r.Header.Get("User-Agent") == "" {
		githubError(w, 403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.", nil)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+GitHubToken {
		githubError(w, 401, "Bad credentials", nil)
		return
	}
	if r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" {
		githubError(w, 400, "Unsupported API version or media type", nil)
		return
	}
	var parts []string
	for _, seg := range splitPath(r.URL.EscapedPath()) {
		decoded, err := url.PathUnescape(seg)
		if err != nil {
			githubError(w, 400, "Bad path", nil)
			return
		}
		parts = append(parts, decoded)
	}
	if r.Method == http.MethodGet && r.URL.Path == "/user" {
		writeJSON(w, 200, map[string]any{"login": "deskflow-bot", "id": 1, "type": "User"})
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/search/issues" {
		f.search(w, r)
		return
	}
	if f.example(w, r) {
		return
	}
	if len(parts) < 4 || parts[0] != "repos" || parts[1] != "acme" || parts[2] != "app" || parts[3] != "issues" && parts[3] != "dispatches" {
		githubError(w, 404, "Not Found", nil)
		return
	}
	var in map[string]any
	if len(body) > 0 {
		var err error
		if in, err = decodeJSON(body); err != nil {
			githubError(w, 400, "Problems parsing JSON", nil)
			return
		}
	}
	if parts[3] == "dispatches" {
		f.dispatch(w, r, parts, in)
		return
	}
	if len(parts) == 4 && r.Method == http.MethodPost {
		title := str(field(in, "title"))
		if title == "" {
			githubError(w, 422, "Validation Failed", []any{map[string]any{"resource": "Issue", "code": "missing_field", "field": "title"}})
			return
		}
		var labels []string
		if ls, ok := field(in, "labels").([]any); ok {
			for _, l := range ls {
				labels = append(labels, str(l))
			}
		}
		n := f.next
		f.next++
		iss := f.issue(n, title, "open", labels)
		iss["body"] = field(in, "body")
		f.issues[n] = iss
		writeJSON(w, http.StatusCreated, iss)
		return
	}
	n, err := strconv.ParseInt(parts[4], 10, 64)
	iss := f.issues[n]
	if err != nil || iss == nil {
		githubError(w, 404, "Not Found", nil)
		return
	}
	switch {
	case len(parts) == 5 && r.Method == http.MethodGet:
		writeJSON(w, 200, iss)
	case len(parts) == 5 && r.Method == http.MethodPatch:
		for k, v := range in {
			iss[k] = issueField(k, v)
		}
		if iss["state"] == "closed" {
			iss["closed_at"] = "2024-11-05T16:00:00Z"
		}
		writeJSON(w, 200, iss)
	case len(parts) == 6 && parts[5] == "comments" && r.Method == http.MethodPost:
		if str(field(in, "body")) == "" {
			githubError(w, 422, "Validation Failed", []any{map[string]any{"resource": "IssueComment", "code": "missing_field", "field": "body"}})
			return
		}
		id := 1146825 + len(f.comments[n])
		comment := map[string]any{"id": json.Number(strconv.Itoa(id)), "html_url": fmt.Sprintf("%s#issuecomment-%d", iss["html_url"], id), "body": field(in, "body"), "user": map[string]any{"login": "deskflow-bot"}, "created_at": "2024-11-05T16:00:00Z", "reactions": map[string]any{}}
		f.comments[n] = append(f.comments[n], comment)
		iss["comments"] = len(f.comments[n])
		writeJSON(w, http.StatusCreated, comment)
	case len(parts) == 6 && parts[5] == "comments" && r.Method == http.MethodGet:
		list := f.comments[n]
		if list == nil {
			list = []any{}
		}
		writeJSON(w, 200, list[:min(len(list), perPage(r))])
	case len(parts) == 6 && parts[5] == "assignees" && r.Method == http.MethodPost:
		assignees, _ := iss["assignees"].([]any)
		names, _ := field(in, "assignees").([]any)
		for _, a := range names {
			dup := false
			for _, have := range assignees {
				dup = dup || field(have, "login") == a
			}
			if !dup {
				assignees = append(assignees, map[string]any{"login": a, "id": 583231, "type": "User"})
			}
		}
		iss["assignees"] = assignees
		writeJSON(w, http.StatusCreated, iss)
	case len(parts) == 6 && parts[5] == "labels" && r.Method == http.MethodPost:
		labels, _ := iss["labels"].([]any)
		for _, l := range field(in, "labels").([]any) {
			dup := false
			for _, have := range labels {
				dup = dup || field(have, "name") == l
			}
			if !dup {
				labels = append(labels, map[string]any{"id": 208045947, "name": l, "color": "ededed"})
			}
		}
		iss["labels"] = labels
		writeJSON(w, 200, labels)
	case len(parts) == 7 && parts[5] == "labels" && r.Method == http.MethodDelete:
		labels, _ := iss["labels"].([]any)
		var kept []any
		found := false
		for _, l := range labels {
			if field(l, "name") == parts[6] {
				found = true
				continue
			}
			kept = append(kept, l)
		}
		if !found {
			githubError(w, 404, "Label does not exist", nil)
			return
		}
		if kept == nil {
			kept = []any{}
		}
		iss["labels"] = kept
		writeJSON(w, 200, kept)
	case len(parts) == 6 && parts[5] == "lock" && r.Method == http.MethodPut:
		iss["locked"] = true
		iss["active_lock_reason"] = field(in, "lock_reason")
		w.WriteHeader(http.StatusNoContent)
	default:
		githubError(w, 404, "Not Found", nil)
	}
}

// perPage reads the per_page query parameter (default 30, at most 100, as
// GitHub's).
func perPage(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("per_page"))
	if err != nil || n <= 0 {
		return 30
	}
	return min(n, 100)
}

// search is GET /search/issues: the words of q must all occur in an
// issue's title or body; the qualifiers repo: (acme/app only), is: and
// state: (issue, open, closed) filter, and the others are ignored.
func (f *GitHub) search(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		githubError(w, 422, "Validation Failed", []any{map[string]any{"resource": "Search", "field": "q", "code": "missing"}})
		return
	}
	var words []string
	repoOK, state := true, ""
	for _, term := range strings.Fields(q) {
		k, v, qualifier := strings.Cut(term, ":")
		switch {
		case !qualifier:
			words = append(words, strings.ToLower(term))
		case k == "repo":
			repoOK = v == "acme/app"
		case (k == "is" || k == "state") && (v == "open" || v == "closed"):
			state = v
		}
	}
	numbers := make([]int64, 0, len(f.issues))
	for n := range f.issues {
		numbers = append(numbers, n)
	}
	sort.Slice(numbers, func(i, j int) bool { return numbers[i] > numbers[j] })
	items := []any{}
	for _, n := range numbers {
		iss := f.issues[n]
		text := strings.ToLower(str(iss["title"]) + " " + str(iss["body"]))
		match := repoOK && (state == "" || iss["state"] == state)
		for _, word := range words {
			match = match && strings.Contains(text, word)
		}
		if match {
			item := maps.Clone(iss)
			item["repository_url"] = "https://api.github.com/repos/acme/app"
			item["score"] = 1.0
			items = append(items, item)
		}
	}
	writeJSON(w, 200, map[string]any{"total_count": len(items), "incomplete_results": false, "items": items[:min(len(items), perPage(r))]})
}

// dispatch is POST /repos/acme/app/dispatches: 204, or 422 without an
// event_type or with more than 10 client_payload properties.
func (f *GitHub) dispatch(w http.ResponseWriter, r *http.Request, parts []string, in map[string]any) {
	if len(parts) != 4 || r.Method != http.MethodPost {
		githubError(w, 404, "Not Found", nil)
		return
	}
	if str(field(in, "event_type")) == "" {
		githubError(w, 422, "Invalid request.\n\nFor 'properties/event_type', nil is not a string.", nil)
		return
	}
	if payload, _ := field(in, "client_payload").(map[string]any); len(payload) > 10 {
		githubError(w, 422, fmt.Sprintf("Invalid request.\n\nNo more than 10 properties are allowed; %d were supplied.", len(payload)), nil)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// issueField is the issue's field a PATCH sets: a milestone number, label
// names and assignee logins become the objects GitHub answers with.
func issueField(key string, v any) any {
	switch key {
	case "milestone":
		if v == nil {
			return nil
		}
		return map[string]any{"number": v, "title": fmt.Sprintf("v%v", v), "state": "open"}
	case "labels", "assignees":
		list, _ := v.([]any)
		out := make([]any, len(list))
		for i, name := range list {
			if key == "labels" {
				out[i] = map[string]any{"name": name}
			} else {
				out[i] = map[string]any{"login": name}
			}
		}
		return out
	}
	return v
}
