package api_test

import (
	"reflect"
	"testing"
	"time"
)

func TestWorkspaceSavedRepliesAndAISettings(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		// Workspace name and signature.
		ws := e.must(200, e.asAdmin("PUT", "/api/workspace", map[string]any{"signature": "The Support Team\n"})).data()
		if ws["signature"] != "The Support Team" {
			t.Errorf("signature %q", ws["signature"])
		}
		if r := e.call("PUT", "/api/workspace", e.agentA, e.wsA, map[string]any{"name": "x"}); r.Status != 403 {
			t.Errorf("agent renamed the workspace: %d", r.Status)
		}
		e.must(422, e.asAdmin("PUT", "/api/workspace", map[string]any{"name": ""}))

		// Saved replies: bodies are templates, checked at save time.
		id := e.create("/api/saved-replies", map[string]any{"title": "Refunds", "body": "Hi {{customer.name}}, refunds take 5 days."})
		if r := e.must(422, e.asAdmin("POST", "/api/saved-replies", map[string]any{"title": "Bad", "body": "Hi {{agent.name}}"})); r.fieldErrors()["body"] == nil {
			t.Errorf("bad template accepted: %s", r.Raw)
		}
		e.must(422, e.asAdmin("POST", "/api/saved-replies", map[string]any{"body": "x"}))
		if got := e.must(200, e.asAdmin("PUT", "/api/saved-replies/"+id, map[string]any{"title": "Refund times"})).data(); got["title"] != "Refund times" || got["body"] != "Hi {{customer.name}}, refunds take 5 days." {
			t.Errorf("update: %v", got)
		}
		e.must(204, e.asAdmin("DELETE", "/api/saved-replies/"+id, nil))
		e.must(404, e.asAdmin("GET", "/api/saved-replies/"+id, nil))

		// AI settings.
		def := e.must(200, e.asAdmin("GET", "/api/ai-settings", nil)).data()
		if def["connector_id"] != nil || len(def["categories"].([]any)) != 0 {
			t.Errorf("defaults: %v", def)
		}
		e.create("/api/custom-fields", map[string]any{"key": "category", "name": "Category"})
		set := map[string]any{"categories": []any{"billing", "bugs"}, "category_field": "category", "keywords": map[string]any{"bugs": []any{"crash", "error"}}}
		got := e.must(200, e.asAdmin("PUT", "/api/ai-settings", set)).data()
		if !reflect.DeepEqual(got["categories"], []any{"billing", "bugs"}) || got["category_field"] != "category" {
			t.Errorf("stored: %v", got)
		}
		hook := e.must(201, e.asAdmin("POST", "/api/connectors", map[string]any{"type": "webhook", "name": "w", "credentials": map[string]any{"signing_secret": secret}})).data()["id"]
		bad := []struct {
			body map[string]any
			path string
		}{
			{map[string]any{"categories": []any{"a", "A"}}, "categories.1"},
			{map[string]any{"category_field": "nope"}, "category_field"},
			{map[string]any{"categories": []any{"a"}, "keywords": map[string]any{"b": []any{"x"}}}, "keywords.b"},
			{map[string]any{"connector_id": hook}, "connector_id"},
			{map[string]any{"connector_id": "8a3c2f9e-7a51-4d8e-9e0f-3f6b1c2d4e5f"}, "connector_id"},
			{map[string]any{"model": "x"}, "model"},
		}
		for _, b := range bad {
			if r := e.must(422, e.asAdmin("PUT", "/api/ai-settings", b.body)); r.fieldErrors()[b.path] == nil {
				t.Errorf("no error at %s: %s", b.path, r.Raw)
			}
		}
		if r := e.call("PUT", "/api/ai-settings", e.agentA, e.wsA, set); r.Status != 403 {
			t.Errorf("agent changed AI settings: %d", r.Status)
		}
	})
}

// GET /api/business-hours/due: when a message received now would be due,
// in the workspace's business hours; the console's preview.
func TestBusinessHoursDuePreview(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.must(200, e.asAdmin("PUT", "/api/business-hours", map[string]any{"timezone": "UTC",
			"weekly": map[string]any{"monday": []any{map[string]any{"start": "09:00", "end": "17:00"}}}}))
		r := e.must(200, e.asAdmin("GET", "/api/business-hours/due?value=4&unit=hours", nil)).data()
		due, err := time.Parse(time.RFC3339, r["due_at"].(string))
		if err != nil || due.Weekday() != time.Monday || due.Hour() < 13 || due.Hour() > 17 || r["timezone"] != "UTC" {
			t.Errorf("4 business hours on Mondays 9–17 UTC: due %v (%v)", r["due_at"], err)
		}
		calendar := e.must(200, e.asAdmin("GET", "/api/business-hours/due?value=4&unit=hours&only_business_hours=false", nil)).data()
		from, _ := time.Parse(time.RFC3339, calendar["from"].(string))
		if at, _ := time.Parse(time.RFC3339, calendar["due_at"].(string)); !at.Equal(from.Add(4 * time.Hour)) {
			t.Errorf("4 calendar hours from %v: %v", from, at)
		}
		if r := e.must(422, e.asAdmin("GET", "/api/business-hours/due?value=0&unit=weeks", nil)); r.fieldErrors()["value"] == nil {
			t.Errorf("a bad value: %s", r.Raw)
		}
	})
}
