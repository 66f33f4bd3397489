package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/workflow"
)

// DryRunTicket is what a workflow would do on one ticket.
type DryRunTicket struct {
	TicketID string `json:"ticket_id"`
	// TriggerSeen: the ticket has had an event the trigger fires on.
	TriggerSeen bool               `json:"trigger_seen"`
	Matched     bool               `json:"matched"`
	Conditions  []condition.Result `json:"conditions"`
	Steps       []DryRunStep       `json:"steps"`
}

// DryRunStep is one step as it would run: its parameters rendered for the
// ticket; for a step that leaves the system, what it would send, never
// sent.
type DryRunStep struct {
	Path       int            `json:"path"`
	Position   int            `json:"position"`
	ActionType string         `json:"action_type"`
	Parameters map[string]any `json:"parameters"`
	// External: the step would leave the system (email, webhook, AI,
	// platform); nothing is sent in a dry run.
	External bool `json:"external"`
	// Request is what a webhook step would send.
	Request *DryRunRequest `json:"request,omitempty"`
	// Error is why the step could not be rendered.
	Error string `json:"error,omitempty"`
}

// DryRunRequest is an outbound HTTP request a step would send.
type DryRunRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// outputPlaceholder stands for what a step that leaves the system would
// return, in the steps after it.
func outputPlaceholder(position int, actionType string) string {
	return fmt.Sprintf("⟨output of step %d (%s): not run in a dry run⟩", position+1, actionType)
}

// DryRun says what wf would do on each ticket, reading only: conditions
// evaluated against the ticket as it is, every step's parameters rendered,
// outbound requests described, nothing written and nothing sent.
func (e *Engine) DryRun(ctx context.Context, ws int64, wf *workflow.Workflow, ticketIDs []string) ([]DryRunTicket, error) {
	trigger, _ := workflow.LookupTrigger(wf.TriggerType)
	out := make([]DryRunTicket, 0, len(ticketIDs))
	for _, id := range ticketIDs {
		facts, err := e.db.Facts(ctx, ws, id, nil)
		if err != nil {
			return nil, fmt.Errorf("load ticket %s: %w", id, err)
		}
		seen, err := e.db.TicketHadEvent(ctx, ws, id, trigger.Events)
		if err != nil {
			return nil, err
		}
		matched, results := condition.Match(facts, wf.ConditionMatchType, specs(wf.Conditions))
		t := DryRunTicket{TicketID: id, TriggerSeen: seen, Matched: matched, Conditions: results, Steps: []DryRunStep{}}
		if matched {
			vars := map[string]any{}
			t.Steps = append(t.Steps, e.dryPath(ctx, 0, wf.Actions, facts, vars)...)
			for i, p := range wf.Paths {
				if ok, _ := condition.Match(facts, p.ConditionMatchType, specs(p.Conditions)); ok {
					t.Steps = append(t.Steps, e.dryPath(ctx, i+1, p.Actions, facts, vars)...)
				}
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func (e *Engine) dryPath(ctx context.Context, path int, actions []workflow.Action, facts *condition.Facts, vars map[string]any) []DryRunStep {
	var steps []DryRunStep
	for pos, a := range actions {
		def, _ := action.Lookup(a.Type)
		s := DryRunStep{Path: path, Position: pos, ActionType: a.Type, Parameters: map[string]any{}, External: def.Effect == action.EffectExternal}
		data := templateData(facts, vars)
		for k, v := range a.Parameters {
			if m, isMap := v.(map[string]any); isMap {
				// Header values and the like often carry credentials.
				masked := map[string]any{}
				for name := range m {
					masked[name] = "(masked)"
				}
				s.Parameters[k] = masked
				continue
			}
			src, isText := v.(string)
			if !isText || !strings.Contains(src, "{{") {
				s.Parameters[k] = v
				continue
			}
			rendered, err := action.Render(ctx, src, data, 0)
			if err != nil {
				s.Error = fmt.Sprintf("%s: %v", k, err)
				rendered = src
			}
			s.Parameters[k] = rendered
		}
		if a.Type == "send_webhook" {
			method, _ := s.Parameters["method"].(string)
			if method == "" {
				method = "POST"
			}
			url, _ := s.Parameters["url"].(string)
			body, _ := s.Parameters["body"].(string)
			headers := map[string]string{"Content-Type": "application/json", "webhook-id": "(the step's idempotency key)", "webhook-signature": "(masked)"}
			if extra, ok := a.Parameters["headers"].(map[string]any); ok {
				for name := range extra {
					// Header values often carry credentials: masked.
					headers[name] = "(masked)"
				}
			}
			s.Request = &DryRunRequest{Method: method, URL: url, Body: body, Headers: headers}
		}
		if name, ok := a.Parameters["saveAs"].(string); ok && name != "" {
			vars[name] = outputPlaceholder(pos, a.Type)
		}
		steps = append(steps, s)
	}
	return steps
}
