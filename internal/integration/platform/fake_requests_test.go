package platform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
)

// The fakes check every request against the platform's official
// description (platformfake/official.go), so every catalog action that
// succeeds against its fake (TestEveryCatalogActionAgainstItsFake) sent
// requests the description allows. This test shows the fakes refuse what
// the description does not: a catalog action whose path drifted, or whose
// required parameter is sent under another name, fails against its fake.
// (An optional parameter under another name is an extra field most
// descriptions allow; the catalog check, TestCatalogMatchesOfficialDescriptions,
// catches that drift.)
func TestFakesRefuseRequestsTheDescriptionDoesNotAllow(t *testing.T) {
	cases := []struct {
		platform, action string
		params           map[string]any
		drift            func(a *Action)
	}{
		{"stripe", "create_balance_credit", map[string]any{"customerId": "cus_123", "amount": -500, "currency": "usd"}, func(a *Action) { a.Params[1].Field = "amount_in_cents" }},
		{"stripe", "get_customer", map[string]any{"customerId": "cus_123"}, func(a *Action) { a.Path = "/v1/customer/{customerId}" }},
		{"github", "create_issue", map[string]any{"owner": "acme", "repo": "app", "title": "Crash"}, func(a *Action) { a.Params[2].Field = "name" }},
		{"jira", "add_comment", map[string]any{"issueKey": "SUP-1", "body": "Seen again"}, func(a *Action) { a.Path = "/rest/api/3/issue/{issueKey}/comments" }},
		{"slack", "conversations_info", map[string]any{"channel": "C012AB3CD"}, func(a *Action) { a.Path = "/conversations.details" }},
		{"slack", "chat_post_message", map[string]any{"channel": "C012AB3CD", "text": "Hi"}, func(a *Action) { a.Params[0].Field = "conversation" }},
	}
	for _, c := range cases {
		p, _ := Lookup(c.platform)
		orig, ok := p.Action(c.action)
		if !ok {
			t.Fatalf("no action %s.%s", c.platform, c.action)
		}
		srv, conn := fakeOf(t, c.platform)
		params := c.params
		if _, err := execute(t, testEnv(srv, &sleeper{}), conn, c.action, params, "ok-"+c.action); err != nil {
			t.Fatalf("%s.%s as the catalog has it: %v", c.platform, c.action, err)
		}
		drifted := *orig
		drifted.Params = append([]Param(nil), orig.Params...)
		c.drift(&drifted)
		in, err := prepare(&drifted, params)
		if err != nil {
			t.Fatal(err)
		}
		r, err := in.request("drift-" + c.action)
		if err != nil {
			t.Fatal(err)
		}
		s, err := newSession(p, conn, testEnv(srv, &sleeper{}))
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.do(t.Context(), r)
		if err == nil || res == nil || res.status != 400 && res.status != 404 || !strings.Contains(fmt.Sprint(res.data), "official description") {
			t.Errorf("%s.%s drifted: %v, %v", c.platform, c.action, res, err)
		}
	}
}

// fakeOf starts a platform's fake and a connector to it.
func fakeOf(t *testing.T, platformID string) (*platformfake.Server, *connector.Connector) {
	switch platformID {
	case "stripe":
		f := platformfake.NewStripe(t)
		return f.Server, stripeConn(f)
	case "github":
		f := platformfake.NewGitHub(t)
		return f.Server, githubConn(f)
	case "jira":
		f := platformfake.NewJira(t)
		return f.Server, jiraConn(f)
	case "slack":
		f := platformfake.NewSlack(t)
		return f.Server, slackConn(f)
	}
	t.Fatalf("no fake for %s", platformID)
	return nil, nil
}
