package platform

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
)

func TestShopifyGetOrder(t *testing.T) {
	f := platformfake.NewShopify(t)
	res := mustExecute(t, testEnv(f.Server, &sleeper{}), shopifyConn(f), "get_order", map[string]any{"orderId": "450789469"}, "k1")
	req := f.Last()
	if req.Method != "POST" || req.Path != "/admin/api/2026-10/graphql.json" || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s", req.Method, req.Path)
	}
	a, _ := FindAction("shopify", "get_order")
	if body := req.JSON(); body["query"] != a.GraphQL.Document || get(body, "variables.id") != platformfake.ShopifyOrderGID {
		t.Errorf("body %s", req.Body)
	}
	if req.Header.Get("X-Shopify-Access-Token") != platformfake.ShopifyToken {
		t.Errorf("headers %v", req.Header)
	}
	if res.Status != 200 || get(res.Data, "id") != platformfake.ShopifyOrderGID || get(res.Data, "name") != "#1001" {
		t.Errorf("data %s", text(res.Data))
	}
	if get(res.Data, "customer.defaultEmailAddress.emailAddress") != "bob.norman@mail.example.com" || get(res.Data, "lineItems.nodes.1.title") != "Case" {
		t.Errorf("selected fields missing: %s", text(res.Data))
	}
	// Money is a decimal string with its currency.
	if get(res.Data, "totalPriceSet.shopMoney.amount") != "214.00" || get(res.Data, "totalPriceSet.shopMoney.currencyCode") != "USD" {
		t.Errorf("total %s", text(get(res.Data, "totalPriceSet")))
	}
	// A gid is taken as it is.
	mustExecute(t, testEnv(f.Server, &sleeper{}), shopifyConn(f), "get_order", map[string]any{"orderId": platformfake.ShopifyOrderGID}, "k1")
	if get(f.Last().JSON(), "variables.id") != platformfake.ShopifyOrderGID {
		t.Errorf("gid sent as %s", f.Last().Body)
	}
}

func TestShopifyFullRefund(t *testing.T) {
	f := platformfake.NewShopify(t)
	env := testEnv(f.Server, &sleeper{})
	a, _ := FindAction("shopify", "refund_order")
	params := map[string]any{"orderId": "450789469", "note": "Refund for ticket T-1", "notify": "true"}
	res := mustExecute(t, env, shopifyConn(f), "refund_order", params, "run1-0-2")
	reqs := f.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want the suggested refund, then the refund", len(reqs))
	}
	plan, create := reqs[0].JSON(), reqs[1].JSON()
	if plan["query"] != a.GraphQL.Prepare || get(plan, "variables.id") != platformfake.ShopifyOrderGID || get(plan, "variables.refundShipping") != true {
		t.Errorf("first request %s", reqs[0].Body)
	}
	if create["query"] != a.GraphQL.Document || get(create, "variables.idempotencyKey") != "run1-0-2" {
		t.Errorf("refund request %s", reqs[1].Body)
	}
	input := get(create, "variables.input")
	lines, _ := get(input, "refundLineItems").([]any)
	if len(lines) != 2 || get(input, "refundLineItems.0.restockType") != "NO_RESTOCK" {
		t.Errorf("refunded line items %s", text(lines))
	}
	if text(get(input, "transactions")) != `[{"amount":"214.00","gateway":"bogus","kind":"REFUND","orderId":"gid://shopify/Order/450789469","parentId":"gid://shopify/OrderTransaction/801038806"}]` {
		t.Errorf("refund transactions %s", text(get(input, "transactions")))
	}
	if get(input, "note") != "Refund for ticket T-1" || get(input, "notify") != true || get(input, "shipping.fullRefund") != true || get(input, "currency") != "USD" {
		t.Errorf("refund input %s", text(input))
	}
	if res.Status != 200 || get(res.Data, "id") == nil || get(res.Data, "totalRefundedSet.presentmentMoney.amount") != "214.00" {
		t.Errorf("result %d %s", res.Status, text(res.Data))
	}
	refundID := get(res.Data, "id")

	// The same step again (a crash after the refund), or another step:
	// nothing is refunded twice, the existing refund is the answer.
	for _, key := range []string{"run1-0-2", "run2-0-0"} {
		f.Reset()
		again := mustExecute(t, env, shopifyConn(f), "refund_order", params, key)
		if again.Extra["already_refunded"] != true || get(again.Data, "id") != refundID {
			t.Errorf("run with %s: %v %s", key, again.Extra, text(again.Data))
		}
		if n := len(f.Requests()); n != 1 {
			t.Errorf("run with %s sent %d requests, want the suggested refund only", key, n)
		}
		if out, _ := again.Output().(map[string]any); out["already_refunded"] != true || out["id"] == nil {
			t.Errorf("output %v", out)
		}
	}
	if n := len(f.Order()["refunds"].([]any)); n != 1 {
		t.Errorf("%d refunds", n)
	}
}

