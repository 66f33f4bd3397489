// Package platformtest runs catalog actions against their platforms'
// loopback fakes: it starts a fake with the settings and credentials of a
// connector to it, and gives each action parameters the fake accepts. The
// platform package's table test and the API's run every action with it.
// It is for tests only.
package platformtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/integration/platform"
	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
)

// Fake is a platform's running fake and what a connector to it holds.
type Fake struct {
	Server      *platformfake.Server
	Settings    map[string]any
	Credentials map[string]string
	// Root is the path of the API root on the server (/admin/api/2026-10
	// for Shopify; empty for the others).
	Root string
}

// Start starts the fake of a platform, closed when the test ends.
func Start(t testing.TB, platformID string) Fake {
	t.Helper()
	switch platformID {
	case "shopify":
		f := platformfake.NewShopify(t)
		return Fake{f.Server, map[string]any{"base_url": f.Base}, map[string]string{"access_token": platformfake.ShopifyToken}, strings.TrimPrefix(f.Base, f.URL)}
	case "stripe":
		f := platformfake.NewStripe(t)
		return Fake{f.Server, map[string]any{"base_url": f.URL}, map[string]string{"secret_key": platformfake.StripeKey}, ""}
	case "github":
		f := platformfake.NewGitHub(t)
		return Fake{f.Server, map[string]any{"base_url": f.URL}, map[string]string{"token": platformfake.GitHubToken}, ""}
	case "jira":
		f := platformfake.NewJira(t)
		return Fake{f.Server, map[string]any{"base_url": f.URL}, map[string]string{"email": platformfake.JiraEmail, "api_token": platformfake.JiraAPIToken}, ""}
	case "slack":
		f := platformfake.NewSlack(t)
		return Fake{f.Server, map[string]any{"base_url": f.URL}, map[string]string{"bot_token": platformfake.SlackToken}, ""}
	}
	t.Fatalf("platform %s has no fake in platformfake", platformID)
	return Fake{}
}

// objects are the objects the fakes hold, by "platform.parameter", or by
// "platform.action.parameter" where an action needs another object (only
// a PaymentIntent that has not succeeded can be canceled).
var objects = map[string]any{
	"shopify.orderId":                              platformfake.ShopifyOrderID,
	"shopify.customerId":                           platformfake.ShopifyCustomerID,
	"shopify.search_customers.query":               "email:bob.norman@mail.example.com",
	"shopify.find_customer_by_email.email":         "bob.norman@mail.example.com",
	"shopify.remove_order_tags.tags":               []any{"imported"},
	"shopify.update_order.input":                   map[string]any{"id": platformfake.ShopifyOrderGID, "note": "Example note"},
	"shopify.create_order_refund.input":            map[string]any{"orderId": platformfake.ShopifyOrderGID, "note": "Goodwill"},
	"shopify.update_customer.input":                map[string]any{"id": platformfake.ShopifyCustomerGID, "note": "Example note"},
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
	"jira.commentId":                               "10000",
	"jira.linkId":                                  "10001",
	"jira.timeSpent":                               "1h 30m",
	"jira.started":                                 "2026-12-04T09:00:00.000+00:00",
	"jira.url":                                     "https://help.example.com/tickets/1",
	"jira.releaseDate":                             "2027-01-31",
	"slack.channel":                                "C012AB3CD",
	"slack.user":                                   "W012A3CDE",
	"slack.users":                                  "W012A3CDE,U014KLMNOPQ",
	"slack.email":                                  "spengler@ghostbusters.example.com",
	"slack.ts":                                     "1405894322.002768",
	"slack.timestamp":                              "1405894322.002768",
	"slack.name":                                   "eyes",
}

// Params builds an action's parameters: the fake's object where the
// parameter names one; for a GraphQL action, a value the schema accepts
// for its variable; else the first allowed value or a value of the
// parameter's type. Without all, only the required parameters and the
// first of each any_of group are given.
func Params(a *platform.Action, all bool) (map[string]any, error) {
	platformID := a.Platform().ID
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
		if v, ok := objects[platformID+"."+a.ID+"."+prm.Name]; ok {
			out[prm.Name] = v
			continue
		}
		if v, ok := objects[platformID+"."+prm.Name]; ok {
			out[prm.Name] = v
			continue
		}
		field := prm.Field
		if field == "" {
			field = prm.Name
		}
		switch {
		case len(prm.Enum) > 0:
			out[prm.Name] = prm.Enum[0]
		case prm.GID != "":
			out[prm.Name] = "gid://shopify/" + prm.GID + "/1"
		case a.GraphQL != nil:
			document := a.GraphQL.Document
			if !strings.Contains(document, "$"+strings.Split(field, ".")[0]+":") {
				document = a.GraphQL.Prepare
			}
			v, err := platformfake.ShopifyVariableExample(document, field)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", a.ID, prm.Name, err)
			}
			out[prm.Name] = v
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
			return nil, fmt.Errorf("%s.%s: parameter type %s", a.ID, prm.Name, prm.Type)
		}
	}
	return out, nil
}

var placeholder = regexp.MustCompile(`\{([^{}]*)\}`)

// Sent reports whether the fake received the action's request: its
// document for a GraphQL action, else its method and path with the path
// parameters filled in. It returns what was received otherwise.
func Sent(f Fake, a *platform.Action, params map[string]any) (bool, []string) {
	var got []string
	path := f.Root + placeholder.ReplaceAllStringFunc(a.Path, func(m string) string {
		return fmt.Sprint(params[m[1:len(m)-1]])
	})
	for _, r := range f.Server.Requests() {
		if a.GraphQL != nil {
			var body struct{ Query string }
			_ = json.Unmarshal(r.Body, &body)
			if body.Query == a.GraphQL.Document {
				return true, nil
			}
			got = append(got, body.Query)
			continue
		}
		if r.Method == a.Method && r.Path == path {
			return true, nil
		}
		got = append(got, r.Method+" "+r.Path)
	}
	return false, got
}

// OutputTemplate is the template a workflow's author writes to read the
// first field of the output shape the catalog states for the action:
// {{variables.<name>.<field>}}, or {{variables.<name>.0.<field>}} when the
// output is a list. It is false for an action without stated fields.
func OutputTemplate(a *platform.Action, name string) (string, bool) {
	if len(a.Response.Fields) == 0 {
		return "", false
	}
	if a.Response.List {
		return "{{variables." + name + ".0." + a.Response.Fields[0] + "}}", true
	}
	return "{{variables." + name + "." + a.Response.Fields[0] + "}}", true
}
