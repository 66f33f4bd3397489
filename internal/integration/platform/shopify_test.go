package platform

import (
	"net/http"
	"net/url"
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
	if req.Method != "GET" || req.Path != "/admin/api/2026-10/orders/450789469.json" {
		t.Errorf("request %s %s", req.Method, req.Path)
	}
	if req.Header.Get("X-Shopify-Access-Token") != platformfake.ShopifyToken || req.Header.Get("Idempotency-Key") != "" || len(req.Body) != 0 {
		t.Errorf("headers %v body %q", req.Header, req.Body)
	}
	if res.Status != 200 || text(get(res.Data, "id")) != "450789469" || get(res.Data, "name") != "#1001" {
		t.Errorf("data %s", text(res.Data))
	}
	if get(res.Data, "customer.email") != "bob.norman@mail.example.com" || get(res.Data, "line_items.1.title") != "Case" {
		t.Errorf("selected fields missing: %s", text(res.Data))
	}
	if get(res.Data, "secret_internal") != nil || get(res.Data, "line_items.0.sku") == nil || get(res.Data, "shipping_lines") != nil {
		t.Errorf("fields not selected as the catalog says: %s", text(res.Data))
	}
	out, _ := res.Output().(map[string]any)
	if res.Status != 200 || out["id"] == nil {
		t.Errorf("output %v", out)
	}
}

func TestShopifyFullRefund(t *testing.T) {
	f := platformfake.NewShopify(t)
	env := testEnv(f.Server, &sleeper{})
	params := map[string]any{"orderId": "450789469", "note": "Refund for ticket T-1", "notify": "true"}
	res := mustExecute(t, env, shopifyConn(f), "refund_order", params, "run1-0-2")
	reqs := f.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want order, calculate, refund", len(reqs))
	}
	get0, calc, create := reqs[0], reqs[1], reqs[2]
	if get0.Method != "GET" || get0.Path != "/admin/api/2026-10/orders/450789469.json" {
		t.Errorf("first request %s %s", get0.Method, get0.Path)
	}
	if q, _ := url.ParseQuery(get0.Query); !strings.Contains(q.Get("fields"), "line_items") || !strings.Contains(q.Get("fields"), "refunds") {
		t.Errorf("order read without line items and refunds: %s", get0.Query)
	}
	if calc.Method != "POST" || calc.Path != "/admin/api/2026-10/orders/450789469/refunds/calculate.json" {
		t.Errorf("calculate %s %s", calc.Method, calc.Path)
	}
	cb := calc.JSON()
	if text(get(cb, "refund.refund_line_items")) != `[{"line_item_id":466157049,"quantity":1,"restock_type":"no_restock"},{"line_item_id":518995019,"quantity":2,"restock_type":"no_restock"}]` {
		t.Errorf("calculated line items %s", text(get(cb, "refund.refund_line_items")))
	}
	if get(cb, "refund.shipping.full_refund") != true || get(cb, "refund.currency") != "USD" {
		t.Errorf("calculate body %s", calc.Body)
	}
	if create.Method != "POST" || create.Path != "/admin/api/2026-10/orders/450789469/refunds.json" {
		t.Errorf("create %s %s", create.Method, create.Path)
	}
	if create.Header.Get("Idempotency-Key") != "run1-0-2" || create.Header.Get("Content-Type") != "application/json" {
		t.Errorf("create headers %v", create.Header)
	}
	body := create.JSON()
	if text(get(body, "refund.transactions")) != `[{"amount":"214.00","gateway":"bogus","kind":"refund","parent_id":801038806}]` {
		t.Errorf("refund transactions %s", text(get(body, "refund.transactions")))
	}
	if get(body, "refund.note") != "Refund for ticket T-1" || get(body, "refund.notify") != true || get(body, "refund.shipping.full_refund") != true {
		t.Errorf("refund body %s", create.Body)
	}
	if res.Status != http.StatusCreated || get(res.Data, "id") == nil || get(res.Data, "transactions.0.amount") != "214.00" || get(res.Data, "transactions.0.kind") != "refund" {
		t.Errorf("result %d %s", res.Status, text(res.Data))
	}
	refundID := text(get(res.Data, "id"))

	// The same step again (a crash after the refund): nothing is refunded
	// twice, the existing refund is the answer.
	f.Reset()
	again := mustExecute(t, env, shopifyConn(f), "refund_order", params, "run1-0-2")
	if again.Extra["already_refunded"] != true || text(get(again.Data, "id")) != refundID {
		t.Errorf("second run %v %s", again.Extra, text(again.Data))
	}
	if n := f.Count("POST", "/admin/api/2026-10/orders/450789469/refunds.json"); n != 0 {
		t.Errorf("second run created %d refunds", n)
	}
	if out, _ := again.Output().(map[string]any); out["already_refunded"] != true || out["id"] == nil {
		t.Errorf("output %v", out)
	}
}

func TestShopifyRefundWithoutShipping(t *testing.T) {
	f := platformfake.NewShopify(t)
	res := mustExecute(t, testEnv(f.Server, &sleeper{}), shopifyConn(f), "refund_order", map[string]any{"orderId": 450789469, "refundShipping": false}, "k")
	if get(res.Data, "transactions.0.amount") != "209.00" {
		t.Errorf("refund %s", text(res.Data))
	}
	if get(f.Last().JSON(), "refund.notify") != false {
		t.Errorf("notify default: %s", f.Last().Body)
	}
}

