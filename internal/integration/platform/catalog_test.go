package platform

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/connector"
)

func TestCatalogFilesIntegrity(t *testing.T) {
	files, err := fs.Glob(catalogFS, "catalog/*.json")
	if err != nil || len(files) != 5 {
		t.Fatalf("catalog files %v (%v), want shopify, stripe, github, jira, slack", files, err)
	}
	placeholder := regexp.MustCompile(`\{([^{}]+)\}`)
	for _, f := range files {
		data, err := fs.ReadFile(catalogFS, f)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(data) {
			t.Fatalf("%s is not valid JSON", f)
		}
		// Independent of check(): decode loosely and re-verify the rules.
		var raw struct {
			ID      string
			Actions []struct {
				ID, Method, Path string
				Params           []struct{ Name, Type, In string }
			}
		}
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(raw.Actions) < 8 {
			t.Errorf("%s: %d actions, want at least 8", f, len(raw.Actions))
		}
		ids := map[string]bool{}
		for _, a := range raw.Actions {
			if ids[a.ID] {
				t.Errorf("%s: action id %s repeated", f, a.ID)
			}
			ids[a.ID] = true
			declared := map[string]bool{}
			for _, p := range a.Params {
				if p.In == "path" {
					declared[p.Name] = true
				}
				if !slices.Contains(paramTypes, p.Type) {
					t.Errorf("%s %s: param %s has type %q", f, a.ID, p.Name, p.Type)
				}
			}
			used := map[string]bool{}
			for _, m := range placeholder.FindAllStringSubmatch(a.Path, -1) {
				used[m[1]] = true
				if !declared[m[1]] {
					t.Errorf("%s %s: path placeholder {%s} is not a declared path parameter", f, a.ID, m[1])
				}
			}
			for name := range declared {
				if !used[name] {
					t.Errorf("%s %s: path parameter %s is not in the path %s", f, a.ID, name, a.Path)
				}
			}
		}
		if _, err := parsePlatform(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestCatalogSizes(t *testing.T) {
	sizes := map[string]int{}
	for _, p := range Catalog() {
		sizes[p.ID] = len(p.Actions)
	}
	// The product documentation's counts.
	for id, least := range map[string]int{"github": 61, "jira": 47, "shopify": 84, "slack": 41, "stripe": 64} {
		if sizes[id] < least {
			t.Errorf("%s has %d actions, want at least %d", id, sizes[id], least)
		}
	}
	t.Logf("catalog sizes: %v", sizes)
}

func TestEveryPlatformIsAConnectorType(t *testing.T) {
	for _, p := range Catalog() {
		ct, ok := connector.Lookup(p.ID)
		if !ok {
			t.Fatalf("connector type %s not registered", p.ID)
		}
		if ct.Test == nil || ct.Settings == nil || len(ct.Credentials) == 0 {
			t.Errorf("connector type %s lacks a test, settings or credentials", p.ID)
		}
		pl, _ := Lookup(p.ID)
		for _, c := range ct.Credentials {
			if !c.Required {
				t.Errorf("%s credential %s optional", p.ID, c.Key)
			}
		}
		if pl.Test.Path == "" {
			t.Errorf("%s has no test request", p.ID)
		}
	}
}

func TestCatalogListingIsACopy(t *testing.T) {
	list := Catalog()
	if got := []string{list[0].ID, list[1].ID, list[2].ID, list[3].ID, list[4].ID}; !slices.Equal(got, []string{"github", "jira", "shopify", "slack", "stripe"}) {
		t.Fatalf("platforms %v", got)
	}
	shopify := list[2]
	var refund ActionInfo
	for _, a := range shopify.Actions {
		if a.ID == "refund_order" {
			refund = a
		}
	}
	if !refund.Sensitive || refund.Method != "POST" || refund.Params[0].Name != "orderId" || !refund.Params[0].Required || refund.Params[0].Type != "string" {
		t.Errorf("refund_order listing: %+v", refund)
	}
	refund.Params[0].Name = "changed"
	shopify.Actions[0].ID = "changed"
	again := Catalog()
	if again[2].Actions[0].ID == "changed" {
		t.Error("Catalog returned shared action data")
	}
	for _, a := range again[2].Actions {
		if a.ID == "refund_order" && a.Params[0].Name != "orderId" {
			t.Error("Catalog returned shared parameter data")
		}
	}
	if _, err := json.Marshal(again); err != nil {
		t.Errorf("catalog listing does not encode: %v", err)
	}
}

func TestOffering(t *testing.T) {
	cases := map[string][]string{
		"refund_order":  {"shopify"},
		"create_refund": {"stripe"},
		"get_customer":  {"shopify", "stripe"},
		"create_issue":  {"github", "jira"},
		"no_such":       nil,
	}
	for id, want := range cases {
		if got := Offering(id); !slices.Equal(got, want) {
			t.Errorf("Offering(%s) = %v, want %v", id, got, want)
		}
	}
}

const minimalPlatform = `{
  "id": "demo", "name": "Demo", "description": "d",
  "default_base_url": "https://api.example.com",
  "settings": [{"key": "base_url", "kind": "url", "description": "root", "example": "https://api.example.com"}],
  "credentials": [{"key": "token", "required": true, "description": "t"}],
  "auth": {"scheme": "bearer", "credential": "token"},
  "idempotency": {"header": "Idempotency-Key", "methods": ["POST"]},
  "errors": "github", "encoding": "json",
  "test": {"method": "GET", "path": "/me"},
  "actions": [ACTIONS]
}`

const goodAction = `{"id": "get_thing", "name": "Get", "description": "d", "method": "GET", "path": "/things/{thingId}",
  "params": [{"name": "thingId", "type": "string", "required": true, "in": "path", "description": "id"}], "response": {}}`

func TestCatalogCheckRejectsMistakes(t *testing.T) {
	platform := func(actions ...string) []byte {
		return []byte(strings.Replace(minimalPlatform, "ACTIONS", strings.Join(actions, ","), 1))
	}
	if _, err := parsePlatform(platform(goodAction)); err != nil {
		t.Fatalf("minimal platform refused: %v", err)
	}
	bad := map[string][]byte{
		"undeclared placeholder": platform(strings.Replace(goodAction, "/things/{thingId}", "/things/{thingId}/{other}", 1)),
		"path param not in path": platform(strings.Replace(goodAction, "/things/{thingId}", "/things", 1)),
		"duplicate id":           platform(goodAction, goodAction),
		"unknown handler":        platform(strings.Replace(goodAction, `"response": {}`, `"response": {}, "handler": "nope"`, 1)),
		"unknown field":          platform(strings.Replace(goodAction, `"response": {}`, `"response": {}, "colour": "red"`, 1)),
		"bad type":               platform(strings.Replace(goodAction, `"type": "string"`, `"type": "date"`, 1)),
		"optional path param":    platform(strings.Replace(goodAction, `"required": true`, `"required": false`, 1)),
		"bad method":             platform(strings.Replace(goodAction, `"GET"`, `"FETCH"`, 1)),
		"body on GET": platform(strings.Replace(goodAction, `"description": "id"}]`,
			`"description": "id"}, {"name": "x", "type": "string", "in": "body", "description": "x"}]`, 1)),
		"default of wrong type": platform(strings.Replace(goodAction, `"description": "id"}]`,
			`"description": "id"}, {"name": "n", "type": "integer", "in": "query", "default": "many", "description": "n"}]`, 1)),
		"no actions":                     platform(),
		"bad auth":                       []byte(strings.Replace(string(platform(goodAction)), `"credential": "token"`, `"credential": "password"`, 1)),
		"setting without example":        []byte(strings.Replace(string(platform(goodAction)), `, "example": "https://api.example.com"`, ``, 1)),
		"credential without description": []byte(strings.Replace(string(platform(goodAction)), `"description": "t"`, `"description": ""`, 1)),
	}
	for name, data := range bad {
		if _, err := parsePlatform(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The listing says of each action whether it is safe to retry, whether
// the platform deduplicates it by the step's key, and its output's fields.
func TestCatalogListingStatesRetryAndOutput(t *testing.T) {
	find := func(platformID, actionID string) ActionInfo {
		for _, p := range Catalog() {
			for _, a := range p.Actions {
				if p.ID == platformID && a.ID == actionID {
					return a
				}
			}
		}
		t.Fatalf("no %s.%s", platformID, actionID)
		return ActionInfo{}
	}
	cases := []struct {
		platform, action    string
		idempotent, withKey bool
		field               string
	}{
		{"shopify", "refund_order", true, true, "totalRefundedSet.shopMoney.amount"},
		{"shopify", "get_order", true, false, "totalPriceSet.shopMoney.currencyCode"},
		{"shopify", "send_order_invoice", false, false, "displayFinancialStatus"},
		{"stripe", "create_refund", true, true, "id"},
		{"github", "create_issue", false, false, "number"},
		{"jira", "get_issue", true, false, "key"},
	}
	for _, c := range cases {
		a := find(c.platform, c.action)
		if a.Idempotent != c.idempotent || a.IdempotencyKey != c.withKey || !slices.Contains(a.Output, c.field) {
			t.Errorf("%s.%s: idempotent %v, key %v, output %v", c.platform, c.action, a.Idempotent, a.IdempotencyKey, a.Output)
		}
	}
}
