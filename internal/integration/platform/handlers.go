package platform

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// handler runs an action that needs more than one request.
type handler func(ctx context.Context, s *session, in *input, key string) (*Result, error)

// handlers are the multi-request actions a catalog may name.
var handlers = map[string]handler{
	"shopify_full_refund": shopifyFullRefund,
	"shopify_merge_tags":  shopifyTags(true),
	"shopify_remove_tags": shopifyTags(false),
	"jira_transition":     jiraTransition,
}

func field(data any, key string) any {
	m, _ := data.(map[string]any)
	return m[key]
}

func jsonRequest(method, path string, body any, key string, idempotent bool) (request, error) {
	r := request{method: method, path: path, key: key, idempotent: idempotent}
	err := r.setBody(body, "json")
	return r, err
}

// shopifyFullRefund refunds everything of an order not refunded yet:
//
//  1. GET the order's line items, currency and past refunds;
//  2. POST refunds/calculate.json with every line item's remaining quantity
//     (no restock) and the shipping (unless refundShipping is false), which
//     answers the transactions to make (kind suggested_refund, with their
//     parent transaction and gateway);
//  3. POST refunds.json with those transactions as kind refund, the same
//     line items, the note and notify flag, and the step's key.
//
// When nothing is left to refund, an order that has refunds succeeds with
// its latest refund and already_refunded: true (a step retried after a
// crash that followed the refund finds it done); an order that never had
// any fails clearly.
func shopifyFullRefund(ctx context.Context, s *session, in *input, key string) (*Result, error) {
	a := in.action
	orderPath := in.expand("/orders/{orderId}")
	res, err := s.do(ctx, request{
		method: http.MethodGet, path: orderPath + ".json", idempotent: true,
		query: url.Values{"fields": {"id,name,currency,financial_status,line_items,refunds"}},
	})
	if err != nil {
		return result(a, res, err)
	}
	order, _ := field(res.data, "order").(map[string]any)
	if order == nil {
		return nil, &Error{Status: res.status, Message: "Shopify's answer has no order"}
	}
	items := refundableItems(order)
	refundShipping, _ := in.values["refundShipping"].(bool)
	currency := str(order["currency"])
	calc := map[string]any{
		"shipping":          map[string]any{"full_refund": refundShipping},
		"refund_line_items": items,
	}
	if currency != "" {
		calc["currency"] = currency
	}
	r, err := jsonRequest(http.MethodPost, orderPath+"/refunds/calculate.json", map[string]any{"refund": calc}, "", true)
	if err != nil {
		return nil, err
	}
	res, err = s.do(ctx, r)
	if err != nil {
		return result(a, res, err)
	}
	calculated, _ := field(res.data, "refund").(map[string]any)
	transactions := []any{}
	suggested, _ := calculated["transactions"].([]any)
	for _, t := range suggested {
		tm, _ := t.(map[string]any)
		if tm == nil || !positive(tm["amount"]) {
			continue
		}
		transactions = append(transactions, map[string]any{
			"parent_id": tm["parent_id"],
			"amount":    tm["amount"],
			"kind":      "refund",
			"gateway":   tm["gateway"],
		})
	}
	if len(items) == 0 && len(transactions) == 0 {
		if past, _ := order["refunds"].([]any); len(past) > 0 {
			latest := map[string]any{"refund": past[len(past)-1]}
			return &Result{Status: http.StatusOK, Data: a.Response.apply(latest), Extra: map[string]any{"already_refunded": true}}, nil
		}
		return nil, &Error{Message: fmt.Sprintf("Shopify order %s has nothing to refund (financial status %s)", str(order["name"]), str(order["financial_status"]))}
	}
	body, _ := in.body.(map[string]any)
	if body == nil {
		body = map[string]any{}
	}
	refund, _ := body["refund"].(map[string]any)
	if refund == nil {
		refund = map[string]any{}
		body["refund"] = refund
	}
	if currency != "" {
		refund["currency"] = currency
	}
	refund["refund_line_items"] = items
	refund["transactions"] = transactions
	if _, set := refund["shipping"]; !set {
		refund["shipping"] = map[string]any{"full_refund": refundShipping}
	}
	r, err = jsonRequest(http.MethodPost, in.expand(a.Path), body, key, a.IsIdempotent())
	if err != nil {
		return nil, err
	}
	res, err = s.do(ctx, r)
	return result(a, res, err)
}