func TestShopifyOrderTags(t *testing.T) {
	f := platformfake.NewShopify(t)
	env := testEnv(f.Server, &sleeper{})
	res := mustExecute(t, env, shopifyConn(f), "add_order_tags", map[string]any{"orderId": "450789469", "tags": "vip, Imported,  refund-requested"}, "k")
	put := f.Last()
	if put.Method != "PUT" || put.Path != "/admin/api/2026-10/orders/450789469.json" {
		t.Fatalf("last request %s %s", put.Method, put.Path)
	}
	if text(put.JSON()) != `{"order":{"id":450789469,"tags":"imported, vip, refund-requested"}}` {
		t.Errorf("PUT body %s", put.Body)
	}
	if get(res.Data, "tags") != "imported, vip, refund-requested" || res.Extra["changed"] != true {
		t.Errorf("result %s %v", text(res.Data), res.Extra)
	}
	f.Reset()
	res = mustExecute(t, env, shopifyConn(f), "add_order_tags", map[string]any{"orderId": "450789469", "tags": []any{"VIP"}}, "k")
	if f.Count("PUT", "/admin/api/2026-10/orders/450789469.json") != 0 || res.Extra["changed"] != false {
		t.Errorf("adding a present tag wrote the order (%v)", res.Extra)
	}
	mustExecute(t, env, shopifyConn(f), "remove_order_tags", map[string]any{"orderId": "450789469", "tags": []any{"imported", "VIP"}}, "k")
	if got := f.Order()["tags"]; got != "refund-requested" {
		t.Errorf("tags after removal %q", got)
	}
}

func TestShopifyCustomerTagsAndNote(t *testing.T) {
	f := platformfake.NewShopify(t)
	env := testEnv(f.Server, &sleeper{})
	mustExecute(t, env, shopifyConn(f), "add_customer_tags", map[string]any{"customerId": "207119551", "tags": []any{"noël", "Élite"}}, "k")
	if got := f.Customer()["tags"]; got != "Léon, Noël, Élite" {
		t.Errorf("customer tags %q", got)
	}
	res := mustExecute(t, env, shopifyConn(f), "update_customer_note", map[string]any{"customerId": "207119551", "note": "Asked for a refund on T-1"}, "k")
	if text(f.Last().JSON()) != `{"customer":{"id":207119551,"note":"Asked for a refund on T-1"}}` {
		t.Errorf("note body %s", f.Last().Body)
	}
	if get(res.Data, "note") != "Asked for a refund on T-1" {
		t.Errorf("result %s", text(res.Data))
	}
	res = mustExecute(t, env, shopifyConn(f), "search_customers", map[string]any{"query": "email:bob.norman@mail.example.com"}, "k")
	if q := f.Last().Query; q != "query=email%3Abob.norman%40mail.example.com" {
		t.Errorf("search query %s", q)
	}
	if get(res.Data, "0.id") == nil {
		t.Errorf("search result %s", text(res.Data))
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
	res, err := execute(t, env, shopifyConn(f), "get_order", map[string]any{"orderId": "1"}, "k")
	wantError(t, err, "Shopify answered 404 Not Found: Not Found")
	if res == nil || res.Status != 404 {
		t.Errorf("result %+v", res)
	}

	_, err = execute(t, env, shopifyConn(f), "update_order_note", map[string]any{"orderId": "450789469", "note": strings.Repeat("x", 5001)}, "k")
	wantError(t, err, "Shopify answered 422 Unprocessable Entity: note: is too long (maximum is 5000 characters)")

	mustExecute(t, env, shopifyConn(f), "cancel_order", map[string]any{"orderId": "450789469", "reason": "customer", "notifyCustomer": true}, "k")
	if b := f.Last().JSON(); get(b, "reason") != "customer" || get(b, "email") != true {
		t.Errorf("cancel body %s", f.Last().Body)
	}
	_, err = execute(t, env, shopifyConn(f), "cancel_order", map[string]any{"orderId": "450789469"}, "k")
	wantError(t, err, "Cannot cancel an order that has already been cancelled")

	bad := shopifyConn(f)
	bad.Credentials["access_token"] = "shpat_wrong_token_value"
	_, err = execute(t, env, bad, "get_order", map[string]any{"orderId": "450789469"}, "k")
	wantError(t, err, "401 Unauthorized", "Invalid API key or access token", "check the connector's credentials")
	if strings.Contains(err.Error(), "shpat_wrong_token_value") {
		t.Error("error leaks the token")
	}

	_, err = execute(t, env, shopifyConn(f), "get_order", map[string]any{"orderId": "#1001"}, "k")
	wantError(t, err, `params.orderId must be an integer (got "#1001")`)
	_, err = execute(t, env, shopifyConn(f), "get_order", map[string]any{"orderId": ""}, "k")
	wantError(t, err, "params.orderId is required, but it is empty")
	_, err = execute(t, env, shopifyConn(f), "cancel_order", map[string]any{"orderId": "1", "reason": "bored"}, "k")
	wantError(t, err, "params.reason must be one of: customer, inventory, fraud, declined, other")
	_, err = execute(t, env, shopifyConn(f), "get_order", map[string]any{"orderId": "1", "fields": "id"}, "k")
	wantError(t, err, "params.fields is not a parameter of Shopify get_order")
}

func TestShopifyBaseURLFromShopDomain(t *testing.T) {
	p, _ := Lookup("shopify")
	got, err := p.BaseURL(map[string]any{"shop_domain": "my-store"})
	if err != nil || got != "https://my-store.myshopify.com/admin/api/2026-10" {
		t.Errorf("base %q %v", got, err)
	}
	got, _ = p.BaseURL(map[string]any{"shop_domain": "my-store.myshopify.com", "api_version": "2025-01"})
	if got != "https://my-store.myshopify.com/admin/api/2025-01" {
		t.Errorf("base %q", got)
	}
	if _, err := p.BaseURL(map[string]any{}); err == nil || !strings.Contains(err.Error(), "shop_domain") {
		t.Errorf("missing shop: %v", err)
	}
}
