package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/deskflow/deskflow/internal/template"
)

// maxResponseBody caps how much of an answer is read and kept.
const maxResponseBody = 1 << 20

// looksLikeJSON decides whether a body template is JSON, so that values are
// escaped for JSON rather than pasted as text.
func looksLikeJSON(body string, headers map[string]string) bool {
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Type") {
			return strings.Contains(strings.ToLower(v), "json")
		}
	}
	trimmed := strings.TrimSpace(body)
	return strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")
}

func runWebhook(ctx context.Context, x *Exec) (any, error) {
	url, err := x.Text(ctx, "url")
	if err != nil {
		return nil, err
	}
	if x.Services.CheckURL != nil {
		if err := x.Services.CheckURL(url); err != nil {
			return nil, Failf("url: %v", err)
		}
	}
	method := strings.ToUpper(x.String("method"))
	if method == "" {
		method = http.MethodPost
	}
	x.record("method", method)
	headers := map[string]string{}
	rawHeaders, _ := x.Parameters["headers"].(map[string]any)
	for k, v := range rawHeaders {
		s, isString := v.(string)
		if !isString {
			headers[k] = fmt.Sprint(v)
			continue
		}
		rendered, err := Render(ctx, s, x.Data, template.Plain)
		if err != nil {
			return nil, Failf("render headers.%s: %v", k, err)
		}
		headers[k] = rendered
	}
	x.record("headers", headers)
	var body io.Reader
	if src := x.String("body"); src != "" {
		esc := template.Plain
		if looksLikeJSON(src, headers) {
			esc = template.JSON
			if _, set := headerValue(headers, "Content-Type"); !set {
				headers["Content-Type"] = "application/json"
			}
		}
		rendered, err := x.RenderAs(ctx, "body", src, esc)
		if err != nil {
			return nil, err
		}
		body = strings.NewReader(rendered)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, Failf("build request: %v", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "deskflow-webhooks/1")
	// The receiver's idempotency key: the same for every attempt of this step.
	req.Header.Set("webhook-id", x.IdempotencyKey)
	res, err := x.Services.HTTP.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, Failf("request failed: %v", err)
	}
	defer res.Body.Close()
	out := responseOutput(res)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return out, Failf("webhook answered %d %s", res.StatusCode, http.StatusText(res.StatusCode))
	}
	return out, nil
}

func headerValue(headers map[string]string, name string) (string, bool) {
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// responseOutput is the answer as step output: status, headers, and the
// body parsed as JSON when it is JSON.
func responseOutput(res *http.Response) map[string]any {
	raw, _ := io.ReadAll(io.LimitReader(res.Body, maxResponseBody))
	headers := map[string]any{}
	for k, v := range res.Header {
		headers[k] = strings.Join(v, ", ")
	}
	var body any = string(raw)
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var parsed any
		if dec.Decode(&parsed) == nil {
			body = parsed
		}
	}
	return map[string]any{"status": res.StatusCode, "headers": headers, "body": body}
}
