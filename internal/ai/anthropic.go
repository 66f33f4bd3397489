package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Defaults of the Anthropic provider.
const (
	// DefaultAnthropicBaseURL is Anthropic's API root; the Messages API is
	// {base}/v1/messages.
	DefaultAnthropicBaseURL = "https://api.anthropic.com"
	// DefaultAnthropicModel is used when neither the Request nor the
	// config names a model.
	DefaultAnthropicModel = "claude-haiku-4-5"
	// DefaultAnthropicVersion is the anthropic-version header sent.
	DefaultAnthropicVersion = "2023-06-01"
	// DefaultAnthropicMaxTokens is max_tokens (which the Messages API
	// requires) when neither the Request nor the config sets it.
	DefaultAnthropicMaxTokens = 1024
)

// AnthropicConfig configures NewAnthropic.
type AnthropicConfig struct {
	// BaseURL is the API root; empty means DefaultAnthropicBaseURL. The
	// client posts to {BaseURL}/v1/messages, or to {BaseURL}/messages when
	// BaseURL already ends in /v1.
	BaseURL string
	// APIKey is sent as x-api-key.
	APIKey string
	// Model is the default model; empty means DefaultAnthropicModel.
	Model string
	// Version is the anthropic-version header; empty means
	// DefaultAnthropicVersion.
	Version string
	// DefaultMaxTokens is max_tokens for Requests without MaxTokens; 0
	// means DefaultAnthropicMaxTokens.
	DefaultMaxTokens int
	// HTTP is the client requests go through: deskflow's guarded outbound
	// client. Nil makes every call fail.
	HTTP *http.Client
}

type anthropic struct {
	cfg         AnthropicConfig
	endpoint    string
	endpointErr error
	retry       retrier
}

// NewAnthropic returns a Provider for Anthropic's Messages API. Its Name is
// "anthropic". A malformed BaseURL is reported by the first call.
//
// Complete and Classify retry 429 (honouring retry-after), 500, 502, 503,
// 504, 529 (overloaded) and network errors with exponential backoff and
// full jitter within the context; other error answers become *APIError.
func NewAnthropic(cfg AnthropicConfig) Provider {
	if strings.TrimSpace(cfg.BaseURL) == "" {
		cfg.BaseURL = DefaultAnthropicBaseURL
	}
	if strings.TrimSpace(cfg.Version) == "" {
		cfg.Version = DefaultAnthropicVersion
	}
	if cfg.DefaultMaxTokens <= 0 {
		cfg.DefaultMaxTokens = DefaultAnthropicMaxTokens
	}
	p := &anthropic{cfg: cfg, retry: newRetrier()}
	path := "/v1/messages"
	if strings.HasSuffix(strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/"), "/v1") {
		path = "/messages"
	}
	p.endpoint, p.endpointErr = endpointURL(cfg.BaseURL, path, nil)
	if p.endpointErr != nil {
		p.endpointErr = fmt.Errorf("anthropic: %w", redactErr(p.endpointErr, cfg.APIKey))
	}
	return p
}

// Name returns "anthropic".
func (p *anthropic) Name() string { return "anthropic" }

// Classify classifies with ClassifyWithCompletions.
func (p *anthropic) Classify(ctx context.Context, req ClassifyRequest) (Classification, error) {
	return ClassifyWithCompletions(ctx, p.Complete, req)
}

type anthropicRequest struct {
	Model       string             `json:"model"`
	MaxTokens   int                `json:"max_tokens"`
	System      string             `json:"system,omitempty"`
	Messages    []anthropicMessage `json:"messages"`
	Temperature *float64           `json:"temperature,omitempty"`
}

type anthropicMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type anthropicResponse struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Model   string `json:"model"`
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StopReason string `json:"stop_reason"`
	Usage      struct {
		InputTokens              int `json:"input_tokens"`
		OutputTokens             int `json:"output_tokens"`
		CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	} `json:"usage"`
}

// Complete sends the Request as the system prompt and one user message.
// Usage.InputTokens includes prompt-cache reads and writes.
func (p *anthropic) Complete(ctx context.Context, req Request) (Completion, error) {
	if p.endpointErr != nil {
		return Completion{}, p.endpointErr
	}
	if strings.TrimSpace(req.Prompt) == "" {
		return Completion{}, errors.New("anthropic: empty prompt")
	}
	model := firstNonEmpty(req.Model, p.cfg.Model, DefaultAnthropicModel)
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = p.cfg.DefaultMaxTokens
	}
	raw, err := json.Marshal(anthropicRequest{
		Model:       model,
		MaxTokens:   maxTokens,
		System:      req.System,
		Messages:    []anthropicMessage{{Role: "user", Content: req.Prompt}},
		Temperature: req.Temperature,
	})
	if err != nil {
		return Completion{}, fmt.Errorf("anthropic: encoding the request: %w", err)
	}
	h := jsonHeaders()
	h.Set("Anthropic-Version", p.cfg.Version)
	if p.cfg.APIKey != "" {
		h.Set("X-Api-Key", p.cfg.APIKey)
	}
	answer, err := p.retry.do(ctx, exchange{
		provider:    "anthropic",
		client:      p.cfg.HTTP,
		url:         p.endpoint,
		header:      h,
		body:        raw,
		secret:      p.cfg.APIKey,
		decodeError: decodeErrorBody,
	})
	if err != nil {
		return Completion{}, err
	}
	var resp anthropicResponse
	if err := json.Unmarshal(answer, &resp); err != nil {
		return Completion{}, fmt.Errorf("anthropic: malformed answer (not Messages API JSON): %v: %s", err, snippet(answer))
	}
	if resp.Type == "error" {
		e := decodeErrorBody(http.StatusOK, http.Header{}, answer)
		e.Provider = "anthropic"
		e.Message = redact(e.Message, p.cfg.APIKey)
		return Completion{}, e
	}
	var b strings.Builder
	for _, block := range resp.Content {
		if block.Type == "text" {
			b.WriteString(block.Text)
		}
	}
	text := strings.TrimSpace(b.String())
	if text == "" {
		if resp.StopReason == "refusal" {
			return Completion{}, errors.New("anthropic: the model refused to answer (stop_reason \"refusal\")")
		}
		return Completion{}, fmt.Errorf("anthropic: empty answer (%d content blocks, stop_reason %q)", len(resp.Content), resp.StopReason)
	}
	return Completion{
		Text:  text,
		Model: firstNonEmpty(resp.Model, model),
		Usage: Usage{
			InputTokens:  resp.Usage.InputTokens + resp.Usage.CacheCreationInputTokens + resp.Usage.CacheReadInputTokens,
			OutputTokens: resp.Usage.OutputTokens,
		},
	}, nil
}
