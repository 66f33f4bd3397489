package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/deskflow/deskflow/internal/validate"
)

// contract is the API's OpenAPI description as kin-openapi reads it, with
// a router to find each request's operation.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	// valid holds the requests and answers found valid, by the SHA-256 of
	// what is validated: kin-openapi compiles the schemas at every
	// validation, and tests poll.
	valid sync.Map
}

// contracts are the descriptions loaded so far, by the SHA-256 of their
// text: every server of the same configuration serves the same one.
var contracts sync.Map

// loadContract loads and validates an OpenAPI description.
func loadContract(raw []byte) (*contract, error) {
	key := sha256.Sum256(raw)
	if c, ok := contracts.Load(key); ok {
		return c.(*contract), nil
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI description: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate the OpenAPI description: %w", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI description: %w", err)
	}
	c, _ := contracts.LoadOrStore(key, &contract{doc: doc, router: router})
	return c.(*contract), nil
}

// contract is the description the env's node serves (fetched once per
// node).
func (e *env) contract() *contract {
	e.t.Helper()
	e.mu.Lock()
	c := e.described
	e.mu.Unlock()
	if c != nil {
		return c
	}
	res, err := http.Get(e.srv.URL + "/api/openapi.json")
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		e.t.Fatalf("GET /api/openapi.json: %d %v", res.StatusCode, err)
	}
	c, err = loadContract(raw)
	if err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.described = c
	e.mu.Unlock()
	return c
}

// client is an HTTP client whose every exchange is checked against the
// description.
func (e *env) client() *http.Client {
	return &http.Client{Transport: contractTransport{e}}
}

// contractTransport sends requests and checks each exchange against the
// description: the answer always, against its status's description (an
// undocumented status fails); the request when it succeeded (tests send
// invalid requests on purpose, to see them refused). A request for no
// documented route must be answered with the error shape. A mismatch fails
// the test, naming the operation, the status and the problems.
type contractTransport struct{ e *env }

func (c contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var sent []byte
	out := req.Clone(req.Context())
	if req.Body != nil {
		var err error
		sent, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read the request body: %w", err)
		}
		out.Body = io.NopCloser(bytes.NewReader(sent))
	}
	res, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	c.e.checkContract(req, sent, res, raw)
	return res, nil
}

func (e *env) checkContract(req *http.Request, sent []byte, res *http.Response, raw []byte) {
	e.t.Helper()
	c := e.contract()
	ctx := context.Background()
	vreq := req.Clone(ctx)
	if bytes.Contains(sent, []byte(`\u0000`)) {
		// The API removes NUL characters from the text of request bodies
		// (as its description says): what it validates has none.
		if v, err := validate.Decode(sent); err == nil {
			sent, _ = json.Marshal(v)
		}
	}
	vreq.Body = io.NopCloser(bytes.NewReader(sent))
	vreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(sent)), nil }
	// The description's server is relative ("/"): the host serving it.
	vreq.URL.Scheme, vreq.URL.Host = "", ""
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		var value any
		if err := json.Unmarshal(raw, &value); err != nil {
			e.t.Errorf("%s %s (no documented route): %d answer is not JSON: %v", req.Method, req.URL.Path, res.StatusCode, err)
			return
		}
		if err := c.doc.Components.Schemas["Error"].Value.VisitJSON(value, openapi3.EnableJSONSchema2020()); err != nil {
			e.t.Errorf("%s %s (no documented route): %d answer is not an Error:\n%s", req.Method, req.URL.Path, res.StatusCode, describe(err))
		}
		return
	}
	op := route.Operation.OperationID
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerToken, RejectWhenRequestBodyNotSpecified: true, MultiError: true}}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		key := sha256.Sum256(fmt.Appendf(nil, "request %s %s %q %q %t\n%s", req.Method, req.URL.RequestURI(), req.Header.Get("Content-Type"), req.Header.Get("X-Workspace-Id"), strings.HasPrefix(req.Header.Get("Authorization"), "Bearer "), sent))
		if _, seen := c.valid.Load(key); !seen {
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				e.t.Errorf("%s (%s %s): the request, answered %d, does not match the description:\n%s\n%s", op, req.Method, req.URL.Path, res.StatusCode, describe(err), clip(sent))
			} else {
				c.valid.Store(key, true)
			}
		}
	}
	key := sha256.Sum256(fmt.Appendf(nil, "answer %s %d %q %q\n%s", op, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Retry-After"), raw))
	if _, seen := c.valid.Load(key); seen {
		return // the same answer passed already (tests poll)
	}
	check := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(raw)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(ctx, check); err != nil {
		e.t.Errorf("%s (%s %s): the %d answer does not match the description:\n%s\n%s", op, req.Method, req.URL.Path, res.StatusCode, describe(err), clip(raw))
		return
	}
	if doc := route.Operation.Responses.Status(res.StatusCode); doc != nil && len(doc.Value.Content) == 0 && len(raw) > 0 {
		e.t.Errorf("%s (%s %s): the %d answer has a body; the description has none: %s", op, req.Method, req.URL.Path, res.StatusCode, clip(raw))
		return
	}
	c.valid.Store(key, true)
}

// bearerToken accepts the requests that send a bearer token: whether it is
// valid is the server's to say.
func bearerToken(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "bearer" {
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return errors.New("no bearer token")
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// describe lists the problems of a kin-openapi validation error, one a
// line, without the schemas and values its message spells out.
func describe(err error) string {
	var lines []string
	var walk func(err error)
	walk = func(err error) {
		var (
			multi    openapi3.MultiError
			schema   *openapi3.SchemaError
			request  *openapi3filter.RequestError
			response *openapi3filter.ResponseError
		)
		switch {
		case errors.As(err, &multi):
			for _, e := range multi {
				walk(e)
			}
		case errors.As(err, &schema):
			// The leaves of the JSON Schema validator's tree say what is wrong
			// where.
			if schema.Origin != nil {
				walk(schema.Origin)
			} else {
				lines = append(lines, "  /"+strings.Join(schema.JSONPointer(), "/")+": "+schema.Reason)
			}
		case errors.As(err, &request):
			where := request.Reason
			if request.Parameter != nil {
				where = "parameter " + request.Parameter.Name + ": " + where
			}
			lines = append(lines, "  "+where)
			if request.Err != nil {
				walk(request.Err)
			}
		case errors.As(err, &response):
			lines = append(lines, "  "+response.Reason)
			if response.Err != nil {
				walk(response.Err)
			}
		default:
			lines = append(lines, "  "+clip([]byte(err.Error())))
		}
	}
	walk(err)
	return strings.Join(lines, "\n")
}
