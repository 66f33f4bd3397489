package action

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/outbound"
	"github.com/deskflow/deskflow/internal/template"
)

// These tests send real requests through the guarded outbound client to
// loopback receivers. The ones that replace the package's clock, sleep and
// jitter hooks do not run in parallel.

const webhookTestKey = "01JTESTRUN00000000000000AB-0-2"

var webhookTestSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// webhookFakeTime replaces the clock, the sleep and the jitter: sleeping
// advances the clock at once, and the jitter is the ceiling, so that retry
// schedules are exact.
type webhookFakeTime struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func fakeWebhookTime(t *testing.T) *webhookFakeTime {
	t.Helper()
	f := &webhookFakeTime{now: time.Now().Truncate(time.Second)}
	oldNow, oldSleep, oldJitter := webhookNow, webhookSleep, webhookJitter
	webhookNow = f.Now
	webhookSleep = f.Sleep
	webhookJitter = func(max time.Duration) time.Duration { return max }
	t.Cleanup(func() { webhookNow, webhookSleep, webhookJitter = oldNow, oldSleep, oldJitter })
	return f
}

func (f *webhookFakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *webhookFakeTime) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.now = f.now.Add(d)
	return nil
}

func (f *webhookFakeTime) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sleeps)
}

// webhookReceiver is a loopback receiver that records every request and
// answers with answer(n), n counting from 1.
type webhookReceiver struct {
	*httptest.Server
	clock    *webhookFakeTime
	answer   func(n int, w http.ResponseWriter, r *http.Request)
	mu       sync.Mutex
	requests []webhookRequest
}

type webhookRequest struct {
	Method, Path string
	Header       http.Header
	Body         []byte
	// ClockAt is the fake clock when the request arrived (the time it was
	// signed: only sleeping moves the fake clock).
	ClockAt time.Time
}

func newWebhookReceiver(t *testing.T, clock *webhookFakeTime, answer func(n int, w http.ResponseWriter, r *http.Request)) *webhookReceiver {
	t.Helper()
	rc := &webhookReceiver{clock: clock, answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := webhookRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
		if rc.clock != nil {
			req.ClockAt = rc.clock.Now()
		}
		rc.mu.Lock()
		rc.requests = append(rc.requests, req)
		n := len(rc.requests)
		rc.mu.Unlock()
		if rc.answer == nil {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"ok": true}`)
			return
		}
		rc.answer(n, w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *webhookReceiver) Requests() []webhookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.requests)
}

// answerStatuses answers the given statuses in turn, then 200 with JSON.
func answerStatuses(codes ...int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= len(codes) {
			http.Error(w, http.StatusText(codes[n-1]), codes[n-1])
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"attempt": %d}`, n)
	}
}

// webhookConnectors is a ConnectorSource with fixed connectors.
type webhookConnectors map[string]*connector.Connector

func (f webhookConnectors) Connector(_ context.Context, _ int64, id string) (*connector.Connector, error) {
	c, ok := f[id]
	if !ok {
		return nil, fmt.Errorf("connector %s not found", id)
	}
	return c, nil
}

func (f webhookConnectors) UpdateCredentials(context.Context, int64, string, map[string]string) error {
	return errors.New("read-only")
}

// webhookDials records the raw dials the guarded client makes (after its
// checks passed).
type webhookDials struct {
	mu    sync.Mutex
	addrs []string
}

func (d *webhookDials) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (d *webhookDials) Addrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.addrs)
}

const webhookTestSubject = "He said \"hi\" \\ back\nnew\tline — ünïcödé 🎉 \u2028 </script> \x01 {{not a template}}"

func newWebhookExec(params map[string]any) (*Exec, *webhookDials) {
	dials := &webhookDials{}
	return &Exec{
		WorkspaceID: 1,
		RunID:       "01JTESTRUN00000000000000AB",
		Parameters:  params,
		Data: map[string]any{
			"ticket":       map[string]any{"id": "T-1", "subject": webhookTestSubject},
			"customer":     map[string]any{"name": "Eve", "email": "eve@example.com", "isVip": true},
			"message":      map[string]any{},
			"customFields": map[string]any{"token": "tok-123"},
			"variables":    map[string]any{},
		},
		IdempotencyKey: webhookTestKey,
		Services: &Services{
			HTTP: outbound.NewClient(outbound.Options{
				Allow:       []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
				DialContext: dials.dial,
			}),
			Connectors: webhookConnectors{
				"hook":  {ID: "hook", Type: "webhook", Credentials: map[string]string{"signing_secret": webhookTestSecret}},
				"bad":   {ID: "bad", Type: "webhook", Credentials: map[string]string{"signing_secret": "whsec_short"}},
				"slack": {ID: "slack", Type: "slack", Credentials: map[string]string{"bot_token": "x"}},
			},
		},
	}, dials
}

