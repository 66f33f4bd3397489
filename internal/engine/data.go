package engine

import (
	"time"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/template"
)

// templateData is what templates see: seed 000's roots ticket, customer,
// message, customFields and variables.
func templateData(f *condition.Facts, variables map[string]any) map[string]any {
	data := map[string]any{
		"ticket":       map[string]any{},
		"customer":     map[string]any{},
		"message":      map[string]any{},
		"customFields": map[string]any{},
		"variables":    variables,
	}
	if t := f.Ticket; t != nil {
		ticket := map[string]any{
			"id": t.ID, "subject": t.Subject, "status": t.Status, "priority": t.Priority,
			"createdAt": t.CreatedAt.Format(time.RFC3339), "tags": t.TagIDs, "assignee": t.Assignee,
		}
		if f.Channel != nil {
			ticket["channel"], ticket["channelType"] = f.Channel.Name, f.Channel.Type
		}
		data["ticket"] = ticket
		data["customFields"] = t.CustomFields
	}
	if c := f.Contact; c != nil {
		data["customer"] = map[string]any{"id": c.ID, "name": c.Name, "email": c.Email, "isVip": c.IsVIP}
	}
	if m := f.Message; m != nil {
		data["message"] = map[string]any{
			"id": m.ID, "body": m.Body, "senderName": m.SenderName, "senderEmail": m.SenderEmail,
			"direction": m.Direction, "createdAt": m.CreatedAt.Format(time.RFC3339),
		}
	}
	return data
}

// variables are the outputs saved (saveAs) by the run's succeeded steps,
// in the order they finished, as templates see them.
func variables(r *run.Run) map[string]any {
	vars := rawVariables(r)
	for k, v := range vars {
		vars[k] = textValue(v)
	}
	return vars
}

// rawVariables are the saved outputs as stored, for conditions.
func rawVariables(r *run.Run) map[string]any {
	vars := map[string]any{}
	steps := make([]run.Step, 0, len(r.Steps))
	for _, s := range r.Steps {
		if s.SaveAs != "" && s.Status == run.StepSucceeded {
			steps = append(steps, s)
		}
	}
	for i := 1; i < len(steps); i++ {
		for j := i; j > 0 && steps[j].FinishedAt.Before(*steps[j-1].FinishedAt); j-- {
			steps[j], steps[j-1] = steps[j-1], steps[j]
		}
	}
	for _, s := range steps {
		vars[s.SaveAs] = s.Output
	}
	return vars
}

// textValue lets an output with a "text" field (an AI answer) render as
// that text when a template uses it whole ({{variables.draft}}), its fields
// staying reachable ({{variables.draft.model}}).
func textValue(out any) any {
	m, isMap := out.(map[string]any)
	if !isMap {
		return out
	}
	if text, ok := m["text"].(string); ok {
		return template.TextValue{Text: text, Fields: m}
	}
	return out
}
