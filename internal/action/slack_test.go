package action

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/slack"
	"github.com/deskflow/deskflow/internal/integration/slack/slacktest"
	"github.com/deskflow/deskflow/internal/outbound"
)

// chatConnectors is a ConnectorSource holding connectors in memory and
// recording credential updates.
type chatConnectors struct {
	mu      sync.Mutex
	byID    map[string]*connector.Connector
	updates []chatCredUpdate
	failOn  error
}

type chatCredUpdate struct {
	Workspace int64
	ID        string
	Creds     map[string]string
}

func (s *chatConnectors) Connector(_ context.Context, ws int64, id string) (*connector.Connector, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byID[id]
	if !ok || ws != 7 {
		return nil, Failf("connector %s does not exist (any more) in this workspace", id)
	}
	cp := *c
	cp.Settings = maps.Clone(c.Settings)
	cp.Credentials = maps.Clone(c.Credentials)
	return &cp, nil
}

func (s *chatConnectors) UpdateCredentials(_ context.Context, ws int64, id string, creds map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates = append(s.updates, chatCredUpdate{ws, id, maps.Clone(creds)})
	if s.failOn != nil {
		return s.failOn
	}
	c := s.byID[id]
	c.Credentials = connector.Merge(c.Credentials, creds)
	return nil
}

func (s *chatConnectors) add(c *connector.Connector) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		s.byID = map[string]*connector.Connector{}
	}
	c.ID = connector.NewID()
	s.byID[c.ID] = c
	return c.ID
}

// chatServices are the real guarded client and URL check, admitting
// loopback (the fakes) as tests' allow list does.
func chatServices(src ConnectorSource) *Services {
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	return &Services{
		HTTP:       outbound.NewClient(outbound.Options{Allow: allow}),
		CheckURL:   func(raw string) error { return outbound.CheckURL(raw, allow) },
		Connectors: src,
	}
}

// chatSubject is a ticket subject with quotes, unicode and Slack markup.
const chatSubject = `Can't log in: "Fehler ü" — 日本語 🚀 <!channel> & <https://evil.example|your bank>`

func chatData() map[string]any {
	return map[string]any{
		"ticket":       map[string]any{"id": "T-1", "subject": chatSubject, "priority": "urgent", "tags": []string{"vip"}},
		"customer":     map[string]any{"name": "Zoë O'Brien", "email": "zoe@example.com"},
		"message":      map[string]any{},
		"customFields": map[string]any{},
		"variables":    map[string]any{},
	}
}

// chatWaits replaces the clients' sleeps for one test, recording them.
type chatWaits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *chatWaits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return ctx.Err()
}

func (w *chatWaits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

func withChatWaits(t *testing.T) *chatWaits {
	w := &chatWaits{}
	oldSlack, oldTeams := slackSleep, teamsSleep
	slackSleep, teamsSleep = w.sleep, w.sleep
	t.Cleanup(func() { slackSleep, teamsSleep = oldSlack, oldTeams })
	return w
}

// assertNoCredentials fails when a credential value shows in the step's
// error, output or recorded input.
func assertNoCredentials(t *testing.T, x *Exec, out any, err error, secrets ...string) {
	t.Helper()
	all := fmt.Sprintf("%v %#v %#v", err, out, x.Input)
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Fatalf("a credential shows in the step's error/output/input: %s", all)
		}
	}
}

const chatBotToken = "xoxb-4242-4343-NotForYourEyes"

type slackFixture struct {
	srv  *slacktest.Server
	src  *chatConnectors
	id   string
	x    *Exec
	wait *chatWaits
}

