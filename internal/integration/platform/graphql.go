package platform

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/integration/retry"
)

// graphqlOutcome judges a GraphQL answer given with a 2xx status: top-level
// errors fail the action (THROTTLED is retried after the time the query's
// cost needs to be restored), and so do the userErrors of the mutation's
// payload.
func (s *session) graphqlOutcome(status int, data any) retry.Outcome {
	m, _ := data.(map[string]any)
	if errs, _ := m["errors"].([]any); len(errs) > 0 {
		var messages []string
		throttled := false
		for _, e := range errs {
			em, _ := e.(map[string]any)
			ext, _ := em["extensions"].(map[string]any)
			if str(ext["code"]) == "THROTTLED" {
				throttled = true
			}
			messages = append(messages, str(em["message"]))
		}
		err := &Error{Status: status, Message: s.redact(s.p.Name + " answered errors: " + clipText(strings.Join(messages, "; "), 300))}
		if throttled {
			return retry.Outcome{Err: err, Retry: true, Wait: throttleWait(m), HasWait: true}
		}
		return retry.Outcome{Err: err}
	}
	if userErrors := payloadUserErrors(m["data"]); len(userErrors) > 0 {
		return retry.Outcome{Err: &Error{Status: status, Message: s.redact(s.p.Name + " refused: " + clipText(strings.Join(userErrors, "; "), 300))}}
	}
	return retry.Outcome{}
}

// payloadUserErrors lists the userErrors (and *UserErrors) of the
// payloads under data as "field: message".
func payloadUserErrors(data any) []string {
	var out []string
	root, _ := data.(map[string]any)
	for _, payload := range root {
		p, _ := payload.(map[string]any)
		for key, v := range p {
			if !strings.HasSuffix(strings.ToLower(key), "usererrors") {
				continue
			}
			list, _ := v.([]any)
			for _, ue := range list {
				u, _ := ue.(map[string]any)
				msg := str(u["message"])
				if f := describeErrors(u["field"]); f != "" {
					msg = strings.ReplaceAll(f, ", ", ".") + ": " + msg
				}
				out = append(out, msg)
			}
		}
	}
	return out
}

// throttleWait is how long until the bucket holds what the query costs:
// (requested − available) / restore rate, at least a second.
func throttleWait(answer map[string]any) time.Duration {
	ext, _ := answer["extensions"].(map[string]any)
	cost, _ := ext["cost"].(map[string]any)
	status, _ := cost["throttleStatus"].(map[string]any)
	requested, available, rate := number(cost["requestedQueryCost"]), number(status["currentlyAvailable"]), number(status["restoreRate"])
	if rate <= 0 || requested <= available {
		return time.Second
	}
	return time.Duration(math.Max(1, math.Ceil((requested-available)/rate))) * time.Second
}

func number(v any) float64 {
	var f float64
	_, _ = fmt.Sscan(fmt.Sprint(v), &f)
	return f
}
