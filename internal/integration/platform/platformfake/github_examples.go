package platformfake

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// githubExamplesJSON holds, per operation ("METHOD /template"), the status
// and the example answer of GitHub's official OpenAPI description
// (@octokit/openapi 23.0.2, api.github.com): the fake answers the
// operations it has no state for with them, for the repository acme/app.
//
//go:embed github_examples.json
var githubExamplesJSON []byte

type githubExample struct {
	method string
	path   *regexp.Regexp
	Status int `json:"status"`
	Body   any `json:"body"`
}

var githubExamples = sync.OnceValue(func() []githubExample {
	var byOp map[string]githubExample
	if err := json.Unmarshal(githubExamplesJSON, &byOp); err != nil {
		panic("platformfake: github examples: " + err.Error())
	}
	placeholder := regexp.MustCompile(`\{[a-z_]+\}`)
	out := make([]githubExample, 0, len(byOp))
	for op, ex := range byOp {
		method, template, _ := strings.Cut(op, " ")
		ex.method = method
		parts := placeholder.Split(template, -1)
		for i, part := range parts {
			parts[i] = regexp.QuoteMeta(part)
		}
		ex.path = regexp.MustCompile("^" + strings.Join(parts, `[^/]+`) + "$")
		out = append(out, ex)
	}
	return out
})

// example answers a request with its operation's example; ok is false when
// no example operation matches. Requests for another repository than
// acme/app are answered 404, as GitHub does for a repository the token
// cannot see.
func (f *GitHub) example(w http.ResponseWriter, r *http.Request) bool {
	for _, ex := range githubExamples() {
		if ex.method != r.Method || !ex.path.MatchString(r.URL.Path) {
			continue
		}
		if strings.HasPrefix(r.URL.Path, "/repos/") && !strings.HasPrefix(r.URL.Path+"/", "/repos/acme/app/") {
			githubError(w, 404, "Not Found", nil)
			return true
		}
		if ex.Body == nil {
			w.WriteHeader(ex.Status)
			return true
		}
		writeJSON(w, ex.Status, ex.Body)
		return true
	}
	return false
}
