package platform

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
	"github.com/deskflow/deskflow/internal/validate"
)

func testConnectorType(t *testing.T, c *connector.Connector, env connector.Env) error {
	t.Helper()
	ct, ok := connector.Lookup(c.Type)
	if !ok {
		t.Fatalf("no connector type %s", c.Type)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return ct.Test(ctx, c, env)
}

func TestConnectorTests(t *testing.T) {
	shop := platformfake.NewShopify(t)
	stripe := platformfake.NewStripe(t)
	gh := platformfake.NewGitHub(t)
	jira := platformfake.NewJira(t)
	cases := []struct {
		c      *connector.Connector
		srv    *platformfake.Server
		method string
		path   string
		secret string
		fail   string
	}{
		{shopifyConn(shop), shop.Server, "POST", "/admin/api/2026-10/graphql.json", "access_token", "Shopify answered 401 Unauthorized: [API] Invalid API key or access token"},
		{stripeConn(stripe), stripe.Server, "GET", "/v1/balance", "secret_key", "Stripe answered 401 Unauthorized: Invalid API Key provided"},
		{githubConn(gh), gh.Server, "GET", "/user", "token", "GitHub answered 401 Unauthorized: Bad credentials"},
		{jiraConn(jira), jira.Server, "GET", "/rest/api/3/myself", "api_token", "Jira answered 401 Unauthorized: Client must be authenticated"},
	}
	for _, tc := range cases {
		env := connector.Env{HTTP: tc.srv.Client()}
		if err := testConnectorType(t, tc.c, env); err != nil {
			t.Errorf("%s test: %v", tc.c.Type, err)
		}
		if last := tc.srv.Last(); last.Method != tc.method || last.Path != tc.path {
			t.Errorf("%s test request %s %s, want %s %s", tc.c.Type, last.Method, last.Path, tc.method, tc.path)
		}
		tc.c.Credentials[tc.secret] = "wrong-secret-value-42"
		err := testConnectorType(t, tc.c, env)
		if err == nil || !strings.Contains(err.Error(), tc.fail) || !strings.Contains(err.Error(), "check the connector's credentials") {
			t.Errorf("%s test with a bad secret: %v", tc.c.Type, err)
		} else if strings.Contains(err.Error(), "wrong-secret-value-42") {
			t.Errorf("%s test error leaks the secret: %v", tc.c.Type, err)
		}
		delete(tc.c.Credentials, tc.secret)
		if err := testConnectorType(t, tc.c, env); err == nil || !strings.Contains(err.Error(), "has no "+tc.secret+" credential") {
			t.Errorf("%s test without the secret: %v", tc.c.Type, err)
		}
	}
}

func TestConnectorTestChecksURLAndRedirects(t *testing.T) {
	gh := platformfake.NewGitHub(t)
	refuse := connector.Env{HTTP: gh.Client(), CheckURL: func(string) error { return errors.New("loopback addresses are not allowed") }}
	err := testConnectorType(t, githubConn(gh), refuse)
	if err == nil || !strings.Contains(err.Error(), "base URL refused: loopback addresses are not allowed") || len(gh.Requests()) != 0 {
		t.Errorf("refused URL: %v (%d requests)", err, len(gh.Requests()))
	}
	// A redirect would carry the token elsewhere: it is not followed.
	gh.Queue(platformfake.Canned{Status: 301, Header: map[string]string{"Location": "https://elsewhere.example.com/user"}, Body: `{"message":"Moved Permanently","url":"https://elsewhere.example.com/user"}`})
	err = testConnectorType(t, githubConn(gh), connector.Env{HTTP: gh.Client()})
	if err == nil || !strings.Contains(err.Error(), "301 Moved Permanently") || !strings.Contains(err.Error(), "not followed") || len(gh.Requests()) != 1 {
		t.Errorf("redirect: %v (%d requests)", err, len(gh.Requests()))
	}
}

func TestConnectorSettings(t *testing.T) {
	check := func(typ string, settings map[string]any) (map[string]any, map[string][]string) {
		ct, _ := connector.Lookup(typ)
		var errs validate.Errors
		o := validate.NewObject(&errs, "settings", settings)
		ct.ReadSettings(o)
		o.RejectUnknown()
		if ve, ok := validate.As(errs.Err()); ok {
			return o.Values, ve.Fields
		}
		return o.Values, nil
	}
	v, errs := check("shopify", map[string]any{"shop_domain": "My-Store"})
	if errs != nil || v["shop_domain"] != "my-store.myshopify.com" {
		t.Errorf("shop domain %v %v", v, errs)
	}
	v, errs = check("shopify", map[string]any{"shop_domain": "https://my-store.myshopify.com/", "api_version": "2025-01"})
	if errs != nil || v["shop_domain"] != "my-store.myshopify.com" {
		t.Errorf("shop domain URL %v %v", v, errs)
	}
	if _, errs = check("shopify", map[string]any{}); errs["settings.shop_domain"] == nil {
		t.Errorf("missing shop domain: %v", errs)
	}
	if _, errs = check("shopify", map[string]any{"base_url": "http://127.0.0.1:8080/admin/api/2026-10/"}); errs != nil {
		t.Errorf("base_url instead of shop_domain: %v", errs)
	}
	bad := []struct {
		typ      string
		settings map[string]any
		path     string
	}{
		{"shopify", map[string]any{"shop_domain": "shop.example.com"}, "settings.shop_domain"},
		{"shopify", map[string]any{"shop_domain": "s", "api_version": "latest"}, "settings.api_version"},
		{"shopify", map[string]any{"shop_domain": "s", "color": "red"}, "settings.color"},
		{"stripe", map[string]any{"base_url": "http://api.stripe.example.com"}, "settings.base_url"},
		{"stripe", map[string]any{"base_url": "https://user:pw@api.stripe.com"}, "settings.base_url"},
		{"stripe", map[string]any{"base_url": 7}, "settings.base_url"},
		{"jira", map[string]any{}, "settings.base_url"},
		{"jira", map[string]any{"base_url": "your-domain.atlassian.net"}, "settings.base_url"},
	}
	for _, b := range bad {
		if _, errs := check(b.typ, b.settings); errs[b.path] == nil {
			t.Errorf("%s %v: no error at %s (%v)", b.typ, b.settings, b.path, errs)
		}
	}
	v, errs = check("jira", map[string]any{"base_url": "https://your-domain.atlassian.net/"})
	if errs != nil || v["base_url"] != "https://your-domain.atlassian.net" {
		t.Errorf("jira %v %v", v, errs)
	}
	if _, errs = check("stripe", map[string]any{}); errs != nil {
		t.Errorf("stripe defaults: %v", errs)
	}
	p, _ := Lookup("stripe")
	if base, _ := p.BaseURL(nil); base != "https://api.stripe.com" {
		t.Errorf("stripe base %q", base)
	}
}

func TestWrongConnectorTypeForAction(t *testing.T) {
	f := platformfake.NewStripe(t)
	a, _ := FindAction("shopify", "refund_order")
	_, err := Execute(context.Background(), testEnv(f.Server, &sleeper{}), stripeConn(f), a, map[string]any{"orderId": 1}, "k")
	wantError(t, err, "connector c-stripe is a stripe connector; refund_order is an action of shopify")
	if len(f.Requests()) != 0 {
		t.Error("a request was sent")
	}
}

func TestCoerce(t *testing.T) {
	cases := []struct {
		typ  string
		in   any
		want string // JSON of the result, or "error"
	}{
		{"array", `["vip","billing"]`, `["vip","billing"]`},
		{"array", " a, b ,,c ", `["a","b","c"]`},
		{"array", " , ", `null`},
		{"array", []any{"x", json.Number("7")}, `["x","7"]`},
		{"array", strings.Repeat("x,", MaxArrayItems), `[` + strings.TrimSuffix(strings.Repeat(`"x",`, MaxArrayItems), ",") + `]`},
		{"array", strings.Repeat("x,", MaxArrayItems+1), "error"},
		{"integer", " 42 ", `42`},
		{"integer", json.Number("1.5"), "error"},
		{"integer", 3.0, `3`},
		{"number", "12.50", `12.50`},
		{"number", "NaN", "error"},
		{"number", "0x10", "error"},
		{"boolean", "Yes", `true`},
		{"boolean", "0", `false`},
		{"boolean", "on", "error"},
		{"string", json.Number("31"), `"31"`},
		{"string", "  ", `null`},
		{"string", true, "error"},
		{"object", map[string]any{}, `null`},
		{"object", "x", "error"},
	}
	for _, c := range cases {
		got, err := coerce(Param{Name: "p", Type: c.typ}, c.in)
		s := "error"
		if err == nil {
			b, _ := json.Marshal(got)
			s = string(b)
		}
		if s != c.want {
			t.Errorf("coerce(%s, %#v) = %s (%v), want %s", c.typ, c.in, s, err, c.want)
		}
	}
}
