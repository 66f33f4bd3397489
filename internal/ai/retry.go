package ai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/integration/retry"
)

// Retry policy of the provider clients, run by the retry package's loop.
// Retries happen inside the caller's context, so the step's timeout bounds
// them.
const (
	// retryBase and retryCap bound the exponential backoff: before retry n
	// (n = 0, 1, ...) the client waits a uniformly random duration in
	// [0, min(retryCap, retryBase*2^n)] ("full jitter").
	retryBase = 250 * time.Millisecond
	retryCap  = 8 * time.Second
	// maxAttempts counts the first request too.
	maxAttempts = 5
	// maxServerWait is the longest Retry-After honoured when the context
	// has no deadline; with a deadline, the time left is the limit.
	maxServerWait = 2 * time.Minute
	// maxResponseBytes caps a response body.
	maxResponseBytes = 8 << 20
)

// retrier runs one HTTP exchange with retries. Its functions are fields so
// tests can observe and skip the waits.
type retrier struct {
	maxAttempts int
	base, cap   time.Duration
	// sleep waits d or until ctx ends (then it returns ctx.Err()).
	sleep func(ctx context.Context, d time.Duration) error
	// jitter returns a uniformly random duration in [0, n].
	jitter func(n time.Duration) time.Duration
	now    func() time.Time
}

func newRetrier() retrier {
	return retrier{
		maxAttempts: maxAttempts,
		base:        retryBase,
		cap:         retryCap,
		sleep:       retry.Sleep,
		jitter:      retry.Uniform,
		now:         time.Now,
	}
}

// policy is the retrier as the retry loop's policy: full jitter, and
// without a deadline no wait longer than maxServerWait.
func (r *retrier) policy() retry.Policy {
	return retry.Policy{
		MaxAttempts: r.maxAttempts, Base: r.base, Cap: r.cap, Jitter: retry.FullJitter,
		MaxWait: maxServerWait, Now: r.now, Sleep: r.sleep, Rand: r.jitter,
	}
}

// backoff is the wait before retry n (0 for the first retry).
func (r *retrier) backoff(n int) time.Duration {
	return r.policy().Backoff(n + 1)
}

// exchange is one POST of a JSON body to a provider.
type exchange struct {
	provider string
	client   *http.Client
	url      string
	header   http.Header
	body     []byte
	// secret is the API key, redacted from every error.
	secret string
	// decodeError turns a non-2xx answer into an APIError.
	decodeError func(status int, h http.Header, body []byte) *APIError
}

// do sends x until a 2xx answer (whose body it returns), a permanent
// error, the last attempt, or the end of ctx.
func (r *retrier) do(ctx context.Context, x exchange) ([]byte, error) {
	if x.client == nil {
		return nil, fmt.Errorf("%s: no HTTP client configured", x.provider)
	}
	var answer []byte
	var last error // the previous attempt's failure
	err := retry.Do(ctx, r.policy(), func(ctx context.Context, attempt int) retry.Outcome {
		body, status, header, err := r.send(ctx, x)
		var o retry.Outcome
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return retry.Outcome{Err: ctxDone(ctx, x.provider, fmt.Sprintf("during attempt %d", attempt), last)}
			}
			err = redactErr(err, x.secret)
			o = retry.Outcome{Err: fmt.Errorf("%s: %w", x.provider, err), Retry: retryableNetError(err)}
		case status >= 200 && status <= 299:
			answer = body
			return retry.Outcome{}
		default:
			o = r.failure(x, status, header, body)
		}
		last = o.Err
		return o
	})
	var stop *retry.Stop
	if !errors.As(err, &stop) {
		return answer, err
	}
	switch stop.Reason {
	case retry.Attempts:
		return nil, fmt.Errorf("%w (gave up after %d attempts)", stop.Err, stop.Attempts)
	case retry.Deadline:
		who := "the backoff wait"
		if stop.Asked {
			who = "the provider's Retry-After"
		}
		return nil, &timeoutError{
			msg: fmt.Sprintf("%v — not retrying: %s of %v exceeds the %v left before the step's timeout (after %s)",
				stop.Err, who, stop.Wait, stop.Left.Round(time.Millisecond), plural(stop.Attempts, "attempt")),
			last: stop.Err,
		}
	case retry.TooLong:
		return nil, fmt.Errorf("%w — not retrying: the provider asks to wait %v, longer than %v", stop.Err, stop.Wait, maxServerWait)
	}
	return nil, ctxDone(ctx, x.provider, fmt.Sprintf("while waiting %v to retry after attempt %d", stop.Wait, stop.Attempts), stop.Err)
}

