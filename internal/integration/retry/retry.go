// Package retry is the one retry loop of deskflow's outbound clients (the
// webhook, Slack, Teams, platform and language-model clients) and the
// pieces it is made of: reading the wait an answer asks for (After),
// capped exponential backoff with jitter (Policy.Backoff), telling
// transient network failures from permanent ones (Transient), and a sleep
// that a context cancels (Sleep).
//
// A client states only what differs: its Policy (attempts, backoff,
// clock) and, for each attempt, an Outcome saying whether the failure is
// worth another attempt and how long the answer asked to wait. Do never
// sleeps past the context's deadline: when the next wait would pass it,
// Do gives up at once with a *Stop holding the last attempt's error, so
// the client can say why.
package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/outbound"
)

// MaxAfter caps the wait an answer can ask for. Longer asks are read as
// MaxAfter: no step's deadline allows that much, so the loop gives up.
const MaxAfter = 24 * time.Hour

// After reads the wait an answer asks for: the retry-after-ms header
// (milliseconds, sent by OpenAI, Azure and Anthropic) when valid, else
// Retry-After in seconds (an integer, or a fraction such as Shopify's
// "2.0") or as an HTTP date, relative to now. "0" and dates already past
// mean retry now (0, true); an absent, negative or unparsable value is no
// hint (0, false). Waits above MaxAfter are MaxAfter.
func After(h http.Header, now time.Time) (time.Duration, bool) {
	if d, ok := decimal(h.Get("Retry-After-Ms"), time.Millisecond); ok {
		return d, true
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if d, ok := decimal(v, time.Second); ok {
		return d, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), MaxAfter), true
	}
	return 0, false
}

// decimal reads digits with an optional fraction ("3", "2.0", "0.25") as
// a count of unit, capped at MaxAfter. Signs, exponents, NaN and
// infinities are not waits.
func decimal(v string, unit time.Duration) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" || !digits(whole) || (frac != "" && !digits(frac)) || strings.HasSuffix(v, ".") {
		return 0, false
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	if n*float64(unit) >= float64(MaxAfter) {
		return MaxAfter, true
	}
	return time.Duration(n * float64(unit)), true
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Backoff is the wait after the attempt-th failed attempt (1-based): base
// doubled each time, without overflowing.
func Backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d > 0 && d <= maxDuration/2; i++ {
		d *= 2
	}
	return d
}

const maxDuration = time.Duration(1<<63 - 1)

// Sleep waits d, or until ctx is done (then it returns ctx.Err()).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Uniform returns a uniformly random duration in [0, n] (0 when n <= 0):
// the default random source of jitter.
func Uniform(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	return rand.N(n + 1)
}

// Transient reports whether a failed request (no answer) may succeed if
// tried again: connection failures, resets, time-outs and temporary DNS
// failures may; the outbound guard's refusal, certificate errors and
// unknown host names do not.
func Transient(err error) bool {
	var refused *outbound.RefusedError
	var refusedValue outbound.RefusedError
	if errors.As(err, &refused) || errors.As(err, &refusedValue) {
		return false
	}
	var (
		verification     *tls.CertificateVerificationError
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
	)
	if errors.As(err, &verification) || errors.As(err, &unknownAuthority) ||
		errors.As(err, &hostname) || errors.As(err, &invalid) {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsTimeout || dns.IsTemporary
	}
	return true
}

// Jitter is how a backoff wait is spread, so that clients that failed
// together do not retry together.
type Jitter int

const (
	// NoJitter waits the backoff itself.
	NoJitter Jitter = iota
	// FullJitter waits a uniformly random duration in [0, backoff].
	FullJitter
	// EqualJitter waits half the backoff plus a uniformly random duration
	// in [0, backoff/2].
	EqualJitter
)

// Policy is how a client retries. The zero value retries until the
// context's deadline, immediately; clients set what they need.
type Policy struct {
	// MaxAttempts bounds the attempts, the first included; 0 leaves the
	// bound to the context's deadline.
	MaxAttempts int
	// Base is the backoff after the first failed attempt; it doubles
	// after each next one, up to Cap (0: no cap). Jitter spreads it.
	Base, Cap time.Duration
	Jitter    Jitter
	// Reserve is the time an attempt needs: a wait is taken only when more
	// than Reserve is left after it before the context's deadline.
	Reserve time.Duration
	// MaxWait bounds one wait when the context has no deadline; 0 is no
	// bound.
	MaxWait time.Duration

	// Now is the clock for the time left before the deadline; nil is
	// time.Now.
	Now func() time.Time
	// Sleep waits between attempts; nil is Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a uniformly random duration in [0, n], for jitter; nil
	// is Uniform.
	Rand func(n time.Duration) time.Duration
}

// Backoff is the wait after the attempt-th failed attempt (1-based) when
// the answer asked for none: Base doubled each time, capped at Cap, with
// the policy's jitter.
func (p Policy) Backoff(attempt int) time.Duration {
	d := Backoff(p.Base, attempt)
	if p.Cap > 0 {
		d = min(d, p.Cap)
	}
	rnd := p.Rand
	if rnd == nil {
		rnd = Uniform
	}
	switch p.Jitter {
	case FullJitter:
		return rnd(d)
	case EqualJitter:
		return d/2 + rnd(d-d/2)
	}
	return d
}

