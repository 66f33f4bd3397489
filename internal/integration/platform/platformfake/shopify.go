package platformfake

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// ShopifyToken is the access token the Shopify fake accepts.
const ShopifyToken = "shpat_0123456789abcdef"

// ShopifyOrderID is the fake store's order (the number in its admin URL).
const ShopifyOrderID = 450789469

// ShopifyCustomerID is the fake store's customer.
const ShopifyCustomerID = 207119551

// ShopifyOrderGID and ShopifyCustomerGID are their global ids.
var (
	ShopifyOrderGID    = fmt.Sprintf("gid://shopify/Order/%d", ShopifyOrderID)
	ShopifyCustomerGID = fmt.Sprintf("gid://shopify/Customer/%d", ShopifyCustomerID)
)

// Shopify answers as the GraphQL Admin API 2026-10 of one store: every
// document is validated against the official schema, and the store's
// order and customer are kept, so that tags, notes, cancellation and
// refunds change what later queries read.
type Shopify struct {
	*Server
	// Base is the API root to put in a connector's base_url.
	Base     string
	order    map[string]any
	customer map[string]any
	// refunds by @idempotent key: a key used again answers its refund.
	refundsByKey map[string]map[string]any
	nextID       int64
}

func money(amount string) map[string]any {
	m := map[string]any{"amount": amount, "currencyCode": "USD"}
	return map[string]any{"shopMoney": m, "presentmentMoney": m}
}

// NewShopify starts a Shopify fake with one paid order of two line items
// (199.00, and 2 × 5.00; shipping 5.00, total 214.00) and one customer.
func NewShopify(t testing.TB) *Shopify {
	f := &Shopify{nextID: 929361000, refundsByKey: map[string]map[string]any{}}
	f.customer = map[string]any{
		"id": ShopifyCustomerGID, "legacyResourceId": strconv.Itoa(ShopifyCustomerID),
		"displayName": "Bob Norman", "firstName": "Bob", "lastName": "Norman",
		"defaultEmailAddress": map[string]any{"emailAddress": "bob.norman@mail.example.com", "marketingState": "SUBSCRIBED"},
		"tags":                []any{"Léon", "Noël"}, "note": nil, "numberOfOrders": "1", "state": "ENABLED",
		"amountSpent": map[string]any{"amount": "214.00", "currencyCode": "USD"},
	}
	f.order = map[string]any{
		"id": ShopifyOrderGID, "legacyResourceId": strconv.Itoa(ShopifyOrderID), "name": "#1001",
		"email": "bob.norman@mail.example.com", "currencyCode": "USD",
		"displayFinancialStatus": "PAID", "displayFulfillmentStatus": "UNFULFILLED",
		"tags": []any{"imported"}, "note": nil, "cancelledAt": nil, "cancelReason": nil, "closed": false, "closedAt": nil,
		"totalPriceSet": money("214.00"), "totalShippingPriceSet": money("5.00"), "totalRefundedSet": money("0.00"),
		"customer": f.customer,
		"lineItems": map[string]any{"nodes": []any{
			map[string]any{"id": "gid://shopify/LineItem/466157049", "title": "IPod Nano - 8gb", "sku": "IPOD2008GREEN", "quantity": 1, "originalUnitPriceSet": money("199.00")},
			map[string]any{"id": "gid://shopify/LineItem/518995019", "title": "Case", "sku": "CASE", "quantity": 2, "originalUnitPriceSet": money("5.00")},
		}},
		"refunds":      []any{},
		"fulfillments": []any{},
	}
	f.order["transactions"] = f.transactions
	f.order["suggestedRefund"] = f.suggestedRefund
	f.customer["orders"] = map[string]any{"nodes": []any{f.order}}
	f.customer["lastOrder"] = f.order
	f.Server = newServer(t, f.handle)
	f.Base = f.URL + "/admin/api/2026-10"
	return f
}

// Order returns the order as the store has it now.
func (f *Shopify) Order() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.order
}

// Customer returns the customer as the store has it now.
func (f *Shopify) Customer() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.customer
}

func (f *Shopify) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("X-Request-Id", "fake-request")
	if r.Header.Get("X-Shopify-Access-Token") != ShopifyToken {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/admin/api/2026-10/graphql.json" {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"errors": "Unsupported Media Type"})
		return
	}
	f.graphql(w, body)
}

// object is the store's order or customer with that global id.
func (f *Shopify) object(id any) map[string]any {
	switch id {
	case f.order["id"]:
		return f.order
	case f.customer["id"]:
		return f.customer
	}
	return nil
}

func userErrors(field, message string) []any {
	return []any{map[string]any{"field": []any{field}, "message": message}}
}

