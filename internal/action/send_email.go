package action

import (
	"net/mail"
	"strings"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/validate"
)

var sendEmail = Definition{
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
