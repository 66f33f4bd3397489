package action

import (
	"github.com/deskflow/deskflow/internal/param"
)

var sendReply = Definition{
	Type:        "send_reply",
	Effect:      EffectExternal,
	Run:         unavailable("email delivery (SMTP connectors)"),
	Category:    CategoryCommunication,
	Description: "Send an email reply to the ticket's customer; content is a template, includeSignature appends the workspace signature.",
	Validate: func(p *param.Params) {
		p.Template("content", true)
		p.Bool("includeSignature", false)
	},
}
