package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/connector"

	"github.com/deskflow/deskflow/internal/integration/retry"
)

// Env is what running a platform action needs.
type Env struct {
	// HTTP is the guarded outbound client. Redirects are never followed:
	// they would carry the credentials elsewhere.
	HTTP *http.Client
	// CheckURL refuses base URLs that can never be reached; nil skips.
	CheckURL func(string) error
	// Sleep waits between attempts; nil is SleepContext.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for Retry-After dates and deadlines; nil is
	// time.Now.
	Now func() time.Time
}

// SleepContext waits d or until ctx is done.
func SleepContext(ctx context.Context, d time.Duration) error { return retry.Sleep(ctx, d) }

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Retry policy.
const (
	// MaxAttempts bounds the attempts of one request.
	MaxAttempts = 5
	// baseBackoff doubles after each attempt, up to maxBackoff.
	baseBackoff = 500 * time.Millisecond
	maxBackoff  = 8 * time.Second
	// maxWaitNoDeadline bounds one wait when the context has no deadline.
	maxWaitNoDeadline = time.Minute
	// attemptReserve is the time kept for the next attempt itself: a wait
	// that leaves less than this before the deadline is not worth it.
	attemptReserve = 500 * time.Millisecond
	// maxAnswer caps how much of an answer is read.
	maxAnswer = 4 << 20
)

// session is one connector ready to send requests.
type session struct {
	p       *Platform
	env     Env
	client  *http.Client
	base    string
	headers http.Header
	secrets []string
}

func newSession(p *Platform, c *connector.Connector, env Env) (*session, error) {
	if env.HTTP == nil {
		return nil, errors.New("platform: no HTTP client")
	}
	if c.Type != p.ID {
		return nil, &Error{Message: fmt.Sprintf("connector %s is of type %s, not %s", c.ID, c.Type, p.ID)}
	}
	base, err := p.BaseURL(c.Settings)
	if err != nil {
		return nil, &Error{Message: fmt.Sprintf("connector %s: %v", c.ID, err)}
	}
	if env.CheckURL != nil {
		if err := env.CheckURL(base); err != nil {
			return nil, &Error{Message: fmt.Sprintf("connector %s: base URL refused: %v", c.ID, err)}
		}
	}
	s := &session{p: p, env: env, base: base, headers: http.Header{}}
	client := *env.HTTP
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = &client
	for k, v := range p.Headers {
		s.headers.Set(k, v)
	}
	for _, st := range p.Settings {
		if st.Header == "" {
			continue
		}
		if v := settingString(c.Settings, st.Key); v != "" {
			s.headers.Set(st.Header, v)
		}
	}
	s.headers.Set("User-Agent", "deskflow-connectors/1")
	secret := func(key string) (string, error) {
		v := c.Secret(key)
		if v == "" {
			return "", &Error{Message: fmt.Sprintf("connector %s has no %s credential; set it on the connector", c.ID, key)}
		}
		return v, nil
	}
	switch p.Auth.Scheme {
	case "header", "bearer":
		v, err := secret(p.Auth.Credential)
		if err != nil {
			return nil, err
		}
		s.secrets = append(s.secrets, v)
		if p.Auth.Scheme == "header" {
			s.headers.Set(p.Auth.Header, v)
		} else {
			s.headers.Set("Authorization", "Bearer "+v)
		}
	case "basic":
		user, err := secret(p.Auth.Username)
		if err != nil {
			return nil, err
		}
		pass, err := secret(p.Auth.Password)
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
		s.secrets = append(s.secrets, pass, enc)
		s.headers.Set("Authorization", "Basic "+enc)
	}
	return s, nil
}

// request is one HTTP request of an action.
type request struct {
	method      string
	path        string // escaped, relative to the base URL
	query       url.Values
	body        []byte
	contentType string
	// key is the step's idempotency key ("" for none).
	key string
	// idempotent requests may be repeated after an ambiguous failure.
	idempotent bool
	// graphql requests fail with a 200 answer too (errors, userErrors).
	graphql bool
}

// response is a platform's answer.
type response struct {
	status int
	header http.Header
	// data is the parsed JSON answer, the text when it is not JSON, or nil
	// when empty.
	data any
}

// do sends r, retrying rate limits and unavailability within the
// context's deadline. A non-2xx answer returns the response and an *Error.
func (s *session) do(ctx context.Context, r request) (*response, error) {
	target := s.base + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}
	var out *response
	err := retry.Do(ctx, s.policy(), func(ctx context.Context, _ int) retry.Outcome {
		out = nil
		res, raw, o := s.send(ctx, r, target)
		if res == nil {
			return o
		}
		out = &response{status: res.StatusCode, header: res.Header, data: parseBody(raw)}
		if res.StatusCode >= 200 && res.StatusCode <= 299 {
			if refused := s.refusal(res.StatusCode, out.data); refused != nil {
				return retry.Outcome{Err: refused}
			}
			if r.graphql {
				return s.graphqlOutcome(res.StatusCode, out.data)
			}
			return retry.Outcome{}
		}
		o = s.retryable(res, r.idempotent)
		o.Err = s.answerError(res, out.data)
		return o
	})
	var stop *retry.Stop
	if !errors.As(err, &stop) {
		return out, err
	}
	var pe *Error
	switch {
	case stop.Reason == retry.Interrupted:
		return out, fmt.Errorf("%s request interrupted: %w", s.p.Name, stop.Cause)
	case !errors.As(stop.Err, &pe) || pe.Status == 0:
		// A request that got no answer says only why.
	case stop.Reason == retry.Attempts:
		pe.Message += fmt.Sprintf(" (after %d attempts)", stop.Attempts)
	default:
		pe.Message += fmt.Sprintf(" (not retried: waiting %s would pass the step's timeout)", stop.Wait.Round(time.Millisecond))
	}
	return out, stop.Err
}

