package platform

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
)

func TestGitHubCreateIssue(t *testing.T) {
	f := platformfake.NewGitHub(t)
	res := mustExecute(t, testEnv(f.Server, &sleeper{}), githubConn(f), "create_issue", map[string]any{
		"owner": "acme", "repo": "app", "title": "Checkout fails <for> Jane & co", "body": "From ticket T-1",
		"labels": "bug, from-support", "milestone": "3",
	}, "run1-0-0")
	req := f.Last()
	if req.Method != "POST" || req.Path != "/repos/acme/app/issues" {
		t.Errorf("request %s %s", req.Method, req.Path)
	}
	h := req.Header
	if h.Get("Authorization") != "Bearer "+platformfake.GitHubToken || h.Get("Accept") != "application/vnd.github+json" ||
		h.Get("X-GitHub-Api-Version") != "2022-11-28" || h.Get("User-Agent") == "" || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", h)
	}
	if h.Get("Idempotency-Key") != "run1-0-0" {
		t.Errorf("Idempotency-Key %q", h.Get("Idempotency-Key"))
	}
	if string(req.Body) != `{"body":"From ticket T-1","labels":["bug","from-support"],"milestone":3,"title":"Checkout fails <for> Jane & co"}` {
		t.Errorf("body %s", req.Body)
	}
	if res.Status != 201 || text(get(res.Data, "number")) != "43" || get(res.Data, "html_url") != "https://github.com/acme/app/issues/43" ||
		get(res.Data, "labels.1.name") != "from-support" || get(res.Data, "labels.1.color") != nil {
		t.Errorf("result %d %s", res.Status, text(res.Data))
	}
}

func TestGitHubIssueUpdates(t *testing.T) {
	f := platformfake.NewGitHub(t)
	env := testEnv(f.Server, &sleeper{})
	c := githubConn(f)
	base := map[string]any{"owner": "acme", "repo": "app", "issueNumber": 42}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	res := mustExecute(t, env, c, "close_issue", base, "k")
	if req := f.Last(); req.Method != "PATCH" || req.Path != "/repos/acme/app/issues/42" || string(req.Body) != `{"state":"closed","state_reason":"completed"}` {
		t.Errorf("close %s %s %s", req.Method, req.Path, req.Body)
	}
	if get(res.Data, "state") != "closed" {
		t.Errorf("close result %s", text(res.Data))
	}
	mustExecute(t, env, c, "close_issue", with(map[string]any{"stateReason": "not_planned"}), "k")
	if string(f.Last().Body) != `{"state":"closed","state_reason":"not_planned"}` {
		t.Errorf("close body %s", f.Last().Body)
	}
	res = mustExecute(t, env, c, "add_issue_comment", with(map[string]any{"body": "Customer confirms the fix."}), "k")
	if f.Last().Path != "/repos/acme/app/issues/42/comments" || get(res.Data, "id") == nil {
		t.Errorf("comment %s %s", f.Last().Path, text(res.Data))
	}
	res = mustExecute(t, env, c, "add_labels", with(map[string]any{"labels": []any{"customer-reported"}}), "k")
	if string(f.Last().Body) != `{"labels":["customer-reported"]}` || len(res.Data.([]any)) != 3 {
		t.Errorf("labels body %s result %s", f.Last().Body, text(res.Data))
	}
	// Path parameters are escaped: a space, and a slash that must not
	// become a path separator.
	mustExecute(t, env, c, "remove_label", with(map[string]any{"label": "needs triage"}), "k")
	if got := f.Last().EscapedPath; got != "/repos/acme/app/issues/42/labels/needs%20triage" {
		t.Errorf("escaped path %s", got)
	}
	_, err := execute(t, env, c, "remove_label", with(map[string]any{"label": "area/ui"}), "k")
	wantError(t, err, "GitHub answered 404 Not Found: Label does not exist")
	if got := f.Last().EscapedPath; got != "/repos/acme/app/issues/42/labels/area%2Fui" {
		t.Errorf("escaped path %s", got)
	}
	_, err = execute(t, env, c, "get_issue", with(map[string]any{"repo": ".."}), "k")
	wantError(t, err, `params.repo must not be ".."`)

	res = mustExecute(t, env, c, "lock_issue", with(map[string]any{"lockReason": "resolved"}), "k")
	if res.Status != 204 || res.Data != nil || string(f.Last().Body) != `{"lock_reason":"resolved"}` {
		t.Errorf("lock %d %v %s", res.Status, res.Data, f.Last().Body)
	}
}

