package teams_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/teams"
	"github.com/deskflow/deskflow/internal/integration/teams/teamstest"
	"github.com/deskflow/deskflow/internal/validate"
)

const (
	tenant   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID = "11112222-bbbb-3333-cccc-4444dddd5555"
	secret   = "cl1ent~Secret.Value-abcdefgh"
	consent  = "consented-refresh-token-0"
	team     = "fbe2bf47-16c8-47cf-b4a5-4b9b187c508b"
	channel  = "19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2"
)

// harness is a fake Microsoft and a connector pointing at it, with the
// persisted credentials and the waits recorded.
type harness struct {
	srv   *teamstest.Server
	conn  *connector.Connector
	now   time.Time
	mu    sync.Mutex
	saves []map[string]string
	waits []time.Duration
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv := teamstest.New(t, tenant, clientID, secret)
	srv.GrantRefreshToken(consent)
	srv.AddChannel(team, channel)
	h := &harness{srv: srv, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	h.conn = &connector.Connector{
		ID: connector.NewID(), Type: teams.Type,
		Settings: map[string]any{
			teams.SettingTenantID: tenant, teams.SettingClientID: clientID,
			teams.SettingGraphBaseURL: srv.GraphBaseURL(), teams.SettingTokenURL: srv.TokenURL(),
			teams.SettingScope: teams.DefaultScope,
		},
		Credentials: map[string]string{teams.CredClientSecret: secret, teams.CredRefreshToken: consent},
	}
	return h
}

func (h *harness) client(t *testing.T) *teams.Client {
	t.Helper()
	cl, err := teams.New(h.conn, h.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	cl.Now = func() time.Time { return h.now }
	cl.Sleep = func(ctx context.Context, d time.Duration) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.waits = append(h.waits, d)
		return ctx.Err()
	}
	cl.Save = func(_ context.Context, creds map[string]string) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.saves = append(h.saves, maps.Clone(creds))
		h.conn.Credentials = connector.Merge(h.conn.Credentials, creds)
		return nil
	}
	return cl
}

// freshToken gives the connector a valid access token expiring in d.
func (h *harness) freshToken(tok string, d time.Duration) {
	h.srv.GrantAccessToken(tok)
	h.conn.Credentials[teams.CredAccessToken] = tok
	h.conn.Credentials[teams.CredAccessTokenExp] = h.now.Add(d).Format(time.RFC3339)
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// noSecrets fails when a credential value shows in s.
func noSecrets(t *testing.T, s string, extra ...string) {
	t.Helper()
	for _, v := range append([]string{secret, consent}, extra...) {
		if v != "" && strings.Contains(s, v) {
			t.Fatalf("%q shows a credential (%s)", s, v)
		}
	}
}

func TestSendWithFreshToken(t *testing.T) {
	h := newHarness(t)
	h.freshToken("still-valid-access", time.Hour)
	content := teams.TextToHTML("Ticket escalated: \"Can't <b>log</b> in\" & ünïcödé 日本語\nline two\r\nthree")
	msg, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, content)
	if err != nil {
		t.Fatal(err)
	}
	if msg.ID == "" || !strings.HasPrefix(msg.WebURL, "https://teams.microsoft.com/l/message/") {
		t.Fatalf("message = %+v", msg)
	}
	if n := len(h.srv.TokenRequests()); n != 0 || len(h.saves) != 0 {
		t.Fatalf("%d token requests, saves %v: a fresh token needs no refresh", n, h.saves)
	}
	reqs := h.srv.MessageRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	wantContent := "Ticket escalated: &#34;Can&#39;t &lt;b&gt;log&lt;/b&gt; in&#34; &amp; ünïcödé 日本語<br>line two<br>three"
	if r.Authorization != "Bearer still-valid-access" || r.TeamID != team || r.ChannelID != channel ||
		r.RawPath != "/v1.0/teams/"+team+"/channels/"+channel+"/messages" || r.ContentType != "application/json" ||
		r.ContentTypeField != "html" || r.Content != wantContent || len(r.Body) != 1 {
		t.Fatalf("received %+v\nwant content %q", r, wantContent)
	}
}

