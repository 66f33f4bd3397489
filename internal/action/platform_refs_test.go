package action_test

import (
	"context"

	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/validate"
	"github.com/deskflow/deskflow/internal/workflow"
)

// A workflow saved with a platform action is checked against the
// workspace's real connectors: the connector must exist and be of a
// platform that offers the action.
func TestConnectorActionRefsAgainstStorage(t *testing.T) {
	ctx := context.Background()
	db, wsID := storagetest.Open(t, storagetest.SQLiteURL(t))
	save := func(typ string) string {
		c, err := db.SaveConnector(ctx, wsID, connector.Connector{ID: connector.NewID(), Type: typ, Name: typ, Settings: map[string]any{}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	shopify, stripe := save("shopify"), save("stripe")
	v := &workflow.Validator{Refs: db, Schema: template.DefaultSchema}
	body := func(connectorID, actionID string, params string) any {
		b, err := validate.Decode([]byte(`{"name": "Refund", "trigger_type": "manual", "actions": [{"actionType": "execute_connector_action",
			"config": {"connectorId": "` + connectorID + `", "actionId": "` + actionID + `", "params": ` + params + `, "requireApproval": true}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if _, err := v.Create(ctx, wsID, body(shopify, "refund_order", `{"orderId": "{{customFields.order_id}}"}`)); err != nil {
		t.Errorf("seed example with a Shopify connector refused: %v", err)
	}
	_, err := v.Create(ctx, wsID, body(stripe, "refund_order", `{"orderId": "{{customFields.order_id}}"}`))
	ve, ok := validate.As(err)
	if !ok || !strings.Contains(strings.Join(ve.Fields["actions.0.config.connectorId"], ";"), "is of type stripe; expected shopify") {
		t.Errorf("Stripe connector with refund_order: %v", err)
	}
	if _, err := v.Create(ctx, wsID, body(stripe, "get_customer", `{"customerId": "cus_123"}`)); err != nil {
		t.Errorf("get_customer with a Stripe connector refused: %v", err)
	}
	_, err = v.Create(ctx, wsID, body(shopify, "create_refund", `{"charge": "ch_1", "amount": "ten"}`))
	ve, ok = validate.As(err)
	if !ok || ve.Fields["actions.0.config.connectorId"] == nil || ve.Fields["actions.0.config.params.amount"] == nil {
		t.Errorf("Shopify connector with create_refund and a bad amount: %v", err)
	}
}
