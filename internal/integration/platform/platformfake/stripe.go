package platformfake

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// StripeKey is the secret key the Stripe fake accepts.
const StripeKey = "sk_test_51Hdeskflowfake000000000000"

// Stripe answers as api.stripe.com: Bearer secret key, form-encoded
// requests, {"error": {...}} errors, and idempotency keys on POST (a
// repeated key replays the first answer; the same key with other
// parameters is an idempotency_error).
type Stripe struct {
	*Server
	replays map[string]stripeReplay
	refunds int
}

type stripeReplay struct {
	params string
	status int
	body   any
}

// NewStripe starts a Stripe fake; pi_123 and ch_123 are refundable
// (2000 cents), sub_123 is an active subscription of cus_123.
func NewStripe(t testing.TB) *Stripe {
	f := &Stripe{replays: map[string]stripeReplay{}}
	f.Server = newServer(t, f.handle)
	return f
}

// Refunds counts the refunds actually created (replays excluded).
func (f *Stripe) Refunds() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refunds
}

func stripeError(w http.ResponseWriter, status int, typ, code, message, param string) {
	w.Header().Set("Request-Id", "req_fake")
	writeJSON(w, status, errBody(typ, code, message, param))
}

func (f *Stripe) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || key == "" {
		stripeError(w, 401, "invalid_request_error", "", "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').", "")
		return
	}
	if key != StripeKey {
		stripeError(w, 401, "invalid_request_error", "", "Invalid API Key provided: "+key[:8]+strings.Repeat("*", 12)+key[len(key)-4:], "")
		return
	}
	if r.Method == http.MethodPost && r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		stripeError(w, 400, "invalid_request_error", "", "Invalid request: the body must be application/x-www-form-urlencoded.", "")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		stripeError(w, 400, "invalid_request_error", "", "Invalid request body.", "")
		return
	}
	idem := r.Header.Get("Idempotency-Key")
	if r.Method == http.MethodPost && idem != "" {
		if prev, seen := f.replays[idem]; seen {
			if prev.params != form.Encode() {
				stripeError(w, 400, "idempotency_error", "", fmt.Sprintf("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", idem), "")
				return
			}
			w.Header().Set("Idempotent-Replayed", "true")
			writeJSON(w, prev.status, prev.body)
			return
		}
	}
	status, answer := f.route(r, form)
	if r.Method == http.MethodPost && idem != "" && status != http.StatusTooManyRequests {
		f.replays[idem] = stripeReplay{params: form.Encode(), status: status, body: answer}
	}
	writeJSON(w, status, answer)
}

func errBody(typ, code, message, param string) map[string]any {
	e := map[string]any{"type": typ, "message": message}
	if code != "" {
		e["code"] = code
		e["doc_url"] = "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(code, "_", "-")
	}
	if param != "" {
		e["param"] = param
	}
	return map[string]any{"error": e}
}

func (f *Stripe) route(r *http.Request, form url.Values) (int, any) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && p == "/v1/balance":
		return 200, map[string]any{"object": "balance", "available": []any{map[string]any{"amount": 0, "currency": "usd"}}, "livemode": false}
	case r.Method == http.MethodPost && p == "/v1/refunds":
		pi, ch := form.Get("payment_intent"), form.Get("charge")
		if pi == "" && ch == "" {
			return 400, errBody("invalid_request_error", "parameter_missing", "One of the following params should be provided for this request: payment_intent or charge.", "")
		}
		if pi != "" && pi != "pi_123" {
			return 400, errBody("invalid_request_error", "resource_missing", fmt.Sprintf("No such payment_intent: '%s'", pi), "payment_intent")
		}
		amount := int64(2000)
		if a := form.Get("amount"); a != "" {
			n, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				return 400, errBody("invalid_request_error", "parameter_invalid_integer", "Invalid integer: "+a, "amount")
			}
			if n > 2000 {
				return 400, errBody("invalid_request_error", "amount_too_large", fmt.Sprintf("Refund amount ($%.2f) is greater than charge amount ($20.00)", float64(n)/100), "amount")
			}
			amount = n
		}
		f.refunds++
		metadata := map[string]any{}
		for k, v := range form {
			if inner, ok := strings.CutPrefix(k, "metadata["); ok {
				metadata[strings.TrimSuffix(inner, "]")] = v[0]
			}
		}
		return 200, map[string]any{
			"id": fmt.Sprintf("re_%d", f.refunds), "object": "refund", "amount": amount, "currency": "usd",
			"status": "succeeded", "reason": nilIfEmpty(form.Get("reason")), "charge": "ch_123",
			"payment_intent": "pi_123", "created": 1730800000, "metadata": metadata, "balance_transaction": "txn_1",
		}
	case r.Method == http.MethodGet && p == "/v1/customers/cus_123":
		return 200, map[string]any{"id": "cus_123", "object": "customer", "email": "jenny@example.com", "name": "Jenny Rosen", "balance": 0, "created": 1680000000, "delinquent": false, "metadata": map[string]any{}, "invoice_settings": map[string]any{}}
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/customers/"):
		return 404, errBody("invalid_request_error", "resource_missing", fmt.Sprintf("No such customer: '%s'", strings.TrimPrefix(p, "/v1/customers/")), "id")
	case r.Method == http.MethodGet && p == "/v1/charges":
		return 200, map[string]any{"object": "list", "url": "/v1/charges", "has_more": false, "data": []any{
			map[string]any{"id": "ch_123", "object": "charge", "amount": 2000, "amount_refunded": 0, "currency": "usd", "status": "succeeded", "customer": form.Get("customer"), "payment_intent": "pi_123", "paid": true, "refunded": false, "outcome": map[string]any{"risk_level": "normal"}},
		}}
	case r.Method == http.MethodDelete && p == "/v1/subscriptions/sub_123":
		q := r.URL.Query()
		return 200, map[string]any{"id": "sub_123", "object": "subscription", "status": "canceled", "customer": "cus_123", "canceled_at": 1730800000, "ended_at": 1730800000,
			"cancellation_details": map[string]any{"comment": nilIfEmpty(q.Get("cancellation_details[comment]")), "feedback": nil, "reason": "cancellation_requested"},
			"invoice_now":          q.Get("invoice_now"), "prorate": q.Get("prorate")}
	case r.Method == http.MethodPost && p == "/v1/subscriptions/sub_123":
		return 200, map[string]any{"id": "sub_123", "object": "subscription", "status": "active", "customer": "cus_123",
			"cancel_at_period_end": form.Get("cancel_at_period_end") == "true", "cancel_at": 1733400000,
			"cancellation_details": map[string]any{"comment": nilIfEmpty(form.Get("cancellation_details[comment]"))}}
	case r.Method == http.MethodPost && p == "/v1/customers/cus_123/balance_transactions":
		if form.Get("currency") == "" {
			return 400, errBody("invalid_request_error", "parameter_missing", "Missing required param: currency.", "currency")
		}
		n, _ := strconv.ParseInt(form.Get("amount"), 10, 64)
		return 200, map[string]any{"id": "cbtxn_1", "object": "customer_balance_transaction", "amount": n, "currency": form.Get("currency"), "customer": "cus_123", "description": nilIfEmpty(form.Get("description")), "ending_balance": n, "type": "adjustment", "created": 1730800000}
	}
	return 404, errBody("invalid_request_error", "", fmt.Sprintf("Unrecognized request URL (%s: %s). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", r.Method, p), "")
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
