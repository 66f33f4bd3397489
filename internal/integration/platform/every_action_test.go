package platform

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
	"github.com/deskflow/deskflow/internal/template"
)

// fakeObjects are the objects the fakes hold, by "platform.parameter", or
// by "platform.action.parameter" where an action needs another object
// (only a PaymentIntent that has not succeeded can be canceled).
var fakeObjects = map[string]any{
	"shopify.orderId":                              platformfake.ShopifyOrderID,
	"shopify.customerId":                           platformfake.ShopifyCustomerID,
	"shopify.search_customers.query":               "email:bob.norman@mail.example.com",
	"shopify.remove_order_tags.tags":               []any{"imported"},
	"stripe.customerId":                            "cus_123",
	"stripe.customer":                              "cus_123",
	"stripe.email":                                 "jenny@example.com",
	"stripe.paymentIntent":                         "pi_123",
	"stripe.paymentIntentId":                       "pi_123",
	"stripe.cancel_payment_intent.paymentIntentId": "pi_456",
	"stripe.charge":                                "ch_123",
	"stripe.chargeId":                              "ch_123",
	"stripe.refundId":                              "re_123",
	"stripe.invoiceId":                             "in_123",
	"stripe.subscriptionId":                        "sub_123",
	"stripe.disputeId":                             "du_123",
	"stripe.creditNoteId":                          "cn_123",
	"stripe.couponId":                              "co_123",
	"stripe.productId":                             "prod_123",
	"stripe.paymentMethodId":                       "pm_123",
	"stripe.sessionId":                             "cs_123",
	"stripe.paymentLinkId":                         "plink_123",
	"stripe.balanceTransactionId":                  "txn_123",
	"stripe.eventId":                               "evt_123",
	"stripe.invoice":                               "in_123",
	"stripe.subscription":                          "sub_123",
	"stripe.currency":                              "usd",
	"github.owner":                                 "acme",
	"github.repo":                                  "app",
	"github.issueNumber":                           42,
	"github.label":                                 "bug",
	"github.q":                                     "repo:acme/app is:issue crash",
	"github.labelName":                             "bug",
	"github.username":                              "octocat",
	"github.org":                                   "acme",
	"github.ref":                                   "main",
	"github.tag":                                   "v1.0.0",
	"github.gistId":                                "aa5a315d61ae9438b18d",
	"github.workflowId":                            "support.yml",
	"github.color":                                 "f29513",
	"github.dueOn":                                 "2027-01-31T00:00:00Z",
	"github.since":                                 "2026-11-01T00:00:00Z",
	"github.files":                                 map[string]any{"log.txt": map[string]any{"content": "stack trace"}},
	"jira.issueKey":                                "SUP-1",
	"jira.projectKey":                              "SUP",
	"jira.issueType":                               "Task",
	"jira.priority":                                "High",
	"jira.transitionId":                            "21",
	"jira.accountId":                               "5b10ac8d82e05b22cc7d4ef5",
	"jira.query":                                   "agent",
	"jira.jql":                                     "project = SUP",
	"jira.inwardIssue":                             "SUP-1",
	"jira.outwardIssue":                            "SUP-2",
	"jira.linkType":                                "Relates",
	"slack.channel":                                "C012AB3CD",
	"slack.user":                                   "W012A3CDE",
	"slack.users":                                  "W012A3CDE,U014KLMNOPQ",
	"slack.email":                                  "spengler@ghostbusters.example.com",
	"slack.ts":                                     "1405894322.002768",
	"slack.timestamp":                              "1405894322.002768",
	"slack.name":                                   "eyes",
	"jira.projectKey.path":                         "SUP",
	"jira.commentId":                               "10000",
	"jira.linkId":                                  "10001",
	"jira.timeSpent":                               "1h 30m",
	"jira.started":                                 "2026-12-04T09:00:00.000+00:00",
	"jira.url":                                     "https://help.example.com/tickets/1",
	"jira.releaseDate":                             "2027-01-31",
}

