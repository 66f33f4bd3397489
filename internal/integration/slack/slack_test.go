package slack_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/slack"
	"github.com/deskflow/deskflow/internal/integration/slack/slacktest"
	"github.com/deskflow/deskflow/internal/validate"
)

const token = "xoxb-1111-2222-secretsecret"

// sleeps records the client's waits instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func newClient(t *testing.T, srv *slacktest.Server, tok string) (*slack.Client, *sleeps) {
	t.Helper()
	c := &connector.Connector{
		ID: connector.NewID(), Type: slack.Type,
		Settings:    map[string]any{slack.SettingBaseURL: srv.BaseURL() + "/"},
		Credentials: map[string]string{slack.CredBotToken: tok},
	}
	cl, err := slack.New(c, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	sl := &sleeps{}
	cl.Sleep = sl.sleep
	return cl, sl
}

func fakeSlack(t *testing.T) *slacktest.Server {
	srv := slacktest.New(t, token)
	srv.AddChannel(slacktest.Channel{ID: "C0SUPPORT1", Name: "support-alerts", Member: true})
	srv.AddChannel(slacktest.Channel{ID: "C0PRIVATE1", Name: "secret-room", Member: false})
	srv.AddChannel(slacktest.Channel{ID: "C0OLD00001", Name: "old", Member: true, Archived: true})
	return srv
}

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestPostMessage(t *testing.T) {
	srv := fakeSlack(t)
	cl, sl := newClient(t, srv, token)
	text := `New urgent ticket: "Can't log in" — ünïcödé 日本語 🚀 a &lt; b`
	msg, err := cl.PostMessage(timeout(t, 5*time.Second), "#support-alerts", text)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Channel != "C0SUPPORT1" || !strings.HasPrefix(msg.TS, "1700000000.") {
		t.Fatalf("message = %+v", msg)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "chat.postMessage" || r.HTTPMethod != http.MethodPost || r.Authorization != "Bearer "+token ||
		r.ContentType != "application/json; charset=utf-8" || r.Channel != "#support-alerts" || r.Text != text || len(r.Body) != 2 {
		t.Fatalf("received %+v", r)
	}
	if len(sl.all()) != 0 {
		t.Fatalf("waited %v", sl.all())
	}
}

func TestPostMessageRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, channel, tok, code string
		want                     []string
	}{
		{"channel_not_found", "#nope", token, "channel_not_found", []string{"channel_not_found", `"#nope"`, "not found"}},
		{"not_in_channel", "C0PRIVATE1", token, "not_in_channel", []string{"not_in_channel", "invite", `"C0PRIVATE1"`}},
		{"is_archived", "#old", token, "is_archived", []string{"is_archived", "archived"}},
		{"invalid_auth", "#support-alerts", "xoxb-wrong-token-value", "invalid_auth", []string{"invalid_auth", "update the connector's bot_token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeSlack(t)
			cl, _ := newClient(t, srv, tc.tok)
			_, err := cl.PostMessage(timeout(t, 5*time.Second), tc.channel, "hello")
			var se *slack.Error
			if !errors.As(err, &se) || se.Code != tc.code {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), tc.tok) {
				t.Fatalf("error shows the token: %v", err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Fatalf("%d requests: a refusal must not be retried", n)
			}
		})
	}
}

func TestPostMessageRateLimitedThenOK(t *testing.T) {
	srv := fakeSlack(t)
	srv.Enqueue("chat.postMessage", slacktest.RateLimited(1))
	cl, sl := newClient(t, srv, token)
	msg, err := cl.PostMessage(timeout(t, 5*time.Second), "C0SUPPORT1", "hi")
	if err != nil {
		t.Fatal(err)
	}
	if msg.Channel != "C0SUPPORT1" {
		t.Fatalf("message = %+v", msg)
	}
	if got := sl.all(); len(got) != 1 || got[0] != time.Second {
		t.Fatalf("waits = %v, want [1s] from Retry-After", got)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("%d requests", n)
	}
}

