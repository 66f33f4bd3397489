package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/outbound"
)

func TestAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{"none", nil, 0, false},
		{"empty", map[string]string{"Retry-After": " "}, 0, false},
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{"seconds with spaces", map[string]string{"Retry-After": " 120 "}, 2 * time.Minute, true},
		{"zero is retry now", map[string]string{"Retry-After": "0"}, 0, true},
		{"fraction", map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond, true},
		{"Shopify's 2.0", map[string]string{"Retry-After": "2.0"}, 2 * time.Second, true},
		{"HTTP date ahead", map[string]string{"Retry-After": "Sun, 01 Mar 2026 12:00:30 GMT"}, 30 * time.Second, true},
		{"HTTP date ahead, from now", map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second, true},
		{"HTTP date past is retry now", map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0, true},
		{"milliseconds first", map[string]string{"Retry-After-Ms": "1234", "Retry-After": "2"}, 1234 * time.Millisecond, true},
		{"fractional milliseconds", map[string]string{"Retry-After-Ms": "12.5"}, 12500 * time.Microsecond, true},
		{"zero milliseconds", map[string]string{"Retry-After-Ms": "0"}, 0, true},
		{"bad milliseconds, Retry-After read", map[string]string{"Retry-After-Ms": "soon", "Retry-After": "3"}, 3 * time.Second, true},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
		{"negative", map[string]string{"Retry-After": "-3"}, 0, false},
		{"negative milliseconds", map[string]string{"Retry-After-Ms": "-3"}, 0, false},
		{"plus sign", map[string]string{"Retry-After": "+5"}, 0, false},
		{"exponent", map[string]string{"Retry-After": "1e3"}, 0, false},
		{"infinity", map[string]string{"Retry-After": "Inf"}, 0, false},
		{"NaN", map[string]string{"Retry-After": "NaN"}, 0, false},
		{"no digits before the point", map[string]string{"Retry-After": ".5"}, 0, false},
		{"no digits after the point", map[string]string{"Retry-After": "2."}, 0, false},
		{"two points", map[string]string{"Retry-After": "1.2.3"}, 0, false},
		{"absurd seconds are capped", map[string]string{"Retry-After": "999999999"}, MaxAfter, true},
		{"beyond int64 is capped", map[string]string{"Retry-After": "99999999999999999999"}, MaxAfter, true},
		{"absurd date is capped", map[string]string{"Retry-After": "Fri, 01 Mar 2030 12:00:00 GMT"}, MaxAfter, true},
		{"rate limit headers are not Retry-After", map[string]string{"X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Reset-Requests": "6m0s"}, 0, false},
	} {
		h := http.Header{}
		for k, v := range tc.header {
			h.Set(k, v)
		}
		got, ok := After(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: After = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPolicyBackoff(t *testing.T) {
	ms := time.Millisecond
	maxed := func(n time.Duration) time.Duration { return n }
	none := func(time.Duration) time.Duration { return 0 }
	for _, tc := range []struct {
		name string
		p    Policy
		want []time.Duration
	}{
		{"exponential", Policy{Base: 500 * ms}, []time.Duration{500 * ms, time.Second, 2 * time.Second, 4 * time.Second}},
		{"capped", Policy{Base: 200 * ms, Cap: 5 * time.Second}, []time.Duration{200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 5 * time.Second, 5 * time.Second}},
		{"full jitter at its maximum", Policy{Base: 250 * ms, Cap: 8 * time.Second, Jitter: FullJitter, Rand: maxed}, []time.Duration{250 * ms, 500 * ms, time.Second}},
		{"full jitter at its minimum", Policy{Base: 250 * ms, Jitter: FullJitter, Rand: none}, []time.Duration{0, 0, 0}},
		{"equal jitter at its minimum", Policy{Base: 250 * ms, Jitter: EqualJitter, Rand: none}, []time.Duration{125 * ms, 250 * ms, 500 * ms}},
		{"equal jitter at its maximum", Policy{Base: 250 * ms, Jitter: EqualJitter, Rand: maxed}, []time.Duration{250 * ms, 500 * ms, time.Second}},
	} {
		var got []time.Duration
		for n := 1; n <= len(tc.want); n++ {
			got = append(got, tc.p.Backoff(n))
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if d := (Policy{Base: time.Second}).Backoff(200); d <= 0 {
		t.Errorf("backoff overflowed: %v", d)
	}
	if d := (Policy{Base: time.Second, Cap: time.Minute}).Backoff(200); d != time.Minute {
		t.Errorf("capped backoff after 200 attempts: %v", d)
	}
	// The default random source: within [0, n] and not constant.
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := (Policy{Base: 200 * ms, Jitter: FullJitter}).Backoff(1)
		if d < 0 || d > 200*ms {
			t.Fatalf("jitter %v outside [0, 200ms]", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Errorf("jitter is not random: %d distinct values", len(seen))
	}
	if Uniform(0) != 0 || Uniform(-time.Second) != 0 {
		t.Error("Uniform of nothing is not 0")
	}
}

// clock is a fake clock whose sleeps advance it at once.
type clock struct {
	now    time.Time
	sleeps []time.Duration
}

func (c *clock) Now() time.Time { return c.now }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// deadlineCtx has a deadline on the fake clock and is never done by
// itself.
type deadlineCtx struct {
	context.Context
	deadline time.Time
}

func (c deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }

var errBusy = errors.New("busy")

// answers makes an attempt function from a list of outcomes (the last
// one repeats) and counts the calls.
func answers(calls *int, outcomes ...Outcome) func(context.Context, int) Outcome {
	return func(_ context.Context, n int) Outcome {
		*calls++
		if n != *calls {
			panic(fmt.Sprintf("attempt %d on call %d", n, *calls))
		}
		return outcomes[min(n, len(outcomes))-1]
	}
}

func TestDo(t *testing.T) {
	ms := time.Millisecond
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	busy := Outcome{Err: errBusy, Retry: true}
	asked := func(d time.Duration) Outcome { return Outcome{Err: errBusy, Retry: true, Wait: d, HasWait: true} }
	estimate := func(d time.Duration) Outcome {
		return Outcome{Err: errBusy, Retry: true, Wait: d, HasWait: true, Estimate: true}
	}
	base := Policy{Base: 500 * ms}
	with := func(f func(*Policy)) Policy { p := base; f(&p); return p }
	for _, tc := range []struct {
		name     string
		policy   Policy
		timeout  time.Duration // 0: no deadline
		outcomes []Outcome
		calls    int
		sleeps   []time.Duration
		reason   Reason // 0: success or a final error
		err      error
	}{
		{"success at once", base, time.Minute, []Outcome{{}}, 1, nil, 0, nil},
		{"success after backoff", base, time.Minute, []Outcome{busy, busy, {}}, 3, []time.Duration{500 * ms, time.Second}, 0, nil},
		{"final error returned as it is", base, time.Minute, []Outcome{busy, {Err: errBusy}}, 2, []time.Duration{500 * ms}, 0, errBusy},
		{"max attempts", with(func(p *Policy) { p.MaxAttempts = 3 }), time.Minute, []Outcome{busy}, 3, []time.Duration{500 * ms, time.Second}, Attempts, nil},
		{"gives up when the backoff would pass the deadline", base, 2 * time.Second, []Outcome{busy}, 3, []time.Duration{500 * ms, time.Second}, Deadline, nil},
		{"Retry-After over backoff", base, time.Minute, []Outcome{asked(3 * time.Second), asked(0), {}}, 3, []time.Duration{3 * time.Second, 0}, 0, nil},
		{"Retry-After beyond the deadline: no wait", base, 10 * time.Second, []Outcome{asked(30 * time.Second)}, 1, nil, Deadline, nil},
		{"Retry-After equal to the time left: no wait", base, 10 * time.Second, []Outcome{asked(10 * time.Second)}, 1, nil, Deadline, nil},
		{"negative wait is none", base, time.Minute, []Outcome{asked(-time.Second), {}}, 2, []time.Duration{0}, 0, nil},
		{"estimate that fits", base, time.Minute, []Outcome{estimate(20 * time.Second), {}}, 2, []time.Duration{20 * time.Second}, 0, nil},
		{"estimate beyond the deadline: backoff", base, 30 * time.Second, []Outcome{estimate(6 * time.Minute), {}}, 2, []time.Duration{500 * ms}, 0, nil},
		{"reserve kept for the attempt", with(func(p *Policy) { p.Reserve = 500 * ms }), 3 * time.Second, []Outcome{asked(2 * time.Second), asked(2500 * ms)}, 2, []time.Duration{2 * time.Second}, Deadline, nil},
		{"no deadline: no bound", base, 0, []Outcome{asked(time.Hour), {}}, 2, []time.Duration{time.Hour}, 0, nil},
		{"no deadline: MaxWait", with(func(p *Policy) { p.MaxWait = time.Minute }), 0, []Outcome{asked(time.Minute), asked(61 * time.Second)}, 2, []time.Duration{time.Minute}, TooLong, nil},
		{"no deadline: estimate beyond MaxWait is a backoff", with(func(p *Policy) { p.MaxWait = time.Minute }), 0, []Outcome{estimate(2 * time.Minute), {}}, 2, []time.Duration{500 * ms}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &clock{now: start}
			p := tc.policy
			p.Now, p.Sleep = c.Now, c.Sleep
			ctx := context.Background()
			if tc.timeout > 0 {
				ctx = deadlineCtx{ctx, start.Add(tc.timeout)}
			}
			calls := 0
			err := Do(ctx, p, answers(&calls, tc.outcomes...))
			if calls != tc.calls || !reflect.DeepEqual(c.sleeps, tc.sleeps) {
				t.Errorf("%d attempts, sleeps %v; want %d, %v", calls, c.sleeps, tc.calls, tc.sleeps)
			}
			var stop *Stop
			switch {
			case tc.reason != 0:
				if !errors.As(err, &stop) || stop.Reason != tc.reason || stop.Attempts != tc.calls || !errors.Is(err, errBusy) {
					t.Fatalf("error %v, want a stop for reason %d after %d attempts wrapping the last error", err, tc.reason, tc.calls)
				}
			case tc.err != nil:
				if err != tc.err {
					t.Errorf("error %v, want %v as it is", err, tc.err)
				}
			case err != nil:
				t.Errorf("error %v", err)
			}
		})
	}
}

func TestDoStopDetails(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := &clock{now: start}
	p := Policy{Base: time.Second, Now: c.Now, Sleep: c.Sleep}
	ctx := deadlineCtx{context.Background(), start.Add(10 * time.Second)}
	calls := 0
	err := Do(ctx, p, answers(&calls, Outcome{Err: errBusy, Retry: true}, Outcome{Err: errBusy, Retry: true, Wait: 20 * time.Second, HasWait: true}))
	var stop *Stop
	if !errors.As(err, &stop) {
		t.Fatalf("error %v", err)
	}
	want := Stop{Reason: Deadline, Attempts: 2, Wait: 20 * time.Second, Asked: true, Left: 9 * time.Second, Err: errBusy}
	if *stop != want {
		t.Errorf("stop %+v, want %+v", *stop, want)
	}
	if msg := err.Error(); msg != "busy (gave up after 2 attempt(s): waiting 20s would pass the deadline, 9s away)" {
		t.Errorf("message %q", msg)
	}
}

func TestDoStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	var waits []time.Duration
	p := Policy{Base: time.Second, Sleep: func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		cancel() // the step is cancelled during the wait
		return ctx.Err()
	}}
	err := Do(ctx, p, answers(&calls, Outcome{Err: errBusy, Retry: true}))
	var stop *Stop
	if !errors.As(err, &stop) || stop.Reason != Interrupted || stop.Wait != time.Second {
		t.Fatalf("error %v", err)
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errBusy) {
		t.Errorf("error %v does not wrap the context's and the last error", err)
	}
	if calls != 1 || len(waits) != 1 {
		t.Errorf("%d attempts, waits %v", calls, waits)
	}
}

func TestSleep(t *testing.T) {
	cancelled, stop := context.WithCancel(context.Background())
	stop()
	if err := Sleep(cancelled, time.Hour); err != context.Canceled {
		t.Errorf("sleep on a cancelled context: %v", err)
	}
	if err := Sleep(cancelled, 0); err != context.Canceled {
		t.Errorf("no sleep on a cancelled context: %v", err)
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Errorf("no sleep: %v", err)
	}
	if err := Sleep(context.Background(), time.Nanosecond); err != nil {
		t.Errorf("sleep: %v", err)
	}
	if Backoff(500*time.Millisecond, 1) != 500*time.Millisecond || Backoff(500*time.Millisecond, 3) != 2*time.Second {
		t.Errorf("backoff")
	}
}

func TestTransient(t *testing.T) {
	refused := outbound.Check(netip.MustParseAddr("10.0.0.1"), nil)
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, true},
		{"reset", errors.New("read: connection reset by peer"), true},
		{"deadline", context.DeadlineExceeded, true},
		{"guard refusal", &url.Error{Op: "Post", URL: "http://x", Err: refused}, false},
		{"guard refusal as a value", fmt.Errorf("dial: %w", *refused.(*outbound.RefusedError)), false},
		{"unknown authority", &url.Error{Err: x509.UnknownAuthorityError{}}, false},
		{"wrong host", x509.HostnameError{Host: "x"}, false},
		{"invalid certificate", x509.CertificateInvalidError{}, false},
		{"verification", &tls.CertificateVerificationError{Err: errors.New("bad")}, false},
		{"unknown host", &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}, false},
		{"DNS time-out", &net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}, true},
		{"temporary DNS failure", &net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}, true},
	} {
		if got := Transient(tc.err); got != tc.want {
			t.Errorf("%s: Transient = %v, want %v", tc.name, got, tc.want)
		}
	}
}