// policy is the platforms' retry policy: MaxAttempts tries, 500ms
// doubling up to 8s between them, each wait leaving time for the next
// attempt before the deadline (or at most a minute without one).
func (s *session) policy() retry.Policy {
	return retry.Policy{
		MaxAttempts: MaxAttempts, Base: baseBackoff, Cap: maxBackoff,
		Reserve: attemptReserve, MaxWait: maxWaitNoDeadline,
		Now: s.env.Now, Sleep: s.env.Sleep,
	}
}

// send makes one attempt. Without an answer (res nil) o says why, and
// whether another attempt is safe.
func (s *session) send(ctx context.Context, r request, target string) (res *http.Response, raw []byte, o retry.Outcome) {
	req, err := http.NewRequestWithContext(ctx, r.method, target, bytes.NewReader(r.body))
	if err != nil {
		return nil, nil, retry.Outcome{Err: &Error{Message: fmt.Sprintf("build request to %s: %v", s.p.Name, s.redact(err.Error()))}}
	}
	if r.body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header = s.headers.Clone()
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.key != "" && s.p.Idempotency.Header != "" && slices.Contains(s.p.Idempotency.Methods, r.method) {
		req.Header.Set(s.p.Idempotency.Header, r.key)
	}
	res, err = s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, retry.Outcome{Err: fmt.Errorf("%s request interrupted: %w", s.p.Name, ctx.Err())}
		}
		return nil, nil, retry.Outcome{
			Err:   &Error{Message: fmt.Sprintf("request to %s failed: %s", s.p.Name, s.redact(err.Error()))},
			Retry: retryableTransport(err, r.idempotent),
		}
	}
	raw, err = io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	res.Body.Close()
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, retry.Outcome{Err: fmt.Errorf("%s request interrupted: %w", s.p.Name, ctx.Err())}
		}
		return nil, nil, retry.Outcome{Err: &Error{Message: fmt.Sprintf("reading %s's answer failed: %s", s.p.Name, s.redact(err.Error()))}}
	}
	if len(raw) > maxAnswer {
		return nil, nil, retry.Outcome{Err: &Error{Status: res.StatusCode, Message: fmt.Sprintf("%s's answer is larger than %d MiB", s.p.Name, maxAnswer>>20)}}
	}
	return res, raw, retry.Outcome{}
}

// retryableTransport reports whether a failed request is worth another
// attempt: never when the failure is not transient (the outbound guard
// refused the address, the name does not exist, the certificate is
// wrong); always when the connection could not be made (the platform never
// saw the request); otherwise only for idempotent requests (the platform
// may have acted).
func retryableTransport(err error, idempotent bool) bool {
	if !retry.Transient(err) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return idempotent
}

// retryable decides whether an answer is worth another attempt and after
// how long: 429 and 503 always (the platform did not act), 502 and 504
// only for idempotent requests (it may have acted), GitHub's 403 rate
// limits (until X-RateLimit-Reset, without Retry-After), and Stripe's
// explicit Stripe-Should-Retry.
func (s *session) retryable(res *http.Response, idempotent bool) retry.Outcome {
	should := res.Header.Get("Stripe-Should-Retry")
	if should == "false" {
		return retry.Outcome{}
	}
	after, explicit := retry.After(res.Header, s.env.now())
	o := retry.Outcome{Wait: after, HasWait: explicit}
	switch res.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		o.Retry = true
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		o.Retry = idempotent
	case http.StatusForbidden:
		if res.Header.Get("X-RateLimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(res.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil && !explicit {
				o.Wait, o.HasWait = time.Unix(reset, 0).Sub(s.env.now())+time.Second, true
			}
			o.Retry = true
		} else {
			o.Retry = explicit
		}
	default:
		o.Retry = should == "true" && idempotent
	}
	return o
}

func parseBody(raw []byte) any {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil && !dec.More() {
		return v
	}
	return string(raw)
}

// redact removes the connector's secrets from a text.
func (s *session) redact(text string) string {
	for _, sec := range s.secrets {
		if len(sec) >= 4 {
			text = strings.ReplaceAll(text, sec, "[redacted]")
		}
	}
	return text
}

// BaseURL is the API root for a connector's settings: the base_url setting
// when set, otherwise the platform's default with its settings filled in.
func (p *Platform) BaseURL(settings map[string]any) (string, error) {
	raw := settingString(settings, "base_url")
	if raw == "" {
		if p.DefaultBaseURL == "" {
			return "", fmt.Errorf("setting base_url is not set")
		}
		var missing string
		raw = placeholderRe.ReplaceAllStringFunc(p.DefaultBaseURL, func(m string) string {
			key := m[1 : len(m)-1]
			st, _ := p.Setting(key)
			v := settingString(settings, key)
			if v == "" {
				v = st.Default
			}
			if v == "" && missing == "" {
				missing = key
			}
			if st.Kind == "shop_domain" {
				v = normalizeShopDomain(v)
			}
			return v
		})
		if missing != "" {
			return "", fmt.Errorf("setting %s is not set", missing)
		}
	}
	if err := checkBaseURL(raw); err != nil {
		return "", err
	}
	return strings.TrimRight(raw, "/"), nil
}

func settingString(settings map[string]any, key string) string {
	s, _ := settings[key].(string)
	return strings.TrimSpace(s)
}
