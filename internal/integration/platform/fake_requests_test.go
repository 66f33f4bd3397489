package platform

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// kinOpenAPILimits are decoding errors of openapi3filter on valid Stripe
// requests: it cannot decode Stripe's deepObject array "expand" (even
// absent) nor form bodies whose schema has anyOf properties. Such a
// request is still matched to its operation; the test logs them.
var kinOpenAPILimits = []string{`invalid serialization method: style="deepObject"`, "unsupported schema of request body's property"}

// TestEveryCatalogRequestMatchesOfficialDescription runs every Stripe,
// GitHub and Jira action against its fake, with all parameters, and
// validates each request the engine sent against the official description
// (operation, path, query, headers and body schema). The descriptions'
// examples are not validated: GitHub's and Jira's have invalid ones.
func TestEveryCatalogRequestMatchesOfficialDescription(t *testing.T) {
	for _, id := range []string{"stripe", "github", "jira", "slack"} {
		file := officialSpecs[id]
		doc := loadOfficialSpec(t, file)
		doc.Servers = openapi3.Servers{{URL: "http://fake"}}
		router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
		if err != nil {
			t.Fatalf("%s router: %v", id, err)
		}
		p, _ := Lookup(id)
		for _, a := range p.Actions {
			t.Run(id+"/"+a.ID, func(t *testing.T) {
				srv, conn, _ := fakeOf(t, id)
				params := exampleParams(p, a, true)
				if _, err := execute(t, testEnv(srv, &sleeper{}), conn, a.ID, params, "spec-"+a.ID); err != nil {
					t.Fatalf("%v with %v", err, params)
				}
				for _, r := range srv.Requests() {
					req, _ := http.NewRequest(r.Method, "http://fake"+r.EscapedPath+"?"+r.Query, io.NopCloser(bytes.NewReader(r.Body)))
					req.Header = r.Header
					if id == "slack" {
						slackTokenAsParameter(req)
					}
					route, pathParams, err := router.FindRoute(req)
					if err != nil {
						t.Errorf("%s %s: %v", r.Method, r.Path, err)
						continue
					}
					input := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams, Route: route,
						Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
					if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
						if known(err) {
							t.Logf("not validated (openapi3filter limit): %s %s: %.200v", r.Method, r.Path, err)
							continue
						}
						t.Errorf("%s %s?%s %s: %.300v", r.Method, r.Path, r.Query, r.Body, err)
					}
				}
			})
		}
	}
}

func known(err error) bool {
	for _, s := range kinOpenAPILimits {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
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
	req.Header = req.Header.Clone()
	req.Header.Set("token", token)
	q := req.URL.Query()
	q.Set("token", token)
	req.URL.RawQuery = q.Encode()
}
