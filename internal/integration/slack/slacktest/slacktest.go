// Package slacktest is a loopback HTTP server that answers as Slack's Web
// API does for chat.postMessage and auth.test, for tests: HTTP 200 with
// {"ok": false, "error": code} for refusals (not_authed, invalid_auth,
// channel_not_found, not_in_channel, is_archived, no_text), {"ok": true,
// "channel", "ts", "message"} for a post, and any scripted answer (HTTP 429
// with Retry-After, 5xx) queued with Enqueue.
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Channel is a conversation of the fake workspace.
type Channel struct {
	ID   string
	Name string // without '#'
	// Member says whether the bot was invited.
	Member   bool
	Archived bool
}

// Reply is a scripted answer.
type Reply struct {
	Status     int
	RetryAfter string
	// Body is sent as is (JSON unless ContentType says otherwise).
	Body        string
	ContentType string
}

// Request is what the server received.
type Request struct {
	Method        string // Web API method, e.g. chat.postMessage
	HTTPMethod    string
	Authorization string
	ContentType   string
	Body          map[string]any
	Channel       string
	Text          string
}

// Server is the fake Slack.
type Server struct {
	*httptest.Server
	// Token is the bot token the server accepts.
	Token string

	mu       sync.Mutex
	channels []Channel
	script   map[string][]Reply
	requests []Request
	seq      int
}

// New starts a fake Slack accepting token, closed when the test ends.
func New(t testing.TB, token string) *Server {
	s := &Server{Token: token, script: map[string][]Reply{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the Web API root, the connector's base_url.
func (s *Server) BaseURL() string { return s.URL + "/api" }

// AddChannel adds a conversation.
func (s *Server) AddChannel(ch Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels = append(s.channels, ch)
}

// Enqueue scripts the next answers to a method; they are given before the
// normal handling (the request is still recorded).
func (s *Server) Enqueue(method string, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[method] = append(s.script[method], replies...)
}

// Requests lists what the server received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || strings.Contains(method, "/") {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{Method: method, HTTPMethod: r.Method, Authorization: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type")}
	mediaType, params, _ := mime.ParseMediaType(req.ContentType)
	var body map[string]any
	badJSON := mediaType == "application/json" && len(raw) > 0 && json.Unmarshal(raw, &body) != nil
	req.Body = body
	req.Channel, _ = body["channel"].(string)
	req.Text, _ = body["text"].(string)

	s.mu.Lock()
	s.requests = append(s.requests, req)
	var scripted *Reply
	if q := s.script[method]; len(q) > 0 {
		scripted, s.script[method] = &q[0], q[1:]
	}
	s.mu.Unlock()

	if scripted != nil {
		if scripted.RetryAfter != "" {
			w.Header().Set("Retry-After", scripted.RetryAfter)
		}
		ct := scripted.ContentType
		if ct == "" {
			ct = "application/json; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(scripted.Status)
		io.WriteString(w, scripted.Body)
		return
	}
	if method != "chat.postMessage" && method != "auth.test" {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_post_type"})
		return
	}
	// JSON bodies need the token in the Authorization header.
	auth := req.Authorization
	switch {
	case auth == "":
		refuse(w, "not_authed")
		return
	case auth != "Bearer "+s.Token:
		refuse(w, "invalid_auth")
		return
	}
	if len(raw) > 0 && mediaType != "application/json" {
		refuse(w, "invalid_post_type")
		return
	}
	if badJSON {
		refuse(w, "invalid_json")
		return
	}
	var warning string
	if len(raw) > 0 && params["charset"] == "" {
		warning = "missing_charset"
	}
	if method == "auth.test" {
		writeJSON(w, http.StatusOK, map[string]any{
			"ok": true, "url": "https://deskflow-fake.slack.com/", "team": "Deskflow Fake",
			"user": "deskflow", "team_id": "T0FAKE0001", "user_id": "U0FAKE0001", "bot_id": "B0FAKE0001",
		})
		return
	}
	s.post(w, req, warning)
}

func (s *Server) post(w http.ResponseWriter, req Request, warning string) {
	if req.Channel == "" {
		refuse(w, "channel_not_found")
		return
	}
	s.mu.Lock()
	var ch *Channel
	for i := range s.channels {
		c := &s.channels[i]
		if req.Channel == c.ID || strings.TrimPrefix(req.Channel, "#") == c.Name {
			ch = c
			break
		}
	}
	s.seq++
	ts := fmt.Sprintf("1700000000.%06d", s.seq)
	s.mu.Unlock()
	switch {
	case ch == nil:
		refuse(w, "channel_not_found")
		return
	case ch.Archived:
		refuse(w, "is_archived")
		return
	case !ch.Member:
		refuse(w, "not_in_channel")
		return
	case strings.TrimSpace(req.Text) == "":
		refuse(w, "no_text")
		return
	}
	answer := map[string]any{
		"ok": true, "channel": ch.ID, "ts": ts,
		"message": map[string]any{"type": "message", "subtype": "bot_message", "text": req.Text, "bot_id": "B0FAKE0001", "ts": ts},
	}
	if warning != "" {
		answer["warning"] = warning
		answer["response_metadata"] = map[string]any{"warnings": []string{warning}}
	}
	writeJSON(w, http.StatusOK, answer)
}

func refuse(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// RateLimited is Slack's HTTP 429 answer with Retry-After seconds.
func RateLimited(seconds int) Reply {
	return Reply{Status: http.StatusTooManyRequests, RetryAfter: fmt.Sprint(seconds), Body: `{"ok":false,"error":"ratelimited"}`}
}

// ServerError is a 5xx answer with an HTML page, as a proxy in front of
// Slack gives.
func ServerError(status int) Reply {
	return Reply{Status: status, ContentType: "text/html", Body: "<html><body><h1>" + http.StatusText(status) + "</h1></body></html>"}
}