// failure explains an error answer as an APIError, worth another attempt
// after the wait the provider asks for (retry-after-ms, Retry-After), or,
// for a 429 without one, until the exhausted rate limit is restored when
// the time allows.
func (r *retrier) failure(x exchange, status int, header http.Header, body []byte) retry.Outcome {
	apiErr := x.decodeError(status, header, body)
	apiErr.Provider = x.provider
	apiErr.Message = redact(apiErr.Message, x.secret)
	o := retry.Outcome{Err: apiErr, Retry: retryableAnswer(apiErr, header)}
	if d, ok := retry.After(header, r.now()); ok {
		o.Wait, o.HasWait = d, true
	} else if d, ok := rateLimitReset(header); ok && status == http.StatusTooManyRequests {
		o.Wait, o.HasWait, o.Estimate = d, true, true
	}
	return o
}

// send makes one attempt; err is a transport error (including a failure to
// read the body).
func (r *retrier) send(ctx context.Context, x exchange) ([]byte, int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, x.url, bytes.NewReader(x.body))
	if err != nil {
		return nil, 0, nil, err
	}
	req.Header = x.header.Clone()
	resp, err := x.client.Do(req)
	if err != nil {
		return nil, 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, 0, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(body) > maxResponseBytes {
		return nil, 0, nil, &permanentError{fmt.Errorf("answer larger than %d bytes", maxResponseBytes)}
	}
	return body, resp.StatusCode, resp.Header, nil
}

// ctxDone reports the end of ctx (when, e.g. "during attempt 2"), with the
// last error seen.
func ctxDone(ctx context.Context, provider, when string, last error) error {
	cause := ctx.Err()
	if cause == nil { // a sleep that failed on its own
		cause = context.Canceled
	}
	what := "canceled"
	if errors.Is(cause, context.DeadlineExceeded) {
		what = "timed out (the step's timeout was reached)"
	}
	msg := fmt.Sprintf("%s: %s %s", provider, what, when)
	if last != nil {
		msg += fmt.Sprintf(" (last error: %v)", last)
	}
	return &timeoutError{msg: msg, last: last, cause: cause}
}

// timeoutError is a failure because the context ended or would end before
// a retry. It matches context.DeadlineExceeded (or the context's error)
// and the last provider error with errors.Is/As.
type timeoutError struct {
	msg   string
	last  error
	cause error // nil: context.DeadlineExceeded
}

func (e *timeoutError) Error() string { return e.msg }

func (e *timeoutError) Unwrap() []error {
	cause := e.cause
	if cause == nil {
		cause = context.DeadlineExceeded
	}
	if e.last == nil {
		return []error{cause}
	}
	return []error{cause, e.last}
}

// permanentError marks a transport-level failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// retryableNetError tells transient network failures (connection refused
// or reset, timeouts, a cut body) from permanent ones: an oversized answer,
// and what retry.Transient says is permanent (the SSRF guard's refusal,
// certificate errors, an unknown host name).
func retryableNetError(err error) bool {
	var perm *permanentError
	return !errors.As(err, &perm) && retry.Transient(err)
}

// retryableAnswer says whether an error answer is worth retrying: 429 (but
// not an exhausted quota or spend limit, which waiting does not fix), 500,
// 502, 503, 504 and 529 (Anthropic's "overloaded"). The providers'
// x-should-retry header, when present, overrides the status.
func retryableAnswer(e *APIError, h http.Header) bool {
	switch strings.ToLower(strings.TrimSpace(h.Get("X-Should-Retry"))) {
	case "true":
		return true
	case "false":
		return false
	}
	switch e.StatusCode {
	case http.StatusTooManyRequests:
		switch e.Code {
		case "insufficient_quota", "enforced_spend_limit_reached":
			return false
		}
		return e.Type != "insufficient_quota"
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout, 529:
		return true
	}
	return false
}

// rateLimitReset reads OpenAI's x-ratelimit-reset-requests/-tokens (Go
// durations such as "20s", "6m0s", "12ms") for the limits whose
// x-ratelimit-remaining-* is 0, and returns the longest. It is the time
// until the limit is fully restored, so a pessimistic hint: a 429 without
// Retry-After waits that long only when the time allows, else it backs off
// as usual.
func rateLimitReset(h http.Header) (time.Duration, bool) {
	var wait time.Duration
	found := false
	for _, kind := range []string{"requests", "tokens"} {
		if strings.TrimSpace(h.Get("X-Ratelimit-Remaining-"+kind)) != "0" {
			continue
		}
		if d, err := time.ParseDuration(strings.TrimSpace(h.Get("X-Ratelimit-Reset-" + kind))); err == nil && d >= 0 {
			wait, found = max(wait, d), true
		}
	}
	return wait, found
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
