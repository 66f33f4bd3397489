package api_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// unknownULID is a well-formed id that names nothing.
const unknownULID = "01J00000000000000000000000"

// repeated is a list of n copies of v.
func repeated(n int, v any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// distinct is a list of n different strings prefix0, prefix1, ….
func distinct(n int, prefix string) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = prefix + itoa(int64(i))
	}
	return out
}

// keyed is an object with n different keys prefix0, prefix1, …, each
// holding v.
func keyed(n int, prefix string, v any) map[string]any {
	out := make(map[string]any, n)
	for i := 0; i < n; i++ {
		out[prefix+itoa(int64(i))] = v
	}
	return out
}

// workflowWith is a workflow body on new tickets with one action.
func workflowWith(actionType string, parameters map[string]any) map[string]any {
	return map[string]any{"name": "w", "trigger_type": "on_new_ticket", "actions": []any{map[string]any{"type": actionType, "parameters": parameters}}}
}

// errorCount is the number of messages in a 422 body.
func errorCount(r response) int {
	n := 0
	for _, msgs := range r.fieldErrors() {
		list, _ := msgs.([]any)
		n += len(list)
	}
	return n
}

// maxErrorBody is the largest error answer the test accepts: a request's
// errors are capped, so their size does not grow with the request.
const maxErrorBody = 64 << 10

