package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// TestExportAndApply drives deskflow export and apply against a running
// server, as a CI pipeline would: workspace 1's automation is exported,
// applied to a new workspace (plan first), applied again (no changes), and
// a broken file is refused with its paths.
func TestExportAndApply(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			dbURL := b.URL(t)
			s := startServe(t, dbURL)
			token := s.waitToken(t)
			if code, answer := s.post(t, token, "/api/tags", `{"name": "spam"}`); code != 201 {
				t.Fatalf("tag: %d %s", code, answer)
			}
			_, tagAnswer := s.post(t, token, "/api/tags", `{"name": "vip"}`)
			vip := tagAnswer[strings.Index(tagAnswer, `"id":"`)+6:][:26]
			body := `{"name": "Auto-close spam", "trigger_type": "on_new_ticket", "condition_match_type": "any",
			  "conditions": [{ "type": "subject_contains", "parameters": { "value": "unsubscribe" } }],
			  "actions": [{ "type": "add_tags", "parameters": { "tags": ["` + vip + `"] } }, { "type": "set_status", "parameters": { "status": "spam" } }]}`
			if code, answer := s.post(t, token, "/api/workflows", body); code != 201 {
				t.Fatalf("workflow: %d %s", code, answer)
			}
			server := []string{"DESKFLOW_URL=http://" + s.addr, "DESKFLOW_TOKEN=" + token}
			exported, stderr, code := run(t, server, "export", "--workspace", "1")
			if code != 0 || !strings.Contains(exported, "name: Auto-close spam") || !strings.Contains(exported, "- vip") || strings.Contains(exported, vip) {
				t.Fatalf("export: %d %s\n%s", code, stderr, exported)
			}
			file := filepath.Join(t.TempDir(), "automation.yaml")
			if err := os.WriteFile(file, []byte(exported), 0o600); err != nil {
				t.Fatal(err)
			}

			out, stderr, code := run(t, []string{"DESKFLOW_DATABASE_URL=" + dbURL}, "workspace", "create", "--name", "Copy")
			if code != 0 {
				t.Fatalf("workspace create: %s", stderr)
			}
			ws := strings.TrimSpace(out)
			token2, stderr, code := run(t, []string{"DESKFLOW_DATABASE_URL=" + dbURL}, "token", "create", "--workspace", ws, "--role", "admin")
			if code != 0 {
				t.Fatalf("token create: %s", stderr)
			}
			into := []string{"--url", "http://" + s.addr, "--token", strings.TrimSpace(token2), "--workspace", ws}

			plan, stderr, code := run(t, nil, append([]string{"apply", "-f", file, "--dry-run"}, into...)...)
			wantPlan := "+ tag \"spam\"\n+ tag \"vip\"\n+ workflow \"Auto-close spam\"\nPlan: 3 to create, 0 to update, 0 to delete.\n"
			if code != 0 || plan != wantPlan+"Dry run: nothing was applied.\n" {
				t.Fatalf("apply --dry-run: %d %s\n%s", code, stderr, plan)
			}
			if out, stderr, code := run(t, nil, append([]string{"apply", "-f", file}, into...)...); code != 0 || out != wantPlan {
				t.Fatalf("apply: %d %s\n%s", code, stderr, out)
			}
			if out, stderr, code := run(t, nil, append([]string{"apply", "-f", file}, into...)...); code != 0 || out != "no changes\n" {
				t.Fatalf("apply again: %d %s\n%s", code, stderr, out)
			}
			copied, stderr, code := run(t, nil, append([]string{"export"}, into...)...)
			if code != 0 || copied != exported {
				t.Fatalf("the copy's export differs: %d %s\n%s\nwant\n%s", code, stderr, copied, exported)
			}

			broken := strings.Replace(exported, "value: unsubscribe", "value: 42", 1)
			broken = strings.Replace(broken, "- vip\n", "- vip\n- VIP\n", 1)
			if err := os.WriteFile(file, []byte(broken), 0o600); err != nil {
				t.Fatal(err)
			}
			_, stderr, code = run(t, nil, append([]string{"apply", "-f", file}, into...)...)
			if code != 1 || !strings.Contains(stderr, "workflows[0].conditions[0].parameters.value: ") || !strings.Contains(stderr, "tags[2]: ") {
				t.Errorf("a broken file: exit %d\n%s", code, stderr)
			}
			if err := os.WriteFile(file, []byte("workflows: [\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, stderr, code := run(t, nil, append([]string{"apply", "-f", file}, into...)...); code != 1 || !strings.Contains(stderr, "malformed YAML") {
				t.Errorf("malformed YAML: exit %d %s", code, stderr)
			}
			if _, stderr, code := run(t, nil, "apply", "-f", file, "--workspace", ws); code != 2 || !strings.Contains(stderr, "--token") {
				t.Errorf("no token: exit %d %s", code, stderr)
			}
		})
	}
}