func TestShopifyRefundWithoutShipping(t *testing.T) {
	f := platformfake.NewShopify(t)
	res := mustExecute(t, testEnv(f.Server, &sleeper{}), shopifyConn(f), "refund_order", map[string]any{"orderId": 450789469, "refundShipping": false}, "k")
	if get(res.Data, "totalRefundedSet.shopMoney.amount") != "209.00" {
		t.Errorf("refund %s", text(res.Data))
	}
	if b := f.Last().JSON(); get(b, "variables.input.notify") != false || get(b, "variables.input.shipping.fullRefund") != false {
		t.Errorf("notify and shipping: %s", f.Last().Body)
	}
}

// A refund sent again with the same @idempotent key is the same refund.
func TestShopifyRefundIdempotencyKey(t *testing.T) {
	f := platformfake.NewShopify(t)
	env := testEnv(f.Server, &sleeper{})
	params := map[string]any{"input": map[string]any{"orderId": platformfake.ShopifyOrderGID, "note": "Goodwill",
		"transactions": []any{map[string]any{"orderId": platformfake.ShopifyOrderGID, "parentId": "gid://shopify/OrderTransaction/801038806", "amount": "10.00", "gateway": "bogus", "kind": "REFUND"}}}}
	first := mustExecute(t, env, shopifyConn(f), "create_order_refund", params, "step-7")
	second := mustExecute(t, env, shopifyConn(f), "create_order_refund", params, "step-7")
	if get(first.Data, "refund.id") == nil || get(first.Data, "refund.id") != get(second.Data, "refund.id") {
		t.Errorf("refunds %s and %s", text(first.Data), text(second.Data))
	}
	third := mustExecute(t, env, shopifyConn(f), "create_order_refund", params, "step-8")
	if get(third.Data, "refund.id") == get(first.Data, "refund.id") {
		t.Errorf("another key gave the same refund")
	}
	if n := len(f.Order()["refunds"].([]any)); n != 2 {
		t.Errorf("%d refunds, want 2", n)
	}
}

func TestShopifyOrderTags(t *testing.T) {
	f := platformfake.NewShopify(t)
	env := testEnv(f.Server, &sleeper{})
	res := mustExecute(t, env, shopifyConn(f), "add_order_tags", map[string]any{"orderId": "450789469", "tags": "vip, Imported,  refund-requested"}, "k")
	if text(get(f.Last().JSON(), "variables")) != `{"id":"gid://shopify/Order/450789469","tags":["vip","Imported","refund-requested"]}` {
		t.Errorf("variables %s", f.Last().Body)
	}
	if get(res.Data, "id") != platformfake.ShopifyOrderGID {
		t.Errorf("result %s", text(res.Data))
	}
	if got := text(f.Order()["tags"]); got != `["imported","vip","refund-requested"]` {
		t.Errorf("tags after adding %s", got)
	}
	mustExecute(t, env, shopifyConn(f), "remove_order_tags", map[string]any{"orderId": "450789469", "tags": []any{"imported", "VIP"}}, "k")
	if got := text(f.Order()["tags"]); got != `["refund-requested"]` {
		t.Errorf("tags after removal %s", got)
	}
}

func TestShopifyCustomerTagsAndNote(t *testing.T) {
	f := platformfake.NewShopify(t)
	env := testEnv(f.Server, &sleeper{})
	mustExecute(t, env, shopifyConn(f), "add_customer_tags", map[string]any{"customerId": "207119551", "tags": []any{"noël", "Élite"}}, "k")
	if got := text(f.Customer()["tags"]); got != `["Léon","Noël","Élite"]` {
		t.Errorf("customer tags %s", got)
	}
	res := mustExecute(t, env, shopifyConn(f), "update_customer_note", map[string]any{"customerId": "207119551", "note": "Asked for a refund on T-1"}, "k")
	if text(get(f.Last().JSON(), "variables")) != `{"input":{"id":"gid://shopify/Customer/207119551","note":"Asked for a refund on T-1"}}` {
		t.Errorf("note variables %s", f.Last().Body)
	}
	if get(res.Data, "note") != "Asked for a refund on T-1" {
		t.Errorf("result %s", text(res.Data))
	}
	res = mustExecute(t, env, shopifyConn(f), "search_customers", map[string]any{"query": "email:bob.norman@mail.example.com"}, "k")
	if text(get(f.Last().JSON(), "variables")) != `{"first":10,"query":"email:bob.norman@mail.example.com"}` {
		t.Errorf("search variables %s", f.Last().Body)
	}
	if get(res.Data, "0.id") != platformfake.ShopifyCustomerGID {
		t.Errorf("search result %s", text(res.Data))
	}
	res = mustExecute(t, env, shopifyConn(f), "find_customer_by_email", map[string]any{"email": "nobody@example.com"}, "k")
	if res.Data != nil {
		t.Errorf("unknown email found %s", text(res.Data))
	}
}

