package action

import (
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/integration/llm"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

// aiConnector chooses the AI provider of a step.
var aiConnector = spec.Param{Name: "connectorId", Type: spec.Reference, Reference: param.KindConnector, ConnectorTypes: []string{llm.Type},
	Example: "3f2c6c1e-9a4b-4d3e-8f7a-2b1c0d9e8f7a", Description: "An ai connector; default: the workspace's AI settings, else the built-in model."}

var (
	generateAIResponse = Definition{
		Type:        "generate_ai_response",
		Effect:      EffectExternal,
		Run:         runGenerate,
		Category:    CategoryAI,
		Description: "Generate a response with AI from promptTemplate (optional systemPrompt, model, maxTokens, temperature); output {text, model, usage}.",
		Params: []spec.Param{
			{Name: "promptTemplate", Type: spec.Template, Required: true, Example: "Summarize: {{ticket.subject}}",
				Description: "What to ask the model."},
			{Name: "systemPrompt", Type: spec.Template, Example: "You are a friendly support agent.",
				Description: "Instructions that frame the answer."},
			{Name: "model", Type: spec.String, Example: "gpt-4o-mini",
				Description: "The model to ask; default: the connector's or the provider's."},
			{Name: "maxTokens", Type: spec.Integer, Min: spec.Bound(1), Max: spec.Bound(100000), Example: 500,
				Description: "The longest answer, in tokens."},
			{Name: "temperature", Type: spec.Number, Min: spec.Bound(0), Max: spec.Bound(2), Example: 0.2,
				Description: "How varied the answer may be."},
			aiConnector,
		},
	}
	classifyTicket = Definition{
		Type:        "classify_ticket",
		Effect:      EffectExternal,
		Run:         runClassify,
		Category:    CategoryAI,
		Description: "AI categorization and sentiment: optional categories, applyTags, minConfidence; output {category, confidence, sentiment, urgency}.",
		Params: []spec.Param{
			{Name: "categories", Type: spec.Strings, MaxItems: helpdesk.MaxCategories, Example: []string{"billing", "shipping", "technical"},
				Description: "The categories to choose from; default: the workspace's AI settings."},
			{Name: "applyTags", Type: spec.Boolean, Default: false, Example: true,
				Description: "Tag the ticket with the category (a tag of that name, created when missing)."},
			{Name: "minConfidence", Type: spec.Number, Min: spec.Bound(0), Max: spec.Bound(1), Example: 0.6,
				Description: "Below this confidence the category is not applied as a tag."},
			aiConnector,
		},
	}
)
