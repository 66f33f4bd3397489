// Package llm is the "ai" connector type: an OpenAI-compatible or Anthropic
// language model with its API key, turned into an ai.Provider.
package llm

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/deskflow/deskflow/internal/ai"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/validate"
)

// Type is the connector type name.
const Type = "ai"

// Providers an "ai" connector can be.
const (
	ProviderOpenAI    = "openai"
	ProviderAnthropic = "anthropic"
)

func init() {
	connector.Register(connector.Type{
		Name:        Type,
		Description: "A language model for generate_ai_response and classify_ticket: OpenAI-compatible (OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp) or Anthropic.",
		Settings: []spec.Param{
			{Name: "provider", Type: spec.Enum, Values: []string{ProviderOpenAI, ProviderAnthropic}, Required: true, Example: ProviderOpenAI,
				Description: "openai for OpenAI and every server that speaks its Chat Completions API (Azure OpenAI, Ollama, vLLM, llama.cpp); anthropic for Anthropic's Messages API."},
			{Name: "base_url", Type: spec.String, Example: "https://my-resource.openai.azure.com/openai/deployments/gpt-4o-mini",
				Description: "The API root, an http(s) URL without /chat/completions; default: " + ai.DefaultOpenAIBaseURL + " (openai) or " + ai.DefaultAnthropicBaseURL + " (anthropic)."},
			{Name: "model", Type: spec.String, Example: "gpt-4o-mini",
				Description: "The model steps use unless they name one; default: " + ai.DefaultOpenAIModel + " (openai) or " + ai.DefaultAnthropicModel + " (anthropic)."},
			{Name: "api_key_header", Type: spec.String, Example: "api-key",
				Description: "openai only: the header that carries the API key; empty or Authorization sends a Bearer token, another name (Azure's api-key) the bare key."},
			{Name: "api_version", Type: spec.String, Example: "2024-10-21",
				Description: "openai only: sent as the api-version query parameter (Azure OpenAI)."},
		},
		Check: func(o *validate.Object, v spec.Values) {
			if u, ok := v.String("base_url"); ok && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				o.Errs.Add(o.FieldPath("base_url"), "must be an http(s) URL")
			}
		},
		Credentials: []connector.Credential{{Key: "api_key",
			Description: "The API key; omit it for local servers that need none."}},
		Test: func(ctx context.Context, c *connector.Connector, env connector.Env) error {
			p, err := Provider(c, env.HTTP, env.CheckURL)
			if err != nil {
				return err
			}
			_, err = p.Complete(ctx, ai.Request{Prompt: "Reply with the single word: ok", MaxTokens: 5})
			return err
		},
	})
}

// Provider builds the model of an "ai" connector. checkURL refuses base URLs
// outbound requests may never reach (nil: no check).
func Provider(c *connector.Connector, client *http.Client, checkURL func(string) error) (ai.Provider, error) {
	if c.Type != Type {
		return nil, fmt.Errorf("connector %s is of type %s, not %s", c.ID, c.Type, Type)
	}
	base := c.Setting("base_url")
	if base != "" && checkURL != nil {
		if err := checkURL(base); err != nil {
			return nil, fmt.Errorf("base_url: %w", err)
		}
	}
	switch c.Setting("provider") {
	case ProviderOpenAI:
		cfg := ai.OpenAIConfig{BaseURL: base, APIKey: c.Secret("api_key"), Model: c.Setting("model"), APIKeyHeader: c.Setting("api_key_header"), HTTP: client}
		if v := c.Setting("api_version"); v != "" {
			cfg.ExtraQuery = map[string]string{"api-version": v}
		}
		return ai.NewOpenAI(cfg), nil
	case ProviderAnthropic:
		return ai.NewAnthropic(ai.AnthropicConfig{BaseURL: base, APIKey: c.Secret("api_key"), Model: c.Setting("model"), HTTP: client}), nil
	}
	return nil, fmt.Errorf("connector %s: unknown provider %q", c.ID, c.Setting("provider"))
}