func TestShopifyRateLimitThenSuccess(t *testing.T) {
	f := platformfake.NewShopify(t)
	f.Queue(platformfake.Canned{Status: 429, Header: map[string]string{"Retry-After": "2.0"},
		Body: `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume unthrottled access."}`})
	sl := &sleeper{}
	res := mustExecute(t, testEnv(f.Server, sl), shopifyConn(f), "get_order", map[string]any{"orderId": "450789469"}, "k")
	if res.Status != 200 || len(f.Requests()) != 2 {
		t.Errorf("status %d after %d requests", res.Status, len(f.Requests()))
	}
	if got := sl.got(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Errorf("waits %v, want the Retry-After", got)
	}
}

func TestShopifyErrors(t *testing.T) {
	f := platformfake.NewShopify(t)
	env := testEnv(f.Server, &sleeper{})
	_, err := execute(t, env, shopifyConn(f), "get_order", map[string]any{"orderId": "1"}, "k")
	wantError(t, err, "Shopify has no order with that id")

	_, err = execute(t, env, shopifyConn(f), "update_order_note", map[string]any{"orderId": "450789469", "note": strings.Repeat("x", 5001)}, "k")
	wantError(t, err, "Shopify refused: note: Note is too long (maximum is 5000 characters)")

	mustExecute(t, env, shopifyConn(f), "cancel_order", map[string]any{"orderId": "450789469", "reason": "customer", "notifyCustomer": true}, "k")
	if v := get(f.Last().JSON(), "variables"); text(v) != `{"notifyCustomer":true,"orderId":"gid://shopify/Order/450789469","reason":"CUSTOMER","restock":false}` {
		t.Errorf("cancel variables %s", text(v))
	}
	_, err = execute(t, env, shopifyConn(f), "cancel_order", map[string]any{"orderId": "450789469"}, "k")
	wantError(t, err, "orderId: Order has already been cancelled")

	bad := shopifyConn(f)
	bad.Credentials["access_token"] = "shpat_wrong_token_value"
	_, err = execute(t, env, bad, "get_order", map[string]any{"orderId": "450789469"}, "k")
	wantError(t, err, "401 Unauthorized", "Invalid API key or access token", "check the connector's credentials")
	if strings.Contains(err.Error(), "shpat_wrong_token_value") {
		t.Error("error leaks the token")
	}

	_, err = execute(t, env, shopifyConn(f), "get_order", map[string]any{"orderId": "#1001"}, "k")
	wantError(t, err, `params.orderId must be a Shopify Order id: a number such as 450789469, or gid://shopify/Order/450789469 (got "#1001")`)
	_, err = execute(t, env, shopifyConn(f), "get_order", map[string]any{"orderId": "gid://shopify/Customer/1"}, "k")
	wantError(t, err, "params.orderId must be a Shopify Order id")
	_, err = execute(t, env, shopifyConn(f), "get_order", map[string]any{"orderId": ""}, "k")
	wantError(t, err, "params.orderId is required, but it is empty")
	_, err = execute(t, env, shopifyConn(f), "cancel_order", map[string]any{"orderId": "1", "reason": "bored"}, "k")
	wantError(t, err, "params.reason must be one of: CUSTOMER, DECLINED, FRAUD, INVENTORY, STAFF, OTHER")
	_, err = execute(t, env, shopifyConn(f), "get_order", map[string]any{"orderId": "1", "fields": "id"}, "k")
	wantError(t, err, "params.fields is not a parameter of Shopify get_order")

	// A document Shopify's schema does not validate is answered with
	// errors, which fail the action.
	f.Queue(platformfake.Canned{Status: 200, Body: `{"errors":[{"message":"Field 'nme' doesn't exist on type 'Order'","extensions":{"code":"undefinedField"}}]}`})
	_, err = execute(t, env, shopifyConn(f), "get_order", map[string]any{"orderId": "450789469"}, "k")
	wantError(t, err, "Shopify answered errors: Field 'nme' doesn't exist on type 'Order'")
}

func TestShopifyBaseURLFromShopDomain(t *testing.T) {
	p, _ := Lookup("shopify")
	got, err := p.BaseURL(map[string]any{"shop_domain": "my-store"})
	if err != nil || got != "https://my-store.myshopify.com/admin/api/2026-10" {
		t.Errorf("base %q %v", got, err)
	}
	got, _ = p.BaseURL(map[string]any{"shop_domain": "my-store.myshopify.com", "api_version": "2026-07"})
	if got != "https://my-store.myshopify.com/admin/api/2026-07" {
		t.Errorf("base %q", got)
	}
	if _, err := p.BaseURL(map[string]any{}); err == nil || !strings.Contains(err.Error(), "shop_domain") {
		t.Errorf("missing shop: %v", err)
	}
}
