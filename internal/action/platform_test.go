package action

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/platform/platformfake"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/validate"
)

// --- validation at save time ---

// validateConnectorStep validates execute_connector_action parameters given as JSON,
// as the workflow validator does.
func validateConnectorStep(t *testing.T, paramsJSON string) (map[string][]string, []param.Ref) {
	t.Helper()
	value, err := validate.Decode([]byte(paramsJSON))
	if err != nil {
		t.Fatalf("bad test JSON %s: %v", paramsJSON, err)
	}
	var errs validate.Errors
	var refs []param.Ref
	p := param.New(&errs, "actions.0.parameters", value, &refs, template.DefaultSchema)
	def, ok := Lookup("execute_connector_action")
	if !ok {
		t.Fatal("execute_connector_action not registered")
	}
	ValidateParameters(def, p)
	if ve, ok := validate.As(errs.Err()); ok {
		return ve.Fields, refs
	}
	return nil, refs
}

func TestConnectorActionValidatesSeedExample(t *testing.T) {
	errs, refs := validateConnectorStep(t, `{"connectorId": "shopify-connector-uuid", "actionId": "refund_order",
		"params": {"orderId": "{{customFields.order_id}}"}, "requireApproval": true}`)
	if errs != nil {
		t.Fatalf("seed example refused: %v", errs)
	}
	want := []param.Ref{{Path: "actions.0.parameters.connectorId", Kind: param.KindConnector, ID: "shopify-connector-uuid", ConnectorTypes: []string{"shopify"}}}
	if len(refs) != 1 || refs[0].Path != want[0].Path || refs[0].Kind != want[0].Kind || refs[0].ID != want[0].ID || !slices.Equal(refs[0].ConnectorTypes, want[0].ConnectorTypes) {
		t.Errorf("refs %+v, want %+v", refs, want)
	}
}

func TestConnectorActionRefTypes(t *testing.T) {
	cases := map[string][]string{
		`{"connectorId": "c", "actionId": "create_refund", "params": {"charge": "ch_1"}}`:                           {"stripe"},
		`{"connectorId": "c", "actionId": "get_customer", "params": {"customerId": "cus_1"}}`:                       {"shopify", "stripe"},
		`{"connectorId": "c", "actionId": "create_issue", "params": {"summary": "s", "title": "t"}}`:                {"github", "jira"},
		`{"connectorId": "c", "actionId": "refund_ordr"}`:                                                           {"github", "jira", "shopify", "slack", "stripe"},
		`{"connectorId": "c", "actionId": "transition_issue", "params": {"issueKey": "S-1", "transition": "Done"}}`: {"jira"},
	}
	for body, want := range cases {
		_, refs := validateConnectorStep(t, body)
		if len(refs) != 1 || !slices.Equal(refs[0].ConnectorTypes, want) {
			t.Errorf("%s: refs %+v, want types %v", body, refs, want)
		}
	}
}

