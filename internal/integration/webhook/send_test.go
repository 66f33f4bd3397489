package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a loopback receiver answering with the scripted answers in
// turn, then 200 with JSON.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

func newReceiver(t *testing.T, answers ...func(w http.ResponseWriter)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.requests = append(rc.requests, r)
		rc.bodies = append(rc.bodies, string(body))
		n := len(rc.requests)
		rc.mu.Unlock()
		if n <= len(answers) {
			answers[n-1](w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"attempt": %d}`, n)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.requests)
}

func status(code int, retryAfter string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, http.StatusText(code), code)
	}
}

// fakeClock starts at the real time (the context's deadline is real) and
// moves only when the client sleeps.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func testClient(clk *fakeClock) *Client {
	return &Client{HTTP: &http.Client{}, Now: clk.Now, Sleep: clk.Sleep, Rand: func(n time.Duration) time.Duration { return n }}
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Retry-After "0" and a date already past mean retry now; a fraction of a
// second is honoured; an answer asking for no wait gets the backoff (the
// fourth's, full jitter at its maximum).
func TestSendHonoursRetryAfter(t *testing.T) {
	clk := &fakeClock{now: time.Now()}
	past := clk.now.Add(-time.Minute).UTC().Format(http.TimeFormat)
	rc := newReceiver(t, status(503, "0"), status(429, past), status(503, "0.5"), status(502, ""))
	res, err := testClient(clk).Send(withTimeout(t, time.Minute), Request{
		Method: http.MethodPost, URL: rc.URL, Body: []byte("hi"), ID: "msg_1",
		Header: http.Header{"Idempotency-Key": {"mine"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{0, 0, 500 * time.Millisecond, 1600 * time.Millisecond}; !reflect.DeepEqual(clk.sleeps, want) {
		t.Errorf("waits %v, want %v", clk.sleeps, want)
	}
	if res.Attempts != 5 || res.Status != 200 || string(res.Body) != `{"attempt": 5}` || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("response %+v", res)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i, r := range rc.requests {
		if r.Header.Get(HeaderID) != "msg_1" || !reflect.DeepEqual(r.Header.Values("Idempotency-Key"), []string{"mine"}) || rc.bodies[i] != "hi" || r.Header.Get("User-Agent") != UserAgent {
			t.Errorf("attempt %d: headers %v, body %q", i+1, r.Header, rc.bodies[i])
		}
	}
}

func TestSendGivesUpAtTheDeadline(t *testing.T) {
	clk := &fakeClock{now: time.Now()}
	rc := newReceiver(t, status(503, ""), status(429, "30"))
	res, err := testClient(clk).Send(withTimeout(t, 10*time.Second), Request{Method: http.MethodPut, URL: rc.URL})
	var we *Error
	if !errors.As(err, &we) || !strings.HasPrefix(err.Error(), "webhook answered 429 Too Many Requests with Retry-After 30s, more than the ") ||
		!strings.HasSuffix(err.Error(), " left of the step's timeout: gave up after 2 attempt(s)") {
		t.Fatalf("error %v", err)
	}
	if res == nil || res.Attempts != 2 || res.Status != 429 || rc.count() != 2 || !reflect.DeepEqual(clk.sleeps, []time.Duration{200 * time.Millisecond}) {
		t.Errorf("response %+v, %d requests, waits %v", res, rc.count(), clk.sleeps)
	}
}

func TestSendNeedsADeadline(t *testing.T) {
	rc := newReceiver(t)
	res, err := testClient(&fakeClock{now: time.Now()}).Send(context.Background(), Request{Method: http.MethodPost, URL: rc.URL})
	if err == nil || !strings.Contains(err.Error(), "deadline") || res != nil || rc.count() != 0 {
		t.Fatalf("response %+v, error %v, %d requests", res, err, rc.count())
	}
}