// exampleParams builds an action's parameters from its declarations: the
// fake's object where the parameter names one, else the first allowed
// value or a value of the parameter's type. Without all, only the required
// parameters and the first of each any_of group are given.
func exampleParams(p *Platform, a *Action, all bool) map[string]any {
	first := map[string]bool{}
	others := map[string]bool{}
	for _, g := range a.AnyOf {
		first[g[0]] = true
		for _, n := range g[1:] {
			others[n] = true
		}
	}
	out := map[string]any{}
	for _, prm := range a.Params {
		if others[prm.Name] || !prm.Required && !first[prm.Name] && !all {
			continue
		}
		if v, ok := fakeObjects[p.ID+"."+a.ID+"."+prm.Name]; ok {
			out[prm.Name] = v
			continue
		}
		if v, ok := fakeObjects[p.ID+"."+prm.Name]; ok {
			out[prm.Name] = v
			continue
		}
		switch {
		case len(prm.Enum) > 0:
			out[prm.Name] = prm.Enum[0]
		case prm.Type == "string":
			out[prm.Name] = "Example " + prm.Name
		case prm.Type == "integer":
			out[prm.Name] = 1
		case prm.Type == "number":
			out[prm.Name] = "1.50"
		case prm.Type == "boolean":
			out[prm.Name] = true
		case prm.Type == "array":
			out[prm.Name] = []any{"example"}
		case prm.Type == "object":
			out[prm.Name] = map[string]any{"source": "deskflow"}
		default:
			panic("exampleParams: parameter type " + prm.Type)
		}
	}
	return out
}

// fakeOf starts the loopback fake of a platform: the server, a connector
// pointing at it, and the path of its API root.
func fakeOf(t *testing.T, platformID string) (*platformfake.Server, *connector.Connector, string) {
	switch platformID {
	case "shopify":
		f := platformfake.NewShopify(t)
		return f.Server, shopifyConn(f), strings.TrimPrefix(f.Base, f.URL)
	case "stripe":
		f := platformfake.NewStripe(t)
		return f.Server, stripeConn(f), ""
	case "github":
		f := platformfake.NewGitHub(t)
		return f.Server, githubConn(f), ""
	case "jira":
		f := platformfake.NewJira(t)
		return f.Server, jiraConn(f), ""
	case "slack":
		f := platformfake.NewSlack(t)
		return f.Server, slackConn(f), ""
	}
	t.Fatalf("platform %s has no fake in platformfake", platformID)
	return nil, nil, ""
}

// TestEveryCatalogActionAgainstItsFake walks the catalog: every action of
// every platform runs through Execute against the platform's fake, once
// with its required parameters and once with all of them, and must
// succeed with a request to the action's method and path.
func TestEveryCatalogActionAgainstItsFake(t *testing.T) {
	counts := map[string]int{}
	for _, id := range IDs() {
		p, _ := Lookup(id)
		for _, a := range p.Actions {
			passed := true
			for _, all := range []bool{false, true} {
				name := id + "/" + a.ID + "/required"
				if all {
					name = id + "/" + a.ID + "/all"
				}
				passed = t.Run(name, func(t *testing.T) {
					srv, conn, root := fakeOf(t, id)
					params := exampleParams(p, a, all)
					res, err := execute(t, testEnv(srv, &sleeper{}), conn, a.ID, params, "every-"+a.ID)
					if err != nil {
						t.Fatalf("%v with %v", err, params)
					}
					if res.Status < 200 || res.Status > 299 {
						t.Errorf("status %d: %s", res.Status, text(res.Data))
					}
					renderOutput(t, a, res.Output())
					path := root + placeholderRe.ReplaceAllStringFunc(a.Path, func(m string) string {
						return fmt.Sprint(params[m[1:len(m)-1]])
					})
					if srv.Count(a.Method, path) == 0 {
						var got []string
						for _, r := range srv.Requests() {
							got = append(got, r.Method+" "+r.Path)
						}
						t.Errorf("no %s %s among the requests %v", a.Method, path, got)
					}
				}) && passed
			}
			if passed {
				counts[id]++
			}
		}
	}
	for _, id := range IDs() {
		p, _ := Lookup(id)
		if counts[id] != len(p.Actions) {
			t.Errorf("%s: %d of its %d actions succeed against the fake", id, counts[id], len(p.Actions))
		}
	}
	t.Logf("actions that succeed against the fakes: %v", counts)
}

// renderOutput renders {{variables.out.<field>}} against an action's saved
// output, as a later step of a workflow would, for the first field of the
// shape the catalog states (of the first element for a list): the object
// itself is the output, so the field renders.
func renderOutput(t *testing.T, a *Action, out any) {
	t.Helper()
	if len(a.Response.Fields) == 0 || out == nil {
		return
	}
	field := a.Response.Fields[0]
	src := "{{variables.out." + field + "}}"
	if list, isList := out.([]any); isList {
		if len(list) == 0 {
			return
		}
		src = "{{variables.out.0." + field + "}}"
	}
	tpl, err := template.Parse(src, template.DefaultSchema)
	if err != nil {
		t.Fatalf("parse %s: %v", src, err)
	}
	res, err := tpl.Render(context.Background(), map[string]any{"variables": map[string]any{"out": out}}, template.Options{Escape: template.Plain})
	if err != nil || len(res.Missing) > 0 || res.Text == "" {
		t.Errorf("%s renders %q (missing %v, %v) against the output %s", src, res.Text, res.Missing, err, text(out))
	}
}