func TestPathIDsAreEscaped(t *testing.T) {
	h := newHarness(t)
	odd := "team/../../me?x=1#y"
	h.srv.AddChannel(odd, "chan nel%2F")
	h.freshToken("valid-access-token-1", time.Hour)
	if _, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), odd, "chan nel%2F", "hi"); err != nil {
		t.Fatal(err)
	}
	r := h.srv.MessageRequests()[0]
	if r.TeamID != odd || r.ChannelID != "chan nel%2F" || r.RawPath != "/v1.0/teams/team%2F..%2F..%2Fme%3Fx=1%23y/channels/chan%20nel%252F/messages" {
		t.Fatalf("received %+v", r)
	}
}

func TestExpiredTokenRefreshedAndPersisted(t *testing.T) {
	for name, exp := range map[string]string{
		"expired":           "2026-03-01T11:00:00Z",
		"expires in 4m":     "2026-03-01T12:04:00Z",
		"no expiry":         "",
		"unparsable expiry": "soon",
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.srv.GrantAccessToken("old-access")
			h.conn.Credentials[teams.CredAccessToken] = "old-access"
			if exp != "" {
				h.conn.Credentials[teams.CredAccessTokenExp] = exp
			}
			if _, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "hi"); err != nil {
				t.Fatal(err)
			}
			toks := h.srv.TokenRequests()
			if len(toks) != 1 {
				t.Fatalf("%d token requests", len(toks))
			}
			f := toks[0].Form
			if toks[0].Tenant != tenant || toks[0].ContentType != "application/x-www-form-urlencoded" ||
				f.Get("client_id") != clientID || f.Get("client_secret") != secret || f.Get("grant_type") != "refresh_token" ||
				f.Get("refresh_token") != consent || f.Get("scope") != teams.DefaultScope || len(f) != 5 {
				t.Fatalf("token request %+v", toks[0])
			}
			if len(h.saves) != 1 {
				t.Fatalf("saves = %v", h.saves)
			}
			want := map[string]string{
				teams.CredAccessToken:    "fake-access-1",
				teams.CredAccessTokenExp: h.now.Add(3599 * time.Second).Format(time.RFC3339),
				teams.CredRefreshToken:   "fake-refresh-1",
			}
			if !maps.Equal(h.saves[0], want) {
				t.Fatalf("saved %v, want %v", h.saves[0], want)
			}
			if got := h.srv.MessageRequests()[0].Authorization; got != "Bearer fake-access-1" {
				t.Fatalf("posted with %q", got)
			}
		})
	}
}

func TestRotatedRefreshTokenIsUsedNext(t *testing.T) {
	h := newHarness(t)
	h.srv.RevokeUsed = true // a strict server: the rotated token must be used
	if _, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "one"); err != nil {
		t.Fatal(err)
	}
	h.now = h.now.Add(2 * time.Hour) // the access token has expired
	if _, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "two"); err != nil {
		t.Fatal(err)
	}
	toks := h.srv.TokenRequests()
	if len(toks) != 2 || toks[1].Form.Get("refresh_token") != "fake-refresh-1" {
		t.Fatalf("token requests %+v", toks)
	}
	if h.conn.Credentials[teams.CredRefreshToken] != "fake-refresh-2" {
		t.Fatalf("credentials = %v", h.conn.Credentials)
	}
}

func TestUnauthorizedRefreshesOnceAndRetries(t *testing.T) {
	h := newHarness(t)
	h.conn.Credentials[teams.CredAccessToken] = "revoked-early"
	h.conn.Credentials[teams.CredAccessTokenExp] = h.now.Add(time.Hour).Format(time.RFC3339)
	msg, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "hi")
	if err != nil {
		t.Fatal(err)
	}
	reqs := h.srv.MessageRequests()
	if msg.ID == "" || len(reqs) != 2 || reqs[0].Authorization != "Bearer revoked-early" || reqs[1].Authorization != "Bearer fake-access-1" {
		t.Fatalf("msg %+v, requests %+v", msg, reqs)
	}
	if len(h.srv.TokenRequests()) != 1 || len(h.saves) != 1 {
		t.Fatalf("token requests %d, saves %v", len(h.srv.TokenRequests()), h.saves)
	}
}