func newSlackFixture(t *testing.T, channel, message string) *slackFixture {
	srv := slacktest.New(t, chatBotToken)
	srv.AddChannel(slacktest.Channel{ID: "C0SUPPORT1", Name: "support-alerts", Member: true})
	srv.AddChannel(slacktest.Channel{ID: "C0PRIVATE1", Name: "private", Member: false})
	src := &chatConnectors{}
	id := src.add(&connector.Connector{Type: slack.Type, Name: "Slack",
		Settings:    map[string]any{slack.SettingBaseURL: srv.BaseURL()},
		Credentials: map[string]string{slack.CredBotToken: chatBotToken}})
	x := &Exec{
		WorkspaceID: 7, RunID: "run-1", IdempotencyKey: "run-1-0-0",
		Parameters: map[string]any{"connectorId": id, "channel": channel, "message": message},
		Data:       chatData(),
		Services:   chatServices(src),
	}
	return &slackFixture{srv: srv, src: src, id: id, x: x, wait: withChatWaits(t)}
}

func (f *slackFixture) run(t *testing.T, d time.Duration) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, err := sendSlackMessage.Run(ctx, f.x)
	assertNoCredentials(t, f.x, out, err, chatBotToken)
	return out, err
}

func TestSlackSendsRenderedMessage(t *testing.T) {
	f := newSlackFixture(t, "#support-alerts", "New urgent ticket: {{ticket.subject}} (<!here>, from {{customer.name}})")
	out, err := f.run(t, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	o := out.(map[string]any)
	if o["channel"] != "C0SUPPORT1" || !strings.HasPrefix(o["ts"].(string), "1700000000.") || len(o) != 2 {
		t.Fatalf("output = %#v", out)
	}
	reqs := f.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	// The subject's Slack markup is escaped; the template's own <!here> is not.
	want := `New urgent ticket: Can't log in: "Fehler ü" — 日本語 🚀 &lt;!channel&gt; &amp; &lt;https://evil.example|your bank&gt; (<!here>, from Zoë O'Brien)`
	r := reqs[0]
	if r.Channel != "#support-alerts" || r.Text != want || r.Authorization != "Bearer "+chatBotToken {
		t.Fatalf("Slack received channel %q text %q auth %q\nwant text %q", r.Channel, r.Text, r.Authorization, want)
	}
	if f.x.Input["message"] != want || f.x.Input["channel"] != "#support-alerts" {
		t.Fatalf("recorded input = %#v", f.x.Input)
	}
	if f.x.Data["ticket"].(map[string]any)["subject"] != chatSubject {
		t.Fatal("the step's template data was changed")
	}
}

func TestSlackChannelFromTemplate(t *testing.T) {
	f := newSlackFixture(t, "{{variables.room}}", "hi")
	f.x.Data["variables"] = map[string]any{"room": " C0SUPPORT1 "}
	if _, err := f.run(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Requests()[0].Channel; got != "C0SUPPORT1" {
		t.Fatalf("channel = %q", got)
	}
	f.x.Data["variables"] = map[string]any{}
	_, err := f.run(t, 5*time.Second)
	if !IsStepError(err) || !strings.Contains(err.Error(), "channel: rendered empty") {
		t.Fatalf("err = %v", err)
	}
}

func TestSlackRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, channel, token string
		want                 []string
	}{
		{"channel_not_found", "#gone", chatBotToken, []string{"channel_not_found", `"#gone"`}},
		{"not_in_channel", "#private", chatBotToken, []string{"not_in_channel", "invite"}},
		{"invalid_auth", "#support-alerts", "xoxb-9999-revoked-token", []string{"invalid_auth", "bot_token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newSlackFixture(t, tc.channel, "New urgent ticket: {{ticket.subject}}")
			f.src.byID[f.id].Credentials[slack.CredBotToken] = tc.token
			out, err := f.run(t, 5*time.Second)
			if !IsStepError(err) || out != nil {
				t.Fatalf("out %v, err = %v", out, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			assertNoCredentials(t, f.x, out, err, tc.token)
		})
	}
}

func TestSlackRateLimitedThenPosted(t *testing.T) {
	f := newSlackFixture(t, "#support-alerts", "New urgent ticket: {{ticket.subject}}")
	f.srv.Enqueue("chat.postMessage", slacktest.RateLimited(1))
	out, err := f.run(t, 5*time.Second)
	if err != nil || out.(map[string]any)["channel"] != "C0SUPPORT1" {
		t.Fatalf("out %v, err %v", out, err)
	}
	if w := f.wait.all(); len(w) != 1 || w[0] != time.Second {
		t.Fatalf("waits = %v", w)
	}
	if reqs := f.srv.Requests(); len(reqs) != 2 || reqs[0].Text != reqs[1].Text {
		t.Fatalf("requests = %+v", reqs)
	}
}

func TestSlackServerErrorThenPosted(t *testing.T) {
	f := newSlackFixture(t, "#support-alerts", "hi")
	f.srv.Enqueue("chat.postMessage", slacktest.ServerError(500))
	if _, err := f.run(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if w := f.wait.all(); len(w) != 1 || w[0] != 500*time.Millisecond || len(f.srv.Requests()) != 2 {
		t.Fatalf("waits %v, %d requests", w, len(f.srv.Requests()))
	}
}

func TestSlackRetryAfterBeyondStepTimeout(t *testing.T) {
	f := newSlackFixture(t, "#support-alerts", "hi")
	f.srv.Enqueue("chat.postMessage", slacktest.RateLimited(1))
	_, err := f.run(t, 500*time.Millisecond)
	if !IsStepError(err) || !strings.Contains(err.Error(), "rate limited") || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("err = %v", err)
	}
	if len(f.wait.all()) != 0 || len(f.srv.Requests()) != 1 {
		t.Fatal("waited or retried beyond the step's timeout")
	}
}

func TestSlackConnectorChecks(t *testing.T) {
	f := newSlackFixture(t, "#support-alerts", "hi")
	f.x.Parameters["connectorId"] = f.src.add(&connector.Connector{Type: "webhook", Credentials: map[string]string{"signing_secret": "whsec_x"}})
	if _, err := f.run(t, 5*time.Second); !IsStepError(err) || !strings.Contains(err.Error(), "not slack") {
		t.Fatalf("err = %v", err)
	}
	// Without the tests' allow list, the fake's loopback address is refused.
	f = newSlackFixture(t, "#support-alerts", "hi")
	f.x.Services.CheckURL = func(raw string) error { return outbound.CheckURL(raw, nil) }
	if _, err := f.run(t, 5*time.Second); !IsStepError(err) || !strings.Contains(err.Error(), "base_url") {
		t.Fatalf("err = %v", err)
	}
	f.x.Services.CheckURL = nil
	f.x.Services.HTTP = outbound.NewClient(outbound.Options{})
	if _, err := f.run(t, 5*time.Second); !IsStepError(err) || !strings.Contains(err.Error(), "could not reach Slack") {
		t.Fatalf("err = %v", err)
	}
	if len(f.srv.Requests()) != 0 {
		t.Fatal("a refused address was reached")
	}
}

func TestSlackEmptyMessage(t *testing.T) {
	f := newSlackFixture(t, "#support-alerts", "{{variables.nothing}}")
	if _, err := f.run(t, 5*time.Second); !IsStepError(err) || !strings.Contains(err.Error(), "message") {
		t.Fatalf("err = %v", err)
	}
	if len(f.srv.Requests()) != 0 {
		t.Fatal("posted an empty message")
	}
}

func TestIntegrationErrorKeepsTimeouts(t *testing.T) {
	err := integrationError(&slack.Error{Message: "Slack chat.postMessage answered HTTP 503", Err: context.DeadlineExceeded}, nil)
	if IsStepError(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	err = integrationError(errors.New("db down: tok-12345678"), map[string]string{"k": "tok-12345678"})
	if IsStepError(err) || strings.Contains(err.Error(), "tok-12345678") {
		t.Fatalf("err = %v", err)
	}
}
