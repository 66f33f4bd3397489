// Package teamstest is a loopback HTTP server that answers as the Microsoft
// identity platform's token endpoint (refresh_token grant) and Microsoft
// Graph's "Send chatMessage in a channel" do, errors included, for tests.
//
// The token endpoint (POST /{tenant}/oauth2/v2.0/token, form encoded)
// checks client_id, client_secret, grant_type, scope and the refresh token;
// it answers {"access_token", "token_type": "Bearer", "expires_in",
// "scope", "refresh_token"} with a new (rotated) refresh token, or
// {"error", "error_description": "AADSTS…", "error_codes", …} with HTTP 400
// (invalid_grant, invalid_request, unsupported_grant_type, invalid_scope)
// or 401 (invalid_client). As the identity platform does, a used refresh
// token stays valid unless RevokeUsed is set.
//
// Graph (POST /v1.0/teams/{team-id}/channels/{channel-id}/messages) checks
// the Bearer access token (401 InvalidAuthenticationToken), the ids (404
// NotFound), the permission (403 Forbidden when Forbid is set) and the body
// ({"body": {"contentType", "content"}}, 400 BadRequest), and answers 201
// with the chatMessage. Scripted answers (429 with Retry-After, 5xx) are
// queued with EnqueueToken and EnqueueGraph.
package teamstest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Reply is a scripted answer.
type Reply struct {
	Status     int
	RetryAfter string
	Body       string
}

// TokenRequest is a request the token endpoint received.
type TokenRequest struct {
	Tenant      string
	ContentType string
	Form        url.Values
}

// MessageRequest is a request the channel messages endpoint received.
type MessageRequest struct {
	// RawPath is the escaped path as sent.
	RawPath       string
	TeamID        string
	ChannelID     string
	Authorization string
	ContentType   string
	// Body is the decoded JSON body.
	Body map[string]any
	// ContentTypeField and Content are body.contentType and body.content.
	ContentTypeField string
	Content          string
}

// Server is the fake identity platform and Graph.
type Server struct {
	*httptest.Server
	Tenant       string
	ClientID     string
	ClientSecret string
	// ExpiresIn is the lifetime given to access tokens (seconds).
	ExpiresIn int
	// Scope is what token answers say the access token is valid for.
	Scope string
	// RevokeUsed makes a used refresh token invalid.
	RevokeUsed bool
	// Forbid makes Graph answer 403 to posts (no ChannelMessage.Send).
	Forbid bool

	mu       sync.Mutex
	refresh  map[string]bool // valid refresh tokens
	access   map[string]bool // valid access tokens
	channels map[string]map[string]bool
	tokenSeq int
	msgSeq   int
	tokenQ   []Reply
	graphQ   []Reply
	tokens   []TokenRequest
	messages []MessageRequest
}

// New starts the fake, closed when the test ends.
func New(t testing.TB, tenant, clientID, clientSecret string) *Server {
	s := &Server{
		Tenant: tenant, ClientID: clientID, ClientSecret: clientSecret,
		ExpiresIn: 3599, Scope: "https://graph.microsoft.com/ChannelMessage.Send",
		refresh: map[string]bool{}, access: map[string]bool{}, channels: map[string]map[string]bool{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// TokenURL is the connector's token_url.
func (s *Server) TokenURL() string { return s.URL + "/" + s.Tenant + "/oauth2/v2.0/token" }

// GraphBaseURL is the connector's graph_base_url.
func (s *Server) GraphBaseURL() string { return s.URL + "/v1.0" }

// AddChannel makes a channel of a team exist.
func (s *Server) AddChannel(teamID, channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.channels[teamID] == nil {
		s.channels[teamID] = map[string]bool{}
	}
	s.channels[teamID][channelID] = true
}

// GrantRefreshToken makes a refresh token valid (the admin's consent).
func (s *Server) GrantRefreshToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh[tok] = true
}

// RevokeRefreshToken makes a refresh token invalid.
func (s *Server) RevokeRefreshToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refresh, tok)
}

// GrantAccessToken makes an access token valid (one issued earlier).
func (s *Server) GrantAccessToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access[tok] = true
}

// RevokeAccessToken makes an access token invalid before its expiry.
func (s *Server) RevokeAccessToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.access, tok)
}

// EnqueueToken scripts the token endpoint's next answers.
func (s *Server) EnqueueToken(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenQ = append(s.tokenQ, r...)
}

// EnqueueGraph scripts Graph's next answers.
func (s *Server) EnqueueGraph(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.graphQ = append(s.graphQ, r...)
}

