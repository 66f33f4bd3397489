package action

import "github.com/deskflow/deskflow/internal/param"

var executeConnectorAction = Definition{
	Type:        "execute_connector_action",
	Effect:      EffectExternal,
	Run:         unavailable("platform connectors"),
	Category:    CategoryPlatform,
	Description: "Run an action (actionId) of a connected platform (connectorId) with params, whose string values are templates.",
	Validate: func(p *param.Params) {
		p.Ref("connectorId", param.KindConnector, true)
		p.String("actionId", true)
		p.TemplateMap("params", false)
	},
}
