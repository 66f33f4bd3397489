package platform

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
)

func TestStripeCreateRefundFormEncoded(t *testing.T) {
	f := platformfake.NewStripe(t)
	params := map[string]any{"paymentIntent": "pi_123", "amount": "1500", "reason": "requested_by_customer",
		"metadata": map[string]any{"ticket": "T-1", "agent": "ann"}}
	res := mustExecute(t, testEnv(f.Server, &sleeper{}), stripeConn(f), "create_refund", params, "run1-0-1")
	req := f.Last()
	if req.Method != "POST" || req.Path != "/v1/refunds" {
		t.Errorf("request %s %s", req.Method, req.Path)
	}
	if req.Header.Get("Authorization") != "Bearer "+platformfake.StripeKey || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("headers %v", req.Header)
	}
	if req.Header.Get("Idempotency-Key") != "run1-0-1" {
		t.Errorf("Idempotency-Key %q", req.Header.Get("Idempotency-Key"))
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"payment_intent": {"pi_123"}, "amount": {"1500"}, "reason": {"requested_by_customer"}, "metadata[ticket]": {"T-1"}, "metadata[agent]": {"ann"}}
	if form.Encode() != want.Encode() {
		t.Errorf("form %s, want %s", form.Encode(), want.Encode())
	}
	if res.Status != 200 || get(res.Data, "id") != "re_1" || text(get(res.Data, "amount")) != "1500" || get(res.Data, "metadata.ticket") != "T-1" {
		t.Errorf("result %d %s", res.Status, text(res.Data))
	}
	if get(res.Data, "balance_transaction") != nil {
		t.Errorf("unselected field kept: %s", text(res.Data))
	}
}

func TestStripeRetriesKeepTheIdempotencyKey(t *testing.T) {
	f := platformfake.NewStripe(t)
	f.Queue(
		platformfake.Canned{Status: 429, Header: map[string]string{"Retry-After": "1"}, Body: `{"error":{"message":"Too many requests hit the API too quickly.","type":"invalid_request_error","code":"rate_limit"}}`},
		platformfake.Canned{Status: 502, Body: `<html><body>502 Bad Gateway</body></html>`, Header: map[string]string{"Content-Type": "text/html"}},
	)
	sl := &sleeper{}
	env := testEnv(f.Server, sl)
	res := mustExecute(t, env, stripeConn(f), "create_refund", map[string]any{"charge": "ch_123"}, "run7-1-0")
	reqs := f.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d attempts, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.Header.Get("Idempotency-Key") != "run7-1-0" || string(r.Body) != "charge=ch_123" {
			t.Errorf("attempt %d: key %q body %q", i, r.Header.Get("Idempotency-Key"), r.Body)
		}
	}
	if got := sl.got(); !slices.Equal(got, []time.Duration{time.Second, time.Second}) {
		t.Errorf("waits %v: Retry-After, then the second backoff step", got)
	}
	if get(res.Data, "id") != "re_1" || f.Refunds() != 1 {
		t.Errorf("result %s, %d refunds", text(res.Data), f.Refunds())
	}
	// The whole step again with its key (a crash before the result was
	// recorded): Stripe replays the same refund.
	again := mustExecute(t, env, stripeConn(f), "create_refund", map[string]any{"charge": "ch_123"}, "run7-1-0")
	if get(again.Data, "id") != "re_1" || f.Refunds() != 1 || f.Last().Header.Get("Idempotency-Key") != "run7-1-0" {
		t.Errorf("replay %s, %d refunds", text(again.Data), f.Refunds())
	}
}

func TestStripeErrors(t *testing.T) {
	f := platformfake.NewStripe(t)
	env := testEnv(f.Server, &sleeper{})
	res, err := execute(t, env, stripeConn(f), "create_refund", map[string]any{"paymentIntent": "pi_missing"}, "k1")
	wantError(t, err, "Stripe answered 400 Bad Request: No such payment_intent: 'pi_missing' (type invalid_request_error, code resource_missing, param payment_intent)")
	if res == nil || res.Status != 400 || get(res.Data, "error.code") != "resource_missing" {
		t.Errorf("error result %+v", res)
	}
	_, err = execute(t, env, stripeConn(f), "create_refund", map[string]any{"paymentIntent": "pi_123", "amount": 5000}, "k2")
	wantError(t, err, "greater than charge amount", "code amount_too_large", "param amount")
	_, err = execute(t, env, stripeConn(f), "get_customer", map[string]any{"customerId": "cus_nope"}, "k3")
	wantError(t, err, "404 Not Found: No such customer: 'cus_nope'", "check the ids in params")

	_, err = execute(t, env, stripeConn(f), "create_refund", map[string]any{"amount": 100}, "k4")
	wantError(t, err, "params: one of paymentIntent, charge is required")
	_, err = execute(t, env, stripeConn(f), "create_refund", map[string]any{"charge": "ch_123", "amount": "12.50"}, "k4")
	wantError(t, err, `params.amount must be an integer (got "12.50")`)

	bad := stripeConn(f)
	bad.Credentials["secret_key"] = "sk_test_wrongwrongwrong123"
	_, err = execute(t, env, bad, "get_customer", map[string]any{"customerId": "cus_123"}, "k5")
	wantError(t, err, "401 Unauthorized: Invalid API Key provided", "check the connector's credentials")
	if strings.Contains(err.Error(), "sk_test_wrongwrongwrong123") {
		t.Error("error leaks the key")
	}
	if n := f.Refunds(); n != 0 {
		t.Errorf("%d refunds made by failing steps", n)
	}
}