// TestHugeListsGetSmallAnswers feeds each list (and object used as a list)
// that a request can carry a huge number of entries: 200,000 short ones, or
// as many as the 1 MiB body limit allows for longer ones. Every answer must
// be small and carry at most 100 errors, however many entries were wrong,
// and each distinct wrong value is reported once. The table is the audit of
// issue 11: ticket tags, workflow tags (actions and trigger), classify
// categories, AI settings categories and keywords, recipients, webhook
// headers, platform action params, conditions, actions, paths, business
// hours, custom fields, connector credentials, and unknown fields.
func TestHugeListsGetSmallAnswers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ticket := e.create("/api/tickets", map[string]any{"subject": "Hi", "body": "Hello", "contact": map[string]any{"email": "ann@example.com"}})
		// Paths whose add_tags name 35,000 different tags in all: more than
		// SQLite's 32,766 variables in one statement.
		manyRefPaths := make([]any, 7)
		for p := range manyRefPaths {
			actions := make([]any, 50)
			for a := range actions {
				actions[a] = map[string]any{"type": "add_tags", "parameters": map[string]any{"tags": distinct(100, fmt.Sprintf("t%d.%d.", p, a))}}
			}
			manyRefPaths[p] = map[string]any{"name": "p" + itoa(int64(p)), "actions": actions}
		}
		cases := []struct {
			name   string
			method string
			path   string
			body   any
			// errors, when set, is how many errors the answer must
			// report in all (listed and counted in its message).
			errors int
		}{
			{"ticket tags: 200,000 x", "POST", "/api/tickets/" + ticket + "/tags", map[string]any{"tags": repeated(200_000, "x")}, 0},
			{"ticket tags: one unknown id 100 times", "POST", "/api/tickets/" + ticket + "/tags", map[string]any{"tags": repeated(100, unknownULID)}, 1},
			{"ticket tags: one unknown id 35,000 times", "POST", "/api/tickets/" + ticket + "/tags", map[string]any{"tags": repeated(35_000, unknownULID)}, 0},
			{"ticket tags: 100 unknown ids", "POST", "/api/tickets/" + ticket + "/tags", map[string]any{"tags": distinct(100, "t")}, 100},
			{"ticket tags: 200,000 blanks", "POST", "/api/tickets/" + ticket + "/tags", map[string]any{"tags": repeated(200_000, "")}, 0},
			{"add_tags", "POST", "/api/workflows", workflowWith("add_tags", map[string]any{"tags": repeated(200_000, "x")}), 0},
			{"remove_tags", "POST", "/api/workflows", workflowWith("remove_tags", map[string]any{"tags": repeated(200_000, "x")}), 0},
			{"add_tags: one unknown id 35,000 times", "POST", "/api/workflows", workflowWith("add_tags", map[string]any{"tags": repeated(35_000, unknownULID)}), 0},
			{"add_tags: 35,000 unknown ids across paths", "POST", "/api/workflows", map[string]any{"name": "w", "trigger_type": "on_new_ticket", "paths": manyRefPaths}, 35_000},
			{"trigger_parameters.tags", "POST", "/api/workflows", map[string]any{"name": "w", "trigger_type": "on_tag_added", "trigger_parameters": map[string]any{"tags": repeated(200_000, "x")}, "actions": []any{map[string]any{"type": "set_status", "parameters": map[string]any{"status": "open"}}}}, 0},
			{"classify_ticket categories", "POST", "/api/workflows", workflowWith("classify_ticket", map[string]any{"categories": repeated(200_000, "x")}), 0},
			{"send_email to: array", "POST", "/api/workflows", workflowWith("send_email", map[string]any{"to": repeated(200_000, "x"), "subject": "s", "content": "c"}), 0},
			{"send_email cc: comma-separated", "POST", "/api/workflows", workflowWith("send_email", map[string]any{"to": "a@example.com", "cc": strings.Repeat("x,", 200_000), "subject": "s", "content": "c"}), 0},
			{"send_email to: 100 bad addresses", "POST", "/api/workflows", workflowWith("send_email", map[string]any{"to": distinct(100, "x"), "subject": "s", "content": "c"}), 0},
			{"send_webhook headers", "POST", "/api/workflows", workflowWith("send_webhook", map[string]any{"url": "https://example.com/hook", "headers": keyed(70_000, "h", "v")}), 0},
			{"execute_connector_action array param", "POST", "/api/workflows", workflowWith("execute_connector_action", map[string]any{"connectorId": "8a3c2f9e-7a51-4d8e-9e0f-3f6b1c2d4e5f", "actionId": "add_labels", "params": map[string]any{"owner": "o", "repo": "r", "issueNumber": 1, "labels": repeated(200_000, "x")}}), 0},
			{"execute_connector_action params keys", "POST", "/api/workflows", workflowWith("execute_connector_action", map[string]any{"connectorId": "8a3c2f9e-7a51-4d8e-9e0f-3f6b1c2d4e5f", "actionId": "add_labels", "params": keyed(70_000, "p", "{{")}), 0},
			{"conditions", "POST", "/api/workflows", map[string]any{"name": "w", "trigger_type": "on_new_ticket", "conditions": repeated(200_000, map[string]any{})}, 0},
			{"actions", "POST", "/api/workflows", map[string]any{"name": "w", "trigger_type": "on_new_ticket", "actions": repeated(200_000, map[string]any{})}, 0},
			{"paths", "POST", "/api/workflows", map[string]any{"name": "w", "trigger_type": "on_new_ticket", "paths": repeated(200_000, map[string]any{})}, 0},
			{"ai-settings categories", "PUT", "/api/ai-settings", map[string]any{"categories": repeated(200_000, "x")}, 0},
			{"ai-settings keywords", "PUT", "/api/ai-settings", map[string]any{"categories": []any{"billing"}, "keywords": map[string]any{"billing": repeated(200_000, "x")}}, 0},
			{"ai-settings keywords keys", "PUT", "/api/ai-settings", map[string]any{"categories": []any{"billing"}, "keywords": keyed(70_000, "c", []any{"x"})}, 0},
			{"business hours closed_dates", "PUT", "/api/business-hours", map[string]any{"timezone": "UTC", "weekly": map[string]any{"monday": []any{map[string]any{"start": "09:00", "end": "17:00"}}}, "closed_dates": repeated(200_000, "x")}, 0},
			{"business hours intervals", "PUT", "/api/business-hours", map[string]any{"timezone": "UTC", "weekly": map[string]any{"monday": repeated(200_000, map[string]any{})}}, 0},
			{"business hours days", "PUT", "/api/business-hours", map[string]any{"timezone": "UTC", "weekly": keyed(70_000, "d", []any{})}, 0},
			{"custom fields on create", "POST", "/api/tickets", map[string]any{"subject": "s", "body": "b", "contact": map[string]any{"email": "a@example.com"}, "custom_fields": keyed(80_000, "k", 1)}, 80_000},
			{"custom fields on update", "PUT", "/api/tickets/" + ticket, map[string]any{"custom_fields": keyed(80_000, "k", 1)}, 80_000},
			{"connector credentials", "POST", "/api/connectors", map[string]any{"type": "webhook", "name": "w", "credentials": keyed(70_000, "c", "v")}, 0},
			{"unknown fields", "POST", "/api/tags", keyed(80_000, "f", 1), 0},
		}
		for _, c := range cases {
			r := e.asAdmin(c.method, c.path, c.body)
			if r.Status != 422 {
				t.Errorf("%s: status %d, want 422: %.300s", c.name, r.Status, r.Raw)
				continue
			}
			if len(r.Raw) > maxErrorBody {
				t.Errorf("%s: a %d-byte answer, want at most %d", c.name, len(r.Raw), maxErrorBody)
			}
			listed := errorCount(r)
			if listed == 0 || listed > 100 {
				t.Errorf("%s: %d errors listed, want 1 to 100", c.name, listed)
			}
			if c.errors > 0 && reportedErrors(r) != c.errors {
				t.Errorf("%s: %d errors reported (%d listed, message %q), want %d", c.name, reportedErrors(r), listed, r.Body["message"], c.errors)
			}
		}
		// A list at its maximum is taken, a tag repeated counting once.
		tag := e.create("/api/tags", map[string]any{"name": "Billing"})
		r := e.must(200, e.asAdmin("POST", "/api/tickets/"+ticket+"/tags", map[string]any{"tags": repeated(100, tag)}))
		if got := r.data()["tags"]; !reflect.DeepEqual(got, []any{tag}) {
			t.Errorf("tags after adding one 100 times: %v", got)
		}
	})
}

// reportedErrors is how many errors a 422 answer says there were: those
// listed plus those its message says were left out.
func reportedErrors(r response) int {
	msg, _ := r.Body["message"].(string)
	var more int
	if i := strings.LastIndex(msg, "(and "); i >= 0 {
		fmt.Sscanf(msg[i:], "(and %d more", &more)
	}
	return 1 + more
}