func TestConnectorActionValidationErrors(t *testing.T) {
	const at = "actions.0.parameters."
	cases := []struct {
		name, body, path, contains string
	}{
		{"unknown action", `{"connectorId": "c", "actionId": "refund_ordr"}`, "actionId", `did you mean "refund_order"`},
		{"missing action", `{"connectorId": "c"}`, "actionId", "is required"},
		{"missing connector", `{"actionId": "get_order", "params": {"orderId": 1}}`, "connectorId", "is required"},
		{"missing required param", `{"connectorId": "c", "actionId": "refund_order", "params": {"note": "x"}}`, "params.orderId", "is required by Shopify refund_order"},
		{"no params at all", `{"connectorId": "c", "actionId": "refund_order"}`, "params.orderId", "is required"},
		{"blank required param", `{"connectorId": "c", "actionId": "refund_order", "params": {"orderId": " "}}`, "params.orderId", "is required"},
		{"unknown param", `{"connectorId": "c", "actionId": "refund_order", "params": {"orderId": 1, "amount": 5}}`, "params.amount", "is not a parameter of Shopify refund_order (known: orderId, note, notify, refundShipping)"},
		{"literal not an id", `{"connectorId": "c", "actionId": "refund_order", "params": {"orderId": "#1001"}}`, "params.orderId", "must be a Shopify Order id: a number such as 450789469, or gid://shopify/Order/450789469"},
		{"boolean for an id", `{"connectorId": "c", "actionId": "refund_order", "params": {"orderId": true}}`, "params.orderId", "must be a string, not a boolean"},
		{"fractional id", `{"connectorId": "c", "actionId": "refund_order", "params": {"orderId": 1.5}}`, "params.orderId", "must be a Shopify Order id"},
		{"bad boolean", `{"connectorId": "c", "actionId": "refund_order", "params": {"orderId": 1, "notify": "maybe"}}`, "params.notify", "must be true or false"},
		{"enum", `{"connectorId": "c", "actionId": "cancel_order", "params": {"orderId": 1, "reason": "bored"}}`, "params.reason", "must be one of: CUSTOMER, DECLINED, FRAUD, INVENTORY, STAFF, OTHER"},
		{"malformed template", `{"connectorId": "c", "actionId": "refund_order", "params": {"orderId": "{{customFields.order_id"}}`, "params.orderId", "invalid template"},
		{"unknown template root", `{"connectorId": "c", "actionId": "refund_order", "params": {"orderId": "{{order.id}}"}}`, "params.orderId", "unknown root"},
		{"params not an object", `{"connectorId": "c", "actionId": "refund_order", "params": "orderId=1"}`, "params", "must be an object"},
		{"any_of", `{"connectorId": "c", "actionId": "create_refund", "params": {"amount": 100}}`, "params", "needs one of: paymentIntent, charge"},
		{"object param as string", `{"connectorId": "c", "actionId": "create_refund", "params": {"charge": "ch_1", "metadata": "ticket=1"}}`, "params.metadata", "must be an object"},
		{"template inside object", `{"connectorId": "c", "actionId": "create_refund", "params": {"charge": "ch_1", "metadata": {"ticket": "{{tickt.id}}"}}}`, "params.metadata.ticket", "invalid template"},
		{"array param as object", `{"connectorId": "c", "actionId": "add_labels", "params": {"owner": "a", "repo": "b", "issueNumber": 1, "labels": {"a": 1}}}`, "params.labels", "must be an array, not an object"},
		{"ambiguous action, value fits neither", `{"connectorId": "c", "actionId": "get_customer", "params": {"customerId": true}}`, "params.customerId", "not a boolean"},
		{"ambiguous action, unknown param", `{"connectorId": "c", "actionId": "get_customer", "params": {"customerId": "cus_1", "email": "x"}}`, "params.email", "is not a parameter of Shopify get_customer and Stripe get_customer"},
		{"ambiguous action, common required", `{"connectorId": "c", "actionId": "get_customer", "params": {}}`, "params.customerId", "is required"},
		{"param of unknown action still parsed", `{"connectorId": "c", "actionId": "nope", "params": {"x": "{{ticket.idd}}"}}`, "params.x", "invalid template"},
	}
	for _, c := range cases {
		errs, _ := validateConnectorStep(t, c.body)
		msgs, found := errs[at+c.path]
		if !found {
			t.Errorf("%s: no error at %s: %v", c.name, at+c.path, errs)
			continue
		}
		if !strings.Contains(strings.Join(msgs, "; "), c.contains) {
			t.Errorf("%s: errors at %s are %q, want one containing %q", c.name, c.path, msgs, c.contains)
		}
	}
}

func TestConnectorActionValidAcrossPlatforms(t *testing.T) {
	valid := []string{
		// A Stripe customer id is a string, a Shopify one an integer: either fits.
		`{"connectorId": "c", "actionId": "get_customer", "params": {"customerId": "cus_123"}}`,
		`{"connectorId": "c", "actionId": "get_customer", "params": {"customerId": 207119551}}`,
		`{"connectorId": "c", "actionId": "create_refund", "params": {"paymentIntent": "{{customFields.pi}}", "amount": "{{customFields.cents}}", "reason": "requested_by_customer", "metadata": {"ticket": "{{ticket.id}}"}}}`,
		`{"connectorId": "c", "actionId": "add_labels", "params": {"owner": "acme", "repo": "app", "issueNumber": "{{customFields.issue}}", "labels": ["support", "{{ticket.priority}}"]}}`,
		`{"connectorId": "c", "actionId": "create_issue", "params": {"projectKey": "SUP", "summary": "{{ticket.subject}}", "description": "{{message.body}}"}}`,
		`{"connectorId": "c", "actionId": "refund_order", "params": {"orderId": "450789469", "notify": true, "refundShipping": "false"}, "saveAs": "refund", "timeout": 60000}`,
	}
	for _, body := range valid {
		if errs, _ := validateConnectorStep(t, body); errs != nil {
			t.Errorf("%s refused: %v", body, errs)
		}
	}
}

