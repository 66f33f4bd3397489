package platformfake

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// stripeFixtures are the example objects Stripe publishes with its API
// description (fixtures3.json of github.com/stripe/stripe-mock v0.203.0,
// MIT licence), one per resource the catalog reads or changes: the fake
// answers with them, so its answers have every field the real ones have.
//
//go:embed stripe_fixtures.json
var stripeFixturesJSON []byte

// stripeResource is one route of Stripe's uniform REST design that the
// fake serves from the fixtures: what it answers and how the request
// changes the object.
type stripeResource struct {
	method string
	path   *regexp.Regexp
	// object is the fixture's resource name; the path's first group is the
	// id of that object (known ids end in _123).
	object string
	// list answers {"object": "list"|"search_result", "data": [...]}.
	list, search bool
	// set are fields the request sets beside the form's (a status after an
	// action such as void or cancel).
	set map[string]any
	// create: a POST that makes a new object of the form's fields.
	create bool
}

func route(method, pattern, object string) stripeResource {
	return stripeResource{method: method, path: regexp.MustCompile("^" + pattern + "$"), object: object}
}

func (r stripeResource) listing() stripeResource   { r.list = true; return r }
func (r stripeResource) searching() stripeResource { r.list, r.search = true, true; return r }
func (r stripeResource) creating() stripeResource  { r.create = true; return r }
func (r stripeResource) setting(kv ...any) stripeResource {
	r.set = map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		r.set[kv[i].(string)] = kv[i+1]
	}
	return r
}

const id = `([A-Za-z0-9_]+)`

var stripeResources = []stripeResource{
	route("GET", "/v1/customers/search", "customer").searching(),
	route("POST", "/v1/customers", "customer").creating(),
	route("GET", "/v1/customers/"+id+"/balance_transactions", "customer_balance_transaction").listing(),
	route("GET", "/v1/customers/"+id+"/payment_methods", "payment_method").listing(),
	route("DELETE", "/v1/customers/"+id+"/discount", "deleted_discount"),
	route("GET", "/v1/customers/"+id+"/tax_ids", "tax_id").listing(),
	route("POST", "/v1/customers/"+id+"/tax_ids", "tax_id").creating(),
	route("GET", "/v1/payment_intents", "payment_intent").listing(),
	route("GET", "/v1/payment_intents/search", "payment_intent").searching(),
	route("POST", "/v1/payment_intents/"+id+"/capture", "payment_intent").setting("status", "succeeded"),
	route("GET", "/v1/refunds", "refund").listing(),
	route("POST", "/v1/refunds/"+id+"/cancel", "refund").setting("status", "canceled"),
	route("POST", "/v1/refunds/"+id, "refund"),
	route("GET", "/v1/disputes", "dispute").listing(),
	route("GET", "/v1/disputes/"+id, "dispute"),
	route("POST", "/v1/disputes/"+id, "dispute"),
	route("POST", "/v1/disputes/"+id+"/close", "dispute").setting("status", "lost"),
	route("POST", "/v1/invoices/"+id+"/send", "invoice"),
	route("POST", "/v1/invoices/"+id+"/void", "invoice").setting("status", "void"),
	route("POST", "/v1/invoices/"+id+"/pay", "invoice").setting("status", "paid", "paid", true),
	route("POST", "/v1/invoices/"+id+"/finalize", "invoice").setting("status", "open"),
	route("POST", "/v1/invoices/"+id+"/mark_uncollectible", "invoice").setting("status", "uncollectible"),
	route("GET", "/v1/invoices/"+id+"/lines", "line_item").listing(),
	route("GET", "/v1/invoices/search", "invoice").searching(),
	route("POST", "/v1/invoiceitems", "invoiceitem").creating(),
	route("POST", "/v1/subscriptions/"+id+"/resume", "subscription").setting("status", "active", "pause_collection", nil),
	route("DELETE", "/v1/subscriptions/"+id+"/discount", "deleted_discount"),
	route("GET", "/v1/subscriptions/search", "subscription").searching(),
	route("GET", "/v1/subscription_items", "subscription_item").listing(),
	route("GET", "/v1/credit_notes", "credit_note").listing(),
	route("POST", "/v1/credit_notes", "credit_note").creating(),
	route("GET", "/v1/credit_notes/"+id, "credit_note"),
	route("POST", "/v1/credit_notes/"+id+"/void", "credit_note").setting("status", "void"),
	route("GET", "/v1/coupons", "coupon").listing(),
	route("GET", "/v1/coupons/"+id, "coupon"),
	route("GET", "/v1/promotion_codes", "promotion_code").listing(),
	route("GET", "/v1/products", "product").listing(),
	route("GET", "/v1/products/"+id, "product"),
	route("GET", "/v1/prices", "price").listing(),
	route("GET", "/v1/payment_methods/"+id, "payment_method"),
	route("POST", "/v1/payment_methods/"+id+"/detach", "payment_method").setting("customer", nil),
	route("GET", "/v1/checkout/sessions", "checkout.session").listing(),
	route("GET", "/v1/checkout/sessions/"+id, "checkout.session"),
	route("POST", "/v1/checkout/sessions/"+id+"/expire", "checkout.session").setting("status", "expired"),
	route("GET", "/v1/payment_links/"+id, "payment_link"),
	route("GET", "/v1/balance_transactions/"+id, "balance_transaction"),
	route("GET", "/v1/events", "event").listing(),
	route("GET", "/v1/events/"+id, "event"),
	route("POST", "/v1/charges/"+id, "charge"),
	route("GET", "/v1/quotes", "quote").listing(),
	route("GET", "/v1/setup_intents", "setup_intent").listing(),
}

