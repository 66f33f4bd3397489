package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/deskflow/deskflow/internal/integration/retry"
	"github.com/deskflow/deskflow/internal/outbound"
)

// MaxBody caps how much of an answer is read and kept.
const MaxBody = 1 << 20

// UserAgent is sent with every delivery.
const UserAgent = "deskflow-webhooks/1"

// Retry policy of a delivery: attempts go on while the context's deadline
// leaves time for the wait before the next one, which is the receiver's
// Retry-After or else an exponential backoff with full jitter.
const (
	backoffBase = 200 * time.Millisecond
	backoffMax  = 5 * time.Second
)

// Request is one webhook to deliver.
type Request struct {
	Method, URL string
	// Header holds the caller's headers; webhook-id and the signature
	// headers are set over them.
	Header http.Header
	Body   []byte
	// ID is the message id, the same for every attempt (and for every run
	// of the step): sent as webhook-id, and as Idempotency-Key unless Header
	// has one. "" sends neither.
	ID string
	// Key, when set, signs every attempt with a fresh timestamp (Standard
	// Webhooks); ID must then be a valid webhook-id.
	Key []byte
}

// Response is what the last attempt of a delivery got.
type Response struct {
	// Attempts is how many requests were sent.
	Attempts int
	// Status is the answer's HTTP status, 0 when the last attempt got
	// none.
	Status int
	Header http.Header
	// Body is the answer's body, at most MaxBody bytes of it.
	Body []byte
}

// Error is a delivery that failed: an answer that is neither a success
// nor retried, a request that cannot be sent, or retries that ran out of
// time. It wraps the context's error when the step's time ran out during
// a request or a wait.
type Error struct {
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Client delivers webhooks.
type Client struct {
	// HTTP is the guarded outbound client.
	HTTP *http.Client
	// Now is the clock for webhook-timestamp, Retry-After dates and the
	// time left; nil is time.Now.
	Now func() time.Time
	// Sleep waits between attempts; nil is retry.Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand is the jitter's random source (a duration in [0, n]); nil is
	// retry.Uniform.
	Rand func(n time.Duration) time.Duration
}

// Send delivers r. A 2xx answer is a success; network errors, 429, 502,
// 503 and 504 are retried within ctx's deadline, which Send requires;
// redirects are not followed and fail, like every other answer. The
// Response is nil when no request could be sent.
func (c *Client) Send(ctx context.Context, r Request) (*Response, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, errors.New("webhook: Send needs a context with a deadline to bound its retries")
	}
	var res *Response
	err := retry.Do(ctx, c.policy(), func(ctx context.Context, n int) retry.Outcome {
		req, err := c.request(ctx, r)
		if err != nil {
			return retry.Outcome{Err: &Error{Message: fmt.Sprintf("build request: %v", err)}}
		}
		res = &Response{Attempts: n}
		return c.attempt(req, res)
	})
	var stop *retry.Stop
	if !errors.As(err, &stop) {
		return res, err
	}
	last := stop.Err.Error()
	switch {
	case stop.Reason == retry.Interrupted:
		return res, &Error{Message: fmt.Sprintf("gave up after %d attempt(s) while waiting to retry; last: %s", stop.Attempts, last), Err: stop.Cause}
	case stop.Asked:
		return res, &Error{Message: fmt.Sprintf("%s with Retry-After %s, more than the %s left of the step's timeout: gave up after %d attempt(s)",
			last, stop.Wait, stop.Left.Round(time.Millisecond), stop.Attempts)}
	}
	return res, &Error{Message: fmt.Sprintf("gave up after %d attempt(s), no time left in the step's timeout for another; last: %s", stop.Attempts, last)}
}

func (c *Client) policy() retry.Policy {
	return retry.Policy{Base: backoffBase, Cap: backoffMax, Jitter: retry.FullJitter, Now: c.Now, Sleep: c.Sleep, Rand: c.Rand}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// request builds one attempt: the caller's headers, the message id, and a
// signature over a fresh timestamp.
func (c *Client) request(ctx context.Context, r Request) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	if r.Header != nil {
		req.Header = r.Header.Clone()
	}
	req.Header.Set("User-Agent", UserAgent)
	if r.ID != "" {
		req.Header.Set(HeaderID, r.ID)
		if _, set := r.Header["Idempotency-Key"]; !set {
			req.Header.Set("Idempotency-Key", r.ID)
		}
	}
	if r.Key != nil {
		at := c.now()
		req.Header.Set(HeaderTimestamp, Timestamp(at))
		req.Header.Set(HeaderSignature, Sign(r.Key, r.ID, at, r.Body))
	}
	return req, nil
}

// attempt sends req and classifies what happened, keeping the answer in
// res.
func (c *Client) attempt(req *http.Request, res *Response) retry.Outcome {
	answer, err := c.HTTP.Do(req)
	if err != nil {
		return failed(req.Context(), res.Attempts, err)
	}
	res.Status, res.Header = answer.StatusCode, answer.Header
	res.Body, _ = io.ReadAll(io.LimitReader(answer.Body, MaxBody))
	answer.Body.Close()
	code := answer.StatusCode
	status := fmt.Sprintf("%d %s", code, http.StatusText(code))
	switch {
	case code >= 200 && code <= 299:
		return retry.Outcome{}
	case code >= 300 && code <= 399:
		msg := fmt.Sprintf("webhook answered %s: redirects are not followed", status)
		if loc := answer.Header.Get("Location"); loc != "" {
			msg += fmt.Sprintf(" (Location: %s); use the final URL instead", loc)
		}
		return retry.Outcome{Err: &Error{Message: msg}}
	case code == http.StatusTooManyRequests || code == http.StatusBadGateway ||
		code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		o := retry.Outcome{Err: &Error{Message: "webhook answered " + status}, Retry: true}
		o.Wait, o.HasWait = retry.After(answer.Header, c.now())
		return o
	}
	return retry.Outcome{Err: &Error{Message: fmt.Sprintf("webhook answered %s (not retried)", status)}}
}

// failed classifies a request that got no answer: the step's time ran
// out, the guard refused the address, or a network failure that another
// attempt may not meet (retry.Transient).
func failed(ctx context.Context, attempt int, err error) retry.Outcome {
	if ctx.Err() != nil {
		return retry.Outcome{Err: &Error{Message: fmt.Sprintf("webhook request failed (attempt %d)", attempt), Err: err}}
	}
	var refused *outbound.RefusedError
	if errors.As(err, &refused) {
		return retry.Outcome{Err: &Error{Message: fmt.Sprintf("webhook request refused, not retried: %v", refused)}}
	}
	if !retry.Transient(err) {
		return retry.Outcome{Err: &Error{Message: fmt.Sprintf("webhook request failed (attempt %d, not retried): %v", attempt, err)}}
	}
	return retry.Outcome{Err: &Error{Message: fmt.Sprintf("request failed: %v", err)}, Retry: true}
}
