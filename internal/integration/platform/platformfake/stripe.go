package platformfake

import (
	"fmt"
	"maps"
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
	// created are the refunds by id: re_123 and those made.
	created  map[string]map[string]any
	metadata map[string]any
	// canceled are the PaymentIntents canceled.
	canceled map[string]string
}

type stripeReplay struct {
	params string
	status int
	body   any
}

// NewStripe starts a Stripe fake; pi_123 and ch_123 are refundable
// (2000 cents), sub_123 is an active subscription of cus_123, in_123 its
// paid invoice, re_123 an earlier refund, and pi_456 a PaymentIntent that
// awaits a payment method (so it can be canceled).
func NewStripe(t testing.TB) *Stripe {
	f := &Stripe{replays: map[string]stripeReplay{}, metadata: map[string]any{}, canceled: map[string]string{}, created: map[string]map[string]any{
		"re_123": {"id": "re_123", "object": "refund", "amount": 500, "currency": "usd", "status": "succeeded", "reason": "requested_by_customer",
			"charge": "ch_123", "payment_intent": "pi_123", "created": 1730000000, "failure_reason": nil, "metadata": map[string]any{}},
	}}
	f.Server = newServer(t, f.handle)
	f.Server.official = "stripe"
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
	if status, body, ok := f.resource(r, form); ok {
		return status, body
	}
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
		refund := map[string]any{
			"id": fmt.Sprintf("re_%d", f.refunds), "object": "refund", "amount": amount, "currency": "usd",
			"status": "succeeded", "reason": nilIfEmpty(form.Get("reason")), "charge": "ch_123",
			"payment_intent": "pi_123", "created": 1730800000, "metadata": metadataOf(form), "balance_transaction": "txn_1",
		}
		f.created[str(refund["id"])] = refund
		return 200, refund
	case r.Method == http.MethodGet && p == "/v1/customers/cus_123":
		return 200, f.customer()
	case r.Method == http.MethodPost && p == "/v1/customers/cus_123":
		for k, v := range metadataOf(form) {
			if v == "" {
				delete(f.metadata, k) // an empty value unsets the key
			} else {
				f.metadata[k] = v
			}
		}
		return 200, f.customer()
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/customers/"):
		return 404, errBody("invalid_request_error", "resource_missing", fmt.Sprintf("No such customer: '%s'", strings.TrimPrefix(p, "/v1/customers/")), "id")
	case r.Method == http.MethodGet && p == "/v1/customers":
		return 200, stripeList(r, "/v1/customers", f.customer())
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/refunds/"):
		id := strings.TrimPrefix(p, "/v1/refunds/")
		return stripeObject("refund", id, "id", f.created[id])
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/v1/payment_intents/") && strings.HasSuffix(p, "/cancel"):
		return f.cancelPaymentIntent(strings.TrimSuffix(strings.TrimPrefix(p, "/v1/payment_intents/"), "/cancel"), form.Get("cancellation_reason"))
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/payment_intents/"):
		id := strings.TrimPrefix(p, "/v1/payment_intents/")
		return stripeObject("payment_intent", id, "intent", f.paymentIntent(id))
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/charges/"):
		return stripeObject("charge", strings.TrimPrefix(p, "/v1/charges/"), "id", stripeCharge())
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/invoices/"):
		return stripeObject("invoice", strings.TrimPrefix(p, "/v1/invoices/"), "invoice", stripeInvoice())
	case r.Method == http.MethodGet && p == "/v1/invoices":
		return 200, stripeList(r, "/v1/invoices", stripeInvoice())
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/v1/subscriptions/"):
		return stripeObject("subscription", strings.TrimPrefix(p, "/v1/subscriptions/"), "id", stripeSubscription())
	case r.Method == http.MethodGet && p == "/v1/subscriptions":
		return 200, stripeList(r, "/v1/subscriptions", stripeSubscription())
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

// metadataOf reads the metadata[key] fields of a form.
func metadataOf(form url.Values) map[string]any {
	metadata := map[string]any{}
	for k, v := range form {
		if inner, ok := strings.CutPrefix(k, "metadata["); ok {
			metadata[strings.TrimSuffix(inner, "]")] = v[0]
		}
	}
	return metadata
}

// stripeObject answers GET of the object named id: obj when it is that
// object, else Stripe's resource_missing error naming param.
func stripeObject(noun, id, param string, obj map[string]any) (int, any) {
	if obj == nil || obj["id"] != id {
		return 404, errBody("invalid_request_error", "resource_missing", fmt.Sprintf("No such %s: '%s'", noun, id), param)
	}
	return 200, obj
}

// stripeList is the list object of a list request: obj (the fake's only
// one of its kind) when it has the customer, email and status the query
// asks for (status "all" for any), at most limit items (default 10, at
// most 100).
func stripeList(r *http.Request, url string, obj map[string]any) map[string]any {
	q := r.URL.Query()
	items := []any{}
	match := true
	for _, key := range []string{"customer", "email", "status"} {
		if want := q.Get(key); want != "" && !(key == "status" && want == "all") {
			match = match && str(obj[key]) == want
		}
	}
	if match {
		items = append(items, obj)
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > 100 {
		limit = 10
	}
	return map[string]any{"object": "list", "url": url, "has_more": len(items) > limit, "data": items[:min(len(items), limit)]}
}

func (f *Stripe) customer() map[string]any {
	return map[string]any{"id": "cus_123", "object": "customer", "email": "jenny@example.com", "name": "Jenny Rosen", "phone": nil, "description": nil,
		"balance": 0, "created": 1680000000, "currency": "usd", "delinquent": false, "livemode": false, "metadata": maps.Clone(f.metadata), "invoice_settings": map[string]any{}}
}

// paymentIntent is pi_123 (succeeded) or pi_456 (awaiting a payment
// method, or canceled), or nil.
func (f *Stripe) paymentIntent(id string) map[string]any {
	pi := map[string]any{"id": id, "object": "payment_intent", "amount": 2000, "currency": "usd", "customer": "cus_123", "description": nil,
		"payment_method": nil, "canceled_at": nil, "cancellation_reason": nil, "created": 1730000000, "metadata": map[string]any{}}
	switch id {
	case "pi_123":
		pi["status"], pi["amount_received"], pi["latest_charge"], pi["payment_method"] = "succeeded", 2000, "ch_123", "pm_123"
	case "pi_456":
		pi["status"], pi["amount_received"], pi["latest_charge"] = "requires_payment_method", 0, nil
		if reason, ok := f.canceled[id]; ok {
			pi["status"], pi["canceled_at"], pi["cancellation_reason"] = "canceled", 1730800000, nilIfEmpty(reason)
		}
	default:
		return nil
	}
	return pi
}

// cancelPaymentIntent cancels pi_456; a PaymentIntent that succeeded or
// was canceled cannot be.
func (f *Stripe) cancelPaymentIntent(id, reason string) (int, any) {
	pi := f.paymentIntent(id)
	if pi == nil {
		return 404, errBody("invalid_request_error", "resource_missing", fmt.Sprintf("No such payment_intent: '%s'", id), "intent")
	}
	if status := str(pi["status"]); status != "requires_payment_method" {
		return 400, errBody("invalid_request_error", "payment_intent_unexpected_state", fmt.Sprintf("You cannot cancel this PaymentIntent because it has a status of %s. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.", status), "")
	}
	f.canceled[id] = reason
	return 200, f.paymentIntent(id)
}

func stripeCharge() map[string]any {
	return map[string]any{"id": "ch_123", "object": "charge", "amount": 2000, "amount_captured": 2000, "amount_refunded": 0, "currency": "usd",
		"status": "succeeded", "paid": true, "captured": true, "refunded": false, "disputed": false, "customer": "cus_123", "payment_intent": "pi_123",
		"description": nil, "receipt_url": "https://pay.stripe.com/receipts/ch_123", "failure_code": nil, "failure_message": nil, "created": 1730000000}
}

func stripeInvoice() map[string]any {
	return map[string]any{"id": "in_123", "object": "invoice", "number": "ABC-0001", "status": "paid", "customer": "cus_123", "customer_email": "jenny@example.com",
		"currency": "usd", "amount_due": 2000, "amount_paid": 2000, "amount_remaining": 0, "total": 2000, "due_date": nil, "created": 1730000000,
		"period_start": 1727400000, "period_end": 1730000000, "subscription": "sub_123",
		"hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/in_123", "invoice_pdf": "https://pay.stripe.com/invoice/acct_1/in_123/pdf"}
}

func stripeSubscription() map[string]any {
	return map[string]any{"id": "sub_123", "object": "subscription", "status": "active", "customer": "cus_123", "created": 1680000000, "start_date": 1680000000,
		"cancel_at": nil, "cancel_at_period_end": false, "canceled_at": nil, "ended_at": nil, "trial_end": nil, "latest_invoice": "in_123", "metadata": map[string]any{},
		"items": map[string]any{"object": "list", "has_more": false, "data": []any{
			map[string]any{"id": "si_123", "object": "subscription_item", "quantity": 1, "price": map[string]any{"id": "price_123", "object": "price", "unit_amount": 2000, "currency": "usd"}},
		}}}
}
