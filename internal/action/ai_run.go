package action

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/deskflow/deskflow/internal/ai"
	"github.com/deskflow/deskflow/internal/ai/builtin"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/template"
)

// aiError turns a provider's failure into a step error, keeping timeouts
// recognizable as such.
func aiError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return Failf("%v", err)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case interface{ Float64() (float64, error) }:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// runGenerate is generate_ai_response: the rendered prompt goes to the
// step's model; the answer is {text, model, usage, provider}, and with
// saveAs {{variables.<name>}} is its text.
func runGenerate(ctx context.Context, x *Exec) (any, error) {
	prompt, err := x.Text(ctx, "promptTemplate")
	if err != nil {
		return nil, err
	}
	req := ai.Request{Prompt: prompt, Model: x.String("model")}
	if x.String("systemPrompt") != "" {
		if req.System, err = x.Text(ctx, "systemPrompt"); err != nil {
			return nil, err
		}
	}
	if n, ok := param.WholeNumber(x.Parameters["maxTokens"]); ok {
		req.MaxTokens = int(n)
	}
	if t, ok := number(x.Parameters["temperature"]); ok {
		req.Temperature = &t
	}
	p, err := x.Services.AI.Provider(ctx, x.WorkspaceID, x.String("connectorId"))
	if err != nil {
		return nil, err
	}
	c, err := p.Complete(ctx, req)
	if err != nil {
		return nil, aiError(err)
	}
	if c.Model == builtin.ModelRetrieval {
		// A saved reply: its body is a template of the ticket's values.
		if c.Text, err = Render(ctx, c.Text, x.Data, template.Plain); err != nil {
			return nil, Failf("render the saved reply: %v", err)
		}
	}
	return map[string]any{"text": c.Text, "model": c.Model, "usage": c.Usage, "provider": p.Name()}, nil
}

// runClassify is classify_ticket: the ticket's subject and message are
// classified into the step's categories (or the workspace's), with
// sentiment and urgency; applyTags tags the ticket with the category, and
// minConfidence fails the step below it.
func runClassify(ctx context.Context, x *Exec) (any, error) {
	categories := x.Strings("categories")
	if len(categories) == 0 {
		settings, err := x.Services.AI.Settings(ctx, x.WorkspaceID)
		if err != nil {
			return nil, err
		}
		categories = settings.Categories
	}
	if len(categories) == 0 {
		return nil, Failf("no categories: give the action categories, or set the workspace's in /api/ai-settings")
	}
	body := ""
	if m, ok := x.Data["message"].(map[string]any); ok {
		body, _ = m["body"].(string)
	}
	x.record("categories", categories)
	p, err := x.Services.AI.Provider(ctx, x.WorkspaceID, x.String("connectorId"))
	if err != nil {
		return nil, err
	}
	c, err := p.Classify(ctx, ai.ClassifyRequest{Subject: x.Ticket.Subject, Body: body, Categories: categories, Model: x.String("model")})
	if err != nil {
		return nil, aiError(err)
	}
	out := map[string]any{
		"category": c.Category, "confidence": c.Confidence, "urgency": c.Urgency,
		"sentiment": map[string]any{"label": c.Sentiment.Label, "score": c.Sentiment.Score},
		"model":     c.Model, "usage": c.Usage, "provider": p.Name(),
	}
	if min, ok := number(x.Parameters["minConfidence"]); ok && c.Confidence < min {
		return out, Failf("confidence %.2f in %q is below minConfidence %.2f", c.Confidence, c.Category, min)
	}
	if x.Bool("applyTags") {
		tag, err := x.Services.Helpdesk.TagTicket(ctx, x.WorkspaceID, x.Ticket.ID, strings.ToLower(c.Category), x.Cause)
		if err != nil {
			return out, fmt.Errorf("tag the ticket %q: %w", c.Category, err)
		}
		out["tag_id"] = tag
	}
	return out, nil
}