func TestPostMessageRetryAfterLongerThanTimeout(t *testing.T) {
	srv := fakeSlack(t)
	srv.Enqueue("chat.postMessage", slacktest.RateLimited(30))
	cl, sl := newClient(t, srv, token)
	_, err := cl.PostMessage(timeout(t, 2*time.Second), "C0SUPPORT1", "hi")
	if err == nil || !strings.Contains(err.Error(), "rate limited") || !strings.Contains(err.Error(), "30s") || !strings.Contains(err.Error(), "left of the step's timeout") {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("a Retry-After beyond the timeout is a failure, not a time-out")
	}
	if len(sl.all()) != 0 || len(srv.Requests()) != 1 {
		t.Fatalf("waited %v, %d requests", sl.all(), len(srv.Requests()))
	}
}

func TestPostMessageServerErrorThenOK(t *testing.T) {
	srv := fakeSlack(t)
	srv.Enqueue("chat.postMessage", slacktest.ServerError(500), slacktest.ServerError(503))
	cl, sl := newClient(t, srv, token)
	msg, err := cl.PostMessage(timeout(t, 10*time.Second), "#support-alerts", "hi")
	if err != nil || msg.Channel != "C0SUPPORT1" {
		t.Fatalf("msg %+v, err %v", msg, err)
	}
	if got := sl.all(); len(got) != 2 || got[0] != 500*time.Millisecond || got[1] != time.Second {
		t.Fatalf("waits = %v, want [500ms 1s]", got)
	}
}

func TestPostMessageGivesUp(t *testing.T) {
	srv := fakeSlack(t)
	for range slack.MaxAttempts {
		srv.Enqueue("chat.postMessage", slacktest.ServerError(502))
	}
	cl, _ := newClient(t, srv, token)
	_, err := cl.PostMessage(timeout(t, 30*time.Second), "#support-alerts", "hi")
	if err == nil || !strings.Contains(err.Error(), "HTTP 502") || !strings.Contains(err.Error(), "4 attempts") {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Requests()); n != slack.MaxAttempts {
		t.Fatalf("%d requests", n)
	}
}

func TestPostMessageBackoffBeyondTimeout(t *testing.T) {
	srv := fakeSlack(t)
	srv.Enqueue("chat.postMessage", slacktest.ServerError(500))
	cl, sl := newClient(t, srv, token)
	_, err := cl.PostMessage(timeout(t, 300*time.Millisecond), "#support-alerts", "hi")
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") || len(sl.all()) != 0 {
		t.Fatalf("err = %v, waits %v", err, sl.all())
	}
}

func TestRealSleepStopsAtDeadline(t *testing.T) {
	ctx := timeout(t, 20*time.Millisecond)
	start := time.Now()
	if err := slack.SleepContext(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("slept past the deadline")
	}
}

func TestRedactsTokenEchoedBySlack(t *testing.T) {
	srv := fakeSlack(t)
	srv.Enqueue("chat.postMessage", slacktest.Reply{Status: 200, Body: `{"ok":false,"error":"weird_` + token + `"}`})
	cl, _ := newClient(t, srv, token)
	_, err := cl.PostMessage(timeout(t, 5*time.Second), "#support-alerts", "hi")
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	srv := fakeSlack(t)
	cl, _ := newClient(t, srv, token)
	srv.Close()
	_, err := cl.PostMessage(timeout(t, 5*time.Second), "#support-alerts", "hi")
	var se *slack.Error
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "could not reach Slack") || strings.Contains(err.Error(), token) {
		t.Fatalf("err = %v", err)
	}
}

