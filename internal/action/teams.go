package action

import (
	"github.com/deskflow/deskflow/internal/param"
)

var sendTeamsMessage = Definition{
	Type:        "send_teams_message",
	Effect:      EffectExternal,
	Run:         unavailable("the Microsoft Teams connector"),
	Category:    CategoryCommunication,
	Description: "Post message (a template) to a Microsoft Teams channel (teamId, channelId) through a Teams connector.",
	Validate: func(p *param.Params) {
		p.Ref("connectorId", param.KindConnector, true, ConnectorTeams)
		p.String("teamId", true)
		p.String("channelId", true)
		p.Template("message", true)
	},
}