func (p Policy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p Policy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return Sleep(ctx, d)
}

// check says why waiting d is not worth it (0 when it is): it would
// leave no more than Reserve before ctx's deadline (left is the time
// that was left), or, without a deadline, it exceeds MaxWait.
func (p Policy) check(ctx context.Context, d time.Duration) (why Reason, left time.Duration) {
	if dl, ok := ctx.Deadline(); ok {
		if left = dl.Sub(p.now()); left-d <= p.Reserve {
			return Deadline, left
		}
		return 0, left
	}
	if p.MaxWait > 0 && d > p.MaxWait {
		return TooLong, 0
	}
	return 0, 0
}

// Outcome is what one attempt came to.
type Outcome struct {
	// Err is the attempt's failure; nil ends Do with success.
	Err error
	// Retry says that another attempt may succeed where this one failed.
	Retry bool
	// Wait, when HasWait, is how long the answer asked to wait before the
	// next attempt (read with After, or a service's own header). It
	// replaces the backoff; when it would pass the deadline, Do gives up.
	Wait    time.Duration
	HasWait bool
	// Estimate marks Wait as a pessimistic guess (such as the time until a
	// rate limit is fully restored): it is waited when it fits before the
	// deadline, and the backoff otherwise.
	Estimate bool
}

// Do calls attempt with n = 1, 2, … until an attempt succeeds (nil) or
// fails for good (Outcome.Retry false: its error is returned as it is),
// waiting between attempts what the answer asked for or else the
// policy's backoff. It gives up with a *Stop holding the last error when
// the attempts are spent, when the next wait would pass ctx's deadline
// (or, without one, exceed MaxWait), or when ctx ends during a wait.
func Do(ctx context.Context, p Policy, attempt func(ctx context.Context, n int) Outcome) error {
	for n := 1; ; n++ {
		o := attempt(ctx, n)
		if o.Err == nil {
			return nil
		}
		if !o.Retry {
			return o.Err
		}
		stop := &Stop{Attempts: n, Err: o.Err}
		if p.MaxAttempts > 0 && n >= p.MaxAttempts {
			stop.Reason = Attempts
			return stop
		}
		stop.Wait, stop.Asked = p.wait(ctx, n, o)
		if stop.Reason, stop.Left = p.check(ctx, stop.Wait); stop.Reason != 0 {
			return stop
		}
		if err := p.sleep(ctx, stop.Wait); err != nil {
			stop.Reason, stop.Cause = Interrupted, err
			return stop
		}
	}
}

// wait is the wait after the n-th attempt: the one the answer asked for,
// else the backoff. asked says which.
func (p Policy) wait(ctx context.Context, n int, o Outcome) (d time.Duration, asked bool) {
	if o.HasWait {
		w := max(o.Wait, 0)
		if !o.Estimate {
			return w, true
		}
		if why, _ := p.check(ctx, w); why == 0 {
			return w, false
		}
	}
	return p.Backoff(n), false
}

// Reason says why Do gave up.
type Reason int

const (
	// Attempts: the policy's MaxAttempts were made.
	Attempts Reason = iota + 1
	// Deadline: the next wait would pass the context's deadline.
	Deadline
	// TooLong: the context has no deadline and the next wait is longer
	// than the policy's MaxWait.
	TooLong
	// Interrupted: the context ended during a wait.
	Interrupted
)

// Stop is the error of Do when it gave up on a failure worth retrying. It
// wraps the last attempt's error (and the context's, when Interrupted).
type Stop struct {
	Reason Reason
	// Attempts is how many attempts were made.
	Attempts int
	// Wait is the wait that was not taken (Deadline, TooLong) or was cut
	// short (Interrupted); Asked says the answer asked for it (it is not
	// a backoff).
	Wait  time.Duration
	Asked bool
	// Left is the time that was left before the context's deadline when
	// the wait was weighed (0 without a deadline).
	Left time.Duration
	// Err is the last attempt's error.
	Err error
	// Cause is the context's error (Interrupted).
	Cause error
}

func (s *Stop) Error() string {
	var why string
	switch s.Reason {
	case Attempts:
		why = "no attempts left"
	case Deadline:
		why = fmt.Sprintf("waiting %v would pass the deadline, %v away", s.Wait, s.Left.Round(time.Millisecond))
	case TooLong:
		why = fmt.Sprintf("waiting %v is too long", s.Wait)
	case Interrupted:
		why = fmt.Sprintf("interrupted while waiting %v: %v", s.Wait, s.Cause)
	}
	return fmt.Sprintf("%v (gave up after %d attempt(s): %s)", s.Err, s.Attempts, why)
}

func (s *Stop) Unwrap() []error {
	if s.Cause != nil {
		return []error{s.Err, s.Cause}
	}
	return []error{s.Err}
}
