package ai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Defaults of the OpenAI provider.
const (
	// DefaultOpenAIBaseURL is OpenAI's API root; Chat Completions is
	// {base}/chat/completions.
	DefaultOpenAIBaseURL = "https://api.openai.com/v1"
	// DefaultOpenAIModel is used when neither the Request nor the config
	// names a model.
	DefaultOpenAIModel = "gpt-4.1-mini"
)

// OpenAIConfig configures NewOpenAI. The same client serves every server
// that speaks OpenAI's Chat Completions API:
//
//	OpenAI        BaseURL "" (https://api.openai.com/v1)
//	Azure OpenAI  BaseURL https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT,
//	              APIKeyHeader "api-key", ExtraQuery {"api-version": "2024-10-21"}
//	              (or BaseURL https://RESOURCE.openai.azure.com/openai/v1)
//	Ollama        BaseURL http://HOST:11434/v1, no APIKey
//	vLLM          BaseURL http://HOST:8000/v1
//	llama.cpp     BaseURL http://HOST:8080/v1
type OpenAIConfig struct {
	// BaseURL is the API root, without /chat/completions; empty means
	// DefaultOpenAIBaseURL. A query string in it is kept.
	BaseURL string
	// APIKey authenticates; empty sends no credentials (local servers).
	APIKey string
	// Model is the default model; empty means DefaultOpenAIModel.
	Model string
	// APIKeyHeader names the header carrying APIKey. Empty or
	// "Authorization" sends "Authorization: Bearer KEY"; any other name
	// (Azure's "api-key") carries the bare key.
	APIKeyHeader string
	// ExtraQuery is added to the URL's query, e.g. Azure's
	// {"api-version": "2024-10-21"}.
	ExtraQuery map[string]string
	// MaxTokensField names the body field for Request.MaxTokens:
	// "max_tokens" or "max_completion_tokens". Empty picks
	// max_completion_tokens for api.openai.com (its reasoning models reject
	// max_tokens) and max_tokens for every other server (what
	// OpenAI-compatible servers and older Azure API versions accept).
	MaxTokensField string
	// DisableJSONMode stops Classify from sending response_format
	// {"type": "json_object"}, for servers that reject it.
	DisableJSONMode bool
	// HTTP is the client requests go through: deskflow's guarded outbound
	// client. Nil makes every call fail.
	HTTP *http.Client
}

type openAI struct {
	cfg         OpenAIConfig
	endpoint    string
	endpointErr error
	retry       retrier
}

// NewOpenAI returns a Provider for OpenAI's Chat Completions API and the
// servers compatible with it (see OpenAIConfig). Its Name is "openai". A
// malformed BaseURL is reported by the first call.
//
// Complete and Classify retry 429 (honouring Retry-After), 500, 502, 503,
// 504, 529 and network errors with exponential backoff and full jitter
// within the context; other error answers become *APIError.
func NewOpenAI(cfg OpenAIConfig) Provider {
	p := &openAI{cfg: cfg, retry: newRetrier()}
	base := cfg.BaseURL
	if strings.TrimSpace(base) == "" {
		base = DefaultOpenAIBaseURL
	}
	p.endpoint, p.endpointErr = endpointURL(base, "/chat/completions", cfg.ExtraQuery)
	if p.endpointErr != nil {
		p.endpointErr = fmt.Errorf("openai: %w", redactErr(p.endpointErr, cfg.APIKey))
	}
	if p.cfg.MaxTokensField == "" {
		p.cfg.MaxTokensField = "max_tokens"
		if u, err := url.Parse(p.endpoint); err == nil && u.Hostname() == "api.openai.com" {
			p.cfg.MaxTokensField = "max_completion_tokens"
		}
	}
	return p
}

// Name returns "openai".
func (p *openAI) Name() string { return "openai" }

// Complete sends the Request as a system message (when System is set) and
// a user message.
func (p *openAI) Complete(ctx context.Context, req Request) (Completion, error) {
	return p.complete(ctx, req, false)
}

// Classify classifies with ClassifyWithCompletions, asking for JSON mode
// unless DisableJSONMode is set.
func (p *openAI) Classify(ctx context.Context, req ClassifyRequest) (Classification, error) {
	return ClassifyWithCompletions(ctx, func(ctx context.Context, r Request) (Completion, error) {
		return p.complete(ctx, r, !p.cfg.DisableJSONMode)
	}, req)
}

type openAIMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type openAIResponse struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			// Content is a string, null, or (some compatible servers)
			// an array of {"type": "text", "text": "..."} parts.
			Content json.RawMessage `json:"content"`
			Refusal *string         `json:"refusal"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

func (p *openAI) complete(ctx context.Context, req Request, jsonMode bool) (Completion, error) {
	if p.endpointErr != nil {
		return Completion{}, p.endpointErr
	}
	if strings.TrimSpace(req.Prompt) == "" {
		return Completion{}, errors.New("openai: empty prompt")
	}
	model := firstNonEmpty(req.Model, p.cfg.Model, DefaultOpenAIModel)
	var msgs []openAIMessage
	if req.System != "" {
		msgs = append(msgs, openAIMessage{Role: "system", Content: req.System})
	}
	msgs = append(msgs, openAIMessage{Role: "user", Content: req.Prompt})
	body := map[string]any{"model": model, "messages": msgs}
	if req.MaxTokens > 0 {
		body[p.cfg.MaxTokensField] = req.MaxTokens
	}
	if req.Temperature != nil {
		body["temperature"] = *req.Temperature
	}
	if jsonMode {
		body["response_format"] = map[string]string{"type": "json_object"}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return Completion{}, fmt.Errorf("openai: encoding the request: %w", err)
	}
	h := jsonHeaders()
	if p.cfg.APIKey != "" {
		name := strings.TrimSpace(p.cfg.APIKeyHeader)
		if name == "" || strings.EqualFold(name, "Authorization") {
			h.Set("Authorization", "Bearer "+p.cfg.APIKey)
		} else {
			h.Set(name, p.cfg.APIKey)
		}
	}
	answer, err := p.retry.do(ctx, exchange{
		provider:    "openai",
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
	var resp openAIResponse
	if err := json.Unmarshal(answer, &resp); err != nil {
		return Completion{}, fmt.Errorf("openai: malformed answer (not Chat Completions JSON): %v: %s", err, snippet(answer))
	}
	if len(bytes.TrimSpace(resp.Error)) > 0 && string(bytes.TrimSpace(resp.Error)) != "null" {
		e := decodeErrorBody(http.StatusOK, http.Header{}, answer)
		e.Provider = "openai"
		e.Message = redact(e.Message, p.cfg.APIKey)
		return Completion{}, e
	}
	if len(resp.Choices) == 0 {
		return Completion{}, errors.New("openai: empty answer: no choices")
	}
	choice := resp.Choices[0]
	text, err := openAIContent(choice.Message.Content)
	if err != nil {
		return Completion{}, fmt.Errorf("openai: malformed answer: message content: %v", err)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		if r := choice.Message.Refusal; r != nil && strings.TrimSpace(*r) != "" {
			return Completion{}, fmt.Errorf("openai: the model refused: %s", strings.TrimSpace(*r))
		}
		return Completion{}, fmt.Errorf("openai: empty answer (finish_reason %q)", choice.FinishReason)
	}
	c := Completion{Text: text, Model: firstNonEmpty(resp.Model, model)}
	if resp.Usage != nil {
		c.Usage = Usage{InputTokens: resp.Usage.PromptTokens, OutputTokens: resp.Usage.CompletionTokens}
	}
	return c, nil
}

// openAIContent reads message.content: a string, null, or an array of
// text parts.
func openAIContent(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '[' {
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(raw, &parts); err != nil {
			return "", err
		}
		var b strings.Builder
		for _, part := range parts {
			if part.Type == "text" || part.Type == "" {
				b.WriteString(part.Text)
			}
		}
		return b.String(), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// endpointURL joins an http(s) base URL and a path, adding extra to the
// query.
func endpointURL(base, path string, extra map[string]string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil {
		return "", fmt.Errorf("invalid base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("invalid base URL %q: the scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return "", fmt.Errorf("invalid base URL %q: no host", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	u.Fragment = ""
	if len(extra) > 0 {
		q := u.Query()
		for k, v := range extra {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

func jsonHeaders() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("User-Agent", "deskflow")
	return h
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
