package platformfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The fakes of Stripe, GitHub, Jira and Slack check every request against
// the platform's official description (the trimmed copies in
// ../officialspec) before answering: a request the description does not
// allow is answered 400 (404 for an operation it does not have), so a
// catalog action that drifts from the platform fails against its fake.
// Their answers are checked too (answerCheck): one the description does
// not allow fails the test that got it.

// kinOpenAPILimits are decoding errors of openapi3filter on valid Stripe
// requests: it cannot decode Stripe's deepObject array "expand" nor form
// bodies whose schema has anyOf properties. Such requests are matched to
// their operation but not validated further.
var kinOpenAPILimits = []string{`invalid serialization method: style="deepObject"`, "unsupported schema of request body's property"}

var officialRouters sync.Map // platform → func() (routers.Router, error)

func officialRouter(platform string) (routers.Router, error) {
	load, _ := officialRouters.LoadOrStore(platform, sync.OnceValues(func() (routers.Router, error) {
		_, here, _, _ := runtime.Caller(0)
		doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join(filepath.Dir(here), "..", "officialspec", platform+".json"))
		if err != nil {
			return nil, err
		}
		doc.Servers = openapi3.Servers{{URL: "http://fake"}}
		return legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	}))
	return load.(func() (routers.Router, error))()
}

// findRoute is the operation of a request. kin-openapi's router may match
// /project/search to /project/{projectIdOrKey} (its choice between the two
// varies); a path the description has literally, with no placeholder,
// wins, as in the platforms' own routing.
func findRoute(router routers.Router, req *http.Request) (*routers.Route, map[string]string, error) {
	route, pathParams, err := router.FindRoute(req)
	if err != nil || len(pathParams) == 0 {
		return route, pathParams, err
	}
	path := strings.TrimPrefix(req.URL.Path, "/")
	for literal, item := range route.Spec.Paths.Map() {
		if strings.Trim(literal, "/") != path || strings.Contains(literal, "{") {
			continue
		}
		if op := item.GetOperation(req.Method); op != nil {
			return &routers.Route{Spec: route.Spec, Server: route.Server, Path: literal, PathItem: item, Method: req.Method, Operation: op}, map[string]string{}, nil
		}
	}
	return route, pathParams, err
}

// checkOfficial validates a request against the platform's description:
// it returns the operation the request is for (its answer is checked
// against it), or the status and message to refuse the request with.
func checkOfficial(platform string, r *http.Request, body []byte) (route *routers.Route, pathParams map[string]string, status int, message string) {
	router, err := officialRouter(platform)
	if err != nil {
		panic("platformfake: " + platform + " description: " + err.Error())
	}
	req, _ := http.NewRequest(r.Method, "http://fake"+r.URL.EscapedPath()+"?"+r.URL.RawQuery, io.NopCloser(bytes.NewReader(body)))
	req.Header = r.Header.Clone()
	if platform == "slack" {
		slackTokenAsParameter(req)
	}
	route, pathParams, err = findRoute(router, req)
	if err != nil {
		return nil, nil, http.StatusNotFound, fmt.Sprintf("%s %s is not an operation of %s's official description", r.Method, r.URL.Path, platform)
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
		for _, limit := range kinOpenAPILimits {
			if strings.Contains(err.Error(), limit) {
				return route, pathParams, 0, ""
			}
		}
		return nil, nil, http.StatusBadRequest, fmt.Sprintf("the request does not match %s's official description: %.300v", platform, err)
	}
	return route, pathParams, 0, ""
}

// slackTokenAsParameter gives the request, as validated, the token
// parameter Slack's description requires (a "token" header on POSTs, a
// query parameter on GETs): Slack reads the same token from the
// Authorization header that deskflow sends.
func slackTokenAsParameter(req *http.Request) {
	token, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return
	}
	req.Header.Set("token", token)
	q := req.URL.Query()
	q.Set("token", token)
	req.URL.RawQuery = q.Encode()
}

// listAnswers are the operations whose answer the description types as
// one object while the platform (and the description's own example)
// answers a list of them: each element is checked against the schema.
var listAnswers = map[string]string{
	"jira GET /rest/api/3/issue/{issueIdOrKey}/remotelink": "the 200 schema is one RemoteIssueLink; its example, and Jira, answer a list",
}

// errorSchemas are the platforms' error objects, for an error status an
// operation does not list (GitHub answers 401 to any request with a bad
// token, though few operations say so).
var errorSchemas = map[string]string{"github": "basic-error", "stripe": "error", "jira": "ErrorCollection"}

// answerCheck says what a fake's answer is checked against: the
// operation's response for its status (or its default response), checked
// by openapi3filter, status and content type included; or, directly, one
// schema: Slack's {"ok": false} against the default (error) response, an
// error status the operation does not list against the platform's error
// object, a listAnswers answer element by element.
type answerCheck struct {
	schema  *openapi3.Schema
	direct  bool
	list    bool
	refusal bool
}

func officialAnswerCheck(platform string, r *http.Request, route *routers.Route, status int, body []byte) answerCheck {
	var answer any
	_ = json.Unmarshal(body, &answer)
	responses := route.Operation.Responses
	switch {
	case platform == "slack" && field(answer, "ok") == false:
		if ref := responses.Default(); ref != nil && ref.Value != nil {
			if content := ref.Value.Content.Get("application/json"); content != nil && content.Schema != nil {
				return answerCheck{schema: content.Schema.Value, direct: true, refusal: true}
			}
		}
	case status >= 400 && responses.Status(status) == nil && responses.Default() == nil:
		if ref := route.Spec.Components.Schemas[errorSchemas[platform]]; ref != nil {
			return answerCheck{schema: ref.Value, direct: true}
		}
	}
	_, list := listAnswers[platform+" "+r.Method+" "+route.Path]
	return answerCheck{schema: responseSchema(route, status), direct: list, list: list}
}

// checkOfficialAnswer validates a fake's answer as c says.
func checkOfficialAnswer(platform string, r *http.Request, body []byte, route *routers.Route, pathParams map[string]string, rec *httptest.ResponseRecorder, c answerCheck) string {
	if c.direct {
		var answer any
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			return fmt.Sprintf("%s %s: the %d answer is not JSON: %v", r.Method, r.URL.Path, rec.Code, err)
		}
		items := []any{answer}
		if c.list {
			list, isList := answer.([]any)
			if !isList {
				return fmt.Sprintf("%s %s: the %d answer is not a list", r.Method, r.URL.Path, rec.Code)
			}
			items = list
		}
		for _, item := range items {
			if err := c.schema.VisitJSON(item); err != nil {
				return fmt.Sprintf("%s %s: the %d answer does not match %s's official description: %.600v", r.Method, r.URL.Path, rec.Code, platform, err)
			}
		}
		return ""
	}
	req, _ := http.NewRequest(r.Method, "http://fake"+r.URL.EscapedPath()+"?"+r.URL.RawQuery, io.NopCloser(bytes.NewReader(body)))
	req.Header = r.Header.Clone()
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		// An empty answer (204, Jira's 201 of an issue link) has no
		// body to check, whatever content the description lists.
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: rec.Body.Len() == 0},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return fmt.Sprintf("%s %s: the %d answer does not match %s's official description: %.600v", r.Method, r.URL.Path, rec.Code, platform, err)
	}
	return ""
}
