package platform

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// handler runs an action that needs more than one request.
type handler func(ctx context.Context, s *session, in *input, key string) (*Result, error)

// handlers are the multi-request actions a catalog may name.
var handlers = map[string]handler{
	"shopify_full_refund": shopifyFullRefund,
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
//  1. the catalog's prepare query reads the order's past refunds and
//     Shopify's suggested full refund (every line item's remaining
//     quantity, the shipping unless refundShipping is false, and the
//     transactions to make, with their parent transaction and gateway);
//  2. refundCreate makes that refund, without restocking, with the note
//     and notify flag and the step's key as its @idempotent key.
//
// When nothing is left to refund, an order that has refunds succeeds with
// its latest refund and already_refunded: true (a step retried after a
// crash that followed the refund finds it done); an order that never had
// any fails clearly.
func shopifyFullRefund(ctx context.Context, s *session, in *input, key string) (*Result, error) {
	a := in.action
	refund, _ := in.variables["input"].(map[string]any)
	orderID := refund["orderId"]
	refundShipping, _ := in.values["refundShipping"].(bool)
	delete(in.variables, "refundShipping")
	plan, err := graphqlRequest(a, a.GraphQL.Prepare, map[string]any{"id": orderID, "refundShipping": refundShipping}, "")
	if err != nil {
		return nil, err
	}
	res, err := s.do(ctx, plan)
	if err != nil {
		return result(a, res, err)
	}
	order, _ := at(res.data, "data.order").(map[string]any)
	if order == nil {
		return nil, &Error{Status: res.status, Message: fmt.Sprintf("Shopify has no order %s", orderID)}
	}
	suggested, _ := order["suggestedRefund"].(map[string]any)
	lines := []any{}
	items, _ := suggested["refundLineItems"].([]any)
	for _, li := range items {
		if q := toInt(field(li, "quantity")); q > 0 {
			lines = append(lines, map[string]any{"lineItemId": at(li, "lineItem.id"), "quantity": q, "restockType": "NO_RESTOCK"})
		}
	}
	transactions := []any{}
	offered, _ := suggested["suggestedTransactions"].([]any)
	for _, t := range offered {
		amount := at(t, "amountSet.presentmentMoney.amount")
		if !positive(amount) {
			continue
		}
		transactions = append(transactions, map[string]any{
			"orderId": orderID, "parentId": at(t, "parentTransaction.id"), "amount": amount,
			"gateway": field(t, "gateway"), "kind": "REFUND",
		})
	}
	if len(lines) == 0 && len(transactions) == 0 {
		if past, _ := order["refunds"].([]any); len(past) > 0 {
			latest := past[len(past)-1]
			return &Result{Status: res.status, Data: a.Response.apply(latest), Extra: map[string]any{"already_refunded": true}}, nil
		}
		return nil, &Error{Message: fmt.Sprintf("Shopify order %s has nothing to refund (financial status %s)", str(order["name"]), str(order["displayFinancialStatus"]))}
	}
	refund["refundLineItems"] = lines
	refund["transactions"] = transactions
	refund["shipping"] = map[string]any{"fullRefund": refundShipping}
	if currency := str(at(suggested, "amountSet.presentmentMoney.currencyCode")); currency != "" {
		refund["currency"] = currency
	}
	r, err := graphqlRequest(a, a.GraphQL.Document, in.variables, key)
	if err != nil {
		return nil, err
	}
	res, err = s.do(ctx, r)
	return result(a, res, err)
}

func toInt(v any) int64 {
	i, _ := strconv.ParseInt(str(v), 10, 64)
	return i
}

func positive(v any) bool {
	f, err := strconv.ParseFloat(str(v), 64)
	return err == nil && f > 0
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
