package platformfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// GitHubToken is the token the GitHub fake accepts.
const GitHubToken = "ghp_fakeDeskflowToken0123456789abcdef"

// GitHub answers as api.github.com for the repository acme/app, which has
// issue 42 (labels "bug" and "needs triage").
type GitHub struct {
	*Server
	issues map[int64]map[string]any
	next   int64
}

// NewGitHub starts a GitHub fake.
func NewGitHub(t testing.TB) *GitHub {
	f := &GitHub{issues: map[int64]map[string]any{}, next: 43}
	f.issues[42] = f.issue(42, "Crash on login", "open", []string{"bug", "needs triage"})
	f.Server = newServer(t, f.handle)
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
	if len(parts) < 4 || parts[0] != "repos" || parts[1] != "acme" || parts[2] != "app" || parts[3] != "issues" {
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
			iss[k] = v
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
		writeJSON(w, http.StatusCreated, map[string]any{"id": json.Number("1146825"), "html_url": iss["html_url"].(string) + "#issuecomment-1146825", "body": field(in, "body"), "user": map[string]any{"login": "deskflow-bot"}, "created_at": "2024-11-05T16:00:00Z", "reactions": map[string]any{}})
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
