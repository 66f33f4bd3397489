package action

import (
	"context"
	"errors"
	"strings"

	"github.com/deskflow/deskflow/internal/integration/platform"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/validate"
)

var executeConnectorAction = Definition{
	Type:        "execute_connector_action",
	Effect:      EffectExternal,
	Run:         runConnectorAction,
	Category:    CategoryPlatform,
	Description: "Run an action (actionId) of a connected platform (connectorId: a Shopify, Stripe, GitHub, Jira or Slack connector) with params, whose string values are templates; the output is the object the platform answered (the refund, the issue: {{variables.refund.id}}), reduced to the fields the catalog lists, and its HTTP status is in the step record (http_status).",
	Params: []spec.Param{
		{Name: "connectorId", Type: spec.Reference, Reference: param.KindConnector, Required: true, Custom: true, ConnectorTypes: platform.IDs(),
			Example: "3f2c6c1e-9a4b-4d3e-8f7a-2b1c0d9e8f7a", Description: "A connector of a platform that offers actionId."},
		{Name: "actionId", Type: spec.String, Required: true, Custom: true, Example: "refund_order",
			Description: "The platform action to run (GET /api/connectors/catalog lists them)."},
		{Name: "params", Type: spec.Object, Custom: true, Templates: true, Example: map[string]any{"orderId": "{{customFields.order_id}}"},
			Description: "The action's parameters; string values are templates."},
	},
	Check: func(p *param.Params, _ spec.Values) { platform.ValidateStep(p) },
}

// platformSleep waits between attempts of a platform request (tests
// replace it).
var platformSleep = platform.SleepContext

func runConnectorAction(ctx context.Context, x *Exec) (any, error) {
	actionID := x.String("actionId")
	offering := platform.Offering(actionID)
	if len(offering) == 0 {
		return nil, Failf("actionId: %q is not an action of any connected platform", actionID)
	}
	c, err := x.Connector(ctx, "connectorId")
	if err != nil {
		return nil, err
	}
	x.record("platform", c.Type)
	a, ok := platform.FindAction(c.Type, actionID)
	if !ok {
		return nil, Failf("connectorId: connector %s is a %s connector, which has no action %q (offered by %s)", c.ID, c.Type, actionID, strings.Join(offering, " and "))
	}
	params, err := x.renderParams(ctx)
	if err != nil {
		return nil, err
	}
	env := platform.Env{HTTP: x.Services.HTTP, CheckURL: x.Services.CheckURL, Sleep: platformSleep}
	res, err := platform.Execute(ctx, env, c, a, params, x.IdempotencyKey)
	var out any
	if res != nil {
		// The HTTP details go in the step record; the output is the object.
		x.record("http_status", res.Status)
		out = res.Output()
	}
	if err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) {
			return out, &Error{Message: pe.Message}
		}
		return out, err
	}
	return out, nil
}

// renderParams renders the string values of params (at any depth) as
// plain-text templates and records the result.
func (x *Exec) renderParams(ctx context.Context) (map[string]any, error) {
	raw, _ := x.Parameters["params"].(map[string]any)
	var missing []string
	var render1 func(path string, v any) (any, error)
	render1 = func(path string, v any) (any, error) {
		switch t := v.(type) {
		case string:
			out, miss, err := render(ctx, t, x.Data, template.Plain)
			if err != nil {
				return nil, Failf("render %s: %v", path, err)
			}
			missing = append(missing, miss...)
			return out, nil
		case map[string]any:
			m := make(map[string]any, len(t))
			for k, e := range t {
				r, err := render1(validate.Join(path, k), e)
				if err != nil {
					return nil, err
				}
				m[k] = r
			}
			return m, nil
		case []any:
			l := make([]any, len(t))
			for i, e := range t {
				r, err := render1(validate.Index(path, i), e)
				if err != nil {
					return nil, err
				}
				l[i] = r
			}
			return l, nil
		}
		return v, nil
	}
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		r, err := render1("params."+k, v)
		if err != nil {
			return nil, err
		}
		out[k] = r
	}
	x.record("params", out)
	if len(missing) > 0 {
		all, _ := x.Input["missing_variables"].([]string)
		x.record("missing_variables", append(all, missing...))
	}
	return out, nil
}