func TestUnauthorizedTwiceFails(t *testing.T) {
	h := newHarness(t)
	h.freshToken("valid-access-token-1", time.Hour)
	h.srv.EnqueueGraph(
		teamstest.GraphError(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.", ""),
		teamstest.GraphError(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.", ""),
	)
	_, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "hi")
	var te *teams.Error
	if !errors.As(err, &te) || te.Status != 401 || !strings.Contains(err.Error(), "InvalidAuthenticationToken") {
		t.Fatalf("err = %v", err)
	}
	if len(h.srv.MessageRequests()) != 2 || len(h.srv.TokenRequests()) != 1 {
		t.Fatalf("%d posts, %d refreshes", len(h.srv.MessageRequests()), len(h.srv.TokenRequests()))
	}
	noSecrets(t, err.Error(), "valid-access-token-1", "fake-access-1", "fake-refresh-1")
}

func TestForbidden(t *testing.T) {
	h := newHarness(t)
	h.freshToken("valid-token", time.Hour)
	h.srv.Forbid = true
	_, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "hi")
	var te *teams.Error
	if !errors.As(err, &te) || te.Status != 403 || te.Code != "Forbidden" || !strings.Contains(err.Error(), "ChannelMessage.Send") ||
		!strings.Contains(err.Error(), "delegated permission") {
		t.Fatalf("err = %v", err)
	}
	if len(h.srv.MessageRequests()) != 1 {
		t.Fatal("a 403 must not be retried")
	}
	noSecrets(t, err.Error(), "valid-token")
}

func TestNotFound(t *testing.T) {
	h := newHarness(t)
	h.freshToken("valid-token", time.Hour)
	_, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, "19:missing@thread.tacv2", "hi")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "check teamId and channelId") {
		t.Fatalf("err = %v", err)
	}
}

func TestThrottledThenOK(t *testing.T) {
	h := newHarness(t)
	h.freshToken("valid-access-token-1", time.Hour)
	h.srv.EnqueueGraph(teamstest.Throttled(3), teamstest.GraphError(http.StatusServiceUnavailable, "serviceNotAvailable", "Try later.", ""))
	msg, err := h.client(t).SendChannelMessage(ctxFor(t, 20*time.Second), team, channel, "hi")
	if err != nil || msg.ID == "" {
		t.Fatalf("msg %+v, err %v", msg, err)
	}
	if len(h.waits) != 2 || h.waits[0] != 3*time.Second || h.waits[1] != time.Second {
		t.Fatalf("waits = %v, want [3s (Retry-After) 1s (backoff)]", h.waits)
	}
	if len(h.srv.MessageRequests()) != 3 {
		t.Fatalf("%d posts", len(h.srv.MessageRequests()))
	}
}

func TestThrottledLongerThanTimeout(t *testing.T) {
	h := newHarness(t)
	h.freshToken("valid-access-token-1", time.Hour)
	h.srv.EnqueueGraph(teamstest.Throttled(120))
	_, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "hi")
	if err == nil || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "2m0s") || !strings.Contains(err.Error(), "left of the step's timeout") {
		t.Fatalf("err = %v", err)
	}
	if len(h.waits) != 0 || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waits %v, err %v", h.waits, err)
	}
}

func TestServerErrorsGiveUp(t *testing.T) {
	h := newHarness(t)
	h.freshToken("valid-access-token-1", time.Hour)
	for range teams.MaxAttempts {
		h.srv.EnqueueGraph(teamstest.GraphError(http.StatusBadGateway, "UnknownError", "", ""))
	}
	_, err := h.client(t).SendChannelMessage(ctxFor(t, time.Minute), team, channel, "hi")
	if err == nil || !strings.Contains(err.Error(), "HTTP 502") {
		t.Fatalf("err = %v", err)
	}
	if len(h.srv.MessageRequests()) != teams.MaxAttempts || len(h.waits) != teams.MaxAttempts-1 {
		t.Fatalf("%d posts, waits %v", len(h.srv.MessageRequests()), h.waits)
	}
}

func TestInvalidGrantAsksForConsent(t *testing.T) {
	h := newHarness(t)
	h.srv.RevokeRefreshToken(consent)
	_, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "hi")
	var te *teams.Error
	if !errors.As(err, &te) || !te.Reconsent || te.Code != "invalid_grant" {
		t.Fatalf("err = %v", err)
	}
	for _, w := range []string{"invalid_grant", "AADSTS700082", "admin must", "consent again", "refresh_token"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "Trace ID") {
		t.Errorf("error keeps the trace ids: %v", err)
	}
	if len(h.srv.MessageRequests()) != 0 || len(h.saves) != 0 {
		t.Fatal("nothing is posted or saved without a token")
	}
	noSecrets(t, err.Error())
}

func TestTokenErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		reply     teamstest.Reply
		reconsent bool
		want      string
	}{
		{"interaction_required", teamstest.AADError(400, "interaction_required", 50076, "Due to a configuration change made by your administrator you must use multi-factor authentication."), true, "consent again"},
		{"consent_required", teamstest.AADError(400, "consent_required", 65001, "The user or administrator has not consented to use the application."), true, "consent again"},
		{"invalid_client", teamstest.AADError(401, "invalid_client", 7000222, "The provided client secret keys for app are expired."), false, "client_secret"},
		{"secret echoed", teamstest.AADError(401, "invalid_client", 7000215, "Invalid client secret provided: "+secret+" / "+consent), false, "[redacted]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.srv.EnqueueToken(tc.reply)
			_, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "hi")
			var te *teams.Error
			if !errors.As(err, &te) || te.Reconsent != tc.reconsent || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v", err)
			}
			noSecrets(t, err.Error())
		})
	}
}

func TestTokenEndpointTemporarilyUnavailable(t *testing.T) {
	h := newHarness(t)
	h.srv.EnqueueToken(teamstest.AADError(400, "temporarily_unavailable", 50198, "The server is temporarily too busy."), teamstest.Reply{Status: 503, RetryAfter: "2", Body: "{}"})
	if _, err := h.client(t).SendChannelMessage(ctxFor(t, 20*time.Second), team, channel, "hi"); err != nil {
		t.Fatal(err)
	}
	if len(h.srv.TokenRequests()) != 3 || len(h.waits) != 2 || h.waits[0] != 500*time.Millisecond || h.waits[1] != 2*time.Second {
		t.Fatalf("%d token requests, waits %v", len(h.srv.TokenRequests()), h.waits)
	}
}

func TestSaveFailureFailsTheCall(t *testing.T) {
	h := newHarness(t)
	cl := h.client(t)
	cl.Save = func(context.Context, map[string]string) error { return errors.New("database is locked") }
	_, err := cl.SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "hi")
	var te *teams.Error
	if err == nil || errors.As(err, &te) || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("err = %v", err)
	}
	noSecrets(t, err.Error(), "fake-access-1", "fake-refresh-1")
}

func TestTextToHTML(t *testing.T) {
	if got := teams.TextToHTML("a<b>&\"'\r\nc\rd\ne"); got != "a&lt;b&gt;&amp;&#34;&#39;<br>c<br>d<br>e" {
		t.Fatalf("TextToHTML = %q", got)
	}
}

