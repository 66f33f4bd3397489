package action

import (
	"github.com/deskflow/deskflow/internal/param"
)

var sendSlackMessage = Definition{
	Type:        "send_slack_message",
	Effect:      EffectExternal,
	Run:         unavailable("the Slack connector"),
	Category:    CategoryCommunication,
	Description: "Post message (a template) to a Slack channel through a Slack connector.",
	Validate: func(p *param.Params) {
		p.Ref("connectorId", param.KindConnector, true, ConnectorSlack)
		p.Template("channel", true)
		p.Template("message", true)
	},
}
