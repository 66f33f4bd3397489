package platform

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
)

// sleeper records waits instead of sleeping.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func testEnv(srv *platformfake.Server, sl *sleeper) Env {
	return Env{HTTP: srv.Client(), Sleep: sl.sleep}
}

func shopifyConn(f *platformfake.Shopify) *connector.Connector {
	return &connector.Connector{ID: "c-shopify", Type: "shopify",
		Settings:    map[string]any{"base_url": f.Base},
		Credentials: map[string]string{"access_token": platformfake.ShopifyToken}}
}

func stripeConn(f *platformfake.Stripe) *connector.Connector {
	return &connector.Connector{ID: "c-stripe", Type: "stripe",
		Settings:    map[string]any{"base_url": f.URL},
		Credentials: map[string]string{"secret_key": platformfake.StripeKey}}
}

func githubConn(f *platformfake.GitHub) *connector.Connector {
	return &connector.Connector{ID: "c-github", Type: "github",
		Settings:    map[string]any{"base_url": f.URL},
		Credentials: map[string]string{"token": platformfake.GitHubToken}}
}

func slackConn(f *platformfake.Slack) *connector.Connector {
	return &connector.Connector{ID: "c-slack", Type: "slack",
		Settings:    map[string]any{"base_url": f.URL},
		Credentials: map[string]string{"bot_token": platformfake.SlackToken}}
}

func jiraConn(f *platformfake.Jira) *connector.Connector {
	return &connector.Connector{ID: "c-jira", Type: "jira",
		Settings:    map[string]any{"base_url": f.URL},
		Credentials: map[string]string{"email": platformfake.JiraEmail, "api_token": platformfake.JiraAPIToken}}
}

// execute runs one action with a 30 s deadline.
func execute(t *testing.T, env Env, c *connector.Connector, actionID string, params map[string]any, key string) (*Result, error) {
	t.Helper()
	a, ok := FindAction(c.Type, actionID)
	if !ok {
		t.Fatalf("no action %s on %s", actionID, c.Type)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Execute(ctx, env, c, a, params, key)
}

func mustExecute(t *testing.T, env Env, c *connector.Connector, actionID string, params map[string]any, key string) *Result {
	t.Helper()
	res, err := execute(t, env, c, actionID, params, key)
	if err != nil {
		t.Fatalf("%s: %v", actionID, err)
	}
	return res
}

// get walks a dotted path through decoded JSON.
func get(v any, path string) any {
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			i := 0
			for _, c := range seg {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "<nil>"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func wantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	if !IsError(err) {
		t.Errorf("error %q is not a *platform.Error", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
