package action

import (
	"net/mail"
	"strings"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/validate"
)

// Connector types that communication actions accept.
const (
	ConnectorSMTP    = "smtp"
	ConnectorSlack   = "slack"
	ConnectorTeams   = "teams"
	ConnectorWebhook = "webhook"
)

// WebhookMethods are the HTTP methods send_webhook may use.
var WebhookMethods = []string{"POST", "PUT", "PATCH", "DELETE", "GET"}

var (
	sendReply = Definition{
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
	sendEmail = Definition{
		Type:        "send_email",
		Effect:      EffectExternal,
		Run:         unavailable("email delivery (SMTP connectors)"),
		Category:    CategoryCommunication,
		Description: "Send an email to any address: to, cc (an address, a comma-separated list or an array; templates allowed), subject, content.",
		Validate: func(p *param.Params) {
			recipients(p, "to", true)
			recipients(p, "cc", false)
			p.Template("subject", true)
			p.Template("content", true)
			p.Ref("connectorId", param.KindConnector, false, ConnectorSMTP)
		},
	}
	sendSlackMessage = Definition{
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
	sendTeamsMessage = Definition{
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
	sendWebhook = Definition{
		Type:        "send_webhook",
		Effect:      EffectExternal,
		Run:         runWebhook,
		Category:    CategoryCommunication,
		Description: "HTTP request to an external URL: url, method (default POST), headers and body are templates; JSON bodies are rendered with JSON escaping.",
		Validate: func(p *param.Params) {
			if t, ok := p.Template("url", true); ok && len(t.Paths()) == 0 && p.CheckURL != nil {
				if err := p.CheckURL(t.Source()); err != nil {
					p.Errs.Add(p.FieldPath("url"), "%s", err.Error())
				}
			}
			if m, ok := p.String("method", false); ok {
				p.OneOf("method", strings.ToUpper(m), WebhookMethods...)
			}
			p.TemplateMap("headers", false)
			p.Template("body", false)
			p.Ref("connectorId", param.KindConnector, false, ConnectorWebhook)
		},
	}
)

// recipients reads an address field: one string (possibly comma-separated)
// or an array of strings. Literal addresses must parse; templated ones are
// checked when rendered.
func recipients(p *param.Params, key string, required bool) {
	raw, present := p.Raw(key)
	if !present || raw == nil {
		if required {
			p.Errs.Add(p.FieldPath(key), "is required")
		}
		return
	}
	var items []string
	switch v := raw.(type) {
	case string:
		items = strings.Split(v, ",")
	case []any:
		for i, item := range v {
			s, ok := item.(string)
			if !ok {
				p.Errs.Add(validate.Index(p.FieldPath(key), i), "must be a string")
				return
			}
			items = append(items, s)
		}
	default:
		p.Errs.Add(p.FieldPath(key), "must be an email address or an array of them")
		return
	}
	count := 0
	for _, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		count++
		if strings.Contains(item, "{{") {
			if _, err := p.ParseTemplate(item); err != nil {
				p.Errs.Add(p.FieldPath(key), "invalid template: %s", err.Error())
			}
			continue
		}
		if _, err := mail.ParseAddress(item); err != nil {
			p.Errs.Add(p.FieldPath(key), "%q is not a valid email address", item)
		}
	}
	if required && count == 0 {
		p.Errs.Add(p.FieldPath(key), "must name at least one address")
	}
}
