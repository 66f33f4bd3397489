package action

import "github.com/deskflow/deskflow/internal/param"

// ConnectorAI is the connector type of AI providers.
const ConnectorAI = "ai"

var (
	generateAIResponse = Definition{
		Type:        "generate_ai_response",
		Effect:      EffectExternal,
		Run:         runGenerate,
		Category:    CategoryAI,
		Description: "Generate a response with AI from promptTemplate (optional systemPrompt, model, maxTokens, temperature); output {text, model, usage}.",
		Validate: func(p *param.Params) {
			p.Template("promptTemplate", true)
			p.Template("systemPrompt", false)
			p.String("model", false)
			if n, ok := p.Int("maxTokens", false); ok && (n < 1 || n > 100000) {
				p.Errs.Add(p.FieldPath("maxTokens"), "must be between 1 and 100000")
			}
			if t, ok := p.Number("temperature", false); ok && (t < 0 || t > 2) {
				p.Errs.Add(p.FieldPath("temperature"), "must be between 0 and 2")
			}
			p.Ref("connectorId", param.KindConnector, false, ConnectorAI)
		},
	}
	classifyTicket = Definition{
		Type:        "classify_ticket",
		Effect:      EffectExternal,
		Run:         runClassify,
		Category:    CategoryAI,
		Description: "AI categorization and sentiment: optional categories, applyTags, minConfidence; output {category, confidence, sentiment, urgency}.",
		Validate: func(p *param.Params) {
			p.StringList("categories", false)
			p.Bool("applyTags", false)
			if c, ok := p.Number("minConfidence", false); ok && (c < 0 || c > 1) {
				p.Errs.Add(p.FieldPath("minConfidence"), "must be between 0 and 1")
			}
			p.Ref("connectorId", param.KindConnector, false, ConnectorAI)
		},
	}
)