func runWebhookFor(t *testing.T, x *Exec, timeout time.Duration) (map[string]any, error) {
	t.Helper()
	def, ok := Lookup("send_webhook")
	if !ok {
		t.Fatal("send_webhook is not registered")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := def.Run(ctx, x)
	if out == nil {
		return nil, err
	}
	m, ok := out.(map[string]any)
	if !ok {
		t.Fatalf("output is %T", out)
	}
	return m, err
}

func verifyStandardWebhook(t *testing.T, req webhookRequest) error {
	t.Helper()
	v, err := standardwebhooks.NewWebhook(webhookTestSecret)
	if err != nil {
		t.Fatal(err)
	}
	return v.Verify(req.Body, req.Header)
}

func TestWebhookJSONBodyStaysValid(t *testing.T) {
	rc := newWebhookReceiver(t, nil, nil)
	x, _ := newWebhookExec(map[string]any{
		"url":  rc.URL + "/notify",
		"body": `{"ticketId": "{{ticket.id}}", "subject": "{{ticket.subject}}", "vip": {{customer.isVip}}, "missing": {{customFields.nope}}}`,
	})
	out, err := runWebhookFor(t, x, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	reqs := rc.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/notify" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if !json.Valid(r.Body) {
		t.Fatalf("body is not valid JSON: %s", r.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ticketId": "T-1", "subject": webhookTestSubject, "vip": true, "missing": nil}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded body %#v, want %#v", got, want)
	}
	if x.Input["body"] != string(r.Body) {
		t.Errorf("recorded body %q, sent %q", x.Input["body"], r.Body)
	}
	if out["status"] != 200 || out["attempts"] != 1 {
		t.Errorf("output %v", out)
	}
}

func TestWebhookTextBody(t *testing.T) {
	rc := newWebhookReceiver(t, nil, nil)
	// Not JSON: sent as the text it renders to, quotes untouched.
	x, _ := newWebhookExec(map[string]any{
		"url":  rc.URL,
		"body": `Ticket {{ticket.id}}: {{ticket.subject}}`,
	})
	if _, err := runWebhookFor(t, x, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// A JSON-looking body declared as text is text too.
	x2, _ := newWebhookExec(map[string]any{
		"url":     rc.URL,
		"headers": map[string]any{"Content-Type": "text/plain; charset=utf-8"},
		"body":    `{"s": "{{ticket.subject}}"}`,
	})
	if _, err := runWebhookFor(t, x2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	reqs := rc.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	if got, want := string(reqs[0].Body), "Ticket T-1: "+webhookTestSubject; got != want {
		t.Errorf("text body %q, want %q", got, want)
	}
	if ct := reqs[0].Header.Get("Content-Type"); strings.Contains(ct, "json") {
		t.Errorf("text body sent as %q", ct)
	}
	if got, want := string(reqs[1].Body), `{"s": "`+webhookTestSubject+`"}`; got != want {
		t.Errorf("text/plain body %q, want %q", got, want)
	}
	if ct := reqs[1].Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestWebhookMethodAndHeaders(t *testing.T) {
	rc := newWebhookReceiver(t, nil, nil)
	x, _ := newWebhookExec(map[string]any{
		"url":    rc.URL + "/tickets/{{ticket.id}}",
		"method": "put",
		"headers": map[string]any{
			"Authorization": "Bearer {{customFields.token}}",
			"X-Customer":    "{{customer.name}} <{{customer.email}}>",
			"X-Count":       3,
			"webhook-id":    "user-chosen", // the step's key wins
		},
		"body": `{"id": "{{ticket.id}}"}`,
	})
	if _, err := runWebhookFor(t, x, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// GET without a body, and a user's own Idempotency-Key is kept.
	x2, _ := newWebhookExec(map[string]any{
		"url":     rc.URL + "/status",
		"method":  "GET",
		"headers": map[string]any{"idempotency-key": "mine-{{ticket.id}}"},
	})
	if _, err := runWebhookFor(t, x2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	reqs := rc.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPut || r.Path != "/tickets/T-1" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	for k, want := range map[string]string{
		"Authorization":   "Bearer tok-123",
		"X-Customer":      "Eve <eve@example.com>",
		"X-Count":         "3",
		"User-Agent":      "deskflow-webhooks/1",
		"Webhook-Id":      webhookTestKey,
		"Idempotency-Key": webhookTestKey,
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if r.Header.Get("webhook-signature") != "" || r.Header.Get("webhook-timestamp") != "" {
		t.Errorf("signed without a connector: %v", r.Header)
	}
	if x.Input["method"] != "PUT" || x.Input["url"] != rc.URL+"/tickets/T-1" {
		t.Errorf("recorded input %v", x.Input)
	}
	g := reqs[1]
	if g.Method != http.MethodGet || len(g.Body) != 0 || g.Header.Get("Content-Length") != "" {
		t.Errorf("GET %s with body %q, Content-Length %q", g.Path, g.Body, g.Header.Get("Content-Length"))
	}
	if got := g.Header.Values("Idempotency-Key"); !reflect.DeepEqual(got, []string{"mine-T-1"}) {
		t.Errorf("Idempotency-Key %q", got)
	}
}

func TestWebhookSignatureVerifies(t *testing.T) {
	rc := newWebhookReceiver(t, nil, nil)
	x, _ := newWebhookExec(map[string]any{
		"url":         rc.URL,
		"connectorId": "hook",
		"body":        `{"subject": "{{ticket.subject}}"}`,
	})
	before := time.Now().Unix()
	if _, err := runWebhookFor(t, x, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	after := time.Now().Unix()
	reqs := rc.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Header.Get("webhook-id") != webhookTestKey {
		t.Errorf("webhook-id %q", r.Header.Get("webhook-id"))
	}
	ts, err := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	if err != nil || ts < before || ts > after {
		t.Errorf("webhook-timestamp %q not integer seconds of now (%d..%d)", r.Header.Get("webhook-timestamp"), before, after)
	}
	if sig := r.Header.Get("webhook-signature"); !strings.HasPrefix(sig, "v1,") {
		t.Errorf("webhook-signature %q", sig)
	}
	// The official Standard Webhooks Go library, as a receiver would use it.
	if err := verifyStandardWebhook(t, r); err != nil {
		t.Fatalf("official verifier refused the request: %v", err)
	}
	tampered := r
	tampered.Body = []byte(strings.Replace(string(r.Body), "hi", "ho", 1))
	if err := verifyStandardWebhook(t, tampered); err == nil {
		t.Error("tampered body verified")
	}
	other := r
	other.Header = r.Header.Clone()
	other.Header.Set("webhook-id", webhookTestKey+"x")
	if err := verifyStandardWebhook(t, other); err == nil {
		t.Error("other webhook-id verified")
	}
}

func TestWebhookConnectorErrors(t *testing.T) {
	rc := newWebhookReceiver(t, nil, nil)
	for id, want := range map[string]string{
		"slack":   "of type slack, not webhook",
		"bad":     "signing secret must be whsec_",
		"missing": "not found",
	} {
		x, _ := newWebhookExec(map[string]any{"url": rc.URL, "connectorId": id, "body": "x"})
		_, err := runWebhookFor(t, x, 5*time.Second)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("connector %s: error %v, want %q", id, err, want)
		}
	}
	if n := len(rc.Requests()); n != 0 {
		t.Errorf("%d requests sent without a usable connector", n)
	}
}

func TestWebhookRetriesKeepIDAndRefreshTimestamp(t *testing.T) {
	clock := fakeWebhookTime(t)
	rc := newWebhookReceiver(t, clock, answerStatuses(503, 503))
	x, dials := newWebhookExec(map[string]any{
		"url":         rc.URL,
		"connectorId": "hook",
		"body":        `{"subject": "{{ticket.subject}}"}`,
	})
	out, err := runWebhookFor(t, x, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	reqs := rc.Requests()
	if len(reqs) != 3 || out["attempts"] != 3 || out["status"] != 200 {
		t.Fatalf("%d requests, output %v", len(reqs), out)
	}
	if got, want := clock.Sleeps(), []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}; !reflect.DeepEqual(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	for i, r := range reqs {
		if r.Header.Get("webhook-id") != webhookTestKey || r.Header.Get("Idempotency-Key") != webhookTestKey {
			t.Errorf("attempt %d: webhook-id %q, Idempotency-Key %q", i+1, r.Header.Get("webhook-id"), r.Header.Get("Idempotency-Key"))
		}
		if string(r.Body) != string(reqs[0].Body) {
			t.Errorf("attempt %d: body changed", i+1)
		}
		if got, want := r.Header.Get("webhook-timestamp"), strconv.FormatInt(r.ClockAt.Unix(), 10); got != want {
			t.Errorf("attempt %d: webhook-timestamp %s, want the attempt's time %s", i+1, got, want)
		}
		if err := verifyStandardWebhook(t, r); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
	}
	// Answers were read and closed between attempts: one connection served all.
	if d := dials.Addrs(); len(d) != 1 {
		t.Errorf("dials %v, want one reused connection", d)
	}
}

func TestWebhookRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value func(now time.Time) string
		want  time.Duration
	}{
		{"seconds", func(time.Time) string { return "1" }, time.Second},
		{"http-date", func(now time.Time) string { return now.Add(3 * time.Second).UTC().Format(http.TimeFormat) }, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := fakeWebhookTime(t)
			rc := newWebhookReceiver(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", tc.value(clock.Now()))
					http.Error(w, "slow down", http.StatusTooManyRequests)
					return
				}
				fmt.Fprint(w, "ok")
			})
			x, _ := newWebhookExec(map[string]any{"url": rc.URL, "connectorId": "hook", "body": "hello"})
			out, err := runWebhookFor(t, x, 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got := clock.Sleeps(); !reflect.DeepEqual(got, []time.Duration{tc.want}) {
				t.Errorf("waits %v, want [%v]", got, tc.want)
			}
			reqs := rc.Requests()
			if len(reqs) != 2 || out["attempts"] != 2 || out["body"] != "ok" {
				t.Fatalf("%d requests, output %v", len(reqs), out)
			}
			t0, _ := strconv.ParseInt(reqs[0].Header.Get("webhook-timestamp"), 10, 64)
			t1, _ := strconv.ParseInt(reqs[1].Header.Get("webhook-timestamp"), 10, 64)
			if t1-t0 != int64(tc.want/time.Second) {
				t.Errorf("timestamps %d then %d: not fresh per attempt", t0, t1)
			}
			if reqs[0].Header.Get("webhook-signature") == reqs[1].Header.Get("webhook-signature") {
				t.Error("same signature for different timestamps")
			}
			for _, r := range reqs {
				if err := verifyStandardWebhook(t, r); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestWebhookRetrySchedule(t *testing.T) {
	t.Run("502 and 504", func(t *testing.T) {
		clock := fakeWebhookTime(t)
		rc := newWebhookReceiver(t, clock, answerStatuses(502, 504))
		x, _ := newWebhookExec(map[string]any{"url": rc.URL, "body": "x"})
		out, err := runWebhookFor(t, x, 30*time.Second)
		if err != nil || out["attempts"] != 3 || len(rc.Requests()) != 3 {
			t.Fatalf("err %v, output %v, %d requests", err, out, len(rc.Requests()))
		}
	})
	t.Run("exponential, capped", func(t *testing.T) {
		clock := fakeWebhookTime(t)
		rc := newWebhookReceiver(t, clock, answerStatuses(503, 503, 503, 503, 503, 503, 503, 503))
		x, _ := newWebhookExec(map[string]any{"url": rc.URL, "body": "x"})
		out, err := runWebhookFor(t, x, 60*time.Second)
		if err != nil || out["attempts"] != 9 {
			t.Fatalf("err %v, output %v", err, out)
		}
		ms := time.Millisecond
		want := []time.Duration{200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 5000 * ms, 5000 * ms, 5000 * ms}
		if got := clock.Sleeps(); !reflect.DeepEqual(got, want) {
			t.Errorf("waits %v, want %v", got, want)
		}
	})
	t.Run("full jitter", func(t *testing.T) {
		seen := map[time.Duration]bool{}
		for range 1000 {
			d := webhookJitter(200 * time.Millisecond)
			if d < 0 || d > 200*time.Millisecond {
				t.Fatalf("jitter %v outside [0, 200ms]", d)
			}
			seen[d] = true
		}
		if len(seen) < 100 {
			t.Errorf("jitter is not random: %d distinct values", len(seen))
		}
	})
}

func TestWebhookNotRetried(t *testing.T) {
	for _, code := range []int{500, 404, 400, 401, 410, 422} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			clock := fakeWebhookTime(t)
			rc := newWebhookReceiver(t, clock, answerStatuses(code))
			x, _ := newWebhookExec(map[string]any{"url": rc.URL, "body": "x"})
			out, err := runWebhookFor(t, x, 30*time.Second)
			if err == nil || !IsStepError(err) || !strings.Contains(err.Error(), strconv.Itoa(code)) {
				t.Fatalf("error %v", err)
			}
			if len(rc.Requests()) != 1 || len(clock.Sleeps()) != 0 {
				t.Errorf("%d requests, waits %v", len(rc.Requests()), clock.Sleeps())
			}
			if out["status"] != code || out["attempts"] != 1 {
				t.Errorf("output %v", out)
			}
		})
	}
}

func TestWebhookNetworkErrorRetried(t *testing.T) {
	t.Run("connection closed without an answer", func(t *testing.T) {
		clock := fakeWebhookTime(t)
		rc := newWebhookReceiver(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			fmt.Fprint(w, `{"ok": true}`)
		})
		x, dials := newWebhookExec(map[string]any{"url": rc.URL, "connectorId": "hook", "body": `{"a": 1}`})
		out, err := runWebhookFor(t, x, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		reqs := rc.Requests()
		if len(reqs) != 2 || out["attempts"] != 2 || len(clock.Sleeps()) != 1 {
			t.Fatalf("%d requests, output %v, waits %v", len(reqs), out, clock.Sleeps())
		}
		if reqs[0].Header.Get("webhook-id") != reqs[1].Header.Get("webhook-id") {
			t.Error("webhook-id changed on retry")
		}
		if len(dials.Addrs()) != 2 {
			t.Errorf("dials %v", dials.Addrs())
		}
	})
	t.Run("server down", func(t *testing.T) {
		clock := fakeWebhookTime(t)
		rc := newWebhookReceiver(t, clock, nil)
		url := rc.URL
		rc.Close()
		x, dials := newWebhookExec(map[string]any{"url": url, "body": "x"})
		out, err := runWebhookFor(t, x, 3*time.Second)
		if err == nil || !strings.Contains(err.Error(), "request failed") || !strings.Contains(err.Error(), "no time left") {
			t.Fatalf("error %v", err)
		}
		attempts, _ := out["attempts"].(int)
		if attempts < 3 || len(dials.Addrs()) != attempts || len(clock.Sleeps()) != attempts-1 {
			t.Errorf("output %v, dials %v, waits %v", out, dials.Addrs(), clock.Sleeps())
		}
	})
}

func TestWebhookRedirectIsFailure(t *testing.T) {
	for _, tc := range []struct {
		code     int
		location string
	}{
		{http.StatusMovedPermanently, "/elsewhere"},
		{http.StatusFound, "/elsewhere"},
		{http.StatusTemporaryRedirect, "/elsewhere"},
		{http.StatusFound, "http://10.0.0.1/internal"},
		{http.StatusFound, "http://169.254.169.254/latest/meta-data/"},
	} {
		t.Run(fmt.Sprint(tc.code, tc.location), func(t *testing.T) {
			clock := fakeWebhookTime(t)
			rc := newWebhookReceiver(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					fmt.Fprint(w, "followed")
					return
				}
				http.Redirect(w, r, tc.location, tc.code)
			})
			x, dials := newWebhookExec(map[string]any{"url": rc.URL + "/hook", "body": "x"})
			out, err := runWebhookFor(t, x, 30*time.Second)
			if err == nil || !IsStepError(err) {
				t.Fatalf("error %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, strconv.Itoa(tc.code)) || !strings.Contains(msg, "redirects are not followed") || !strings.Contains(msg, tc.location) {
				t.Errorf("message %q", msg)
			}
			reqs := rc.Requests()
			if len(reqs) != 1 || reqs[0].Path != "/hook" || len(clock.Sleeps()) != 0 {
				t.Errorf("requests %v, waits %v", reqs, clock.Sleeps())
			}
			for _, a := range dials.Addrs() {
				if !strings.HasPrefix(a, "127.0.0.1:") {
					t.Errorf("dialled %s", a)
				}
			}
			if out["status"] != tc.code || out["attempts"] != 1 {
				t.Errorf("output %v", out)
			}
		})
	}
}

func TestWebhookRetryAfterBeyondTimeout(t *testing.T) {
	clock := fakeWebhookTime(t)
	rc := newWebhookReceiver(t, clock, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "later", http.StatusServiceUnavailable)
	})
	x, _ := newWebhookExec(map[string]any{"url": rc.URL, "body": "x", "timeout": 2000})
	start := time.Now()
	out, err := runWebhookFor(t, x, 2*time.Second)
	if err == nil || !IsStepError(err) {
		t.Fatalf("error %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "503") || !strings.Contains(msg, "Retry-After 1m0s, more than the") || !strings.Contains(msg, "left of the step's timeout") {
		t.Errorf("message %q", msg)
	}
	if time.Since(start) > time.Second || len(clock.Sleeps()) != 0 || len(rc.Requests()) != 1 || out["attempts"] != 1 {
		t.Errorf("waited: %v, sleeps %v, %d requests, output %v", time.Since(start), clock.Sleeps(), len(rc.Requests()), out)
	}
}

// With the real clock and sleep: the step's timeout bounds everything.
func TestWebhookTimeoutRespected(t *testing.T) {
	t.Run("hanging receiver", func(t *testing.T) {
		release := make(chan struct{})
		rc := newWebhookReceiver(t, nil, func(n int, w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		x, _ := newWebhookExec(map[string]any{"url": rc.URL, "body": "x"})
		start := time.Now()
		_, err := runWebhookFor(t, x, 300*time.Millisecond)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
		if n := len(rc.Requests()); n != 1 {
			t.Errorf("%d requests", n)
		}
	})
	t.Run("always unavailable", func(t *testing.T) {
		rc := newWebhookReceiver(t, nil, func(n int, w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		})
		x, _ := newWebhookExec(map[string]any{"url": rc.URL, "body": "x"})
		const timeout = 1500 * time.Millisecond
		start := time.Now()
		out, err := runWebhookFor(t, x, timeout)
		if err == nil {
			t.Fatal("no error")
		}
		if d := time.Since(start); d > timeout+500*time.Millisecond {
			t.Errorf("took %v with a %v timeout", d, timeout)
		}
		if attempts, _ := out["attempts"].(int); attempts < 2 || attempts != len(rc.Requests()) || out["status"] != 503 {
			t.Errorf("output %v, %d requests", out, len(rc.Requests()))
		}
		if !strings.Contains(err.Error(), "503") {
			t.Errorf("error %v", err)
		}
	})
}

func TestWebhookSSRFRefusedWithoutRetry(t *testing.T) {
	for _, tc := range []struct{ url, reason string }{
		{"http://169.254.169.254/latest/meta-data/", "cloud metadata address"},
		{"http://10.0.0.1/", "private address"},
		{"http://[::ffff:10.0.0.1]:8080/", "private address"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			// Caught when connecting, by the guarded client.
			clock := fakeWebhookTime(t)
			x, dials := newWebhookExec(map[string]any{"url": tc.url, "connectorId": "hook", "body": `{"a": 1}`})
			out, err := runWebhookFor(t, x, 30*time.Second)
			if err == nil || !IsStepError(err) {
				t.Fatalf("error %v", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "refused to connect to") || !strings.Contains(msg, tc.reason) || !strings.Contains(msg, "not retried") {
				t.Errorf("message %q", msg)
			}
			if len(clock.Sleeps()) != 0 || len(dials.Addrs()) != 0 || out["attempts"] != 1 {
				t.Errorf("waits %v, dials %v, output %v", clock.Sleeps(), dials.Addrs(), out)
			}
			// Caught before sending, by the URL check the engine installs.
			x2, dials2 := newWebhookExec(map[string]any{"url": tc.url, "body": "x"})
			x2.Services.CheckURL = func(raw string) error { return outbound.CheckURL(raw, nil) }
			if _, err := runWebhookFor(t, x2, 30*time.Second); err == nil || !strings.Contains(err.Error(), "url: ") || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("checked URL: error %v", err)
			}
			if len(dials2.Addrs()) != 0 {
				t.Errorf("dials %v", dials2.Addrs())
			}
		})
	}
	t.Run("not http", func(t *testing.T) {
		x, _ := newWebhookExec(map[string]any{"url": "file:///etc/passwd"})
		if _, err := runWebhookFor(t, x, time.Second); err == nil || !strings.Contains(err.Error(), "not an absolute http or https URL") {
			t.Errorf("error %v", err)
		}
	})
}

func TestWebhookOutputForSaveAs(t *testing.T) {
	rc := newWebhookReceiver(t, nil, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-9")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id": "re_123", "amount": 42, "big": 12345678901234567890, "nested": {"ok": true, "items": ["a", "b"]}}`)
	})
	x, _ := newWebhookExec(map[string]any{"url": rc.URL, "body": `{"t": "{{ticket.id}}"}`, "saveAs": "hook"})
	out, err := runWebhookFor(t, x, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !reflect.DeepEqual(keys, []string{"attempts", "body", "headers", "status"}) {
		t.Fatalf("output keys %v", keys)
	}
	if out["status"] != 201 || out["attempts"] != 1 {
		t.Errorf("status %v attempts %v", out["status"], out["attempts"])
	}
	headers, _ := out["headers"].(map[string]any)
	if headers["X-Request-Id"] != "req-9" || headers["Content-Type"] != "application/json" {
		t.Errorf("headers %v", headers)
	}
	body, _ := out["body"].(map[string]any)
	if body["id"] != "re_123" || body["amount"] != json.Number("42") || body["big"] != json.Number("12345678901234567890") {
		t.Errorf("body %#v", out["body"])
	}
	// As saved in run history (JSON) and read back as variables.<saveAs>.
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var saved any
	if err := json.Unmarshal(raw, &saved); err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"variables": map[string]any{"hook": saved}}
	got, err := Render(context.Background(),
		"{{variables.hook.status}} {{variables.hook.attempts}} {{variables.hook.body.id}} {{variables.hook.body.amount}} {{variables.hook.body.nested.items.1}} {{variables.hook.headers.X-Request-Id}}",
		data, template.Plain)
	if err != nil || got != "201 1 re_123 42 b req-9" {
		t.Errorf("rendered %q, %v", got, err)
	}

	// A body that is not JSON is kept as text.
	rc2 := newWebhookReceiver(t, nil, func(n int, w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "accepted") })
	x2, _ := newWebhookExec(map[string]any{"url": rc2.URL})
	out2, err := runWebhookFor(t, x2, 5*time.Second)
	if err != nil || out2["body"] != "accepted" || out2["status"] != 200 {
		t.Errorf("text answer: %v, %v", out2, err)
	}
}

// A step the engine runs again (a retried job, a resumed run after a crash)
// has the same key, so the receiver sees the same webhook-id.
func TestWebhookSameKeyAcrossStepRuns(t *testing.T) {
	rc := newWebhookReceiver(t, nil, nil)
	for range 2 {
		x, _ := newWebhookExec(map[string]any{"url": rc.URL, "connectorId": "hook", "body": "x"})
		if _, err := runWebhookFor(t, x, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	x, _ := newWebhookExec(map[string]any{"url": rc.URL, "connectorId": "hook", "body": "x"})
	x.IdempotencyKey = "01JOTHERRUN000000000000000-0-2"
	if _, err := runWebhookFor(t, x, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	reqs := rc.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	if a, b, c := reqs[0].Header.Get("webhook-id"), reqs[1].Header.Get("webhook-id"), reqs[2].Header.Get("webhook-id"); a != webhookTestKey || b != a || c == a {
		t.Errorf("webhook-ids %q %q %q", a, b, c)
	}
	for _, r := range reqs {
		if r.Header.Get("Idempotency-Key") != r.Header.Get("webhook-id") {
			t.Errorf("Idempotency-Key %q, webhook-id %q", r.Header.Get("Idempotency-Key"), r.Header.Get("webhook-id"))
		}
		if err := verifyStandardWebhook(t, r); err != nil {
			t.Error(err)
		}
	}
}