// resource serves the routes of stripeResources; ok is false for others.
func (f *Stripe) resource(r *http.Request, form url.Values) (status int, body any, ok bool) {
	for _, res := range stripeResources {
		m := res.path.FindStringSubmatch(r.URL.Path)
		if m == nil || r.Method != res.method {
			continue
		}
		if len(m) > 1 && !strings.HasSuffix(m[1], "_123") {
			noun := strings.TrimSuffix(strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/"), "/")[0], "s")
			return 404, errBody("invalid_request_error", "resource_missing", fmt.Sprintf("No such %s: '%s'", noun, m[1]), "id"), true
		}
		obj := f.fixture(res.object)
		if len(m) > 1 && res.object != "deleted_discount" && !strings.Contains(r.URL.Path, "/"+m[1]+"/") {
			obj["id"] = m[1]
		}
		if res.object == "deleted_discount" {
			obj["id"] = "di_123"
		}
		if res.create {
			obj["id"] = strings.SplitN(fmt.Sprint(obj["id"]), "_", 2)[0] + "_new"
		}
		if r.Method == http.MethodPost {
			applyForm(obj, form)
			for k, v := range res.set {
				obj[k] = v
			}
		}
		if !res.list {
			return 200, obj, true
		}
		kind := "list"
		if res.search {
			kind = "search_result"
		}
		return 200, map[string]any{"object": kind, "data": []any{obj}, "has_more": false, "url": r.URL.Path}, true
	}
	return 0, nil, false
}

// fixture returns a fresh copy of a resource's example object.
func (f *Stripe) fixture(name string) map[string]any {
	var all map[string]map[string]any
	if err := json.Unmarshal(stripeFixturesJSON, &all); err != nil {
		panic("platformfake: stripe fixtures: " + err.Error())
	}
	obj, ok := all[name]
	if !ok {
		panic("platformfake: no Stripe fixture " + name)
	}
	return obj
}

// applyForm sets the form's fields on obj as Stripe does: a[b]=v sets a
// nested field, metadata keys are merged. A parameter that only tells
// Stripe how to act (billing_cycle_anchor=now on a resume) leaves the
// object's number as it is.
func applyForm(obj map[string]any, form url.Values) {
	for key, values := range form {
		parts := strings.Split(strings.ReplaceAll(key, "]", ""), "[")
		cur := obj
		for _, p := range parts[:len(parts)-1] {
			next, isMap := cur[p].(map[string]any)
			if !isMap {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		last := parts[len(parts)-1]
		if _, isNumber := cur[last].(float64); isNumber {
			if _, err := strconv.ParseFloat(values[0], 64); err != nil {
				continue
			}
		}
		cur[last] = values[0]
	}
}