func TestGitHubErrors(t *testing.T) {
	f := platformfake.NewGitHub(t)
	env := testEnv(f.Server, &sleeper{})
	f.Queue(platformfake.Canned{Status: 422, Body: `{"message":"Validation Failed","errors":[{"value":"99","resource":"Issue","field":"milestone","code":"invalid"}],"documentation_url":"https://docs.github.com/rest/issues/issues#create-an-issue","status":"422"}`})
	_, err := execute(t, env, githubConn(f), "create_issue", map[string]any{"owner": "acme", "repo": "app", "title": "x", "milestone": 99}, "k")
	wantError(t, err, "GitHub answered 422 Unprocessable Entity: Validation Failed: Issue.milestone invalid")

	_, err = execute(t, env, githubConn(f), "get_issue", map[string]any{"owner": "acme", "repo": "app", "issueNumber": 7}, "k")
	wantError(t, err, "GitHub answered 404 Not Found: Not Found")

	bad := githubConn(f)
	bad.Credentials["token"] = "ghp_revokedrevokedrevoked"
	_, err = execute(t, env, bad, "get_issue", map[string]any{"owner": "acme", "repo": "app", "issueNumber": 42}, "k")
	wantError(t, err, "GitHub answered 401 Unauthorized: Bad credentials — check the connector's credentials")

	// An ambiguous failure of a creation is not repeated: GitHub may have
	// created the issue.
	f.Reset()
	f.Queue(platformfake.Canned{Status: 502, Body: `{"message":"Server Error"}`})
	_, err = execute(t, env, githubConn(f), "create_issue", map[string]any{"owner": "acme", "repo": "app", "title": "x"}, "k")
	wantError(t, err, "GitHub answered 502 Bad Gateway: Server Error")
	if n := len(f.Requests()); n != 1 {
		t.Errorf("non-idempotent create attempted %d times", n)
	}
	// The same failure of a read is retried.
	f.Queue(platformfake.Canned{Status: 502, Body: `{"message":"Server Error"}`}, platformfake.Canned{Status: 504, Body: ``})
	sl := &sleeper{}
	res := mustExecute(t, testEnv(f.Server, sl), githubConn(f), "get_issue", map[string]any{"owner": "acme", "repo": "app", "issueNumber": "42"}, "k")
	if get(res.Data, "number") == nil || !slices.Equal(sl.got(), []time.Duration{500 * time.Millisecond, time.Second}) {
		t.Errorf("result %s waits %v", text(res.Data), sl.got())
	}
}

func TestGitHubRateLimit(t *testing.T) {
	f := platformfake.NewGitHub(t)
	now := time.Unix(1730800000, 0)
	reset := now.Add(3 * time.Second)
	f.Queue(platformfake.Canned{Status: 403, Header: map[string]string{
		"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Used": "5000",
		"X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10), "X-RateLimit-Resource": "core",
	}, Body: `{"message":"API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":"403"}`})
	sl := &sleeper{}
	env := testEnv(f.Server, sl)
	env.Now = func() time.Time { return now }
	res := mustExecute(t, env, githubConn(f), "get_issue", map[string]any{"owner": "acme", "repo": "app", "issueNumber": 42}, "k")
	if res.Status != 200 || !slices.Equal(sl.got(), []time.Duration{4 * time.Second}) {
		t.Errorf("status %d waits %v (want until the reset, plus a second)", res.Status, sl.got())
	}
	// A secondary rate limit says how long with Retry-After.
	secondary := platformfake.Canned{Status: 403, Header: map[string]string{"Retry-After": "20"},
		Body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","status":"403"}`}
	f.Queue(secondary)
	sl2 := &sleeper{}
	mustExecute(t, testEnv(f.Server, sl2), githubConn(f), "get_issue", map[string]any{"owner": "acme", "repo": "app", "issueNumber": 42}, "k")
	if !slices.Equal(sl2.got(), []time.Duration{20 * time.Second}) {
		t.Errorf("waits %v", sl2.got())
	}
	// A wait beyond the step's deadline is not attempted.
	secondary.Header["Retry-After"] = "60"
	f.Queue(secondary)
	sl3 := &sleeper{}
	_, err := execute(t, testEnv(f.Server, sl3), githubConn(f), "get_issue", map[string]any{"owner": "acme", "repo": "app", "issueNumber": 42}, "k")
	wantError(t, err, "GitHub answered 403 Forbidden: You have exceeded a secondary rate limit.", "rate limited (not retried: waiting 1m0s would pass the step's timeout)")
	if len(sl3.got()) != 0 {
		t.Errorf("waited %v", sl3.got())
	}
}
