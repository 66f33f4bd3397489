package ai

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// APIError is an error answer (a non-2xx HTTP status) from a provider's
// API. Its message is the provider's own, with the API key redacted should
// the provider (or a proxy in front of it) echo it.
type APIError struct {
	// Provider is the provider's Name: "openai" or "anthropic".
	Provider string
	// StatusCode is the HTTP status, e.g. 400, 401, 429, 529.
	StatusCode int
	// Type is the provider's error type, e.g. "invalid_request_error",
	// "rate_limit_error", "overloaded_error"; empty when the body had none.
	Type string
	// Code is OpenAI's error code (e.g. "invalid_api_key",
	// "insufficient_quota") or Anthropic's error.details.error_code; often
	// empty.
	Code string
	// Message is the provider's message, or the start of a non-JSON body
	// (a proxy's HTML page), or the HTTP status text.
	Message string
	// RequestID is the provider's request id (x-request-id for OpenAI,
	// request-id for Anthropic), useful for the provider's support.
	RequestID string
}

// Error returns e.g. `openai: HTTP 400 (invalid_request_error): Invalid
// value for 'temperature' (request id req_123)`. 401 and 403 add a hint to
// check the connector's API key.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	b.WriteString(": HTTP ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	var kinds []string
	if e.Type != "" {
		kinds = append(kinds, e.Type)
	}
	if e.Code != "" && e.Code != e.Type {
		kinds = append(kinds, e.Code)
	}
	if len(kinds) > 0 {
		b.WriteString(" (" + strings.Join(kinds, ", ") + ")")
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	switch e.StatusCode {
	case http.StatusUnauthorized:
		b.WriteString(" (check the connector's API key)")
	case http.StatusForbidden:
		b.WriteString(" (check the connector's API key and its permissions)")
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return b.String()
}

// redactedError keeps err's chain for errors.Is/As but prints msg, a
// redacted rendering of err.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact removes secret (and its "Bearer " form) from s.
func redact(s, secret string) string {
	if len(secret) < 4 { // a 1-3 character "key" would mangle ordinary text
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}

// redactErr returns err unchanged when its text does not contain secret,
// otherwise an error printing the redacted text that still unwraps to err.
func redactErr(err error, secret string) error {
	if err == nil || len(secret) < 4 || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &redactedError{msg: redact(err.Error(), secret), err: err}
}

// snippet shortens a non-JSON error body to something quotable.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	const limit = 300
	if len(s) > limit {
		cut := limit
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// decodeErrorBody reads the error answers of OpenAI-compatible servers and
// of Anthropic:
//
//	OpenAI, Azure, Ollama /v1, vLLM, llama.cpp:
//	  {"error": {"message": "...", "type": "...", "param": null, "code": "..." | 400 | null}}
//	Anthropic:
//	  {"type": "error", "error": {"type": "...", "message": "...", "details": {"error_code": "..."}}, "request_id": "req_..."}
//	older vLLM:  {"object": "error", "message": "...", "type": "...", "code": 400}
//	Ollama native, proxies: {"error": "..."}
//
// Anything else (a proxy's HTML page) is quoted shortened. Provider is set
// by the caller.
func decodeErrorBody(status int, h http.Header, body []byte) *APIError {
	e := &APIError{StatusCode: status, RequestID: h.Get("X-Request-Id")}
	if e.RequestID == "" {
		e.RequestID = h.Get("Request-Id")
	}
	type details struct {
		ErrorCode string `json:"error_code"`
	}
	type object struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Details *details        `json:"details"`
	}
	var env struct {
		object
		Error     json.RawMessage `json:"error"`
		RequestID string          `json:"request_id"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		e.Message = snippet(body)
		return e
	}
	if e.RequestID == "" {
		e.RequestID = env.RequestID
	}
	o := env.object
	if o.Type == "error" { // Anthropic's envelope type, not the error's
		o.Type = ""
	}
	switch trimmed := bytes.TrimSpace(env.Error); {
	case len(trimmed) > 0 && trimmed[0] == '{':
		var inner object
		if json.Unmarshal(trimmed, &inner) == nil {
			o = inner
		}
	case len(trimmed) > 0 && trimmed[0] == '"':
		var s string
		if json.Unmarshal(trimmed, &s) == nil {
			o.Message = s
		}
	}
	e.Message = strings.TrimSpace(o.Message)
	e.Type = o.Type
	e.Code = rawCode(o.Code)
	if e.Code == strconv.Itoa(status) { // llama.cpp and vLLM repeat the status
		e.Code = ""
	}
	if e.Code == "" && o.Details != nil {
		e.Code = o.Details.ErrorCode
	}
	if e.Message == "" && len(bytes.TrimSpace(body)) > 0 {
		e.Message = snippet(body)
	}
	return e
}

// rawCode renders an error code that may be a string, a number or null.
func rawCode(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