func TestStripeDeleteWithQueryAndNoKey(t *testing.T) {
	f := platformfake.NewStripe(t)
	res := mustExecute(t, testEnv(f.Server, &sleeper{}), stripeConn(f), "cancel_subscription",
		map[string]any{"subscriptionId": "sub_123", "invoiceNow": true, "comment": "Customer asked in T-9"}, "k")
	req := f.Last()
	if req.Method != "DELETE" || req.Path != "/v1/subscriptions/sub_123" || len(req.Body) != 0 {
		t.Errorf("request %s %s %q", req.Method, req.Path, req.Body)
	}
	if req.Query != "cancellation_details%5Bcomment%5D=Customer+asked+in+T-9&invoice_now=true" {
		t.Errorf("query %s", req.Query)
	}
	if req.Header.Get("Idempotency-Key") != "" {
		t.Error("Idempotency-Key sent on DELETE (Stripe ignores it there)")
	}
	if get(res.Data, "status") != "canceled" || get(res.Data, "cancellation_details.comment") != "Customer asked in T-9" {
		t.Errorf("result %s", text(res.Data))
	}
}

func TestStripeConstantBodyAndLists(t *testing.T) {
	f := platformfake.NewStripe(t)
	env := testEnv(f.Server, &sleeper{})
	res := mustExecute(t, env, stripeConn(f), "schedule_subscription_cancellation", map[string]any{"subscriptionId": "sub_123", "comment": "too expensive"}, "k1")
	if string(f.Last().Body) != "cancel_at_period_end=true&cancellation_details%5Bcomment%5D=too+expensive" {
		t.Errorf("body %s", f.Last().Body)
	}
	if get(res.Data, "cancel_at_period_end") != true {
		t.Errorf("result %s", text(res.Data))
	}
	res = mustExecute(t, env, stripeConn(f), "list_charges", map[string]any{"customer": "cus_123", "limit": 3}, "k")
	if f.Last().Query != "customer=cus_123&limit=3" {
		t.Errorf("query %s", f.Last().Query)
	}
	if get(res.Data, "0.id") != "ch_123" || get(res.Data, "0.outcome") != nil {
		t.Errorf("list result %s", text(res.Data))
	}
	res = mustExecute(t, env, stripeConn(f), "create_balance_credit", map[string]any{"customerId": "cus_123", "amount": "-500", "currency": "usd", "description": "Goodwill"}, "k2")
	if string(f.Last().Body) != "amount=-500&currency=usd&description=Goodwill" || text(get(res.Data, "amount")) != "-500" {
		t.Errorf("credit body %s result %s", f.Last().Body, text(res.Data))
	}
}

func TestStripeApiVersionHeader(t *testing.T) {
	f := platformfake.NewStripe(t)
	c := stripeConn(f)
	c.Settings["api_version"] = "2024-06-20"
	mustExecute(t, testEnv(f.Server, &sleeper{}), c, "get_customer", map[string]any{"customerId": "cus_123"}, "k")
	if got := f.Last().Header.Get("Stripe-Version"); got != "2024-06-20" {
		t.Errorf("Stripe-Version %q", got)
	}
}

func TestStripeShouldRetryHeader(t *testing.T) {
	f := platformfake.NewStripe(t)
	f.Queue(platformfake.Canned{Status: 500, Header: map[string]string{"Stripe-Should-Retry": "true"},
		Body: `{"error":{"message":"An unknown error occurred","type":"api_error"}}`})
	res := mustExecute(t, testEnv(f.Server, &sleeper{}), stripeConn(f), "create_refund", map[string]any{"charge": "ch_123"}, "k")
	if len(f.Requests()) != 2 || get(res.Data, "id") != "re_1" {
		t.Errorf("%d requests, result %s", len(f.Requests()), text(res.Data))
	}
	f.Queue(platformfake.Canned{Status: 503, Header: map[string]string{"Stripe-Should-Retry": "false"},
		Body: `{"error":{"message":"The service is unavailable","type":"api_error"}}`})
	f.Reset()
	_, err := execute(t, testEnv(f.Server, &sleeper{}), stripeConn(f), "get_customer", map[string]any{"customerId": "cus_123"}, "k")
	wantError(t, err, "503 Service Unavailable: The service is unavailable (type api_error)")
	if len(f.Requests()) != 1 {
		t.Errorf("retried despite Stripe-Should-Retry: false")
	}
}
