package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/auth"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// chromium finds the browser: required in CI, skipped with a message
// elsewhere.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium on this machine: scripts/test-deps.sh installs it")
	}
	t.Skip("browser tests not run: install chromium (scripts/test-deps.sh)")
	return ""
}

// site is a deskflow node on a real database with an admin, an agent
// invited, and their one-time sign-in links.
type site struct {
	t                    *testing.T
	url                  string
	ws                   int64
	adminToken           string
	adminLink, agentLink string
}

func newSite(t *testing.T, dbURL string) *site {
	ctx := context.Background()
	db, err := app.OpenDatabase(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w, err := db.CreateWorkspace(ctx, "Acme support")
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, ws: w.ID, adminToken: auth.NewToken()}
	admin, err := db.CreateUserWithToken(ctx, w.ID, "Ada Admin", "", helpdesk.RoleAdmin, "setup", auth.Hash(s.adminToken))
	if err != nil {
		t.Fatal(err)
	}
	agent, err := db.AddMember(ctx, w.ID, "Sam Agent", "sam@example.com", helpdesk.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		user string
		into *string
	}{{admin.ID, &s.adminLink}, {agent.ID, &s.agentLink}} {
		secret := auth.NewSecret()
		if err := db.CreateSignInLink(ctx, w.ID, l.user, auth.Hash(secret), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		*l.into = "/sign-in/" + secret
	}
	key := bytes.Repeat([]byte{7}, 32)
	node, err := app.New(app.Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SecretKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = node.Stop(stop)
	})
	srv := httptest.NewServer(node.Handler)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// api calls the API as the admin's token and decodes data.
func (s *site) api(method, path string, body any) map[string]any {
	s.t.Helper()
	var reader io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		reader = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, reader)
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	req.Header.Set("X-Workspace-Id", fmt.Sprint(s.ws))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data map[string]any `json:"data"`
	}
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	_ = json.Unmarshal(raw, &out)
	return out.Data
}

// choose selects value in a <select> as a person does (the change event
// fires).
func choose(sel, value string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = %q; el.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, sel, value))(ctx, t)
		return chromedp.Void{}, err
	}
}

func noScriptRan(tt *testing.T, where string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		// The policy would block the payload's script; what must not
		// happen either is markup from the data becoming elements.
		ran, err := chromedp.Evaluate[bool](`window.__xss === 1 || document.querySelector("main img, main script, header img") !== null`)(ctx, t)
		if ran {
			tt.Errorf("%s: stored markup became elements", where)
		}
		return chromedp.Void{}, err
	}
}

// screenshot saves the page when DESKFLOW_SCREENSHOTS names a folder.
func screenshot(name string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		dir := os.Getenv("DESKFLOW_SCREENSHOTS")
		if dir == "" {
			return chromedp.Void{}, nil
		}
		png, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
}

const payload = `<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>`

