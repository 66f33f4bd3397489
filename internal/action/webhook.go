package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	_ "github.com/deskflow/deskflow/internal/integration/webhook" // the webhook connector type
	"io"
	"net/http"
	"strings"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/template"
)

// WebhookMethods are the HTTP methods send_webhook may use.
var WebhookMethods = []string{"POST", "PUT", "PATCH", "DELETE", "GET"}

var sendWebhook = Definition{
	Type:        "send_webhook",
	Effect:      EffectExternal,
	Run:         runWebhook,
	Category:    CategoryCommunication,
	Description: "HTTP request to an external URL: url, method (default POST), headers and body are templates; JSON bodies are rendered with JSON escaping.",
	Validate: func(p *param.Params) {
		if t, ok := p.Template("url", true); ok && len(t.Paths()) == 0 && p.CheckURL != nil {
			if err := p.CheckURL(t.Source()); err != nil {
				p.Errs.Add(p.FieldPath("url"), "%s", err.Error())
			}
		}
		if m, ok := p.String("method", false); ok {
			p.OneOf("method", strings.ToUpper(m), WebhookMethods...)
		}
		p.TemplateMap("headers", false)
		p.Template("body", false)
		p.Ref("connectorId", param.KindConnector, false, ConnectorWebhook)
	},
}

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