// --- running ---

type platformConnectors map[string]*connector.Connector

func (f platformConnectors) Connector(_ context.Context, _ int64, id string) (*connector.Connector, error) {
	c, ok := f[id]
	if !ok {
		return nil, Failf("connector %s does not exist (any more) in this workspace", id)
	}
	cp := *c
	return &cp, nil
}

func (f platformConnectors) UpdateCredentials(context.Context, int64, string, map[string]string) error {
	return nil
}

// platformSleeps replaces platformSleep for a test.
type platformSleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func fakePlatformSleep(t *testing.T) *platformSleeps {
	r := &platformSleeps{}
	old := platformSleep
	platformSleep = func(ctx context.Context, d time.Duration) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.waits = append(r.waits, d)
		return ctx.Err()
	}
	t.Cleanup(func() { platformSleep = old })
	return r
}

func (r *platformSleeps) got() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.waits)
}

func platformTemplateData() map[string]any {
	return map[string]any{
		"ticket":       map[string]any{"id": "01JTICKET", "subject": "Refund please", "priority": "high"},
		"customer":     map[string]any{"name": "Jane Doe", "email": "jane@example.com", "isVip": true},
		"message":      map[string]any{"body": "My order arrived broken.\n\nPlease refund."},
		"customFields": map[string]any{"order_id": "450789469", "pi": "pi_123", "cents": json.Number("1500")},
		"variables":    map[string]any{},
	}
}

func platformExec(srv *platformfake.Server, conns platformConnectors, parameters string) *Exec {
	value, err := validate.Decode([]byte(parameters))
	if err != nil {
		panic(err)
	}
	return &Exec{
		WorkspaceID:    1,
		RunID:          "01JRUN",
		Parameters:     value.(map[string]any),
		Data:           platformTemplateData(),
		IdempotencyKey: "01JRUN-0-1",
		Services:       &Services{HTTP: srv.Client(), Connectors: conns},
	}
}

func runConnectorStep(t *testing.T, x *Exec) (map[string]any, error) {
	t.Helper()
	def, _ := Lookup("execute_connector_action")
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	out, err := def.Run(ctx, x)
	m, _ := out.(map[string]any)
	if out != nil && m == nil {
		t.Fatalf("output %T, want a map", out)
	}
	return m, err
}

