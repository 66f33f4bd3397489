package action

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/integration/retry"
	"github.com/deskflow/deskflow/internal/integration/webhook"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/template"
)

// WebhookMethods are the HTTP methods send_webhook may use.
var WebhookMethods = []string{"POST", "PUT", "PATCH", "DELETE", "GET"}

var sendWebhook = Definition{
	Type:        "send_webhook",
	Effect:      EffectExternal,
	Run:         runWebhook,
	Category:    CategoryCommunication,
	Description: "HTTP request to an external URL: url, method (default POST), headers and body are templates; JSON bodies are rendered with JSON escaping. With a webhook connector (connectorId) requests carry Standard Webhooks signatures; webhook-id and Idempotency-Key are the step's idempotency key. Network errors, 429, 502, 503 and 504 are retried with backoff within the timeout; 3xx fails.",
	Params: []spec.Param{
		{Name: "url", Type: spec.Template, Required: true, Example: "https://api.example.com/notify",
			Description: "Where to send the request; a URL without variables is checked when the workflow is saved."},
		{Name: "method", Type: spec.String, Default: "POST", Example: "POST",
			Description: "The HTTP method, one of " + strings.Join(WebhookMethods, ", ") + " (any case)."},
		{Name: "headers", Type: spec.Templates, MaxItems: maxWebhookHeaders, Example: map[string]any{"X-Ticket": "{{ticket.id}}"},
			Description: "Request headers; values are templates."},
		{Name: "body", Type: spec.Template, Example: `{"ticketId": "{{ticket.id}}"}`,
			Description: "The request body; a JSON body is rendered with JSON escaping."},
		{Name: "connectorId", Type: spec.Reference, Reference: param.KindConnector, ConnectorTypes: []string{webhook.Type},
			Example: "3f2c6c1e-9a4b-4d3e-8f7a-2b1c0d9e8f7a", Description: "A webhook connector whose secret signs the request (Standard Webhooks)."},
	},
	Check: func(p *param.Params, v spec.Values) {
		if src, ok := v.String("url"); ok && p.CheckURL != nil {
			if t, err := p.ParseTemplate(src); err == nil && len(t.Paths()) == 0 {
				if err := p.CheckURL(t.Source()); err != nil {
					p.Errs.Add(p.FieldPath("url"), "%s", err.Error())
				}
			}
		}
		if m, ok := v.String("method"); ok {
			p.OneOf("method", strings.ToUpper(m), WebhookMethods...)
		}
	},
}

// maxWebhookHeaders bounds the headers of one send_webhook step.
const maxWebhookHeaders = 50

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

// Hooks for tests: the clock (webhook-timestamp, Retry-After dates, the time
// left), the wait between attempts and the jitter (a random duration in
// [0, max]).
var (
	webhookNow    = time.Now
	webhookSleep  = retry.Sleep
	webhookJitter = retry.Uniform
)

// runWebhook renders the request, delivers it with the webhook package
// (retries within the step's timeout, Standard Webhooks signing with a
// connector) and returns the last answer as the step's output.
func runWebhook(ctx context.Context, x *Exec) (any, error) {
	req, err := renderWebhook(ctx, x)
	if err != nil {
		return nil, err
	}
	// Without a deadline the step would retry forever: bound it as the
	// engine does.
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	client := webhook.Client{HTTP: x.Services.HTTP, Now: webhookNow, Sleep: webhookSleep, Rand: webhookJitter}
	res, err := client.Send(ctx, req)
	if res == nil {
		return nil, integrationError(err, nil)
	}
	return webhookOutput(res), integrationError(err, nil)
}

// renderWebhook renders and checks the step's url, method, headers and
// body, recording them, and takes the signing key of its connector.
func renderWebhook(ctx context.Context, x *Exec) (webhook.Request, error) {
	var r webhook.Request
	var err error
	if r.URL, err = webhookURL(ctx, x); err != nil {
		return r, err
	}
	r.Method = strings.ToUpper(x.String("method"))
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	x.record("method", r.Method)
	headers, err := webhookHeaders(ctx, x)
	if err != nil {
		return r, err
	}
	if r.Body, err = webhookBody(ctx, x, headers); err != nil {
		return r, err
	}
	r.Header = http.Header{}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	// The receiver's idempotency key: the same for every attempt of this
	// step, including the engine's retries and resumption after a crash.
	r.ID = x.IdempotencyKey
	if x.String("connectorId") != "" {
		c, err := x.Connector(ctx, "connectorId", webhook.Type)
		if err != nil {
			return r, err
		}
		if r.Key, err = webhook.SecretKey(c.Secret("signing_secret")); err != nil {
			return r, Failf("connectorId: connector %s: %v", c.ID, err)
		}
		if r.ID == "" || strings.Contains(r.ID, ".") {
			return r, Failf("cannot sign: the idempotency key %q is not a valid webhook-id", r.ID)
		}
	}
	return r, nil
}

// webhookURL renders url and checks it: an absolute http or https URL
// that the outbound guard allows.
func webhookURL(ctx context.Context, x *Exec) (string, error) {
	rawURL, err := x.Text(ctx, "url")
	if err != nil {
		return "", err
	}
	if x.Services.CheckURL != nil {
		if err := x.Services.CheckURL(rawURL); err != nil {
			return "", Failf("url: %v", err)
		}
	}
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", Failf("url: %q is not an absolute http or https URL", rawURL)
	}
	return rawURL, nil
}

// webhookHeaders renders the string values of headers (others are sent as
// their text) and records them.
func webhookHeaders(ctx context.Context, x *Exec) (map[string]string, error) {
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
	return headers, nil
}

// webhookBody renders body, with JSON escaping when it is JSON (then
// Content-Type defaults to application/json in headers).
func webhookBody(ctx context.Context, x *Exec, headers map[string]string) ([]byte, error) {
	src := x.String("body")
	if src == "" {
		return nil, nil
	}
	esc := template.Plain
	if looksLikeJSON(src, headers) {
		esc = template.JSON
		if !hasHeader(headers, "Content-Type") {
			headers["Content-Type"] = "application/json"
		}
	}
	rendered, err := x.RenderAs(ctx, "body", src, esc)
	if err != nil {
		return nil, err
	}
	return []byte(rendered), nil
}

func hasHeader(headers map[string]string, name string) bool {
	for k := range headers {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// webhookOutput is the last answer as step output: status, headers, and
// the body parsed as JSON when it is JSON, with the number of attempts;
// only the attempts when the last one got no answer.
func webhookOutput(res *webhook.Response) map[string]any {
	out := map[string]any{"attempts": res.Attempts}
	if res.Status == 0 {
		return out
	}
	headers := map[string]any{}
	for k, v := range res.Header {
		headers[k] = strings.Join(v, ", ")
	}
	var body any = string(res.Body)
	if len(bytes.TrimSpace(res.Body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(res.Body))
		dec.UseNumber()
		var parsed any
		if dec.Decode(&parsed) == nil {
			body = parsed
		}
	}
	out["status"], out["headers"], out["body"] = res.Status, headers, body
	return out
}