// TokenRequests lists the token endpoint's requests.
func (s *Server) TokenRequests() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TokenRequest(nil), s.tokens...)
}

// MessageRequests lists the channel messages endpoint's requests.
func (s *Server) MessageRequests() []MessageRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]MessageRequest(nil), s.messages...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	if strings.HasSuffix(path, "/oauth2/v2.0/token") {
		s.token(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/oauth2/v2.0/token"))
		return
	}
	if rest, ok := strings.CutPrefix(path, "/v1.0/teams/"); ok {
		s.message(w, r, rest)
		return
	}
	graphError(w, http.StatusNotFound, "UnknownError", "", "")
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, tenant string) {
	ct := r.Header.Get("Content-Type")
	_ = r.ParseForm()
	form := r.PostForm
	s.mu.Lock()
	s.tokens = append(s.tokens, TokenRequest{Tenant: tenant, ContentType: ct, Form: form})
	var scripted *Reply
	if len(s.tokenQ) > 0 {
		scripted, s.tokenQ = &s.tokenQ[0], s.tokenQ[1:]
	}
	s.mu.Unlock()
	if scripted != nil {
		writeScripted(w, *scripted)
		return
	}
	if r.Method != http.MethodPost {
		aadError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests.")
		return
	}
	if mt, _, _ := mime.ParseMediaType(ct); mt != "application/x-www-form-urlencoded" {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	if tenant != s.Tenant {
		aadError(w, http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf("Tenant '%s' not found.", tenant))
		return
	}
	switch {
	case form.Get("grant_type") == "":
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	case form.Get("grant_type") != "refresh_token":
		aadError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
		return
	case form.Get("client_id") != s.ClientID:
		aadError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory.", form.Get("client_id")))
		return
	case form.Get("client_secret") == "":
		aadError(w, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	case form.Get("client_secret") != s.ClientSecret:
		aadError(w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
		return
	case form.Get("refresh_token") == "":
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.")
		return
	}
	scope := form.Get("scope")
	if !strings.Contains(strings.ToLower(scope), "channelmessage.send") {
		aadError(w, http.StatusBadRequest, "invalid_scope", 70011, fmt.Sprintf("The provided value for the input parameter 'scope' is not valid. The scope '%s' is not valid.", scope))
		return
	}
	s.mu.Lock()
	if !s.refresh[form.Get("refresh_token")] {
		s.mu.Unlock()
		aadError(w, http.StatusBadRequest, "invalid_grant", 700082, "The refresh token has expired due to inactivity. The token was issued on 2025-01-01T00:00:00Z and was inactive for 90.00:00:00.")
		return
	}
	if s.RevokeUsed {
		delete(s.refresh, form.Get("refresh_token"))
	}
	s.tokenSeq++
	at, rt := fmt.Sprintf("fake-access-%d", s.tokenSeq), fmt.Sprintf("fake-refresh-%d", s.tokenSeq)
	s.access[at], s.refresh[rt] = true, true
	answer := map[string]any{
		"token_type": "Bearer", "scope": s.Scope, "expires_in": s.ExpiresIn, "ext_expires_in": s.ExpiresIn,
		"access_token": at, "refresh_token": rt,
	}
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, answer)
}

func (s *Server) message(w http.ResponseWriter, r *http.Request, rest string) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := MessageRequest{RawPath: r.URL.EscapedPath(), Authorization: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type")}
	parts := strings.Split(rest, "/")
	valid := len(parts) == 4 && parts[1] == "channels" && parts[3] == "messages"
	if valid {
		var e1, e2 error
		req.TeamID, e1 = url.PathUnescape(parts[0])
		req.ChannelID, e2 = url.PathUnescape(parts[2])
		valid = e1 == nil && e2 == nil
	}
	var body map[string]any
	jsonErr := json.Unmarshal(raw, &body)
	req.Body = body
	if b, ok := body["body"].(map[string]any); ok {
		req.ContentTypeField, _ = b["contentType"].(string)
		req.Content, _ = b["content"].(string)
	}
	s.mu.Lock()
	s.messages = append(s.messages, req)
	var scripted *Reply
	if len(s.graphQ) > 0 {
		scripted, s.graphQ = &s.graphQ[0], s.graphQ[1:]
	}
	tokenOK := false
	if tok, ok := strings.CutPrefix(req.Authorization, "Bearer "); ok {
		tokenOK = s.access[tok]
	}
	exists := valid && s.channels[req.TeamID][req.ChannelID]
	s.msgSeq++
	id := fmt.Sprint(1616990032000 + s.msgSeq)
	s.mu.Unlock()

	switch {
	case scripted != nil:
		writeScripted(w, *scripted)
	case !valid:
		graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment.", "")
	case r.Method != http.MethodPost:
		graphError(w, http.StatusMethodNotAllowed, "UnknownError", "", "")
	case req.Authorization == "":
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.", "")
	case !tokenOK:
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", "")
	case s.Forbid:
		graphError(w, http.StatusForbidden, "Forbidden", "Missing scope permissions on the request. API requires one of 'ChannelMessage.Send, Group.ReadWrite.All'. Scopes on the request 'User.Read'", "")
	case !exists:
		graphError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("No team found with Group Id %s", req.TeamID), "")
	case !strings.HasPrefix(req.ContentType, "application/json") || jsonErr != nil || req.Content == "":
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid request body.", "")
	case req.ContentTypeField != "" && req.ContentTypeField != "html" && req.ContentTypeField != "text":
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid body content type.", "")
	default:
		ctf := req.ContentTypeField
		if ctf == "" {
			ctf = "text"
		}
		created := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
		writeJSON(w, http.StatusCreated, map[string]any{
			"@odata.context":  fmt.Sprintf("%s/v1.0/$metadata#teams('%s')/channels('%s')/messages/$entity", s.URL, req.TeamID, url.QueryEscape(req.ChannelID)),
			"id":              id,
			"replyToId":       nil,
			"etag":            id,
			"messageType":     "message",
			"createdDateTime": created, "lastModifiedDateTime": created,
			"importance": "normal", "locale": "en-us",
			"webUrl": fmt.Sprintf("https://teams.microsoft.com/l/message/%s/%s?groupId=%s&tenantId=%s&createdTime=%s&parentMessageId=%s",
				url.QueryEscape(req.ChannelID), id, url.QueryEscape(req.TeamID), s.Tenant, id, id),
			"from":            map[string]any{"user": map[string]any{"id": "8ea0e38b-efb3-4757-924a-5f94061cf8c2", "displayName": "Deskflow Service", "userIdentityType": "aadUser"}},
			"body":            map[string]any{"contentType": ctf, "content": req.Content},
			"channelIdentity": map[string]any{"teamId": req.TeamID, "channelId": req.ChannelID},
			"attachments":     []any{}, "mentions": []any{}, "reactions": []any{},
		})
	}
}

func writeScripted(w http.ResponseWriter, r Reply) {
	if r.RetryAfter != "" {
		w.Header().Set("Retry-After", r.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.Status)
	io.WriteString(w, r.Body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// aadError answers as the identity platform's token endpoint does.
func aadError(w http.ResponseWriter, status int, code string, aadsts int, msg string) {
	writeJSON(w, status, AADErrorBody(code, aadsts, msg))
}

// AADErrorBody is a token endpoint error answer.
func AADErrorBody(code string, aadsts int, msg string) map[string]any {
	const trace, corr = "0000aaaa-11bb-cccc-dd22-eeeeee333333", "aaaa0000-bb11-2222-33cc-444444dddddd"
	ts := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	return map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", aadsts, msg, trace, corr, ts),
		"error_codes":       []int{aadsts},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         "https://login.microsoftonline.com/error?code=" + fmt.Sprint(aadsts),
	}
}

// AADError is a scripted token endpoint error.
func AADError(status int, code string, aadsts int, msg string) Reply {
	b, _ := json.Marshal(AADErrorBody(code, aadsts, msg))
	return Reply{Status: status, Body: string(b)}
}

// graphError answers as Graph does.
func graphError(w http.ResponseWriter, status int, code, msg, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeJSON(w, status, GraphErrorBody(code, msg))
}

// GraphErrorBody is a Graph error answer.
func GraphErrorBody(code, msg string) map[string]any {
	return map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{
			"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        "01c3bdb8-fbb1-4613-96ad-be961ba99e11",
			"client-request-id": "01c3bdb8-fbb1-4613-96ad-be961ba99e11",
		},
	}}
}

// GraphError is a scripted Graph error answer.
func GraphError(status int, code, msg, retryAfter string) Reply {
	b, _ := json.Marshal(GraphErrorBody(code, msg))
	return Reply{Status: status, RetryAfter: retryAfter, Body: string(b)}
}

// Throttled is Graph's 429 answer with Retry-After seconds.
func Throttled(seconds int) Reply {
	return GraphError(http.StatusTooManyRequests, "TooManyRequests", "Too many requests.", fmt.Sprint(seconds))
}
