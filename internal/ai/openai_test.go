package ai

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/outbound"
)

const testOpenAIKey = "sk-test-abcdefghijklmnop7890"

func newTestOpenAI(t *testing.T, srv *fakeAPI, cfg OpenAIConfig) (*openAI, *sleepLog) {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = srv.URL + "/v1"
	}
	if cfg.APIKey == "" {
		cfg.APIKey = testOpenAIKey
	}
	if cfg.HTTP == nil {
		cfg.HTTP = guardedClient()
	}
	p := NewOpenAI(cfg).(*openAI)
	return p, instantRetries(&p.retry)
}

func okOpenAI(t *testing.T) reply {
	return reply{status: 200, body: fixture(t, "openai_chat_completion.json"), header: map[string]string{"X-Request-Id": "req_ok"}}
}

func TestOpenAIRequestShapeAndCompletion(t *testing.T) {
	srv := newFakeAPI(t, okOpenAI(t))
	p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{Model: "gpt-4.1-mini"})
	if p.Name() != "openai" {
		t.Errorf("Name = %q", p.Name())
	}
	c, err := p.Complete(context.Background(), Request{
		System:      "You are a helpful support agent.",
		Prompt:      "Write a reply to Dana about her refund.",
		Model:       "gpt-4.1",
		MaxTokens:   300,
		Temperature: ptr(0.2),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Completion{
		Text:  "Hi Dana, your refund was issued today and should reach your card within 5 business days.",
		Model: "gpt-4.1-mini-2025-04-14",
		Usage: Usage{InputTokens: 57, OutputTokens: 21},
	}
	if c != want {
		t.Errorf("Complete = %+v, want %+v", c, want)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.method != http.MethodPost || r.path != "/v1/chat/completions" || r.rawQuery != "" {
		t.Errorf("request %s %s?%s, want POST /v1/chat/completions", r.method, r.path, r.rawQuery)
	}
	if got := r.header.Get("Authorization"); got != "Bearer "+testOpenAIKey {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	wantBody := map[string]any{
		"model": "gpt-4.1",
		"messages": []any{
			map[string]any{"role": "system", "content": "You are a helpful support agent."},
			map[string]any{"role": "user", "content": "Write a reply to Dana about her refund."},
		},
		"max_tokens":  float64(300),
		"temperature": 0.2,
	}
	if !reflect.DeepEqual(r.body, wantBody) {
		t.Errorf("body = %v\nwant %v", r.body, wantBody)
	}
	if len(sleeps.got()) != 0 {
		t.Errorf("slept %v", sleeps.got())
	}
}

func TestOpenAIDefaultsOmitOptionalFields(t *testing.T) {
	srv := newFakeAPI(t, okOpenAI(t))
	p, _ := newTestOpenAI(t, srv, OpenAIConfig{})
	if _, err := p.Complete(context.Background(), Request{Prompt: "Hello"}); err != nil {
		t.Fatal(err)
	}
	body := srv.requests()[0].body
	wantBody := map[string]any{
		"model":    DefaultOpenAIModel,
		"messages": []any{map[string]any{"role": "user", "content": "Hello"}},
	}
	if !reflect.DeepEqual(body, wantBody) {
		t.Errorf("body = %v\nwant %v", body, wantBody)
	}
}

func TestOpenAIMaxTokensField(t *testing.T) {
	if got := NewOpenAI(OpenAIConfig{}).(*openAI).cfg.MaxTokensField; got != "max_completion_tokens" {
		t.Errorf("api.openai.com: MaxTokensField = %q, want max_completion_tokens", got)
	}
	if got := NewOpenAI(OpenAIConfig{BaseURL: "http://ollama.internal:11434/v1"}).(*openAI).cfg.MaxTokensField; got != "max_tokens" {
		t.Errorf("compatible server: MaxTokensField = %q, want max_tokens", got)
	}
	srv := newFakeAPI(t, okOpenAI(t))
	p, _ := newTestOpenAI(t, srv, OpenAIConfig{MaxTokensField: "max_completion_tokens"})
	if _, err := p.Complete(context.Background(), Request{Prompt: "Hello", MaxTokens: 64}); err != nil {
		t.Fatal(err)
	}
	body := srv.requests()[0].body
	if body["max_completion_tokens"] != float64(64) || body["max_tokens"] != nil {
		t.Errorf("body = %v, want max_completion_tokens 64 only", body)
	}
}

func TestOpenAIAzureAPIKeyHeaderAndVersion(t *testing.T) {
	srv := newFakeAPI(t, okOpenAI(t))
	p, _ := newTestOpenAI(t, srv, OpenAIConfig{
		BaseURL:      srv.URL + "/openai/deployments/helpdesk-mini/",
		APIKeyHeader: "api-key",
		ExtraQuery:   map[string]string{"api-version": "2024-10-21"},
	})
	if _, err := p.Complete(context.Background(), Request{Prompt: "Hello"}); err != nil {
		t.Fatal(err)
	}
	r := srv.requests()[0]
	if r.path != "/openai/deployments/helpdesk-mini/chat/completions" {
		t.Errorf("path = %q", r.path)
	}
	if r.rawQuery != "api-version=2024-10-21" {
		t.Errorf("query = %q", r.rawQuery)
	}
	if got := r.header.Get("Api-Key"); got != testOpenAIKey {
		t.Errorf("api-key = %q", got)
	}
	if got := r.header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
}

func TestOpenAINoKeySendsNoAuthorization(t *testing.T) {
	srv := newFakeAPI(t, okOpenAI(t))
	p := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", HTTP: guardedClient()})
	if _, err := p.Complete(context.Background(), Request{Prompt: "Hello"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[0].header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none (local server without a key)", got)
	}
}

func TestOpenAI429RetryAfterThenSuccess(t *testing.T) {
	srv := newFakeAPI(t,
		reply{status: 429, body: fixture(t, "openai_error_429.json"), header: map[string]string{
			"Retry-After":                    "20",
			"X-Ratelimit-Limit-Requests":     "3",
			"X-Ratelimit-Remaining-Requests": "0",
			"X-Ratelimit-Reset-Requests":     "20s",
		}},
		okOpenAI(t),
	)
	p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{})
	c, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Usage != (Usage{InputTokens: 57, OutputTokens: 21}) {
		t.Errorf("usage = %+v", c.Usage)
	}
	if got := sleeps.got(); !reflect.DeepEqual(got, []time.Duration{20 * time.Second}) {
		t.Errorf("waits = %v, want [20s] (the Retry-After)", got)
	}
	reqs := srv.requests()
	if len(reqs) != 2 || string(reqs[0].raw) != string(reqs[1].raw) {
		t.Errorf("want the same request twice, got %d requests", len(reqs))
	}
}

func TestOpenAI429RateLimitHeadersWithoutRetryAfter(t *testing.T) {
	srv := newFakeAPI(t,
		reply{status: 429, body: fixture(t, "openai_error_429.json"), header: map[string]string{
			"X-Ratelimit-Remaining-Requests": "2",
			"X-Ratelimit-Reset-Requests":     "40ms",
			"X-Ratelimit-Remaining-Tokens":   "0",
			"X-Ratelimit-Reset-Tokens":       "1.5s",
		}},
		okOpenAI(t),
	)
	p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{})
	if _, err := p.Complete(context.Background(), Request{Prompt: "Hello"}); err != nil {
		t.Fatal(err)
	}
	if got := sleeps.got(); !reflect.DeepEqual(got, []time.Duration{1500 * time.Millisecond}) {
		t.Errorf("waits = %v, want [1.5s] (reset of the exhausted token limit)", got)
	}

	// A reset beyond the time left is only a hint: back off instead.
	srv2 := newFakeAPI(t,
		reply{status: 429, body: fixture(t, "openai_error_429.json"), header: map[string]string{
			"X-Ratelimit-Remaining-Tokens": "0",
			"X-Ratelimit-Reset-Tokens":     "6m0s",
		}},
		okOpenAI(t),
	)
	p2, sleeps2 := newTestOpenAI(t, srv2, OpenAIConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p2.Complete(ctx, Request{Prompt: "Hello"}); err != nil {
		t.Fatal(err)
	}
	if got := sleeps2.got(); !reflect.DeepEqual(got, []time.Duration{250 * time.Millisecond}) {
		t.Errorf("waits = %v, want [250ms] (backoff)", got)
	}
}

func TestOpenAIServerErrorsThenSuccess(t *testing.T) {
	srv := newFakeAPI(t,
		reply{status: 500, body: fixture(t, "openai_error_500.json")},
		reply{status: 503, body: fixture(t, "openai_error_503.json")},
		reply{status: 502, body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>", header: map[string]string{"Content-Type": "text/html"}},
		okOpenAI(t),
	)
	p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{})
	c, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Text == "" {
		t.Error("empty text")
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}
	if got := sleeps.got(); !reflect.DeepEqual(got, want) {
		t.Errorf("waits = %v, want %v (exponential backoff at full jitter's maximum)", got, want)
	}
	if n := len(srv.requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

func TestOpenAINetworkErrorThenSuccess(t *testing.T) {
	srv := newFakeAPI(t, reply{drop: true}, okOpenAI(t))
	p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{})
	if _, err := p.Complete(context.Background(), Request{Prompt: "Hello"}); err != nil {
		t.Fatal(err)
	}
	if n := len(sleeps.got()); n != 1 {
		t.Errorf("%d waits, want 1", n)
	}
}

func TestOpenAIGivesUpAfterMaxAttempts(t *testing.T) {
	srv := newFakeAPI(t, reply{status: 503, body: fixture(t, "openai_error_503.json")})
	p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{})
	_, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), "gave up after 5 attempts") || !strings.Contains(err.Error(), "The engine is currently overloaded") {
		t.Errorf("error = %v", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Errorf("error does not unwrap to the 503 APIError: %v", err)
	}
	if n := len(srv.requests()); n != maxAttempts {
		t.Errorf("%d requests, want %d", n, maxAttempts)
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second}
	if got := sleeps.got(); !reflect.DeepEqual(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestOpenAI400IsNotRetried(t *testing.T) {
	srv := newFakeAPI(t, reply{status: 400, body: fixture(t, "openai_error_400.json"), header: map[string]string{"X-Request-Id": "req_4d2c"}})
	p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{})
	_, err := p.Complete(context.Background(), Request{Prompt: "Hello", Temperature: ptr(3.0)})
	if err == nil {
		t.Fatal("no error")
	}
	want := "openai: HTTP 400 (invalid_request_error, invalid_value): Invalid value for 'temperature': must be between 0 and 2. (request id req_4d2c)"
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Type != "invalid_request_error" {
		t.Errorf("APIError = %+v", apiErr)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1 (no retry)", n)
	}
	if len(sleeps.got()) != 0 {
		t.Errorf("slept %v", sleeps.got())
	}
}

func TestOpenAI401HasNoKey(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"masked as OpenAI does", fixture(t, "openai_error_401.json")},
		// A proxy echoing the whole key.
		{"echoed", `{"error":{"message":"Incorrect API key provided: ` + testOpenAIKey + `.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeAPI(t, reply{status: 401, body: tc.body})
			p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{})
			_, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, testOpenAIKey) {
				t.Errorf("error contains the API key: %s", msg)
			}
			for _, want := range []string{"HTTP 401", "invalid_api_key", "Incorrect API key provided", "check the connector's API key"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if n := len(srv.requests()); n != 1 || len(sleeps.got()) != 0 {
				t.Errorf("%d requests, waits %v; want 1 request, no retry", n, sleeps.got())
			}
		})
	}
}

func TestOpenAIInsufficientQuotaIsNotRetried(t *testing.T) {
	srv := newFakeAPI(t, reply{status: 429, body: fixture(t, "openai_error_429_quota.json")})
	p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{})
	_, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
	if err == nil || !strings.Contains(err.Error(), "You exceeded your current quota") {
		t.Fatalf("error = %v", err)
	}
	if n := len(srv.requests()); n != 1 || len(sleeps.got()) != 0 {
		t.Errorf("%d requests, waits %v; want 1 request, no retry", n, sleeps.got())
	}
}

func TestOpenAIBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"malformed JSON", `{"id": "chatcmpl-1", "choices": [`, "openai: malformed answer"},
		{"not JSON", `upstream connect error or disconnect/reset before headers`, "openai: malformed answer"},
		{"empty choices", `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4.1-mini","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0,"total_tokens":5}}`, "openai: empty answer: no choices"},
		{"empty content", `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-5-mini","choices":[{"index":0,"message":{"role":"assistant","content":"","refusal":null},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":300,"total_tokens":305}}`, `openai: empty answer (finish_reason "length")`},
		{"null content", `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"stop"}]}`, `openai: empty answer (finish_reason "stop")`},
		{"refusal", `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I'm sorry, I can't help with that."},"finish_reason":"stop"}]}`, "openai: the model refused: I'm sorry, I can't help with that."},
		{"error in a 200", `{"error":{"message":"model overloaded","type":"server_error","code":null}}`, "openai: HTTP 200 (server_error): model overloaded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeAPI(t, reply{status: 200, body: tc.body})
			p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{})
			_, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			if n := len(srv.requests()); n != 1 || len(sleeps.got()) != 0 {
				t.Errorf("%d requests, waits %v; want 1 request, no retry", n, sleeps.got())
			}
		})
	}
}

