package action

import (
	"context"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/integration/slack"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

var sendSlackMessage = Definition{
	Type:        "send_slack_message",
	Effect:      EffectExternal,
	Run:         runSlack,
	Category:    CategoryCommunication,
	Description: "Post message (a template) to a Slack channel through a Slack connector.",
	Params: []spec.Param{
		{Name: "connectorId", Type: spec.Reference, Reference: param.KindConnector, Required: true, ConnectorTypes: []string{slack.Type},
			Example: "3f2c6c1e-9a4b-4d3e-8f7a-2b1c0d9e8f7a", Description: "A slack connector."},
		{Name: "channel", Type: spec.Template, Required: true, Example: "#support-alerts",
			Description: "The channel: #name or id."},
		{Name: "message", Type: spec.Template, Required: true, Example: "New urgent ticket: {{ticket.subject}}",
			Description: "The message's text."},
	},
}

// slackSleep, when set (by tests), replaces the Slack client's waits
// between attempts.
var slackSleep func(ctx context.Context, d time.Duration) error

// runSlack posts the rendered message with chat.postMessage. Values the
// message interpolates are escaped for Slack (& < >), so a ticket subject
// cannot mention @channel or disguise a link; the template's own text keeps
// Slack's control sequences (<@U123>, <!here>, <https://…|text>).
func runSlack(ctx context.Context, x *Exec) (any, error) {
	c, err := x.Connector(ctx, "connectorId", slack.Type)
	if err != nil {
		return nil, err
	}
	channel, err := x.Text(ctx, "channel")
	if err != nil {
		return nil, err
	}
	channel = strings.TrimSpace(channel)
	if channel == "" {
		return nil, Failf("channel: rendered empty")
	}
	data := x.Data
	x.Data, _ = slack.EscapeValues(data).(map[string]any)
	text, err := x.Text(ctx, "message")
	x.Data = data
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, Failf("message: rendered empty, and Slack does not post empty messages")
	}
	client, err := slack.New(c, x.Services.HTTP)
	if err != nil {
		return nil, integrationError(err, c.Credentials)
	}
	client.Sleep = slackSleep
	if x.Services.CheckURL != nil {
		if err := x.Services.CheckURL(client.BaseURL); err != nil {
			return nil, Failf("the Slack connector's base_url: %v", err)
		}
	}
	msg, err := client.PostMessage(ctx, channel, text)
	if err != nil {
		return nil, integrationError(err, c.Credentials)
	}
	return map[string]any{"channel": msg.Channel, "ts": msg.TS}, nil
}