func renderSavedOutput(t *testing.T, src, saveAs string, out map[string]any) string {
	t.Helper()
	data := platformTemplateData()
	data["variables"] = map[string]any{saveAs: out}
	s, err := Render(context.Background(), src, data, template.Plain)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunShopifyRefundSeedExample(t *testing.T) {
	fakePlatformSleep(t)
	shop := platformfake.NewShopify(t)
	conns := platformConnectors{"shopify-connector-uuid": {ID: "shopify-connector-uuid", Type: "shopify",
		Settings: map[string]any{"base_url": shop.Base}, Credentials: map[string]string{"access_token": platformfake.ShopifyToken}}}
	x := platformExec(shop.Server, conns, `{"connectorId": "shopify-connector-uuid", "actionId": "refund_order",
		"params": {"orderId": "{{customFields.order_id}}", "note": "Ticket {{ticket.id}}: {{ticket.subject}}"}, "requireApproval": true, "saveAs": "refund"}`)
	out, err := runConnectorStep(t, x)
	if err != nil {
		t.Fatal(err)
	}
	if x.Input["http_status"] != 200 || out["id"] == nil {
		t.Errorf("output %v, step record %v", out, x.Input)
	}
	if got := renderSavedOutput(t, "{{variables.refund.id}} {{variables.refund.totalRefundedSet.shopMoney.amount}}", "refund", out); !strings.HasSuffix(got, " 214.00") || strings.HasPrefix(got, " ") {
		t.Errorf("saved output renders %q", got)
	}
	create := shop.Last()
	variables, _ := create.JSON()["variables"].(map[string]any)
	if create.Path != "/admin/api/2026-10/graphql.json" || variables["idempotencyKey"] != "01JRUN-0-1" {
		t.Errorf("refund request %s %s", create.Path, create.Body)
	}
	if note := variables["input"].(map[string]any)["note"]; note != "Ticket 01JTICKET: Refund please" {
		t.Errorf("rendered note %q", note)
	}
	params, _ := x.Input["params"].(map[string]any)
	if x.Input["platform"] != "shopify" || params["orderId"] != "450789469" {
		t.Errorf("recorded input %v", x.Input)
	}
	for k, v := range x.Input {
		if strings.Contains(platformJSON(v), platformfake.ShopifyToken) {
			t.Errorf("input %s holds the token", k)
		}
	}
	if strings.Contains(platformJSON(out), platformfake.ShopifyToken) {
		t.Error("output holds the token")
	}
}

func platformJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRunStripeRefundTemplatedWithRetries(t *testing.T) {
	sleeps := fakePlatformSleep(t)
	stripe := platformfake.NewStripe(t)
	conns := platformConnectors{"stripe-1": {ID: "stripe-1", Type: "stripe", Settings: map[string]any{"base_url": stripe.URL},
		Credentials: map[string]string{"secret_key": platformfake.StripeKey}}}
	stripe.Queue(
		platformfake.Canned{Status: 429, Header: map[string]string{"Retry-After": "2"}, Body: `{"error":{"message":"Too many requests hit the API too quickly.","type":"invalid_request_error","code":"rate_limit"}}`},
		platformfake.Canned{Status: 503, Body: `{"error":{"message":"Stripe is temporarily unavailable.","type":"api_error"}}`},
	)
	x := platformExec(stripe.Server, conns, `{"connectorId": "stripe-1", "actionId": "create_refund", "saveAs": "refund",
		"params": {"paymentIntent": "{{customFields.pi}}", "amount": "{{customFields.cents}}", "reason": "requested_by_customer", "metadata": {"ticket": "{{ticket.id}}", "vip": "{{customer.isVip}}"}}}`)
	out, err := runConnectorStep(t, x)
	if err != nil {
		t.Fatal(err)
	}
	reqs := stripe.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d attempts", len(reqs))
	}
	for _, r := range reqs {
		if r.Header.Get("Idempotency-Key") != "01JRUN-0-1" {
			t.Errorf("attempt with key %q", r.Header.Get("Idempotency-Key"))
		}
		form, _ := url.ParseQuery(string(r.Body))
		if form.Get("payment_intent") != "pi_123" || form.Get("amount") != "1500" || form.Get("metadata[ticket]") != "01JTICKET" || form.Get("metadata[vip]") != "true" {
			t.Errorf("form %s", r.Body)
		}
	}
	if got := sleeps.got(); !slices.Equal(got, []time.Duration{2 * time.Second, time.Second}) {
		t.Errorf("waits %v", got)
	}
	if x.Input["http_status"] != 200 || renderSavedOutput(t, "{{variables.refund.id}}", "refund", out) != "re_1" {
		t.Errorf("output %v", out)
	}
}

func TestRunWrongConnectorType(t *testing.T) {
	fakePlatformSleep(t)
	stripe := platformfake.NewStripe(t)
	conns := platformConnectors{"stripe-1": {ID: "stripe-1", Type: "stripe", Settings: map[string]any{"base_url": stripe.URL},
		Credentials: map[string]string{"secret_key": platformfake.StripeKey}},
		"hook": {ID: "hook", Type: "webhook"}}
	x := platformExec(stripe.Server, conns, `{"connectorId": "stripe-1", "actionId": "refund_order", "params": {"orderId": "1"}}`)
	_, err := runConnectorStep(t, x)
	if !IsStepError(err) || !strings.Contains(err.Error(), `connector stripe-1 is a stripe connector, which has no action "refund_order" (offered by shopify)`) {
		t.Errorf("error %v", err)
	}
	x = platformExec(stripe.Server, conns, `{"connectorId": "hook", "actionId": "get_customer", "params": {"customerId": "1"}}`)
	_, err = runConnectorStep(t, x)
	if !IsStepError(err) || !strings.Contains(err.Error(), `a webhook connector, which has no action "get_customer" (offered by shopify and stripe)`) {
		t.Errorf("error %v", err)
	}
	x = platformExec(stripe.Server, conns, `{"connectorId": "gone", "actionId": "get_customer", "params": {"customerId": "1"}}`)
	if _, err = runConnectorStep(t, x); !IsStepError(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("error %v", err)
	}
	if len(stripe.Requests()) != 0 {
		t.Error("requests were sent")
	}
}

