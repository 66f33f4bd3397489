// Package ai is deskflow's interface to language models: completion (for
// generate_ai_response) and ticket classification (for classify_ticket),
// with implementations for OpenAI-compatible APIs, Anthropic's Messages API,
// and a built-in, offline, deterministic provider (package ai/builtin).
package ai

import (
	"context"
	"errors"
)

// Request asks for a completion.
type Request struct {
	System      string
	Prompt      string
	Model       string   // empty: the provider's default
	MaxTokens   int      // 0: the provider's default
	Temperature *float64 // nil: the provider's default
}

// Usage counts tokens (or, for the built-in provider, words).
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// Completion is a provider's answer.
type Completion struct {
	Text  string `json:"text"`
	Model string `json:"model"`
	Usage Usage  `json:"usage"`
}

// Sentiment of a text: label positive, neutral or negative, score in [-1, 1].
type Sentiment struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// Urgency levels.
const (
	UrgencyLow    = "low"
	UrgencyMedium = "medium"
	UrgencyHigh   = "high"
)

// Classification is classify_ticket's result.
type Classification struct {
	Category   string    `json:"category"`
	Confidence float64   `json:"confidence"`
	Sentiment  Sentiment `json:"sentiment"`
	Urgency    string    `json:"urgency"`
	Model      string    `json:"model"`
	Usage      Usage     `json:"usage"`
}

// ClassifyRequest asks to classify a ticket into one of Categories.
type ClassifyRequest struct {
	Subject    string
	Body       string
	Categories []string
	Model      string
}

// Provider is a language model.
type Provider interface {
	// Name identifies the provider in run history ("openai", "anthropic",
	// "builtin").
	Name() string
	Complete(ctx context.Context, req Request) (Completion, error)
	Classify(ctx context.Context, req ClassifyRequest) (Classification, error)
}

// ErrNeedsLLM is returned by the built-in provider for prompts it cannot
// serve honestly: configure an LLM provider for them.
var ErrNeedsLLM = errors.New("this prompt needs an LLM provider (an OpenAI-compatible or Anthropic connector); the built-in offline provider only summarizes and answers from saved replies")
