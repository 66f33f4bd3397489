package platformfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// ShopifyToken is the access token the Shopify fake accepts.
const ShopifyToken = "shpat_0123456789abcdef"

// ShopifyOrderID is the fake store's order.
const ShopifyOrderID = 450789469

// ShopifyCustomerID is the fake store's customer.
const ShopifyCustomerID = 207119551

// Shopify answers as the Admin REST API 2026-10 of one store.
type Shopify struct {
	*Server
	// Base is the API root to put in a connector's base_url.
	Base     string
	order    map[string]any
	customer map[string]any
	nextID   int64
}

// NewShopify starts a Shopify fake with one paid order of two line items
// (199.00 and 10.00, shipping 5.00) and one customer.
func NewShopify(t testing.TB) *Shopify {
	f := &Shopify{nextID: 929361000}
	f.order = map[string]any{
		"id": json.Number(strconv.Itoa(ShopifyOrderID)), "name": "#1001", "email": "bob.norman@mail.example.com",
		"currency": "USD", "financial_status": "paid", "fulfillment_status": nil,
		"total_price": "214.00", "subtotal_price": "209.00", "total_tax": "0.00",
		"tags": "imported", "note": nil, "cancelled_at": nil, "closed_at": nil,
		"customer": map[string]any{"id": json.Number(strconv.Itoa(ShopifyCustomerID)), "email": "bob.norman@mail.example.com", "first_name": "Bob", "last_name": "Norman"},
		"line_items": []any{
			map[string]any{"id": json.Number("466157049"), "title": "IPod Nano - 8gb", "quantity": json.Number("1"), "price": "199.00", "sku": "IPOD2008GREEN"},
			map[string]any{"id": json.Number("518995019"), "title": "Case", "quantity": json.Number("2"), "price": "5.00", "sku": "CASE"},
		},
		"shipping_lines":  []any{map[string]any{"id": json.Number("369256396"), "price": "5.00"}},
		"refunds":         []any{},
		"secret_internal": "not selected",
	}
	f.customer = map[string]any{
		"id": json.Number(strconv.Itoa(ShopifyCustomerID)), "email": "bob.norman@mail.example.com", "first_name": "Bob",
		"last_name": "Norman", "tags": "Léon, Noël", "note": nil, "orders_count": json.Number("1"), "total_spent": "214.00",
	}
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

func shopifyError(w http.ResponseWriter, status int, errs any) {
	writeJSON(w, status, map[string]any{"errors": errs})
}

func (f *Shopify) handle(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("X-Shopify-Shop-Api-Call-Limit", "1/40")
	if r.Header.Get("X-Shopify-Access-Token") != ShopifyToken {
		shopifyError(w, http.StatusUnauthorized, "[API] Invalid API key or access token (unrecognized login or wrong password)")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/admin/api/2026-10/")
	if !ok {
		shopifyError(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.Method != http.MethodGet && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		shopifyError(w, http.StatusNotAcceptable, "Not Acceptable")
		return
	}
	if r.Method == http.MethodPost && path == "graphql.json" {
		f.graphql(w, body)
		return
	}
	oid := strconv.Itoa(ShopifyOrderID)
	cid := strconv.Itoa(ShopifyCustomerID)
	switch {
	case r.Method == http.MethodGet && path == "shop.json":
		writeJSON(w, 200, map[string]any{"shop": map[string]any{"id": 548380009, "name": "John Smith Test Store", "myshopify_domain": "jsmith.myshopify.com"}})
	case r.Method == http.MethodGet && path == "orders/"+oid+".json":
		writeJSON(w, 200, map[string]any{"order": f.order})
	case r.Method == http.MethodPut && path == "orders/"+oid+".json":
		in, err := decodeJSON(body)
		o, _ := field(in, "order").(map[string]any)
		if err != nil || o == nil {
			shopifyError(w, 400, map[string]any{"order": "Required parameter missing or invalid"})
			return
		}
		if note, ok := o["note"].(string); ok && len(note) > 5000 {
			shopifyError(w, 422, map[string]any{"note": []any{"is too long (maximum is 5000 characters)"}})
			return
		}
		for _, k := range []string{"tags", "note"} {
			if v, ok := o[k]; ok {
				f.order[k] = v
			}
		}
		writeJSON(w, 200, map[string]any{"order": f.order})
	case r.Method == http.MethodPost && path == "orders/"+oid+"/cancel.json":
		if f.order["cancelled_at"] != nil {
			shopifyError(w, 422, map[string]any{"base": []any{"Cannot cancel an order that has already been cancelled"}})
			return
		}
		in, _ := decodeJSON(body)
		f.order["cancelled_at"] = "2024-11-05T10:00:00-05:00"
		f.order["cancel_reason"] = str(field(in, "reason"))
		writeJSON(w, 200, map[string]any{"order": f.order})
	case r.Method == http.MethodPost && path == "orders/"+oid+"/close.json":
		if f.order["closed_at"] == nil {
			f.order["closed_at"] = "2024-11-05T11:00:00-05:00"
		}
		writeJSON(w, 200, map[string]any{"order": f.order})
	case r.Method == http.MethodPost && path == "orders/"+oid+"/open.json":
		f.order["closed_at"] = nil
		writeJSON(w, 200, map[string]any{"order": f.order})
	case r.Method == http.MethodGet && path == "orders/"+oid+"/fulfillments.json":
		// The order is unfulfilled.
		writeJSON(w, 200, map[string]any{"fulfillments": []any{}})
	case r.Method == http.MethodGet && path == "orders/"+oid+"/transactions.json":
		writeJSON(w, 200, map[string]any{"transactions": f.transactions()})
	case r.Method == http.MethodGet && path == "orders/"+oid+"/refunds.json":
		writeJSON(w, 200, map[string]any{"refunds": f.order["refunds"]})
	case r.Method == http.MethodGet && path == "customers/"+cid+"/orders.json":
		f.customerOrders(w, r)
	case r.Method == http.MethodPost && path == "orders/"+oid+"/refunds/calculate.json":
		f.calculate(w, body)
	case r.Method == http.MethodPost && path == "orders/"+oid+"/refunds.json":
		f.refund(w, body)
	case r.Method == http.MethodGet && path == "customers/"+cid+".json":
		writeJSON(w, 200, map[string]any{"customer": f.customer})
	case r.Method == http.MethodPut && path == "customers/"+cid+".json":
		in, _ := decodeJSON(body)
		c, _ := field(in, "customer").(map[string]any)
		for _, k := range []string{"tags", "note"} {
			if v, ok := c[k]; ok {
				f.customer[k] = v
			}
		}
		writeJSON(w, 200, map[string]any{"customer": f.customer})
	case r.Method == http.MethodGet && path == "customers/search.json":
		q := r.URL.Query().Get("query")
		var found []any
		if strings.EqualFold(q, "email:"+str(f.customer["email"])) {
			found = append(found, f.customer)
		}
		writeJSON(w, 200, map[string]any{"customers": found})
	default:
		shopifyError(w, http.StatusNotFound, "Not Found")
	}
}

// remaining is each line item's quantity not refunded yet.
func (f *Shopify) remaining() map[string]int64 {
	left := map[string]int64{}
	for _, li := range f.order["line_items"].([]any) {
		q, _ := strconv.ParseInt(str(field(li, "quantity")), 10, 64)
		left[str(field(li, "id"))] = q
	}
	for _, rf := range f.order["refunds"].([]any) {
		for _, rli := range field(rf, "refund_line_items").([]any) {
			q, _ := strconv.ParseInt(str(field(rli, "quantity")), 10, 64)
			left[str(field(rli, "line_item_id"))] -= q
		}
	}
	return left
}

func (f *Shopify) price(lineItemID string) float64 {
	for _, li := range f.order["line_items"].([]any) {
		if str(field(li, "id")) == lineItemID {
			p, _ := strconv.ParseFloat(str(field(li, "price")), 64)
			return p
		}
	}
	return 0
}

func (f *Shopify) shippingRefunded() bool {
	for _, rf := range f.order["refunds"].([]any) {
		if field(rf, "shipping_refunded") == true {
			return true
		}
	}
	return false
}

// lines checks requested refund line items against what is left.
func (f *Shopify) lines(w http.ResponseWriter, refund map[string]any) (float64, []any, bool) {
	left := f.remaining()
	total := 0.0
	var out []any
	items, _ := refund["refund_line_items"].([]any)
	for _, it := range items {
		id := str(field(it, "line_item_id"))
		q, _ := strconv.ParseInt(str(field(it, "quantity")), 10, 64)
		if _, known := left[id]; !known || q > left[id] {
			shopifyError(w, 422, map[string]any{"refund_line_items": []any{"Quantity cannot refund more items than were purchased"}})
			return 0, nil, false
		}
		sub := f.price(id) * float64(q)
		total += sub
		out = append(out, map[string]any{
			"line_item_id": json.Number(id), "quantity": q, "restock_type": str(field(it, "restock_type")),
			"subtotal": sub, "total_tax": 0.0,
		})
	}
	if full, _ := field(refund["shipping"], "full_refund").(bool); full && !f.shippingRefunded() {
		total += 5
	}
	return total, out, true
}

func (f *Shopify) calculate(w http.ResponseWriter, body []byte) {
	in, err := decodeJSON(body)
	refund, _ := field(in, "refund").(map[string]any)
	if err != nil || refund == nil {
		shopifyError(w, 400, map[string]any{"refund": "Required parameter missing or invalid"})
		return
	}
	total, lines, ok := f.lines(w, refund)
	if !ok {
		return
	}
	var transactions []any
	if total > 0 {
		amount := fmt.Sprintf("%.2f", total)
		transactions = append(transactions, map[string]any{
			"order_id": ShopifyOrderID, "kind": "suggested_refund", "gateway": "bogus", "parent_id": 801038806,
			"amount": amount, "currency": "USD", "maximum_refundable": amount,
		})
	}
	writeJSON(w, 200, map[string]any{"refund": map[string]any{
		"shipping": map[string]any{"amount": "5.00", "tax": "0.00", "maximum_refundable": "5.00"},
		"duties":   []any{}, "refund_line_items": lines, "transactions": transactions, "currency": "USD",
	}})
}

func (f *Shopify) refund(w http.ResponseWriter, body []byte) {
	in, err := decodeJSON(body)
	refund, _ := field(in, "refund").(map[string]any)
	if err != nil || refund == nil {
		shopifyError(w, 400, map[string]any{"refund": "Required parameter missing or invalid"})
		return
	}
	total, lines, ok := f.lines(w, refund)
	if !ok {
		return
	}
	var transactions []any
	sum := 0.0
	list, _ := refund["transactions"].([]any)
	for _, t := range list {
		if str(field(t, "kind")) != "refund" || str(field(t, "parent_id")) != "801038806" || str(field(t, "gateway")) == "" {
			shopifyError(w, 422, map[string]any{"transactions": []any{"is invalid"}})
			return
		}
		a, _ := strconv.ParseFloat(str(field(t, "amount")), 64)
		sum += a
		f.nextID++
		transactions = append(transactions, map[string]any{
			"id": f.nextID, "order_id": ShopifyOrderID, "kind": "refund", "gateway": "bogus", "status": "success",
			"amount": str(field(t, "amount")), "currency": "USD", "parent_id": 801038806, "message": "Bogus Gateway: Forced success",
		})
	}
	if sum > total+0.001 {
		shopifyError(w, 422, map[string]any{"base": []any{fmt.Sprintf("Refund amount $%.2f is greater than net payment received $%.2f", sum, total)}})
		return
	}
	f.nextID++
	full, _ := field(refund["shipping"], "full_refund").(bool)
	created := map[string]any{
		"id": f.nextID, "order_id": ShopifyOrderID, "created_at": "2024-11-05T10:00:00-05:00",
		"note": refund["note"], "restock": false, "user_id": nil, "processed_at": "2024-11-05T10:00:00-05:00",
		"refund_line_items": lines, "transactions": transactions, "order_adjustments": []any{},
		"shipping_refunded": full,
	}
	f.order["refunds"] = append(f.order["refunds"].([]any), created)
	f.order["financial_status"] = "refunded"
	writeJSON(w, http.StatusCreated, map[string]any{"refund": created})
}

// transactions are the order's sale (the parent of refunds) and its
// refunds' transactions.
func (f *Shopify) transactions() []any {
	out := []any{map[string]any{
		"id": json.Number("801038806"), "order_id": ShopifyOrderID, "parent_id": nil, "kind": "sale", "status": "success",
		"amount": "214.00", "currency": "USD", "gateway": "bogus", "created_at": "2024-11-01T09:00:00-05:00",
		"error_code": nil, "message": "Bogus Gateway: Forced success",
	}}
	for _, rf := range f.order["refunds"].([]any) {
		if ts, ok := field(rf, "transactions").([]any); ok {
			out = append(out, ts...)
		}
	}
	return out
}

// customerOrders is GET customers/{id}/orders.json: the customer's orders
// with the status asked for (open by default: neither closed nor
// cancelled), at most limit (default 50, at most 250).
func (f *Shopify) customerOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	if status == "" {
		status = "open"
	}
	var match bool
	switch status {
	case "any":
		match = true
	case "open":
		match = f.order["closed_at"] == nil && f.order["cancelled_at"] == nil
	case "closed":
		match = f.order["closed_at"] != nil
	case "cancelled":
		match = f.order["cancelled_at"] != nil
	default:
		shopifyError(w, 400, map[string]any{"status": "is invalid"})
		return
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if q.Get("limit") == "" {
		limit, err = 50, nil
	}
	if err != nil || limit < 1 || limit > 250 {
		shopifyError(w, 400, map[string]any{"limit": "must be between 1 and 250"})
		return
	}
	orders := []any{}
	if match {
		orders = append(orders, f.order)
	}
	writeJSON(w, 200, map[string]any{"orders": orders[:min(len(orders), limit)]})
}
