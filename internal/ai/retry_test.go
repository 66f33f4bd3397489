package ai

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRateLimitReset(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{"exhausted request limit", map[string]string{"X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Reset-Requests": "6m0s"}, 6 * time.Minute, true},
		{"limit not exhausted", map[string]string{"X-Ratelimit-Remaining-Requests": "12", "X-Ratelimit-Reset-Requests": "6m0s"}, 0, false},
		{"both exhausted: the longer", map[string]string{"X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Reset-Requests": "12ms", "X-Ratelimit-Remaining-Tokens": "0", "X-Ratelimit-Reset-Tokens": "2s"}, 2 * time.Second, true},
		{"unparsable", map[string]string{"X-Ratelimit-Remaining-Tokens": "0", "X-Ratelimit-Reset-Tokens": "soon"}, 0, false},
		{"none", nil, 0, false},
	} {
		h := http.Header{}
		for k, v := range tc.header {
			h.Set(k, v)
		}
		got, ok := rateLimitReset(h)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: rateLimitReset = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoffIsFullJitterWithinCap(t *testing.T) {
	r := newRetrier()
	for n := range 12 {
		limit := min(retryBase<<n, retryCap)
		for range 200 {
			if d := r.backoff(n); d < 0 || d > limit {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, limit)
			}
		}
	}
	maxed := newRetrier()
	maxed.jitter = func(n time.Duration) time.Duration { return n }
	var got []time.Duration
	for n := range 8 {
		got = append(got, maxed.backoff(n))
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("backoff limits = %v, want %v", got, want)
			break
		}
	}
	if d := maxed.backoff(100); d != retryCap {
		t.Errorf("backoff(100) = %v", d)
	}
}

func TestRetryableAnswer(t *testing.T) {
	for _, tc := range []struct {
		status     int
		typ, code  string
		shouldRety string
		want       bool
	}{
		{429, "rate_limit_error", "", "", true},
		{429, "requests", "rate_limit_exceeded", "", true},
		{429, "insufficient_quota", "insufficient_quota", "", false},
		{429, "rate_limit_error", "enforced_spend_limit_reached", "", false},
		{500, "api_error", "", "", true},
		{502, "", "", "", true},
		{503, "", "", "", true},
		{504, "", "", "", true},
		{529, "overloaded_error", "", "", true},
		{400, "invalid_request_error", "", "", false},
		{401, "authentication_error", "", "", false},
		{403, "permission_error", "", "", false},
		{404, "not_found_error", "", "", false},
		{413, "request_too_large", "", "", false},
		{409, "", "", "true", true},
		{500, "", "", "false", false},
	} {
		h := http.Header{}
		if tc.shouldRety != "" {
			h.Set("X-Should-Retry", tc.shouldRety)
		}
		if got := retryableAnswer(&APIError{StatusCode: tc.status, Type: tc.typ, Code: tc.code}, h); got != tc.want {
			t.Errorf("%d %s %s x-should-retry=%q: retryable = %v, want %v", tc.status, tc.typ, tc.code, tc.shouldRety, got, tc.want)
		}
	}
}

func TestDecodeErrorBody(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   APIError
	}{
		{"OpenAI", 400, map[string]string{"X-Request-Id": "req_1"}, `{"error":{"message":"bad","type":"invalid_request_error","param":"model","code":"model_not_found"}}`,
			APIError{StatusCode: 400, Type: "invalid_request_error", Code: "model_not_found", Message: "bad", RequestID: "req_1"}},
		{"Anthropic", 529, map[string]string{"Request-Id": "req_h"}, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_b"}`,
			APIError{StatusCode: 529, Type: "overloaded_error", Message: "Overloaded", RequestID: "req_h"}},
		{"Anthropic request id in the body", 400, nil, `{"type":"error","error":{"type":"invalid_request_error","message":"m"},"request_id":"req_b"}`,
			APIError{StatusCode: 400, Type: "invalid_request_error", Message: "m", RequestID: "req_b"}},
		{"llama.cpp numeric code", 400, nil, `{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}`,
			APIError{StatusCode: 400, Type: "exceed_context_size_error", Message: "the request exceeds the available context size"}},
		{"older vLLM top level", 404, nil, `{"object":"error","message":"The model 'x' does not exist.","type":"NotFoundError","param":null,"code":404}`,
			APIError{StatusCode: 404, Type: "NotFoundError", Message: "The model 'x' does not exist."}},
		{"Ollama string", 404, nil, `{"error":"model \"llama9\" not found, try pulling it first"}`,
			APIError{StatusCode: 404, Message: `model "llama9" not found, try pulling it first`}},
		{"HTML", 502, nil, "<html>\n<body>\n<h1>502 Bad Gateway</h1>\n</body>\n</html>",
			APIError{StatusCode: 502, Message: "<html> <body> <h1>502 Bad Gateway</h1> </body> </html>"}},
		{"empty", 503, nil, "", APIError{StatusCode: 503}},
	} {
		h := http.Header{}
		for k, v := range tc.header {
			h.Set(k, v)
		}
		got := decodeErrorBody(tc.status, h, []byte(tc.body))
		if *got != tc.want {
			t.Errorf("%s: decodeErrorBody = %+v\nwant %+v", tc.name, *got, tc.want)
		}
	}
	long := decodeErrorBody(500, http.Header{}, []byte(strings.Repeat("x", 5000)))
	if len(long.Message) > 310 {
		t.Errorf("non-JSON body quoted at %d bytes", len(long.Message))
	}
	if got := (&APIError{Provider: "openai", StatusCode: 503}).Error(); got != "openai: HTTP 503: Service Unavailable" {
		t.Errorf("Error() = %q", got)
	}
}

func TestRedactErr(t *testing.T) {
	base := errors.New(`Post "https://gw.example/v1/chat/completions?key=sk-secret-123": connection reset`)
	err := redactErr(base, "sk-secret-123")
	if strings.Contains(err.Error(), "sk-secret-123") || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("redactErr = %q", err)
	}
	if !errors.Is(err, base) {
		t.Error("redacted error does not unwrap")
	}
	if redactErr(base, "other-key") != base {
		t.Error("error without the key was wrapped")
	}
}
