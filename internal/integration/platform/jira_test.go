package platform

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
)

func TestJiraCreateIssueWithADF(t *testing.T) {
	f := platformfake.NewJira(t)
	res := mustExecute(t, testEnv(f.Server, &sleeper{}), jiraConn(f), "create_issue", map[string]any{
		"projectKey": "SUP", "summary": "Refund failed for order 1001",
		"description": "Customer: Jane\nOrder: 1001\n\nSee ticket T-1.", "labels": []any{"support", "refund"},
	}, "run1-0-0")
	req := f.Last()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(platformfake.JiraEmail+":"+platformfake.JiraAPIToken))
	if req.Method != "POST" || req.Path != "/rest/api/3/issue" || req.Header.Get("Authorization") != want {
		t.Errorf("request %s %s auth %q", req.Method, req.Path, req.Header.Get("Authorization"))
	}
	wantBody := `{"fields":{"description":{"content":[{"content":[{"text":"Customer: Jane","type":"text"},{"type":"hardBreak"},{"text":"Order: 1001","type":"text"}],"type":"paragraph"},{"content":[{"text":"See ticket T-1.","type":"text"}],"type":"paragraph"}],"type":"doc","version":1},"issuetype":{"name":"Task"},"labels":["support","refund"],"project":{"key":"SUP"},"summary":"Refund failed for order 1001"}}`
	if string(req.Body) != wantBody {
		t.Errorf("body\n%s\nwant\n%s", req.Body, wantBody)
	}
	if res.Status != 201 || get(res.Data, "key") != "SUP-24" {
		t.Errorf("result %d %s", res.Status, text(res.Data))
	}
}

func TestJiraErrors(t *testing.T) {
	f := platformfake.NewJira(t)
	env := testEnv(f.Server, &sleeper{})
	_, err := execute(t, env, jiraConn(f), "create_issue", map[string]any{"projectKey": "NOPE", "summary": "x"}, "k")
	wantError(t, err, "Jira answered 400 Bad Request: project: valid project is required")
	res, err := execute(t, env, jiraConn(f), "get_issue", map[string]any{"issueKey": "SUP-404"}, "k")
	wantError(t, err, "Jira answered 404 Not Found: Issue does not exist or you do not have permission to see it.")
	if res == nil || get(res.Data, "errorMessages.0") == nil {
		t.Errorf("error body not in the result: %+v", res)
	}
	bad := jiraConn(f)
	bad.Credentials["api_token"] = "ATATT-wrong-token"
	_, err = execute(t, env, bad, "get_issue", map[string]any{"issueKey": "SUP-1"}, "k")
	wantError(t, err, "Jira answered 401 Unauthorized: Client must be authenticated to access this resource. — check the connector's credentials")
	basic := base64.StdEncoding.EncodeToString([]byte(platformfake.JiraEmail + ":ATATT-wrong-token"))
	if strings.Contains(err.Error(), "ATATT-wrong-token") || strings.Contains(err.Error(), basic) {
		t.Error("error leaks the credentials")
	}
	_, err = execute(t, env, jiraConn(f), "transition_issue", map[string]any{"issueKey": "SUP-1", "transitionId": "99"}, "k")
	wantError(t, err, "Jira answered 400 Bad Request: Transition id '99' is not valid for this issue.")
}

