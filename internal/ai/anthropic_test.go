package ai

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testAnthropicKey = "sk-ant-api03-testkeyABCDEFGHIJ"

func newTestAnthropic(t *testing.T, srv *fakeAPI, cfg AnthropicConfig) (*anthropic, *sleepLog) {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = srv.URL
	}
	if cfg.APIKey == "" {
		cfg.APIKey = testAnthropicKey
	}
	if cfg.HTTP == nil {
		cfg.HTTP = guardedClient()
	}
	p := NewAnthropic(cfg).(*anthropic)
	return p, instantRetries(&p.retry)
}

func okAnthropic(t *testing.T) reply {
	return reply{status: 200, body: fixture(t, "anthropic_message.json"), header: map[string]string{"Request-Id": "req_ok"}}
}

func TestAnthropicRequestShapeAndCompletion(t *testing.T) {
	srv := newFakeAPI(t, okAnthropic(t))
	p, sleeps := newTestAnthropic(t, srv, AnthropicConfig{Model: "claude-sonnet-4-5"})
	if p.Name() != "anthropic" {
		t.Errorf("Name = %q", p.Name())
	}
	c, err := p.Complete(context.Background(), Request{
		System:      "You are a helpful support agent.",
		Prompt:      "Write a reply to Dana about her refund.",
		MaxTokens:   400,
		Temperature: ptr(0.3),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Completion{
		Text:  "Hi Dana, your refund was issued today and should reach your card within 5 business days.",
		Model: "claude-haiku-4-5-20251001",
		Usage: Usage{InputTokens: 61, OutputTokens: 24},
	}
	if c != want {
		t.Errorf("Complete = %+v, want %+v", c, want)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.method != http.MethodPost || r.path != "/v1/messages" {
		t.Errorf("request %s %s, want POST /v1/messages", r.method, r.path)
	}
	for h, want := range map[string]string{
		"X-Api-Key":         testAnthropicKey,
		"Anthropic-Version": "2023-06-01",
		"Content-Type":      "application/json",
		"Authorization":     "",
	} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	wantBody := map[string]any{
		"model":       "claude-sonnet-4-5",
		"max_tokens":  float64(400),
		"system":      "You are a helpful support agent.",
		"messages":    []any{map[string]any{"role": "user", "content": "Write a reply to Dana about her refund."}},
		"temperature": 0.3,
	}
	if !reflect.DeepEqual(r.body, wantBody) {
		t.Errorf("body = %v\nwant %v", r.body, wantBody)
	}
	if len(sleeps.got()) != 0 {
		t.Errorf("slept %v", sleeps.got())
	}
}

func TestAnthropicDefaults(t *testing.T) {
	srv := newFakeAPI(t, okAnthropic(t))
	// A base URL ending in /v1 is accepted too.
	p, _ := newTestAnthropic(t, srv, AnthropicConfig{BaseURL: srv.URL + "/v1/"})
	if _, err := p.Complete(context.Background(), Request{Prompt: "Hello"}); err != nil {
		t.Fatal(err)
	}
	r := srv.requests()[0]
	if r.path != "/v1/messages" {
		t.Errorf("path = %q", r.path)
	}
	wantBody := map[string]any{
		"model":      DefaultAnthropicModel,
		"max_tokens": float64(DefaultAnthropicMaxTokens),
		"messages":   []any{map[string]any{"role": "user", "content": "Hello"}},
	}
	if !reflect.DeepEqual(r.body, wantBody) {
		t.Errorf("body = %v\nwant %v (no system, no temperature)", r.body, wantBody)
	}

	srv2 := newFakeAPI(t, okAnthropic(t))
	p2, _ := newTestAnthropic(t, srv2, AnthropicConfig{DefaultMaxTokens: 2048, Version: "2023-01-01"})
	if _, err := p2.Complete(context.Background(), Request{Prompt: "Hello"}); err != nil {
		t.Fatal(err)
	}
	r2 := srv2.requests()[0]
	if r2.body["max_tokens"] != float64(2048) || r2.header.Get("Anthropic-Version") != "2023-01-01" {
		t.Errorf("max_tokens %v, version %q", r2.body["max_tokens"], r2.header.Get("Anthropic-Version"))
	}
}

func TestAnthropic429RetryAfterThenSuccess(t *testing.T) {
	srv := newFakeAPI(t,
		reply{status: 429, body: fixture(t, "anthropic_error_429.json"), header: map[string]string{
			"Retry-After":                              "7",
			"Anthropic-Ratelimit-Requests-Limit":       "50",
			"Anthropic-Ratelimit-Requests-Remaining":   "0",
			"Anthropic-Ratelimit-Requests-Reset":       "2025-06-01T12:00:07Z",
			"Request-Id":                               "req_011CSHoJ3mWAbd8Rd4Q1fHd2",
			"Anthropic-Organization-Id":                "org-test",
			"Anthropic-Ratelimit-Input-Tokens-Limit":   "50000",
			"Anthropic-Ratelimit-Output-Tokens-Limit":  "10000",
			"Anthropic-Ratelimit-Input-Tokens-Reset":   "2025-06-01T12:00:07Z",
			"Anthropic-Ratelimit-Output-Tokens-Reset":  "2025-06-01T12:00:07Z",
			"Anthropic-Ratelimit-Tokens-Remaining":     "0",
			"Anthropic-Ratelimit-Input-Tokens-Remain":  "0",
			"Anthropic-Ratelimit-Output-Tokens-Remain": "0",
		}},
		okAnthropic(t),
	)
	p, sleeps := newTestAnthropic(t, srv, AnthropicConfig{})
	c, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Usage != (Usage{InputTokens: 61, OutputTokens: 24}) {
		t.Errorf("usage = %+v", c.Usage)
	}
	if got := sleeps.got(); !reflect.DeepEqual(got, []time.Duration{7 * time.Second}) {
		t.Errorf("waits = %v, want [7s] (the retry-after)", got)
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestAnthropicOverloadedAndServerErrorsThenSuccess(t *testing.T) {
	srv := newFakeAPI(t,
		reply{status: 529, body: fixture(t, "anthropic_error_529.json")},
		reply{status: 500, body: fixture(t, "anthropic_error_500.json")},
		reply{status: 503, body: `{"type":"error","error":{"type":"api_error","message":"Service Unavailable"}}`},
		okAnthropic(t),
	)
	p, sleeps := newTestAnthropic(t, srv, AnthropicConfig{})
	if _, err := p.Complete(context.Background(), Request{Prompt: "Hello"}); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}
	if got := sleeps.got(); !reflect.DeepEqual(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestAnthropic400IsNotRetried(t *testing.T) {
	srv := newFakeAPI(t, reply{status: 400, body: fixture(t, "anthropic_error_400.json")})
	p, sleeps := newTestAnthropic(t, srv, AnthropicConfig{})
	_, err := p.Complete(context.Background(), Request{Prompt: "Hello", MaxTokens: 100000})
	if err == nil {
		t.Fatal("no error")
	}
	want := "anthropic: HTTP 400 (invalid_request_error): max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5-20251001 (request id req_011CSHoEeqs5C35K2UUqR7Fy)"
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	if n := len(srv.requests()); n != 1 || len(sleeps.got()) != 0 {
		t.Errorf("%d requests, waits %v; want 1 request, no retry", n, sleeps.got())
	}
}

func TestAnthropic401HasNoKey(t *testing.T) {
	for _, body := range []string{
		fixture(t, "anthropic_error_401.json"),
		`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key ` + testAnthropicKey + `"}}`,
	} {
		srv := newFakeAPI(t, reply{status: 401, body: body})
		p, sleeps := newTestAnthropic(t, srv, AnthropicConfig{})
		_, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
		if err == nil {
			t.Fatal("no error")
		}
		msg := err.Error()
		if strings.Contains(msg, testAnthropicKey) {
			t.Errorf("error contains the API key: %s", msg)
		}
		for _, want := range []string{"HTTP 401", "authentication_error", "invalid x-api-key", "check the connector's API key"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
		if n := len(srv.requests()); n != 1 || len(sleeps.got()) != 0 {
			t.Errorf("%d requests, waits %v; want 1 request, no retry", n, sleeps.got())
		}
	}
}

func TestAnthropicBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"malformed JSON", `{"id":"msg_1","type":"message","content":[{"type":"text","text":"Hi"}`, "anthropic: malformed answer"},
		{"empty content", `{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":0}}`, `anthropic: empty answer (0 content blocks, stop_reason "end_turn")`},
		{"no text block", `{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[{"type":"tool_use","id":"toolu_1","name":"lookup","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":5}}`, `anthropic: empty answer (1 content blocks, stop_reason "tool_use")`},
		{"max_tokens with nothing", `{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[{"type":"text","text":"  "}],"stop_reason":"max_tokens","usage":{"input_tokens":10,"output_tokens":1}}`, `stop_reason "max_tokens"`},
		{"refusal", `{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[],"stop_reason":"refusal","usage":{"input_tokens":10,"output_tokens":0}}`, "anthropic: the model refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeAPI(t, reply{status: 200, body: tc.body})
			p, sleeps := newTestAnthropic(t, srv, AnthropicConfig{})
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

func TestAnthropicCacheTokensCountAsInput(t *testing.T) {
	srv := newFakeAPI(t, reply{status: 200, body: `{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":2}}`})
	p, _ := newTestAnthropic(t, srv, AnthropicConfig{})
	c, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
	if err != nil || c.Usage != (Usage{InputTokens: 1110, OutputTokens: 2}) {
		t.Fatalf("Complete = %+v, %v", c, err)
	}
}

func TestAnthropicTimeoutDuringRetries(t *testing.T) {
	srv := newFakeAPI(t, reply{status: 529, body: fixture(t, "anthropic_error_529.json"), header: map[string]string{"Retry-After": "10"}})
	p, sleeps := newTestAnthropic(t, srv, AnthropicConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := p.Complete(ctx, Request{Prompt: "Hello"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"anthropic: HTTP 529 (overloaded_error): Overloaded", "timeout", "Retry-After of 10s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error is not context.DeadlineExceeded: %v", err)
	}
	if n := len(srv.requests()); n != 1 || len(sleeps.got()) != 0 {
		t.Errorf("%d requests, waits %v; want 1 request, no wait", n, sleeps.got())
	}

	srv2 := newFakeAPI(t, reply{hang: true})
	p2, _ := newTestAnthropic(t, srv2, AnthropicConfig{})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	_, err = p2.Complete(ctx2, Request{Prompt: "Hello"})
	if err == nil || !strings.Contains(err.Error(), "timed out") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hanging server: error = %v", err)
	}
}

func TestAnthropicSpendLimitIsNotRetried(t *testing.T) {
	srv := newFakeAPI(t, reply{status: 429, body: `{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified API usage limits.","details":{"error_code":"enforced_spend_limit_reached"}},"request_id":"req_1"}`})
	p, sleeps := newTestAnthropic(t, srv, AnthropicConfig{})
	_, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
	if err == nil || !strings.Contains(err.Error(), "enforced_spend_limit_reached") {
		t.Fatalf("error = %v", err)
	}
	if n := len(srv.requests()); n != 1 || len(sleeps.got()) != 0 {
		t.Errorf("%d requests, waits %v; want 1 request, no retry", n, sleeps.got())
	}
}

func TestAnthropicCanceledWhileWaiting(t *testing.T) {
	srv := newFakeAPI(t, reply{status: 529, body: fixture(t, "anthropic_error_529.json")})
	p := NewAnthropic(AnthropicConfig{BaseURL: srv.URL, APIKey: testAnthropicKey, HTTP: guardedClient()}).(*anthropic)
	p.retry.jitter = func(n time.Duration) time.Duration { return n } // a real 250ms wait
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := p.Complete(ctx, Request{Prompt: "Hello"})
	if err == nil || !strings.Contains(err.Error(), "anthropic: canceled while waiting 250ms to retry after attempt 1") || !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Type != "overloaded_error" {
		t.Errorf("error does not carry the 529: %v", err)
	}
}

func TestAnthropicRetryAfterTooLongWithoutDeadline(t *testing.T) {
	srv := newFakeAPI(t, reply{status: 429, body: fixture(t, "anthropic_error_429.json"), header: map[string]string{"Retry-After": "600"}})
	p, sleeps := newTestAnthropic(t, srv, AnthropicConfig{})
	_, err := p.Complete(context.Background(), Request{Prompt: "Hello"})
	if err == nil || !strings.Contains(err.Error(), "asks to wait 10m0s, longer than 2m0s") {
		t.Fatalf("error = %v", err)
	}
	if n := len(srv.requests()); n != 1 || len(sleeps.got()) != 0 {
		t.Errorf("%d requests, waits %v; want 1 request, no wait", n, sleeps.got())
	}
}