// TestConsoleInABrowser drives the console in headless Chromium: sign in
// with the printed link, build the seed's workflows through the forms, see
// a 422 at its field, watch a run explained on a ticket, approve a step,
// create a connector whose credential never reaches the page, store
// markup that must show as text, and see what an agent sees.
func TestConsoleInABrowser(t *testing.T) {
	browser := chromium(t)
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			s := newSite(t, b.URL(t))
			opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000))
			alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
			defer cancel()
			browserCtx, cancel := chromedp.NewContext(alloc)
			defer cancel()
			// The first call starts the browser, on a context without a
			// deadline (which would stop the browser); each step after it
			// has one.
			if err := chromedp.Do(browserCtx, chromedp.Navigate("about:blank")); err != nil {
				t.Fatalf("start Chromium: %v", err)
			}
			ws := fmt.Sprint(s.ws)
			// open loads a page of the console afresh (a new hash alone
			// would not reload it).
			open := func(p string) chromedp.Action[chromedp.Void] {
				return chromedp.Steps(chromedp.Navigate("about:blank"), chromedp.Navigate(s.url+"/#/"+ws+"/"+p))
			}

			// Markup stored through the API shows as text everywhere.
			spamTag := s.api("POST", "/api/tags", map[string]any{"name": "spam"})["id"].(string)
			s.api("POST", "/api/tags", map[string]any{"name": payload})
			s.api("POST", "/api/tickets", map[string]any{"subject": payload, "body": payload, "contact": map[string]any{"email": "mallory@example.com", "name": payload}})

			run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				ctx, cancel := context.WithTimeout(browserCtx, time.Minute)
				defer cancel()
				if err := chromedp.Do(ctx, actions...); err != nil {
					// What the page said helps more than a timeout.
					shown, _ := chromedp.Run(browserCtx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
					t.Fatalf("%s: %v\nthe page shows:\n%s", what, err, shown)
				}
			}
			read := func(action chromedp.Action[string]) string {
				t.Helper()
				ctx, cancel := context.WithTimeout(browserCtx, time.Minute)
				defer cancel()
				v, err := chromedp.Run(ctx, action)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			// contrast fails the test for every visible text whose color
			// against its background is below WCAG 2's minimum: 4.5:1, or
			// 3:1 for large text (24 px, or 18.66 px bold).
			contrast := func(page string) {
				t.Helper()
				ctx, cancel := context.WithTimeout(browserCtx, time.Minute)
				defer cancel()
				low, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](lowContrastJS))
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range low {
					t.Errorf("%s: low contrast: %s", page, l)
				}
			}
			run("sign in with the link",
				chromedp.Navigate(s.url+s.adminLink),
				chromedp.WaitVisible(`//h1[text()="Welcome to deskflow"]`),
				chromedp.SetValue(chromedp.CSS("#p-email"), "ada@example.com"),
				chromedp.SetValue(chromedp.CSS("#p-password"), "a long enough password"),
				chromedp.Click(`//button[text()="Save profile"]`),
				chromedp.WaitVisible(`//div[@id="status" and text()="Profile saved"]`))

			run("build Auto-close spam",
				open("workflows/new"),
				chromedp.WaitVisible(`//h1[text()="New workflow"]`),
				chromedp.SendKeys(chromedp.CSS("#f-name"), "Auto-close spam"),
				choose("#f-trigger_type", "on_new_ticket"),
				choose("#f-condition_match_type", "any"),
				chromedp.Click(`//button[text()="Add a condition"]`),
				choose(`[data-path="conditions.0.type"]`, "subject_contains"),
				chromedp.WaitVisible(chromedp.CSS(`[data-path="conditions.0.parameters.value"]`)),
				chromedp.SendKeys(chromedp.CSS(`[data-path="conditions.0.parameters.value"]`), "unsubscribe"),
				chromedp.Click(`//button[text()="Add a step"]`),
				choose(`[data-path="actions.0.type"]`, "add_tags"),
				chromedp.WaitVisible(chromedp.CSS(`[data-path="actions.0.parameters.tags"]`)),
				choose(`[data-path="actions.0.parameters.tags"]`, spamTag),
				chromedp.Click(`//button[text()="Add a step"]`),
				choose(`[data-path="actions.1.type"]`, "set_status"),
				choose(`[data-path="actions.1.parameters.status"]`, "spam"),
				chromedp.Click(`//button[text()="Save"]`),
				chromedp.WaitVisible(`//h1[text()="Workflow: Auto-close spam"]`),
				screenshot("workflow-builder"))

			run("a 422 at its field",
				open("workflows/new"),
				chromedp.WaitVisible(`//h1[text()="New workflow"]`),
				chromedp.SendKeys(chromedp.CSS("#f-name"), "Tell the shop"),
				chromedp.Click(`//button[text()="Add a step"]`),
				choose(`[data-path="actions.0.type"]`, "send_webhook"),
				chromedp.WaitVisible(chromedp.CSS(`[data-path="actions.0.parameters.url"]`)),
				chromedp.SendKeys(chromedp.CSS(`[data-path="actions.0.parameters.url"]`), "ftp://shop.example.com/hook"),
				chromedp.Click(`//button[text()="Save"]`),
				chromedp.WaitVisible(chromedp.CSS(`[data-error-for="actions.0.parameters.url"]`)))
			text := read(chromedp.Text(chromedp.CSS(`[data-error-for="actions.0.parameters.url"]`)))
			if !strings.HasPrefix(text, "actions.0.parameters.url: ") {
				t.Errorf("the URL's error reads %q", text)
			}
			ctx, cancel := context.WithTimeout(browserCtx, time.Minute)
			invalid, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-path="actions.0.parameters.url"]`), "aria-invalid"))
			cancel()
			if err != nil || invalid.Value != "true" {
				t.Errorf("the URL field is not marked invalid")
			}

			contrast("the builder with a 422")

			run("build the no-reply escalation",
				open("workflows/new"),
				chromedp.WaitVisible(`//h1[text()="New workflow"]`),
				chromedp.SendKeys(chromedp.CSS("#f-name"), "Escalate after 4 business hours"),
				choose("#f-trigger_type", "on_no_reply"),
				chromedp.WaitVisible(chromedp.CSS(`[data-path="trigger_parameters.value"]`)),
				chromedp.SendKeys(chromedp.CSS(`[data-path="trigger_parameters.value"]`), "4"),
				choose(`[data-path="trigger_parameters.unit"]`, "hours"),
				chromedp.Click(chromedp.CSS(`[data-path="trigger_parameters.only_business_hours"]`)),
				chromedp.Click(`//button[text()="Add a step"]`),
				choose(`[data-path="actions.0.type"]`, "set_priority"),
				choose(`[data-path="actions.0.parameters.priority"]`, "urgent"),
				chromedp.Click(`//button[text()="Save"]`),
				chromedp.WaitVisible(`//h1[text()="Workflow: Escalate after 4 business hours"]`))
			for _, w := range s.apiList("/api/workflows") {
				if w["name"] == "Escalate after 4 business hours" {
					tp := w["trigger_parameters"].(map[string]any)
					if tp["value"] != float64(4) || tp["unit"] != "hours" || tp["only_business_hours"] != true {
						t.Errorf("escalation saved with %v", tp)
					}
				}
			}

			run("build a workflow with a path",
				open("workflows/new"),
				chromedp.WaitVisible(`//h1[text()="New workflow"]`),
				chromedp.SendKeys(chromedp.CSS("#f-name"), "Triage billing"),
				chromedp.Click(`//button[text()="Add a step"]`),
				choose(`[data-path="actions.0.type"]`, "classify_ticket"),
				chromedp.WaitVisible(chromedp.CSS(`[data-path="actions.0.parameters.categories"]`)),
				chromedp.SendKeys(chromedp.CSS(`[data-path="actions.0.parameters.categories"]`), "billing, shipping"),
				chromedp.SetValue(chromedp.CSS(`[data-path="actions.0.parameters.saveAs"]`), "triage"),
				chromedp.Click(`//button[text()="Add a path"]`),
				chromedp.Click(`//button[text()="Add a path 1 condition"]`),
				choose(`[data-path="paths.0.conditions.0.type"]`, "variable_equals"),
				chromedp.WaitVisible(chromedp.CSS(`[data-path="paths.0.conditions.0.parameters.name"]`)),
				chromedp.SendKeys(chromedp.CSS(`[data-path="paths.0.conditions.0.parameters.name"]`), "triage.category"),
				chromedp.SendKeys(chromedp.CSS(`[data-path="paths.0.conditions.0.parameters.value"]`), "billing"),
				chromedp.Click(`//button[text()="Add a path 1 step"]`),
				choose(`[data-path="paths.0.actions.0.type"]`, "add_internal_note"),
				chromedp.WaitVisible(chromedp.CSS(`[data-path="paths.0.actions.0.parameters.content"]`)),
				chromedp.SendKeys(chromedp.CSS(`[data-path="paths.0.actions.0.parameters.content"]`), "Billing question"),
				chromedp.Click(`//button[text()="Save"]`),
				chromedp.WaitVisible(`//h1[text()="Workflow: Triage billing"]`))
			for _, w := range s.apiList("/api/workflows") {
				if w["name"] == "Triage billing" {
					paths, _ := w["paths"].([]any)
					if len(paths) != 1 || !strings.Contains(fmt.Sprint(paths[0]), "variable_equals") || !strings.Contains(fmt.Sprint(paths[0]), "Billing question") {
						t.Errorf("the path saved as %v", w["paths"])
					}
				}
			}

			// A platform step's saved output offers the fields the catalog
			// states (of each element for a list) to the later steps.
			run("a platform step's output in the variable picker",
				open("workflows/new"),
				chromedp.WaitVisible(`//h1[text()="New workflow"]`),
				chromedp.Click(`//button[text()="Add a step"]`),
				choose(`[data-path="actions.0.type"]`, "execute_connector_action"),
				chromedp.WaitVisible(chromedp.CSS(`[data-path="actions.0.parameters.actionId"]`)),
				chromedp.SendKeys(chromedp.CSS(`[data-path="actions.0.parameters.actionId"]`), "list_order_refunds"),
				chromedp.SetValue(chromedp.CSS(`[data-path="actions.0.parameters.saveAs"]`), "refunds"),
				chromedp.Click(`//button[text()="Add a step"]`),
				choose(`[data-path="actions.1.type"]`, "add_internal_note"),
				chromedp.WaitVisible(chromedp.CSS(`[data-path="actions.1.parameters.content"]`)))
			offered, err := chromedp.Run(browserCtx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[aria-label="Insert a variable into content"] option')].map((o) => o.value)`))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"variables.refunds", "variables.refunds.0.id", "variables.refunds.0.totalRefundedSet.shopMoney.amount"} {
				if !slices.Contains(offered, want) {
					t.Errorf("the picker offers %v, not %s", offered, want)
				}
			}

			// A ticket made through the API: its page shows the run and why,
			// and why another workflow did not run.
			s.api("POST", "/api/workflows", map[string]any{"name": "Only refunds", "trigger_type": "on_new_ticket",
				"conditions": []any{map[string]any{"type": "subject_contains", "parameters": map[string]any{"value": "refund"}}},
				"actions":    []any{map[string]any{"type": "set_priority", "parameters": map[string]any{"priority": "high"}}}})
			tk := s.api("POST", "/api/tickets", map[string]any{"subject": "Please unsubscribe me", "body": "stop the emails", "contact": map[string]any{"email": "ann@example.com", "name": "Ann"}})["id"].(string)
			run("watch the run",
				open("tickets/"+tk),
				chromedp.WaitVisible(`//h1[text()="Please unsubscribe me"]`),
				chromedp.WaitVisible(`//article[contains(., "Auto-close spam") and contains(., "succeeded")]`),
				chromedp.WaitVisible(`//li[contains(., "Only refunds — not matched") and contains(., "subject_contains did not match") and contains(., "refund")]`),
				chromedp.WaitVisible(`//li[contains(., "Escalate after 4 business hours: pending, due")]`),
				screenshot("ticket-automation"))

			// A step that waits for approval, decided in the inbox.
			s.api("POST", "/api/workflows", map[string]any{"name": "Refund with approval", "trigger_type": "on_new_ticket",
				"conditions": []any{map[string]any{"type": "subject_contains", "parameters": map[string]any{"value": "refund"}}},
				"actions":    []any{map[string]any{"type": "add_internal_note", "label": "Note the refund", "parameters": map[string]any{"content": "Refund for {{customer.email}}", "requireApproval": true}}}})
			s.api("POST", "/api/tickets", map[string]any{"subject": "I want a refund", "body": "order 7", "contact": map[string]any{"email": "bob@example.com", "name": "Bob"}})
			contrast("a ticket and its runs")
			run("approve",
				open("approvals"),
				chromedp.WaitVisible(`//h2[text()="Refund with approval: Note the refund"]`),
				chromedp.WaitVisible(`//pre[contains(., "Refund for bob@example.com")]`),
				screenshot("approvals-inbox"),
				chromedp.Click(`//button[text()="Approve"]`),
				chromedp.WaitVisible(`//p[text()="Nothing waits for approval."]`))

			contrast("approvals")
			run("create a connector",
				open("connectors"),
				chromedp.WaitVisible(`//h1[text()="Connectors"]`),
				choose("#f-type", "webhook"),
				chromedp.SendKeys(chromedp.CSS("#f-cname"), "Shop hooks"),
				chromedp.SendKeys(chromedp.CSS("#cred-signing_secret"), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
				chromedp.Click(`//button[text()="Create connector"]`),
				chromedp.WaitVisible(`//td[text()="Shop hooks"]`),
				chromedp.Reload(),
				chromedp.WaitVisible(`//td[text()="Shop hooks"]`))
			html := read(chromedp.OuterHTML(chromedp.CSS("html")))
			if strings.Contains(html, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") {
				t.Errorf("the connector's credential is on the page")
			}
			run("rotate its credential",
				chromedp.Click(`//summary[contains(., "Rotate credentials")]`),
				chromedp.WaitVisible(chromedp.CSS(`input[id$="-signing_secret"][id^="rot-"]`)),
				chromedp.SendKeys(chromedp.CSS(`input[id$="-signing_secret"][id^="rot-"]`), "whsec_R0tatedR0tatedR0tatedR0tated00"),
				chromedp.Click(`//button[text()="Save credentials"]`),
				chromedp.WaitVisible(`//p[text()="Shop hooks: credentials saved"]`))
			if html := read(chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, "whsec_R0tated") {
				t.Errorf("the rotated credential stays on the page")
			}

			run("business hours, their preview, a tag and the signature",
				open("settings"),
				chromedp.WaitVisible(`//h2[text()="Business hours"]`),
				chromedp.SetValue(chromedp.CSS("#bh-timezone"), "Europe/Berlin"),
				chromedp.SetValue(chromedp.CSS("#bh-monday"), "09:00-12:00, 13:00-17:00"),
				chromedp.SetValue(chromedp.CSS("#bh-tuesday"), "25:00-26:00"),
				chromedp.Click(`//button[text()="Save business hours"]`),
				chromedp.WaitVisible(chromedp.CSS(`[data-error-for="weekly.tuesday"]`)),
				chromedp.SetValue(chromedp.CSS("#bh-tuesday"), "09:00-17:00"),
				chromedp.Click(`//button[text()="Save business hours"]`),
				chromedp.WaitVisible(`//div[@id="status" and text()="Business hours saved"]`),
				chromedp.WaitVisible(`//p[@id="bh-preview" and contains(., "A message now would be due at")]`),
				chromedp.SendKeys(chromedp.CSS("#new-tag"), "vip"),
				chromedp.Click(`//button[text()="Add tag"]`),
				chromedp.WaitVisible(`//li[text()="vip"]`),
				chromedp.SetValue(chromedp.CSS("#ws-signature"), "-- The Acme support team"),
				chromedp.Click(`//button[text()="Save signature"]`),
				chromedp.WaitVisible(`//div[@id="status" and text()="Signature saved"]`),
				chromedp.SetValue(chromedp.CSS("#ai-categories"), "billing, shipping"),
				chromedp.Click(`//button[text()="Save AI settings"]`),
				chromedp.WaitVisible(`//div[@id="status" and text()="AI settings saved"]`))
			if hours := s.api("GET", "/api/business-hours", nil); hours["timezone"] != "Europe/Berlin" || len(hours["weekly"].(map[string]any)["monday"].([]any)) != 2 {
				t.Errorf("business hours saved as %v", hours)
			}

			// On a phone-sized screen nothing is wider than the screen.
			contrast("settings")
			run("the workflow list", open("workflows"), chromedp.WaitVisible(`//h1[text()="Workflows"]`))
			contrast("the workflow list")
			// A phone, and 320 px: a 1280 px window zoomed to 400 %
			// (WCAG's reflow). No page scrolls sideways.
			for _, width := range []int64{375, 320} {
				for _, page := range []struct{ path, ready string }{
					{"tickets/" + tk, `//article[contains(., "Auto-close spam")]`},
					{"workflows/new", `//h1[text()="New workflow"]`},
					{"settings", `//h1[text()="Settings"]`},
				} {
					run(fmt.Sprintf("%s at %d px", page.path, width),
						chromedp.EmulateViewport(width, 800),
						open(page.path),
						chromedp.WaitVisible(page.ready))
					wide := read(chromedp.Evaluate[string](`String(document.documentElement.scrollWidth > window.innerWidth + 1)`))
					if wide != "false" {
						over := read(chromedp.Evaluate[string](`document.documentElement.scrollWidth + " > " + window.innerWidth + ": " + [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 || e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === "visible").slice(0, 6).map((e) => e.tagName + "." + e.className + "#" + e.id + " " + Math.round(e.getBoundingClientRect().right) + "/" + e.scrollWidth).join(", ")`))
						t.Errorf("%s is wider than a %d px screen: %s", page.path, width, over)
					}
				}
			}
			run("back to a desktop", chromedp.EmulateViewport(1280, 1000))

			run("stored markup is text",
				open("tickets"),
				chromedp.WaitVisible(`//h1[text()="Tickets"]`),
				noScriptRan(t, "tickets"),
				chromedp.Click(`//a[contains(., "<img src=x")]`),
				chromedp.WaitVisible(`//h1[contains(., "<script>window.__xss=1</script>")]`),
				chromedp.WaitVisible(`//article[contains(@class, "msg") and contains(., "<img src=x")]`),
				noScriptRan(t, "ticket page"),
				open("workflows"), chromedp.WaitVisible(`//h1[text()="Workflows"]`), noScriptRan(t, "workflows"))

			run("sign out, then in as the agent",
				chromedp.Click(`//button[text()="Sign out"]`),
				chromedp.WaitVisible(`//h1[text()="Sign in"]`),
				chromedp.Navigate(s.url+s.agentLink),
				chromedp.WaitVisible(`//h1[text()="Welcome to deskflow"]`),
				open("workflows"),
				chromedp.WaitVisible(`//td/a[text()="Auto-close spam"]`))
			html = read(chromedp.OuterHTML(chromedp.CSS("main")))
			for _, admin := range []string{"New workflow", ">Delete<", ">Duplicate<"} {
				if strings.Contains(html, admin) {
					t.Errorf("an agent sees %q", admin)
				}
			}
			run("the agent's settings", open("settings"), chromedp.WaitVisible(`//h1[text()="Settings"]`))
			html = read(chromedp.OuterHTML(chromedp.CSS("main")))
			if strings.Contains(html, "Invite someone") {
				t.Errorf("an agent sees the invitations")
			}
			run("password sign-in",
				chromedp.Click(`//button[text()="Sign out"]`),
				chromedp.WaitVisible(`//h1[text()="Sign in"]`),
				chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.com"),
				chromedp.SendKeys(chromedp.CSS("#password"), "a long enough password"),
				chromedp.Click(`//button[text()="Sign in"]`),
				chromedp.WaitVisible(`//h1[text()="Workflows"]`))
		})
	}
}

func (s *site) apiList(path string) []map[string]any {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	req.Header.Set("X-Workspace-Id", fmt.Sprint(s.ws))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		s.t.Fatal(err)
	}
	return out.Data
}

// lowContrastJS lists the page's visible texts whose contrast ratio with
// the color behind them (the first ancestor with an opaque enough
// background) is below WCAG 2.x AA: "TAG "text" ratio".
const lowContrastJS = `(() => {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const out = [];
  const seen = new Set();
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const text = walk.currentNode.textContent.trim();
    const el = walk.currentNode.parentElement;
    if (!text || !el || seen.has(el)) continue;
    seen.add(el);
    const s = getComputedStyle(el);
    if (s.visibility === "hidden" || el.getClientRects().length === 0 || el.closest("option, [hidden]")) continue;
    const fg = parse(s.color), bg = behind(el);
    if (!fg) continue;
    const mix = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) };
    const [hi, lo] = [lum(mix), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
    if (ratio < (size >= 24 || (bold && size >= 18.66) ? 3 : 4.5)) out.push(el.tagName + ' "' + text.slice(0, 40) + '" ' + ratio.toFixed(2));
  }
  return out;
})()`
