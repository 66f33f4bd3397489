package platformfake

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// The operations a fake has no state for are answered with the examples
// of the platform's official OpenAPI description: per operation ("METHOD
// /template"), its success status and example answer.
var (
	// From @octokit/openapi 23.0.2, api.github.com.
	//go:embed github_examples.json
	githubExamplesJSON []byte
	// From the Jira Cloud platform REST API v3 description
	// (swagger-v3.v3.json, 1001.0.0-SNAPSHOT-57a0ca5b).
	//go:embed jira_examples.json
	jiraExamplesJSON []byte

	githubExamples = sync.OnceValue(func() examples { return loadExamples("github", githubExamplesJSON) })
	jiraExamples   = sync.OnceValue(func() examples { return loadExamples("jira", jiraExamplesJSON) })
)

type example struct {
	method string
	path   *regexp.Regexp
	// literal is true for a path without placeholders: it wins over a
	// template that matches too (/project/search, /project/{key}).
	literal bool
	Status  int `json:"status"`
	Body    any `json:"body"`
}

type examples []example

var placeholder = regexp.MustCompile(`\{[A-Za-z_]+\}`)

func loadExamples(platform string, raw []byte) examples {
	var byOp map[string]example
	if err := json.Unmarshal(raw, &byOp); err != nil {
		panic("platformfake: " + platform + " examples: " + err.Error())
	}
	out := make(examples, 0, len(byOp))
	for op, ex := range byOp {
		method, template, _ := strings.Cut(op, " ")
		parts := placeholder.Split(template, -1)
		for i, part := range parts {
			parts[i] = regexp.QuoteMeta(part)
		}
		ex.method = method
		ex.path = regexp.MustCompile("^" + strings.Join(parts, `[^/]+`) + "$")
		ex.literal = len(parts) == 1
		out = append(out, ex)
	}
	return out
}

// find returns the example of the request's operation.
func (xs examples) find(r *http.Request) (example, bool) {
	var found example
	ok := false
	for _, ex := range xs {
		if ex.method != r.Method || !ex.path.MatchString(r.URL.Path) {
			continue
		}
		if ex.literal {
			return ex, true
		}
		if !ok {
			found, ok = ex, true
		}
	}
	return found, ok
}

func (ex example) write(w http.ResponseWriter) {
	if ex.Body == nil {
		w.WriteHeader(ex.Status)
		return
	}
	writeJSON(w, ex.Status, ex.Body)
}

// example answers a GitHub request with its operation's example; ok is
// false when no example operation matches. Requests for another
// repository than acme/app are answered 404, as GitHub does for a
// repository the token cannot see.
func (f *GitHub) example(w http.ResponseWriter, r *http.Request) bool {
	ex, ok := githubExamples().find(r)
	if !ok {
		return false
	}
	if strings.HasPrefix(r.URL.Path, "/repos/") && !strings.HasPrefix(r.URL.Path+"/", "/repos/acme/app/") {
		githubError(w, 404, "Not Found", nil)
		return true
	}
	ex.write(w)
	return true
}

var jiraIssuePath = regexp.MustCompile(`^/rest/api/3/issue/([^/]+)`)

// example answers a Jira request with its operation's example; an issue
// other than the fake's is answered 404 as Jira does.
func (f *Jira) example(w http.ResponseWriter, r *http.Request) bool {
	ex, ok := jiraExamples().find(r)
	if !ok {
		return false
	}
	if m := jiraIssuePath.FindStringSubmatch(r.URL.Path); m != nil && f.issues[m[1]] == nil { // the server holds f.mu
		jiraError(w, 404, []any{"Issue does not exist or you do not have permission to see it."}, nil)
		return true
	}
	ex.write(w)
	return true
}

// SlackToken is the bot token the Slack fake accepts.
const SlackToken = "xoxb-0000000000-0000000000000-deskflowfakeslacktoken"

// Slack answers as slack.com/api does: a Bearer bot token, form-encoded
// POSTs, every answer 200 with "ok"; a refusal is {"ok": false, "error"}
// (invalid_auth, channel_not_found for channel C_MISSING, unknown_method).
// Each method answers its example of Slack's official Web API description
// (slack-api-specs, slack_web_openapi_v2.json 1.7.0).
type Slack struct{ *Server }

var (
	//go:embed slack_examples.json
	slackExamplesJSON []byte
	slackExamples     = sync.OnceValue(func() examples { return loadExamples("slack", slackExamplesJSON) })
)

// NewSlack starts a Slack fake.
func NewSlack(t testing.TB) *Slack {
	f := &Slack{}
	f.Server = newServer(t, f.handle)
	f.Server.official = "slack"
	return f
}

func (f *Slack) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	refuse := func(code string) { writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code}) }
	if r.Header.Get("Authorization") != "Bearer "+SlackToken {
		refuse("invalid_auth")
		return
	}
	if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		refuse("invalid_form_data")
		return
	}
	args, err := url.ParseQuery(string(body))
	if err != nil {
		refuse("invalid_form_data")
		return
	}
	if r.URL.Query().Get("channel") == "C_MISSING" || args.Get("channel") == "C_MISSING" {
		refuse("channel_not_found")
		return
	}
	ex, ok := slackExamples().find(r)
	if !ok {
		refuse("unknown_method")
		return
	}
	ex.write(w)
}