func TestJiraTransitionByName(t *testing.T) {
	f := platformfake.NewJira(t)
	env := testEnv(f.Server, &sleeper{})
	res := mustExecute(t, env, jiraConn(f), "transition_issue", map[string]any{"issueKey": "SUP-1", "transition": "done"}, "k")
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0].Method != "GET" || reqs[1].Method != "POST" || reqs[1].Path != "/rest/api/3/issue/SUP-1/transitions" {
		t.Fatalf("requests %v", reqs)
	}
	if string(reqs[1].Body) != `{"transition":{"id":"31"}}` {
		t.Errorf("body %s", reqs[1].Body)
	}
	if res.Status != 204 || text(res.Data) != `{"id":"31","name":"Resolve","to":"Done"}` || f.Issue("SUP-1")["status"] != "Done" {
		t.Errorf("result %d %s", res.Status, text(res.Data))
	}
	// A transition name wins over a status name; ids skip the lookup.
	f.Reset()
	mustExecute(t, env, jiraConn(f), "transition_issue", map[string]any{"issueKey": "SUP-1", "transition": "Start Progress"}, "k")
	if string(f.Last().Body) != `{"transition":{"id":"21"}}` {
		t.Errorf("body %s", f.Last().Body)
	}
	f.Reset()
	mustExecute(t, env, jiraConn(f), "transition_issue", map[string]any{"issueKey": "SUP-1", "transitionId": "11"}, "k")
	if len(f.Requests()) != 1 {
		t.Errorf("%d requests for a transition by id", len(f.Requests()))
	}
	_, err := execute(t, env, jiraConn(f), "transition_issue", map[string]any{"issueKey": "SUP-1", "transition": "Shipped"}, "k")
	wantError(t, err, `Jira issue SUP-1 has no transition or target status named "Shipped" now; available: To Do (→ To Do), Start Progress (→ In Progress), Resolve (→ Done)`)
	_, err = execute(t, env, jiraConn(f), "transition_issue", map[string]any{"issueKey": "SUP-1"}, "k")
	wantError(t, err, "params: one of transitionId, transition is required")
}

func TestJiraCommentAssignWatch(t *testing.T) {
	f := platformfake.NewJira(t)
	env := testEnv(f.Server, &sleeper{})
	res := mustExecute(t, env, jiraConn(f), "add_comment", map[string]any{"issueKey": "SUP-1", "body": "Customer replied."}, "k")
	if len(f.Comments) != 1 || text(f.Comments[0]) != `{"content":[{"content":[{"text":"Customer replied.","type":"text"}],"type":"paragraph"}],"type":"doc","version":1}` {
		t.Errorf("comment %v", f.Comments)
	}
	if get(res.Data, "author.displayName") != "Support Agent" || get(res.Data, "body") != nil {
		t.Errorf("comment result %s", text(res.Data))
	}
	mustExecute(t, env, jiraConn(f), "assign_issue", map[string]any{"issueKey": "SUP-1", "accountId": "5b10a2844c20165700ede21g"}, "k")
	if req := f.Last(); req.Method != "PUT" || string(req.Body) != `{"accountId":"5b10a2844c20165700ede21g"}` {
		t.Errorf("assign %s %s", req.Method, req.Body)
	}
	mustExecute(t, env, jiraConn(f), "add_watcher", map[string]any{"issueKey": "SUP-1", "accountId": "5b10a2844c20165700ede21g"}, "k")
	if req := f.Last(); string(req.Body) != `"5b10a2844c20165700ede21g"` || f.Issue("SUP-1")["watcher"] != "5b10a2844c20165700ede21g" {
		t.Errorf("watcher body %s", req.Body)
	}
	res = mustExecute(t, env, jiraConn(f), "get_issue", map[string]any{"issueKey": "SUP-1"}, "k")
	if !strings.Contains(f.Last().Query, "fields=summary%2Cstatus") || get(res.Data, "fields.status.name") != "To Do" || get(res.Data, "fields.description") != nil {
		t.Errorf("get_issue query %s result %s", f.Last().Query, text(res.Data))
	}
}

func TestJiraRateLimitAndUnavailable(t *testing.T) {
	f := platformfake.NewJira(t)
	f.Queue(
		platformfake.Canned{Status: 429, Header: map[string]string{"Retry-After": "3", "X-RateLimit-Limit": "100"}, Body: `{"errorMessages":["Rate limit exceeded."],"errors":{}}`},
		platformfake.Canned{Status: 503, Body: `{"errorMessages":["Service Unavailable"],"errors":{}}`},
	)
	sl := &sleeper{}
	res := mustExecute(t, testEnv(f.Server, sl), jiraConn(f), "add_comment", map[string]any{"issueKey": "SUP-1", "body": "hi"}, "k")
	if res.Status != 201 || !slices.Equal(sl.got(), []time.Duration{3 * time.Second, time.Second}) {
		t.Errorf("status %d waits %v", res.Status, sl.got())
	}
}
