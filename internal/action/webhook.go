package action

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/integration/webhook"
	"github.com/deskflow/deskflow/internal/outbound"
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
		{Name: "connectorId", Type: spec.Reference, Reference: param.KindConnector, ConnectorTypes: []string{ConnectorWebhook},
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

// Retry policy of send_webhook. Attempts go on while the step's timeout
// leaves time for the wait before the next one.
const (
	webhookBackoffBase = 200 * time.Millisecond
	webhookBackoffMax  = 5 * time.Second
)

// Hooks for tests: the clock (webhook-timestamp, Retry-After dates, the time
// left), the wait between attempts and the jitter (a random duration in
// [0, max]).
var (
	webhookNow   = time.Now
	webhookSleep = func(ctx context.Context, d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	webhookJitter = func(max time.Duration) time.Duration { return rand.N(max + 1) }
)

func runWebhook(ctx context.Context, x *Exec) (any, error) {
	rawURL, err := x.Text(ctx, "url")
	if err != nil {
		return nil, err
	}
	if x.Services.CheckURL != nil {
		if err := x.Services.CheckURL(rawURL); err != nil {
			return nil, Failf("url: %v", err)
		}
	}
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, Failf("url: %q is not an absolute http or https URL", rawURL)
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
	var body []byte
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
		body = []byte(rendered)
	}

	// The receiver's idempotency key: the same for every attempt of this
	// step, including the engine's retries and resumption after a crash.
	id := x.IdempotencyKey
	var key []byte
	if x.String("connectorId") != "" {
		c, err := x.Connector(ctx, "connectorId", webhook.Type)
		if err != nil {
			return nil, err
		}
		key, err = webhook.SecretKey(c.Secret("signing_secret"))
		if err != nil {
			return nil, Failf("connectorId: connector %s: %v", c.ID, err)
		}
		if id == "" || strings.Contains(id, ".") {
			return nil, Failf("cannot sign: the idempotency key %q is not a valid webhook-id", id)
		}
	}

	// Without a deadline the step would retry forever: bound it as the
	// engine does.
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()

	send := func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
		if err != nil {
			return nil, Failf("build request: %v", err)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		req.Header.Set("User-Agent", "deskflow-webhooks/1")
		if id != "" {
			req.Header.Set(webhook.HeaderID, id)
			if _, set := headerValue(headers, "Idempotency-Key"); !set {
				req.Header.Set("Idempotency-Key", id)
			}
		}
		if key != nil {
			// A fresh timestamp, hence signature, for every attempt.
			at := webhookNow()
			req.Header.Set(webhook.HeaderTimestamp, webhook.Timestamp(at))
			req.Header.Set(webhook.HeaderSignature, webhook.Sign(key, id, at, body))
		}
		return req, nil
	}

	for attempt := 1; ; attempt++ {
		req, err := send()
		if err != nil {
			return nil, err
		}
		var (
			out    map[string]any
			last   string        // what went wrong with this attempt
			wait   time.Duration // Retry-After, when the receiver gave one
			hinted bool
		)
		res, err := x.Services.HTTP.Do(req)
		if err != nil {
			out = map[string]any{"attempts": attempt}
			if ctx.Err() != nil {
				return out, fmt.Errorf("webhook request failed (attempt %d): %w", attempt, err)
			}
			var refused *outbound.RefusedError
			if errors.As(err, &refused) {
				return out, Failf("webhook request refused, not retried: %v", refused)
			}
			if !webhookRetryable(err) {
				return out, Failf("webhook request failed (attempt %d, not retried): %v", attempt, err)
			}
			last = fmt.Sprintf("request failed: %v", err)
		} else {
			out = responseOutput(res)
			res.Body.Close()
			out["attempts"] = attempt
			code := res.StatusCode
			status := fmt.Sprintf("%d %s", code, http.StatusText(code))
			switch {
			case code >= 200 && code <= 299:
				return out, nil
			case code >= 300 && code <= 399:
				msg := fmt.Sprintf("webhook answered %s: redirects are not followed", status)
				if loc := res.Header.Get("Location"); loc != "" {
					msg += fmt.Sprintf(" (Location: %s); use the final URL instead", loc)
				}
				return out, Failf("%s", msg)
			case code == http.StatusTooManyRequests || code == http.StatusBadGateway ||
				code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
				last = "webhook answered " + status
				wait, hinted = webhookRetryAfter(res.Header.Get("Retry-After"), webhookNow())
			default:
				return out, Failf("webhook answered %s (not retried)", status)
			}
		}

		left := deadline.Sub(webhookNow())
		if hinted {
			if wait >= left {
				return out, Failf("%s with Retry-After %s, more than the %s left of the step's timeout: gave up after %d attempt(s)",
					last, wait, left.Round(time.Millisecond), attempt)
			}
		} else {
			wait = webhookJitter(webhookBackoffCeiling(attempt))
			if wait >= left {
				return out, Failf("gave up after %d attempt(s), no time left in the step's timeout for another; last: %s",
					attempt, last)
			}
		}
		if err := webhookSleep(ctx, wait); err != nil {
			return out, fmt.Errorf("gave up after %d attempt(s) while waiting to retry; last: %s: %w", attempt, last, err)
		}
	}
}

// webhookBackoffCeiling is the longest wait after the given attempt (1-based):
// exponential from webhookBackoffBase, capped at webhookBackoffMax. The wait
// itself is drawn uniformly below it (full jitter).
func webhookBackoffCeiling(attempt int) time.Duration {
	d := webhookBackoffBase
	for i := 1; i < attempt && d < webhookBackoffMax; i++ {
		d *= 2
	}
	return min(d, webhookBackoffMax)
}

// webhookRetryAfter parses a Retry-After value, in seconds or an HTTP date, into a
// wait; ok is false when there is none (absent, malformed or already past).
func webhookRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0, false
		}
		if secs > int64(math.MaxInt64/time.Second) {
			return math.MaxInt64, true
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d, true
		}
	}
	return 0, false
}

// webhookRetryable reports whether a failed request (no answer) is worth
// another attempt: connection failures, resets, timeouts and closed
// connections are; refusals by the SSRF guard, unknown hosts and
// certificate errors are not.
func webhookRetryable(err error) bool {
	var refused *outbound.RefusedError
	if errors.As(err, &refused) {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTimeout || dnsErr.IsTemporary
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verification     *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verification) {
		return false
	}
	return true
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
