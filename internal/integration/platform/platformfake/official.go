package platformfake

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
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

// checkOfficial validates a request against the platform's description;
// it returns the status and message to refuse it with, or 0.
func checkOfficial(platform string, r *http.Request, body []byte) (int, string) {
	router, err := officialRouter(platform)
	if err != nil {
		panic("platformfake: " + platform + " description: " + err.Error())
	}
	req, _ := http.NewRequest(r.Method, "http://fake"+r.URL.EscapedPath()+"?"+r.URL.RawQuery, io.NopCloser(bytes.NewReader(body)))
	req.Header = r.Header.Clone()
	if platform == "slack" {
		slackTokenAsParameter(req)
	}
	route, pathParams, err := router.FindRoute(req)
	if err != nil {
		return http.StatusNotFound, fmt.Sprintf("%s %s is not an operation of %s's official description", r.Method, r.URL.Path, platform)
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
		for _, limit := range kinOpenAPILimits {
			if strings.Contains(err.Error(), limit) {
				return 0, ""
			}
		}
		return http.StatusBadRequest, fmt.Sprintf("the request does not match %s's official description: %.300v", platform, err)
	}
	return 0, ""
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