// refundableItems lists each line item's quantity not refunded yet.
func refundableItems(order map[string]any) []any {
	refunded := map[string]int64{}
	past, _ := order["refunds"].([]any)
	for _, r := range past {
		lines, _ := field(r, "refund_line_items").([]any)
		for _, l := range lines {
			refunded[str(field(l, "line_item_id"))] += toInt(field(l, "quantity"))
		}
	}
	items := []any{}
	lineItems, _ := order["line_items"].([]any)
	for _, li := range lineItems {
		id := field(li, "id")
		if id == nil {
			continue
		}
		if q := toInt(field(li, "quantity")) - refunded[str(id)]; q > 0 {
			items = append(items, map[string]any{"line_item_id": id, "quantity": q, "restock_type": "no_restock"})
		}
	}
	return items
}

func toInt(v any) int64 {
	i, _ := strconv.ParseInt(str(v), 10, 64)
	return i
}

func positive(v any) bool {
	f, err := strconv.ParseFloat(str(v), 64)
	return err == nil && f > 0
}

// shopifyTags adds (or removes) tags of an order or customer: Shopify keeps
// tags as one comma-separated string that a PUT replaces, so the current
// tags are read first. Tags compare case-insensitively, as in Shopify.
func shopifyTags(add bool) handler {
	return func(ctx context.Context, s *session, in *input, key string) (*Result, error) {
		a := in.action
		root := a.Response.Root
		path := in.expand(a.Path)
		res, err := s.do(ctx, request{method: http.MethodGet, path: path, query: url.Values{"fields": {"id,tags"}}, idempotent: true})
		if err != nil {
			return result(a, res, err)
		}
		obj, _ := field(res.data, root).(map[string]any)
		if obj == nil {
			return nil, &Error{Status: res.status, Message: "Shopify's answer has no " + root}
		}
		current := splitTags(str(obj["tags"]))
		given, _ := in.values["tags"].([]string)
		next := changeTags(current, given, add)
		if strings.Join(next, ", ") == strings.Join(current, ", ") {
			return &Result{Status: res.status, Data: a.Response.apply(res.data), Extra: map[string]any{"changed": false}}, nil
		}
		body := map[string]any{root: map[string]any{"id": obj["id"], "tags": strings.Join(next, ", ")}}
		r, err := jsonRequest(a.Method, path, body, key, true)
		if err != nil {
			return nil, err
		}
		res, err = s.do(ctx, r)
		out, err := result(a, res, err)
		if err == nil {
			out.Extra = map[string]any{"changed": true}
		}
		return out, err
	}
}

func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func changeTags(current, given []string, add bool) []string {
	has := func(list []string, t string) bool {
		for _, x := range list {
			if strings.EqualFold(x, t) {
				return true
			}
		}
		return false
	}
	var out []string
	if add {
		out = append(out, current...)
		for _, t := range given {
			if !has(out, t) {
				out = append(out, t)
			}
		}
		return out
	}
	for _, t := range current {
		if !has(given, t) {
			out = append(out, t)
		}
	}
	return out
}

// jiraTransition posts a transition by id, or first finds the transition
// whose name (or target status name) matches, among those available now.
func jiraTransition(ctx context.Context, s *session, in *input, key string) (*Result, error) {
	a := in.action
	path := in.expand(a.Path)
	id, _ := in.values["transitionId"].(string)
	chosen := map[string]any{"id": id}
	if id == "" {
		name, _ := in.values["transition"].(string)
		res, err := s.do(ctx, request{method: http.MethodGet, path: path, idempotent: true})
		if err != nil {
			return result(a, res, err)
		}
		list, _ := field(res.data, "transitions").([]any)
		var available []string
		for _, byTarget := range []bool{false, true} {
			for _, t := range list {
				tname, target := str(field(t, "name")), str(field(field(t, "to"), "name"))
				if !byTarget {
					available = append(available, fmt.Sprintf("%s (→ %s)", tname, target))
				}
				if id == "" && (!byTarget && strings.EqualFold(tname, name) || byTarget && strings.EqualFold(target, name)) {
					id = str(field(t, "id"))
					chosen = map[string]any{"id": id, "name": tname, "to": target}
				}
			}
		}
		if id == "" {
			if len(available) == 0 {
				available = []string{"none"}
			}
			return nil, &Error{Message: fmt.Sprintf("Jira issue %s has no transition or target status named %q now; available: %s", in.values["issueKey"], name, strings.Join(available, ", "))}
		}
	}
	r, err := jsonRequest(http.MethodPost, path, map[string]any{"transition": map[string]any{"id": id}}, key, a.IsIdempotent())
	if err != nil {
		return nil, err
	}
	res, err := s.do(ctx, r)
	out, err := result(a, res, err)
	if err == nil {
		out.Data = chosen
	}
	return out, err
}
