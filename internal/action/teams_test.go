package action

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/teams"
	"github.com/deskflow/deskflow/internal/integration/teams/teamstest"
)

const (
	chatTenant   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	chatClientID = "11112222-bbbb-3333-cccc-4444dddd5555"
	chatSecret   = "teams~Client.Secret-0123456789"
	chatConsent  = "consented-refresh-token-abcdef"
	chatTeam     = "fbe2bf47-16c8-47cf-b4a5-4b9b187c508b"
	chatChannel  = "19:4a95f7d8db4c4e7fae857bcebe0623e6@thread.tacv2"
)

type teamsFixture struct {
	srv  *teamstest.Server
	src  *chatConnectors
	id   string
	x    *Exec
	wait *chatWaits
}

func newTeamsFixture(t *testing.T, message string) *teamsFixture {
	srv := teamstest.New(t, chatTenant, chatClientID, chatSecret)
	srv.GrantRefreshToken(chatConsent)
	srv.AddChannel(chatTeam, chatChannel)
	src := &chatConnectors{}
	id := src.add(&connector.Connector{Type: teams.Type, Name: "Teams",
		Settings: map[string]any{
			teams.SettingTenantID: chatTenant, teams.SettingClientID: chatClientID,
			teams.SettingGraphBaseURL: srv.GraphBaseURL(), teams.SettingTokenURL: srv.TokenURL(),
			teams.SettingScope: teams.DefaultScope,
		},
		Credentials: map[string]string{teams.CredClientSecret: chatSecret, teams.CredRefreshToken: chatConsent}})
	x := &Exec{
		WorkspaceID: 7, RunID: "run-2", IdempotencyKey: "run-2-0-0",
		Parameters: map[string]any{"connectorId": id, "teamId": chatTeam, "channelId": chatChannel, "message": message},
		Data:       chatData(),
		Services:   chatServices(src),
	}
	return &teamsFixture{srv: srv, src: src, id: id, x: x, wait: withChatWaits(t)}
}

// freshToken stores a valid access token expiring in d.
func (f *teamsFixture) freshToken(tok string, d time.Duration) {
	f.srv.GrantAccessToken(tok)
	c := f.src.byID[f.id]
	c.Credentials[teams.CredAccessToken] = tok
	c.Credentials[teams.CredAccessTokenExp] = time.Now().Add(d).UTC().Format(time.RFC3339)
}

func (f *teamsFixture) run(t *testing.T, d time.Duration, extraSecrets ...string) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, err := sendTeamsMessage.Run(ctx, f.x)
	secrets := append([]string{chatSecret, chatConsent, "fake-access-", "fake-refresh-"}, extraSecrets...)
	assertNoCredentials(t, f.x, out, err, secrets...)
	return out, err
}

func TestTeamsSendsWithFreshToken(t *testing.T) {
	f := newTeamsFixture(t, "Ticket escalated: {{ticket.subject}}\nPriority: {{ticket.priority}}")
	f.freshToken("still-valid-access-token", time.Hour)
	out, err := f.run(t, 5*time.Second, "still-valid-access-token")
	if err != nil {
		t.Fatal(err)
	}
	o := out.(map[string]any)
	if o["id"] != "1616990032001" || !strings.HasPrefix(o["webUrl"].(string), "https://teams.microsoft.com/l/message/19%3A4a95f7d8db4c4e7fae857bcebe0623e6%40thread.tacv2/1616990032001?") || len(o) != 2 {
		t.Fatalf("output = %#v", out)
	}
	reqs := f.srv.MessageRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	want := "Ticket escalated: Can&#39;t log in: &#34;Fehler ü&#34; — 日本語 🚀 &lt;!channel&gt; &amp; &lt;https://evil.example|your bank&gt;<br>Priority: urgent"
	if r.Authorization != "Bearer still-valid-access-token" || r.TeamID != chatTeam || r.ChannelID != chatChannel ||
		r.ContentTypeField != "html" || r.Content != want {
		t.Fatalf("Graph received %+v\nwant content %q", r, want)
	}
	if len(f.srv.TokenRequests()) != 0 || len(f.src.updates) != 0 {
		t.Fatal("a fresh token was refreshed")
	}
	if f.x.Input["teamId"] != chatTeam || f.x.Input["channelId"] != chatChannel ||
		f.x.Input["message"] != "Ticket escalated: "+chatSubject+"\nPriority: urgent" {
		t.Fatalf("recorded input = %#v", f.x.Input)
	}
}