func TestOpenAIContentParts(t *testing.T) {
	srv := newFakeAPI(t, reply{status: 200, body: `{"id":"x","model":"local","choices":[{"message":{"role":"assistant","content":[{"type":"text","text":"Hello "},{"type":"text","text":"there"}]},"finish_reason":"stop"}]}`})
	p, _ := newTestOpenAI(t, srv, OpenAIConfig{})
	c, err := p.Complete(context.Background(), Request{Prompt: "Hi"})
	if err != nil || c.Text != "Hello there" || c.Model != "local" {
		t.Fatalf("Complete = %+v, %v", c, err)
	}
}

func TestOpenAITimeoutDuringRetries(t *testing.T) {
	t.Run("Retry-After beyond the deadline", func(t *testing.T) {
		srv := newFakeAPI(t, reply{status: 503, body: fixture(t, "openai_error_503.json"), header: map[string]string{"Retry-After": "30"}})
		p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := p.Complete(ctx, Request{Prompt: "Hello"})
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{"timeout", "Retry-After of 30s", "The engine is currently overloaded"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error is not context.DeadlineExceeded: %v", err)
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
			t.Errorf("error does not carry the 503: %v", err)
		}
		if n := len(srv.requests()); n != 1 || len(sleeps.got()) != 0 {
			t.Errorf("%d requests, waits %v; want 1 request and no wait", n, sleeps.got())
		}
	})
	t.Run("real backoff runs out of time", func(t *testing.T) {
		srv := newFakeAPI(t, reply{status: 529, body: `{"error":{"message":"Overloaded","type":"overloaded_error"}}`})
		p := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: testOpenAIKey, HTTP: guardedClient()}).(*openAI)
		p.retry.jitter = func(n time.Duration) time.Duration { return n } // real sleeps of 250ms, 500ms, ...
		ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := p.Complete(ctx, Request{Prompt: "Hello"})
		if err == nil || !strings.Contains(err.Error(), "timeout") || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error = %v", err)
		}
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Errorf("took %v", elapsed)
		}
		if n := len(srv.requests()); n != 2 {
			t.Errorf("%d requests, want 2 (the 500ms wait after the second exceeds the time left)", n)
		}
	})
	t.Run("deadline during a request", func(t *testing.T) {
		srv := newFakeAPI(t, reply{status: 503, body: fixture(t, "openai_error_503.json")}, reply{hang: true})
		p, _ := newTestOpenAI(t, srv, OpenAIConfig{})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := p.Complete(ctx, Request{Prompt: "Hello"})
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{"timed out", "timeout", "attempt 2", "The engine is currently overloaded"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error is not context.DeadlineExceeded: %v", err)
		}
	})
}