func TestRunPlatformErrorsAreStepErrors(t *testing.T) {
	fakePlatformSleep(t)
	jira := platformfake.NewJira(t)
	conns := platformConnectors{"jira-1": {ID: "jira-1", Type: "jira", Settings: map[string]any{"base_url": jira.URL},
		Credentials: map[string]string{"email": platformfake.JiraEmail, "api_token": platformfake.JiraAPIToken}}}
	x := platformExec(jira.Server, conns, `{"connectorId": "jira-1", "actionId": "add_comment", "params": {"issueKey": "SUP-9", "body": "{{message.body}}"}}`)
	out, err := runConnectorStep(t, x)
	if !IsStepError(err) || err.Error() != "Jira answered 404 Not Found: Issue does not exist or you do not have permission to see it. — check the ids in params" {
		t.Errorf("error %v", err)
	}
	if x.Input["http_status"] != 404 || out["errorMessages"] == nil {
		t.Errorf("failure output %v", out)
	}
	// Success with a 201 and rendered ADF.
	x = platformExec(jira.Server, conns, `{"connectorId": "jira-1", "actionId": "add_comment", "params": {"issueKey": "SUP-1", "body": "{{message.body}}"}}`)
	out, err = runConnectorStep(t, x)
	if err != nil || x.Input["http_status"] != 201 {
		t.Fatalf("%v %v", out, err)
	}
	if got := platformJSON(jira.Comments[0]["content"]); got != `[{"content":[{"text":"My order arrived broken.","type":"text"}],"type":"paragraph"},{"content":[{"text":"Please refund.","type":"text"}],"type":"paragraph"}]` {
		t.Errorf("ADF %s", got)
	}
}

func TestRunRequiredParamRenderedEmpty(t *testing.T) {
	fakePlatformSleep(t)
	shop := platformfake.NewShopify(t)
	conns := platformConnectors{"s": {ID: "s", Type: "shopify", Settings: map[string]any{"base_url": shop.Base}, Credentials: map[string]string{"access_token": platformfake.ShopifyToken}}}
	x := platformExec(shop.Server, conns, `{"connectorId": "s", "actionId": "get_order", "params": {"orderId": "{{customFields.missing_id}}"}}`)
	_, err := runConnectorStep(t, x)
	if !IsStepError(err) || !strings.Contains(err.Error(), "params.orderId is required, but it is empty (after rendering its template)") {
		t.Errorf("error %v", err)
	}
	if missing, _ := x.Input["missing_variables"].([]string); !slices.Equal(missing, []string{"customFields.missing_id"}) {
		t.Errorf("missing variables %v", x.Input["missing_variables"])
	}
	if len(shop.Requests()) != 0 {
		t.Error("a request was sent")
	}
}

func TestRunGitHubLabelsFromTemplates(t *testing.T) {
	fakePlatformSleep(t)
	gh := platformfake.NewGitHub(t)
	conns := platformConnectors{"gh": {ID: "gh", Type: "github", Settings: map[string]any{"base_url": gh.URL}, Credentials: map[string]string{"token": platformfake.GitHubToken}}}
	x := platformExec(gh.Server, conns, `{"connectorId": "gh", "actionId": "create_issue", "params": {"owner": "acme", "repo": "app",
		"title": "{{ticket.subject}} ({{customer.name}})", "labels": ["support", "prio-{{ticket.priority}}"]}}`)
	out, err := runConnectorStep(t, x)
	if err != nil {
		t.Fatal(err)
	}
	if body := string(gh.Last().Body); body != `{"labels":["support","prio-high"],"title":"Refund please (Jane Doe)"}` {
		t.Errorf("body %s", body)
	}
	if x.Input["http_status"] != 201 || renderSavedOutput(t, "#{{variables.issue.number}}", "issue", out) != "#43" {
		t.Errorf("output %v", out)
	}
}