func TestTeamsRefreshesExpiredTokenAndPersists(t *testing.T) {
	f := newTeamsFixture(t, "Ticket escalated: {{ticket.subject}}")
	f.freshToken("expired-access-token", -time.Minute)
	before := time.Now()
	out, err := f.run(t, 5*time.Second, "expired-access-token")
	if err != nil {
		t.Fatal(err)
	}
	if out.(map[string]any)["id"] == "" {
		t.Fatalf("output = %#v", out)
	}
	if len(f.src.updates) != 1 {
		t.Fatalf("updates = %+v", f.src.updates)
	}
	u := f.src.updates[0]
	if u.Workspace != 7 || u.ID != f.id || len(u.Creds) != 3 ||
		u.Creds[teams.CredAccessToken] != "fake-access-1" || u.Creds[teams.CredRefreshToken] != "fake-refresh-1" {
		t.Fatalf("update = %+v", u)
	}
	exp, err := time.Parse(time.RFC3339, u.Creds[teams.CredAccessTokenExp])
	if err != nil || exp.Before(before.Add(3599*time.Second-2*time.Second)) || exp.After(time.Now().Add(3599*time.Second)) {
		t.Fatalf("expiry %q (%v)", u.Creds[teams.CredAccessTokenExp], err)
	}
	if got := f.srv.MessageRequests()[0].Authorization; got != "Bearer fake-access-1" {
		t.Fatalf("posted with %q", got)
	}
	// The next run uses the persisted token without refreshing.
	if _, err := f.run(t, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(f.srv.TokenRequests()) != 1 || f.srv.MessageRequests()[1].Authorization != "Bearer fake-access-1" {
		t.Fatalf("%d refreshes", len(f.srv.TokenRequests()))
	}
}

func TestTeamsUnauthorizedRefreshesAndRetries(t *testing.T) {
	f := newTeamsFixture(t, "hi")
	f.freshToken("revoked-access-token", time.Hour)
	f.srv.RevokeAccessToken("revoked-access-token")
	if _, err := f.run(t, 5*time.Second, "revoked-access-token"); err != nil {
		t.Fatal(err)
	}
	reqs := f.srv.MessageRequests()
	if len(reqs) != 2 || reqs[1].Authorization != "Bearer fake-access-1" || len(f.src.updates) != 1 {
		t.Fatalf("requests %+v, updates %+v", reqs, f.src.updates)
	}
}

func TestTeamsForbidden(t *testing.T) {
	f := newTeamsFixture(t, "hi")
	f.freshToken("valid-access-token", time.Hour)
	f.srv.Forbid = true
	_, err := f.run(t, 5*time.Second, "valid-access-token")
	if !IsStepError(err) || !strings.Contains(err.Error(), "ChannelMessage.Send") || !strings.Contains(err.Error(), "403") {
		t.Fatalf("err = %v", err)
	}
}

func TestTeamsThrottled(t *testing.T) {
	f := newTeamsFixture(t, "hi")
	f.freshToken("valid-access-token", time.Hour)
	f.srv.EnqueueGraph(teamstest.Throttled(2))
	if _, err := f.run(t, 5*time.Second, "valid-access-token"); err != nil {
		t.Fatal(err)
	}
	if w := f.wait.all(); len(w) != 1 || w[0] != 2*time.Second {
		t.Fatalf("waits = %v", w)
	}
	f.srv.EnqueueGraph(teamstest.Throttled(10))
	_, err := f.run(t, 3*time.Second, "valid-access-token")
	if !IsStepError(err) || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("err = %v", err)
	}
}

func TestTeamsInvalidGrantAsksForConsent(t *testing.T) {
	f := newTeamsFixture(t, "hi")
	f.srv.RevokeRefreshToken(chatConsent)
	_, err := f.run(t, 5*time.Second)
	if !IsStepError(err) || !strings.Contains(err.Error(), "invalid_grant") || !strings.Contains(err.Error(), "admin must") ||
		!strings.Contains(err.Error(), "refresh_token") {
		t.Fatalf("err = %v", err)
	}
	if len(f.srv.MessageRequests()) != 0 || len(f.src.updates) != 0 {
		t.Fatal("posted or saved without a token")
	}
}

func TestTeamsSecretEchoedByServiceIsRedacted(t *testing.T) {
	f := newTeamsFixture(t, "hi")
	f.srv.EnqueueToken(teamstest.AADError(401, "invalid_client", 7000215, "Invalid client secret "+chatSecret+" for "+chatConsent))
	_, err := f.run(t, 5*time.Second)
	if !IsStepError(err) || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("err = %v", err)
	}
}

func TestTeamsCredentialSaveFailureIsInternal(t *testing.T) {
	f := newTeamsFixture(t, "hi")
	f.src.failOn = errors.New("database is locked")
	_, err := f.run(t, 5*time.Second)
	if err == nil || IsStepError(err) || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("err = %v", err)
	}
	if len(f.srv.MessageRequests()) != 0 {
		t.Fatal("posted although the rotated tokens were not saved")
	}
}

func TestTeamsEmptyIDs(t *testing.T) {
	f := newTeamsFixture(t, "hi")
	f.x.Parameters["channelId"] = "  "
	if _, err := f.run(t, 5*time.Second); !IsStepError(err) || !strings.Contains(err.Error(), "channelId") {
		t.Fatalf("err = %v", err)
	}
}