func TestConnectorTest(t *testing.T) {
	h := newHarness(t)
	def, ok := connector.Lookup(teams.Type)
	if !ok || def.Test == nil {
		t.Fatal("teams connector type not registered with a test")
	}
	env := connector.Env{HTTP: h.srv.Client()}
	if err := def.Test(ctxFor(t, 5*time.Second), h.conn, env); err != nil {
		t.Fatal(err)
	}
	if len(h.srv.TokenRequests()) != 1 {
		t.Fatalf("%d token requests", len(h.srv.TokenRequests()))
	}
	h.srv.Scope = "https://graph.microsoft.com/User.Read"
	err := def.Test(ctxFor(t, 5*time.Second), h.conn, env)
	if err == nil || !strings.Contains(err.Error(), "ChannelMessage.Send") {
		t.Fatalf("err = %v", err)
	}
	h.srv.RevokeRefreshToken(consent)
	err = def.Test(ctxFor(t, 5*time.Second), h.conn, env)
	if err == nil || !strings.Contains(err.Error(), "consent again") {
		t.Fatalf("err = %v", err)
	}
	noSecrets(t, err.Error())
	refuse := func(string) error { return errors.New("refused address") }
	if err := def.Test(ctxFor(t, 5*time.Second), h.conn, connector.Env{HTTP: h.srv.Client(), CheckURL: refuse}); err == nil || !strings.Contains(err.Error(), "token_url") {
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
	in, err := parse(t, `{"type": "teams", "name": "Teams", "settings": {"tenant_id": " contoso.onmicrosoft.com ", "client_id": "`+clientID+`"},
		"credentials": {"client_secret": "s", "refresh_token": "r"}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"tenant_id": "contoso.onmicrosoft.com", "client_id": clientID,
		"graph_base_url": "https://graph.microsoft.com/v1.0",
		"token_url":      "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
		"scope":          "https://graph.microsoft.com/ChannelMessage.Send offline_access",
	}
	if !maps.Equal(in.Settings, want) {
		t.Fatalf("settings = %v", in.Settings)
	}
	in, err = parse(t, `{"type": "teams", "name": "Teams", "settings": {"tenant_id": "`+tenant+`", "client_id": "`+clientID+`",
		"graph_base_url": "http://127.0.0.1:8/v1.0/", "token_url": "http://127.0.0.1:8/t/oauth2/v2.0/token", "scope": " a  b "},
		"credentials": {"client_secret": "s", "refresh_token": "r", "access_token": "a", "access_token_expires_at": "2026-01-01T00:00:00Z"}}`)
	if err != nil || in.Settings["graph_base_url"] != "http://127.0.0.1:8/v1.0" || in.Settings["token_url"] != "http://127.0.0.1:8/t/oauth2/v2.0/token" ||
		in.Settings["scope"] != "a b" || len(in.Credentials) != 4 {
		t.Fatalf("input %+v, err %v", in, err)
	}
	ok := `"tenant_id": "` + tenant + `", "client_id": "` + clientID + `"`
	creds := `"credentials": {"client_secret": "s", "refresh_token": "r"}`
	for body, wants := range map[string][]string{
		`{"type": "teams", "name": "t", ` + creds + `}`:                                                                                          {"settings.tenant_id", "settings.client_id"},
		`{"type": "teams", "name": "t", "settings": {` + ok + `}}`:                                                                               {"credentials.client_secret", "credentials.refresh_token"},
		`{"type": "teams", "name": "t", "settings": {"tenant_id": "a/b", "client_id": "x"}, ` + creds + `}`:                                      {"settings.tenant_id", "settings.client_id"},
		`{"type": "teams", "name": "t", "settings": {` + ok + `, "token_url": "not a url"}, ` + creds + `}`:                                      {"settings.token_url"},
		`{"type": "teams", "name": "t", "settings": {` + ok + `, "graph_base_url": "https://graph.microsoft.com/v1.0?x=1"}, ` + creds + `}`:      {"settings.graph_base_url"},
		`{"type": "teams", "name": "t", "settings": {` + ok + `, "scope": "  "}, ` + creds + `}`:                                                 {"settings.scope"},
		`{"type": "teams", "name": "t", "settings": {` + ok + `, "team_id": "x"}, ` + creds + `}`:                                                {"settings.team_id"},
		`{"type": "teams", "name": "t", "settings": {` + ok + `}, "credentials": {"client_secret": "s", "refresh_token": "r", "password": "p"}}`: {"credentials.password"},
	} {
		_, err := parse(t, body)
		for _, w := range wants {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v, want one about %s", body, err, w)
			}
		}
	}
}

func TestNewRequiresCredentials(t *testing.T) {
	h := newHarness(t)
	delete(h.conn.Credentials, teams.CredRefreshToken)
	_, err := teams.New(h.conn, http.DefaultClient)
	var te *teams.Error
	if !errors.As(err, &te) || !te.Reconsent {
		t.Fatalf("err = %v", err)
	}
}

func TestExpiresInAsString(t *testing.T) {
	h := newHarness(t)
	h.srv.GrantAccessToken("issued-by-script-0001")
	h.srv.EnqueueToken(teamstest.Reply{Status: 200, Body: `{"token_type":"Bearer","expires_in":"1800","access_token":"issued-by-script-0001"}`})
	if _, err := h.client(t).SendChannelMessage(ctxFor(t, 5*time.Second), team, channel, "hi"); err != nil {
		t.Fatal(err)
	}
	if len(h.saves) != 1 || h.saves[0][teams.CredAccessTokenExp] != h.now.Add(30*time.Minute).Format(time.RFC3339) {
		t.Fatalf("saves = %v", h.saves)
	}
	if _, rotated := h.saves[0][teams.CredRefreshToken]; rotated {
		t.Fatal("saved a refresh token the answer did not have")
	}
}
