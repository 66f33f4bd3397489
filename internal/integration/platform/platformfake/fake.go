// Package platformfake runs loopback HTTP servers that answer as Shopify,
// Stripe, GitHub, Jira and Slack do (authentication, paths, body
// encodings, success shapes and error formats), keeping a little state so
// that multi-request actions and idempotency can be tested for real. Each
// checks the requests it gets, and the answers it gives, against the
// platform's official description. It is for tests only.
package platformfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/routers"
)

// Request is one request a fake received.
type Request struct {
	Method string
	// Path is the decoded path; EscapedPath is as sent.
	Path        string
	EscapedPath string
	Query       string
	Header      http.Header
	Body        []byte
}

// JSON decodes the request body.
func (r Request) JSON() map[string]any {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	_ = dec.Decode(&m)
	return m
}

// Canned is an answer given instead of the normal handling (throttling,
// outages).
type Canned struct {
	Status int
	Header map[string]string
	Body   string
}

// Server is the common part of the fakes.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []Request
	queue    []Canned
	handle   func(w http.ResponseWriter, r *http.Request, body []byte)
	// official names the platform whose official description every
	// request is checked against ("" for none).
	official string
	t        testing.TB
}

func newServer(t testing.TB, handle func(w http.ResponseWriter, r *http.Request, body []byte)) *Server {
	s := &Server{handle: handle, t: t}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body,
	})
	var route *routers.Route
	var pathParams map[string]string
	if s.official != "" {
		var status int
		var message string
		if route, pathParams, status, message = checkOfficial(s.official, r, body); status != 0 {
			s.mu.Unlock()
			writeJSON(w, status, map[string]any{"message": message})
			return
		}
	}
	var canned *Canned
	if len(s.queue) > 0 {
		c := s.queue[0]
		s.queue = s.queue[1:]
		canned = &c
	}
	s.mu.Unlock()
	if canned != nil {
		for k, v := range canned.Header {
			w.Header().Set(k, v)
		}
		if canned.Body != "" && w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		w.WriteHeader(canned.Status)
		_, _ = io.WriteString(w, canned.Body)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if route == nil {
		s.handle(w, r, body)
		return
	}
	rec := httptest.NewRecorder()
	s.handle(rec, r, body)
	check := officialAnswerCheck(s.official, r, route, rec.Code, rec.Body.Bytes())
	rec.Body = bytes.NewBuffer(completeAnswer(check, rec.Code, rec.Body.Bytes()))
	if problem := checkOfficialAnswer(s.official, r, body, route, pathParams, rec, check); problem != "" {
		s.t.Errorf("platformfake: %s", problem)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// Queue makes the next requests get these answers, in order.
func (s *Server) Queue(answers ...Canned) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, answers...)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Last returns the last request received.
func (s *Server) Last() Request {
	reqs := s.Requests()
	if len(reqs) == 0 {
		return Request{}
	}
	return reqs[len(reqs)-1]
}

// Count counts the requests with this method and (decoded) path.
func (s *Server) Count(method, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// Reset forgets the requests received.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decodeJSON(body []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func field(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

func splitPath(p string) []string {
	return strings.Split(strings.Trim(p, "/"), "/")
}
