package platform

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Error is a failure caused by the step's data, the connector's
// configuration or the platform's answer (as opposed to an internal error
// of deskflow). Its message never contains credentials.
type Error struct {
	// Status is the platform's HTTP status, 0 when there was no answer.
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// IsError reports whether err is (or wraps) an *Error.
func IsError(err error) bool {
	var pe *Error
	return errors.As(err, &pe)
}

// answerError describes a non-2xx answer in one sentence, from the
// platform's own error format.
func (s *session) answerError(res *http.Response, data any) *Error {
	status := fmt.Sprintf("%d %s", res.StatusCode, http.StatusText(res.StatusCode))
	detail := errorDetail(s.p.Errors, data)
	if detail == "" {
		if text, ok := data.(string); ok {
			detail = clipText(strings.Join(strings.Fields(text), " "), 300)
		}
	}
	msg := s.p.Name + " answered " + status
	if detail != "" {
		msg += ": " + detail
	}
	switch res.StatusCode {
	case http.StatusUnauthorized:
		msg += " — check the connector's credentials"
	case http.StatusForbidden:
		if res.Header.Get("X-RateLimit-Remaining") == "0" || res.Header.Get("Retry-After") != "" {
			msg += " — rate limited"
		} else {
			msg += " — the connector's credentials lack a permission (scope) for this action"
		}
	case http.StatusNotFound:
		msg += " — check the ids in params"
	case http.StatusTooManyRequests:
		msg += " — rate limited"
	}
	if res.StatusCode >= 300 && res.StatusCode <= 399 {
		if loc := res.Header.Get("Location"); loc != "" {
			msg += " (redirect to " + clipText(loc, 200) + " not followed; update the connector or params)"
		}
	}
	return &Error{Status: res.StatusCode, Message: s.redact(msg)}
}

// errorDetail extracts the message of an error answer in the platform's
// format, "" when it has none.
func errorDetail(format string, data any) string {
	m, ok := data.(map[string]any)
	if !ok {
		return ""
	}
	switch format {
	case "shopify":
		// {"errors": "Not Found"}, {"errors": {"title": ["can't be blank"]}},
		// {"errors": ["..."]}, and {"error": "..."} on some endpoints.
		if d := describeErrors(m["errors"]); d != "" {
			return d
		}
		return describeErrors(m["error"])
	case "stripe":
		// {"error": {"type", "code", "decline_code", "message", "param"}}
		e, ok := m["error"].(map[string]any)
		if !ok {
			return ""
		}
		msg := str(e["message"])
		var tags []string
		for _, k := range []string{"type", "code", "decline_code", "param"} {
			if v := str(e[k]); v != "" {
				tags = append(tags, k+" "+v)
			}
		}
		if msg == "" {
			msg = "error"
		}
		if len(tags) > 0 {
			msg += " (" + strings.Join(tags, ", ") + ")"
		}
		return msg
	case "github":
		// {"message": "Validation Failed", "errors": [{"resource", "field",
		// "code", "message"} or "text"], "documentation_url"}
		msg := str(m["message"])
		var parts []string
		if list, ok := m["errors"].([]any); ok {
			for _, e := range list {
				switch e := e.(type) {
				case string:
					parts = append(parts, e)
				case map[string]any:
					if text := str(e["message"]); text != "" {
						parts = append(parts, text)
						continue
					}
					where := strings.Trim(str(e["resource"])+"."+str(e["field"]), ".")
					parts = append(parts, strings.TrimSpace(where+" "+str(e["code"])))
				}
			}
		}
		if len(parts) > 0 {
			msg = strings.TrimSpace(msg + ": " + strings.Join(parts, "; "))
		}
		return msg
	case "jira":
		// {"errorMessages": ["..."], "errors": {"summary": "..."}}
		var parts []string
		if list, ok := m["errorMessages"].([]any); ok {
			for _, e := range list {
				if s := str(e); s != "" {
					parts = append(parts, s)
				}
			}
		}
		if d := describeErrors(m["errors"]); d != "" {
			parts = append(parts, d)
		}
		if len(parts) == 0 {
			return str(m["message"])
		}
		return strings.Join(parts, "; ")
	case "slack":
		// {"ok": false, "error": "channel_not_found"}, with the scope a
		// missing_scope error needs.
		msg := str(m["error"])
		if needed := str(m["needed"]); needed != "" {
			msg += " (needs scope " + needed + ")"
		}
		return msg
	}
	return ""
}

// refusal is the *Error of an answer the platform gave with a success
// status that still says the request failed: Slack's {"ok": false}.
func (s *session) refusal(status int, data any) *Error {
	m, isObject := data.(map[string]any)
	if s.p.Errors != "slack" || !isObject || m["ok"] != false {
		return nil
	}
	return &Error{Status: status, Message: s.redact(s.p.Name + " refused the request: " + errorDetail("slack", data))}
}

// describeErrors renders a string, a list of strings, or an object of
// field → message(s).
func describeErrors(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var parts []string
		for _, e := range x {
			if d := describeErrors(e); d != "" {
				parts = append(parts, d)
			}
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			d := describeErrors(x[k])
			if d == "" {
				continue
			}
			if k == "base" {
				parts = append(parts, d)
			} else {
				parts = append(parts, k+": "+d)
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