func TestConnectorTest(t *testing.T) {
	srv := fakeSlack(t)
	def, ok := connector.Lookup(slack.Type)
	if !ok || def.Test == nil {
		t.Fatal("slack connector type not registered with a test")
	}
	c := &connector.Connector{Type: slack.Type, Settings: map[string]any{slack.SettingBaseURL: srv.BaseURL()},
		Credentials: map[string]string{slack.CredBotToken: token}}
	env := connector.Env{HTTP: srv.Client()}
	if err := def.Test(timeout(t, 5*time.Second), c, env); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Method != "auth.test" || r.Authorization != "Bearer "+token {
		t.Fatalf("received %+v", r)
	}
	c.Credentials[slack.CredBotToken] = "xoxb-revoked-revoked"
	err := def.Test(timeout(t, 5*time.Second), c, env)
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") || strings.Contains(err.Error(), "xoxb-revoked-revoked") {
		t.Fatalf("err = %v", err)
	}
	refuse := func(string) error { return errors.New("refused address") }
	c.Credentials[slack.CredBotToken] = token
	if err := def.Test(timeout(t, 5*time.Second), c, connector.Env{HTTP: srv.Client(), CheckURL: refuse}); err == nil || !strings.Contains(err.Error(), "base_url") {
		t.Fatalf("err = %v", err)
	}
}

func parse(t *testing.T, body string) (connector.Input, error) {
	t.Helper()
	v, err := validate.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return connector.Parse(v, nil)
}

func TestSettingsThroughParse(t *testing.T) {
	in, err := parse(t, `{"type": "slack", "name": "Support Slack", "credentials": {"bot_token": "xoxb-1"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if in.Settings[slack.SettingBaseURL] != slack.DefaultBaseURL || in.Credentials[slack.CredBotToken] != "xoxb-1" {
		t.Fatalf("input = %+v", in)
	}
	in, err = parse(t, `{"type": "slack", "name": "s", "settings": {"base_url": " http://127.0.0.1:9/api/ "}, "credentials": {"bot_token": "xoxb-1"}}`)
	if err != nil || in.Settings[slack.SettingBaseURL] != "http://127.0.0.1:9/api" {
		t.Fatalf("input = %+v, err %v", in, err)
	}
	for body, want := range map[string]string{
		`{"type": "slack", "name": "s"}`:                                                                                           "credentials.bot_token",
		`{"type": "slack", "name": "s", "credentials": {"bot_token": ""}}`:                                                         "credentials.bot_token",
		`{"type": "slack", "name": "s", "settings": {"base_url": "ftp://x"}, "credentials": {"bot_token": "x"}}`:                   "settings.base_url",
		`{"type": "slack", "name": "s", "settings": {"base_url": "https://u:p@slack.com/api"}, "credentials": {"bot_token": "x"}}`: "settings.base_url",
		`{"type": "slack", "name": "s", "settings": {"base_url": 5}, "credentials": {"bot_token": "x"}}`:                           "settings.base_url",
		`{"type": "slack", "name": "s", "settings": {"channel": "#x"}, "credentials": {"bot_token": "x"}}`:                         "settings.channel",
		`{"type": "slack", "name": "s", "credentials": {"bot_token": "x", "signing_secret": "y"}}`:                                 "credentials.signing_secret",
	} {
		_, err := parse(t, body)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want one about %s", body, err, want)
		}
	}
}

func TestEscape(t *testing.T) {
	if got := slack.EscapeText(`<!channel> & <https://evil|bank> "q" ü`); got != `&lt;!channel&gt; &amp; &lt;https://evil|bank&gt; "q" ü` {
		t.Fatalf("EscapeText = %q", got)
	}
	in := map[string]any{
		"ticket": map[string]any{"subject": "<!here>", "tags": []string{"a<b"}, "n": 3},
		"list":   []any{"x>y", true}, "m": map[string]string{"k": "&"},
	}
	out := slack.EscapeValues(in).(map[string]any)
	tk := out["ticket"].(map[string]any)
	if tk["subject"] != "&lt;!here&gt;" || tk["tags"].([]string)[0] != "a&lt;b" || tk["n"] != 3 ||
		out["list"].([]any)[0] != "x&gt;y" || out["list"].([]any)[1] != true || out["m"].(map[string]string)["k"] != "&amp;" {
		t.Fatalf("EscapeValues = %#v", out)
	}
	if in["ticket"].(map[string]any)["subject"] != "<!here>" {
		t.Fatal("EscapeValues changed its input")
	}
}