// resolve answers the root fields the store keeps state for; any other
// root field is answered with a value of its type (ok false).
func (f *Shopify) resolve(name string, args map[string]any, key string) (value any, ok bool) {
	input, _ := args["input"].(map[string]any)
	switch name {
	case "order", "customer":
		if obj := f.object(args["id"]); obj != nil && strings.Contains(str(args["id"]), "/"+strings.ToUpper(name[:1])+name[1:]+"/") {
			return obj, true
		}
		return nil, true
	case "customers":
		found := []any{}
		if strings.EqualFold(str(args["query"]), "email:"+str(field(f.customer["defaultEmailAddress"], "emailAddress"))) {
			found = append(found, f.customer)
		}
		return map[string]any{"nodes": found}, true
	case "customerByIdentifier":
		if strings.EqualFold(str(field(args["identifier"], "emailAddress")), str(field(f.customer["defaultEmailAddress"], "emailAddress"))) {
			return f.customer, true
		}
		return nil, true
	case "tagsAdd", "tagsRemove":
		obj := f.object(args["id"])
		if obj == nil {
			return map[string]any{"node": nil, "userErrors": userErrors("id", "Resource not found")}, true
		}
		obj["tags"] = changeTags(obj["tags"].([]any), args["tags"], name == "tagsAdd")
		return map[string]any{"node": obj, "userErrors": []any{}}, true
	case "orderUpdate", "customerUpdate":
		obj := f.object(input["id"])
		root := strings.TrimSuffix(name, "Update")
		if obj == nil || obj["id"] != f.order["id"] && root == "order" || obj["id"] != f.customer["id"] && root == "customer" {
			return map[string]any{root: nil, "userErrors": userErrors("id", strings.ToUpper(root[:1])+root[1:]+" does not exist")}, true
		}
		if note, set := input["note"]; set {
			if len(str(note)) > 5000 {
				return map[string]any{root: nil, "userErrors": userErrors("note", "Note is too long (maximum is 5000 characters)")}, true
			}
			obj["note"] = note
		}
		return map[string]any{root: obj, "userErrors": []any{}}, true
	case "orderClose", "orderOpen":
		if input["id"] != f.order["id"] {
			return map[string]any{"order": nil, "userErrors": userErrors("id", "Order does not exist")}, true
		}
		closing := name == "orderClose"
		f.order["closed"] = closing
		f.order["closedAt"] = nil
		if closing {
			f.order["closedAt"] = "2026-12-04T11:00:00Z"
		}
		return map[string]any{"order": f.order, "userErrors": []any{}}, true
	case "orderCancel":
		switch {
		case args["orderId"] != f.order["id"]:
			return map[string]any{"job": nil, "orderCancelUserErrors": userErrors("orderId", "Order does not exist")}, true
		case f.order["cancelledAt"] != nil:
			return map[string]any{"job": nil, "orderCancelUserErrors": userErrors("orderId", "Order has already been cancelled")}, true
		}
		f.order["cancelledAt"] = "2026-12-04T10:00:00Z"
		f.order["cancelReason"] = args["reason"]
		f.nextID++
		return map[string]any{"job": map[string]any{"id": fmt.Sprintf("gid://shopify/Job/%d", f.nextID), "done": false}, "orderCancelUserErrors": []any{}}, true
	case "refundCreate":
		return f.refundCreate(input, key), true
	}
	return nil, false
}

func changeTags(current []any, given any, add bool) []any {
	has := func(list []any, t any) bool {
		for _, x := range list {
			if strings.EqualFold(str(x), str(t)) {
				return true
			}
		}
		return false
	}
	list, _ := given.([]any)
	out := []any{}
	if add {
		out = append(out, current...)
		for _, t := range list {
			if !has(out, t) {
				out = append(out, t)
			}
		}
		return out
	}
	for _, t := range current {
		if !has(list, t) {
			out = append(out, t)
		}
	}
	return out
}

// remaining is each line item's quantity not refunded yet.
func (f *Shopify) remaining() map[string]int {
	left := map[string]int{}
	for _, li := range f.order["lineItems"].(map[string]any)["nodes"].([]any) {
		left[str(field(li, "id"))] = li.(map[string]any)["quantity"].(int)
	}
	for _, rf := range f.order["refunds"].([]any) {
		for _, rli := range field(field(rf, "refundLineItems"), "nodes").([]any) {
			left[str(field(field(rli, "lineItem"), "id"))] -= rli.(map[string]any)["quantity"].(int)
		}
	}
	return left
}

func (f *Shopify) price(lineItemID string) float64 {
	for _, li := range f.order["lineItems"].(map[string]any)["nodes"].([]any) {
		if str(field(li, "id")) == lineItemID {
			p, _ := strconv.ParseFloat(str(field(field(field(li, "originalUnitPriceSet"), "shopMoney"), "amount")), 64)
			return p
		}
	}
	return 0
}

func (f *Shopify) shippingRefunded() bool {
	for _, rf := range f.order["refunds"].([]any) {
		if field(rf, "shippingRefunded") == true {
			return true
		}
	}
	return false
}

