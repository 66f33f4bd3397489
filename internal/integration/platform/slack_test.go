package platform

import (
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
)

// Slack answers a refusal with 200 and {"ok": false}: the action fails
// with Slack's error code, and its output is Slack's answer.
func TestSlackRefusalIsAnActionError(t *testing.T) {
	f := platformfake.NewSlack(t)
	res, err := execute(t, testEnv(f.Server, &sleeper{}), slackConn(f), "conversations_info", map[string]any{"channel": "C_MISSING"}, "slack-refusal")
	if !IsError(err) || !strings.Contains(err.Error(), "Slack refused the request: channel_not_found") {
		t.Fatalf("error %v", err)
	}
	if res == nil || res.Status != 200 || res.Data.(map[string]any)["error"] != "channel_not_found" {
		t.Errorf("result %+v", res)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("%d requests: a refusal is not retried", n)
	}
	// A wrong token is refused the same way.
	conn := slackConn(f)
	conn.Credentials["bot_token"] = "xoxb-wrong"
	if _, err := execute(t, testEnv(f.Server, &sleeper{}), conn, "conversations_info", map[string]any{"channel": "C012AB3CD"}, "slack-auth"); err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Errorf("wrong token: %v", err)
	}
}