func TestOpenAIGuardRefusalIsNotRetried(t *testing.T) {
	srv := newFakeAPI(t, okOpenAI(t))
	// The production client: loopback is refused.
	p, sleeps := newTestOpenAI(t, srv, OpenAIConfig{HTTP: outbound.NewClient(outbound.Options{})})
	_, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
	var refused *outbound.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("error = %v, want outbound.RefusedError", err)
	}
	if n := len(srv.requests()); n != 0 || len(sleeps.got()) != 0 {
		t.Errorf("%d requests, waits %v; want none", n, sleeps.got())
	}
}

func TestOpenAIConfigErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := NewOpenAI(OpenAIConfig{BaseURL: "https://api.openai.com/v1"}).Complete(ctx, Request{Prompt: "Hi"}); err == nil || !strings.Contains(err.Error(), "no HTTP client") {
		t.Errorf("nil HTTP: %v", err)
	}
	if _, err := NewOpenAI(OpenAIConfig{BaseURL: "ftp://example.com", HTTP: guardedClient()}).Complete(ctx, Request{Prompt: "Hi"}); err == nil || !strings.Contains(err.Error(), "scheme") {
		t.Errorf("ftp base URL: %v", err)
	}
	if _, err := NewOpenAI(OpenAIConfig{HTTP: guardedClient()}).Complete(ctx, Request{Prompt: "  "}); err == nil || !strings.Contains(err.Error(), "empty prompt") {
		t.Errorf("empty prompt: %v", err)
	}
}