// suggestedRefund is Order.suggestedRefund(suggestFullRefund: true,
// refundShipping): every remaining line item, the shipping unless it is
// refunded already or not asked for, and one transaction against the sale.
func (f *Shopify) suggestedRefund(args map[string]any) any {
	lines := []any{}
	total := 0.0
	for id, q := range f.remaining() {
		if q > 0 {
			lines = append(lines, map[string]any{"lineItem": map[string]any{"id": id}, "quantity": q})
			total += f.price(id) * float64(q)
		}
	}
	if args["refundShipping"] == true && !f.shippingRefunded() {
		total += 5
	}
	amount := fmt.Sprintf("%.2f", total)
	transactions := []any{}
	if total > 0 {
		transactions = append(transactions, map[string]any{
			"amountSet": money(amount), "gateway": "bogus", "kind": "SUGGESTED_REFUND",
			"parentTransaction": map[string]any{"id": "gid://shopify/OrderTransaction/801038806"},
		})
	}
	return map[string]any{"amountSet": money(amount), "refundLineItems": lines, "suggestedTransactions": transactions}
}

// transactions is Order.transactions: the sale and every refund's.
func (f *Shopify) transactions(map[string]any) any {
	out := []any{map[string]any{
		"id": "gid://shopify/OrderTransaction/801038806", "kind": "SALE", "status": "SUCCESS", "gateway": "bogus",
		"createdAt": "2026-11-01T09:00:00Z", "errorCode": nil, "amountSet": money("214.00"), "parentTransaction": nil,
	}}
	for _, rf := range f.order["refunds"].([]any) {
		out = append(out, field(field(rf, "transactions"), "nodes").([]any)...)
	}
	return out
}

// refunded is what the order's refunds gave back so far.
func (f *Shopify) refunded() float64 {
	sum := 0.0
	for _, rf := range f.order["refunds"].([]any) {
		a, _ := strconv.ParseFloat(str(field(field(field(rf, "totalRefundedSet"), "shopMoney"), "amount")), 64)
		sum += a
	}
	return sum
}

// refundCreate checks a refund against what is left of the order (line
// quantities, at most the sale's amount not refunded yet, transactions
// against the sale) and records it; its @idempotent key answers the same refund
// when used again.
func (f *Shopify) refundCreate(input map[string]any, key string) map[string]any {
	refused := func(field, message string) map[string]any {
		return map[string]any{"refund": nil, "order": nil, "userErrors": userErrors(field, message)}
	}
	if done, seen := f.refundsByKey[key]; seen {
		return map[string]any{"refund": done, "order": f.order, "userErrors": []any{}}
	}
	if input["orderId"] != f.order["id"] {
		return refused("orderId", "Order does not exist")
	}
	left := f.remaining()
	var lines []any
	items, _ := input["refundLineItems"].([]any)
	for _, it := range items {
		id := str(field(it, "lineItemId"))
		q, _ := strconv.Atoi(str(field(it, "quantity")))
		if _, known := left[id]; !known || q < 1 || q > left[id] {
			return refused("refundLineItems", "Quantity cannot refund more items than were purchased")
		}
		lines = append(lines, map[string]any{"lineItem": map[string]any{"id": id, "title": "item"}, "quantity": q, "restockType": field(it, "restockType")})
	}
	shipping := field(input["shipping"], "fullRefund") == true && !f.shippingRefunded()
	sum := 0.0
	var transactions []any
	list, _ := input["transactions"].([]any)
	for _, t := range list {
		if str(field(t, "kind")) != "REFUND" || str(field(t, "parentId")) != "gid://shopify/OrderTransaction/801038806" || str(field(t, "gateway")) == "" || field(t, "orderId") != f.order["id"] {
			return refused("transactions", "Transaction is invalid")
		}
		a, err := strconv.ParseFloat(str(field(t, "amount")), 64)
		if err != nil {
			return refused("transactions.amount", "Amount is invalid")
		}
		sum += a
		f.nextID++
		transactions = append(transactions, map[string]any{
			"id": fmt.Sprintf("gid://shopify/OrderTransaction/%d", f.nextID), "kind": "REFUND", "status": "SUCCESS",
			"gateway": "bogus", "amountSet": money(str(field(t, "amount"))), "parentTransaction": map[string]any{"id": "gid://shopify/OrderTransaction/801038806"},
		})
	}
	if left := 214.0 - f.refunded(); sum > left+0.001 {
		return refused("transactions", fmt.Sprintf("Refund amount $%.2f is greater than net payment received $%.2f", sum, left))
	}
	f.nextID++
	created := map[string]any{
		"id": fmt.Sprintf("gid://shopify/Refund/%d", f.nextID), "legacyResourceId": strconv.FormatInt(f.nextID, 10),
		"createdAt": "2026-12-04T10:00:00Z", "note": input["note"], "totalRefundedSet": money(fmt.Sprintf("%.2f", sum)),
		"refundLineItems": map[string]any{"nodes": lines}, "transactions": map[string]any{"nodes": transactions},
		"shippingRefunded": shipping,
	}
	f.order["refunds"] = append(f.order["refunds"].([]any), created)
	f.order["displayFinancialStatus"] = "REFUNDED"
	f.refundsByKey[key] = created
	return map[string]any{"refund": created, "order": f.order, "userErrors": []any{}}
}
