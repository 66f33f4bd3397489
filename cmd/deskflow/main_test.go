package main_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deskflow-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "deskflow")
	// The binary is built as it is shipped: static, without cgo.
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		panic("build deskflow: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run executes the binary and returns stdout, stderr and the exit code.
func run(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestCommands(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			if _, stderr, code := run(t, nil, "migrate", "--database-url", url); code != 0 {
				t.Fatalf("migrate: %d %s", code, stderr)
			}
			// Migrating twice is a no-op.
			if _, stderr, code := run(t, nil, "migrate", "--database-url", url); code != 0 {
				t.Fatalf("migrate again: %d %s", code, stderr)
			}
			out, stderr, code := run(t, []string{"DESKFLOW_DATABASE_URL=" + url}, "workspace", "create", "--name", "Acme")
			if code != 0 {
				t.Fatalf("workspace create: %d %s", code, stderr)
			}
			id, err := strconv.Atoi(strings.TrimSpace(out))
			if err != nil || id < 1 || out != strconv.Itoa(id)+"\n" {
				t.Fatalf("workspace create printed %q", out)
			}
			out, stderr, code = run(t, nil, "token", "create", "--workspace", strconv.Itoa(id), "--role", "agent", "--name", "Sam", "--database-url", url)
			if code != 0 || !regexp.MustCompile(`^dfk_[A-Za-z0-9_-]{43}\n$`).MatchString(out) {
				t.Fatalf("token create: %d %q %s", code, out, stderr)
			}
			if _, stderr, code := run(t, nil, "token", "create", "--workspace", "999", "--role", "admin", "--database-url", url); code != 1 || !strings.Contains(stderr, "workspace 999 does not exist") {
				t.Errorf("token for unknown workspace: %d %s", code, stderr)
			}
			if _, _, code := run(t, nil, "token", "create", "--workspace", "1", "--role", "owner", "--database-url", url); code != 2 {
				t.Errorf("bad role: exit %d, want 2", code)
			}
		})
	}
	if _, stderr, code := run(t, nil, "fly"); code != 2 || !strings.Contains(stderr, "usage") {
		t.Errorf("unknown command: %d %s", code, stderr)
	}
}

// TestServe starts the real binary on a fresh database: it prints the
// admin token once, answers the seed's first curl example, and stops
// cleanly on SIGTERM.
func TestServe(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			s := startServe(t, url)
			token := s.waitToken(t)
			checkSignInLink(t, s)
			body := `{"name": "Auto-close spam", "trigger_type": "on_new_ticket", "condition_match_type": "any",
			  "conditions": [{ "type": "subject_contains", "parameters": { "value": "unsubscribe" } }],
			  "actions": [{ "type": "set_status", "parameters": { "status": "spam" } }]}`
			if code, answer := s.post(t, token, "/api/workflows", body); code != 201 {
				t.Fatalf("seed example: %d %s", code, answer)
			}
			if code, _ := s.stop(); code != 0 {
				t.Fatalf("serve exited %d after SIGTERM", code)
			}
			// A second start on the same database prints nothing on stdout.
			again := startServe(t, url)
			if code, out := again.stop(); code != 0 || out != "" {
				t.Errorf("second start: exit %d, stdout %q", code, out)
			}
		})
	}
}

// TestServeMaxMessageBytes: --max-message-bytes, or
// DESKFLOW_MAX_MESSAGE_BYTES, is the API's limit of a message body, and a
// limit that is not a positive number stops serve with a usage error. The
// wiring is the same on both back ends: SQLite only.
func TestServeMaxMessageBytes(t *testing.T) {
	for _, bad := range [][]string{{"--max-message-bytes", "0"}, {"--max-message-bytes", "lots"}} {
		if _, stderr, code := run(t, nil, append([]string{"serve"}, bad...)...); code != 2 || !strings.Contains(stderr, "max-message-bytes") {
			t.Errorf("serve %v: exit %d, %s", bad, code, stderr)
		}
	}
	if _, stderr, code := run(t, []string{"DESKFLOW_MAX_MESSAGE_BYTES=lots"}, "serve"); code != 2 || !strings.Contains(stderr, "DESKFLOW_MAX_MESSAGE_BYTES") {
		t.Errorf("DESKFLOW_MAX_MESSAGE_BYTES=lots: exit %d, %s", code, stderr)
	}

	for name, limit := range map[string][]string{"flag": {"--max-message-bytes", "100"}, "environment": nil} {
		t.Run(name, func(t *testing.T) {
			if limit == nil {
				t.Setenv("DESKFLOW_MAX_MESSAGE_BYTES", "100")
			}
			s := startServe(t, storagetest.SQLiteURL(t), limit...)
			token := s.waitToken(t)
			post := func(body string) (int, string) {
				t.Helper()
				return s.post(t, token, "/api/tickets", `{"subject": "Hi", "body": "`+body+`", "contact": {"email": "ann@example.com"}}`)
			}
			if code, answer := post(strings.Repeat("x", 101)); code != 422 || !strings.Contains(answer, "limit of 100 bytes") {
				t.Errorf("a body of 101 bytes: %d %s", code, answer)
			}
			if code, answer := post(strings.Repeat("x", 100)); code != 201 {
				t.Errorf("a body of 100 bytes: %d %s", code, answer)
			}
			if code, _ := s.stop(); code != 0 {
				t.Fatalf("serve exited %d after SIGTERM", code)
			}
		})
	}
}

type served struct {
	addr  string
	lines chan string
	cmd   *exec.Cmd
	done  chan struct{}
	out   []string
}

// startServe runs `deskflow serve` on a free port, with the database URL
// from the environment, and waits until it listens.
func startServe(t *testing.T, url string, extra ...string) *served {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, extra...)...)
	cmd.Env = append(os.Environ(), "DESKFLOW_DATABASE_URL="+url)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	addrRe := regexp.MustCompile(`deskflow listening" addr=(\S+)`)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
			s.addr = m[1]
			break
		}
	}
	if s.addr == "" {
		t.Fatalf("serve did not report its address")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return s
}

// post sends a JSON body to the API as token in workspace 1 and returns
// the status and the answer.
func (s *served) post(t *testing.T, token, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+s.addr+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Workspace-Id", "1")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(answer)
}

// checkSignInLink reads the console's one-time sign-in link that follows
// the token, and opens it: it signs in once.
func checkSignInLink(t *testing.T, s *served) {
	t.Helper()
	var link string
	for line := range s.lines {
		s.out = append(s.out, line)
		if i := strings.Index(line, "/sign-in/dfs_"); i >= 0 {
			link = line[i:]
			break
		}
	}
	if link == "" {
		t.Fatalf("no sign-in link on stdout: %q", s.out)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, want := range []int{http.StatusSeeOther, http.StatusNotFound} {
		res, err := noRedirect.Get("http://" + s.addr + link)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want || (i == 0 && !strings.Contains(res.Header.Get("Set-Cookie"), "deskflow_session=")) {
			t.Errorf("sign-in link, use %d: %d %v", i+1, res.StatusCode, res.Header)
		}
	}
}

// waitToken reads stdout until the token line.
func (s *served) waitToken(t *testing.T) string {
	t.Helper()
	for line := range s.lines {
		s.out = append(s.out, line)
		if strings.HasPrefix(line, "dfk_") {
			return line
		}
	}
	t.Fatalf("no token on stdout: %q", s.out)
	return ""
}

// stop sends SIGTERM and returns the exit code and the rest of stdout.
func (s *served) stop() (int, string) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	var rest []string
	for line := range s.lines {
		rest = append(rest, line)
	}
	<-s.done
	err := s.cmd.Wait()
	out := strings.Join(rest, "\n")
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), out
	}
	if err != nil {
		return -1, out
	}
	return 0, out
}

// TestHelpVersionAndConfiguration: every command prints its flags, with the
// variable that stands in for each, and exits 0; --version names the build;
// a variable's bad value and an unsupported database are refused at start,
// naming what is wrong.
func TestHelpVersionAndConfiguration(t *testing.T) {
	for _, cmd := range [][]string{{"serve"}, {"migrate"}, {"workspace", "create"}, {"token", "create"}, {"bench"}} {
		out, stderr, code := run(t, nil, append(cmd, "--help")...)
		if code != 0 || !strings.Contains(out, "usage: deskflow "+strings.Join(cmd, " ")) || !strings.Contains(out, "--") {
			t.Errorf("%v --help: exit %d, out %q, stderr %q", cmd, code, out, stderr)
		}
	}
	out, _, _ := run(t, nil, "serve", "--help")
	for _, want := range []string{"env DESKFLOW_DATABASE_URL", "env DESKFLOW_ADDR", "env DESKFLOW_RATE_LIMIT", "env DESKFLOW_RESCUE_AFTER", "env DESKFLOW_QUEUE_LIMIT"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help does not say %q", want)
		}
	}
	if out, _, code := run(t, nil, "--version"); code != 0 || !strings.HasPrefix(out, "deskflow ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	for _, env := range []string{"DESKFLOW_RESCUE_AFTER=banana", "DESKFLOW_RATE_LIMIT=fast", "DESKFLOW_QUEUE_LIMIT=1.5"} {
		name := strings.SplitN(env, "=", 2)[0]
		if _, stderr, code := run(t, []string{env}, "serve"); code != 2 || !strings.Contains(stderr, name) {
			t.Errorf("%s: exit %d, stderr %q", env, code, stderr)
		}
	}
	if _, stderr, code := run(t, nil, "migrate", "--database-url", "mysql://x"); code != 1 || !strings.Contains(stderr, `unsupported URL scheme "mysql"`) {
		t.Errorf("mysql URL: exit %d, stderr %q", code, stderr)
	}
}

// TestEmbeddedKeyAndRotation: on SQLite with no DESKFLOW_SECRET_KEY, the
// first start creates a key file beside the database (mode 0600) and says
// so once, connectors with credentials work at once, and `secrets rotate`
// reseals them under a new key, which the key file then holds: a node
// starts with it, and is refused with the old key.
func TestEmbeddedKeyAndRotation(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "deskflow.db")
	keyFile := filepath.Join(dir, "deskflow.db.key")
	env := []string{"DESKFLOW_SECRET_KEY="}
	s := startServe(t, url)
	token := s.waitToken(t)
	connector := `{"type": "webhook", "name": "Signed", "credentials": {"signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}`
	if code, answer := s.post(t, token, "/api/connectors", connector); code != 201 {
		t.Fatalf("create a connector on a fresh install: %d %s", code, answer)
	}
	if code, out := s.stop(); code != 0 || !strings.Contains(out, "Created the credentials key in "+keyFile) {
		t.Fatalf("first start: exit %d, stdout %q", code, out)
	}
	st, err := os.Stat(keyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, st.Mode())
	}
	oldKey, _ := os.ReadFile(keyFile)
	if code, out := startServe(t, url).stop(); code != 0 || strings.Contains(out, "Created") {
		t.Errorf("second start: exit %d, stdout %q", code, out)
	}

	newKey := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	out, stderr, code := run(t, env, "secrets", "rotate", "--new-key", newKey, "--database-url", url)
	if code != 0 || !strings.Contains(out, "Resealed the credentials of 1 connectors") {
		t.Fatalf("secrets rotate: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if got, _ := os.ReadFile(keyFile); strings.TrimSpace(string(got)) != newKey {
		t.Errorf("the key file holds %q after the rotation, want the new key", got)
	}
	if code, _ := startServe(t, url).stop(); code != 0 {
		t.Errorf("start with the rotated key file: exit %d", code)
	}
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--database-url", url)
	cmd.Env = append(os.Environ(), "DESKFLOW_SECRET_KEY="+strings.TrimSpace(string(oldKey)))
	answer, _ := cmd.CombinedOutput()
	if !strings.Contains(string(answer), "does not open the credentials stored in this database") {
		t.Errorf("serve with the old key: %s", answer)
	}
}

// TestProbe: `deskflow probe` (the image's health check) succeeds on a
// ready node's /readyz and fails on what does not answer 200.
func TestProbe(t *testing.T) {
	s := startServe(t, "sqlite:"+filepath.Join(t.TempDir(), "d.db"))
	if _, stderr, code := run(t, nil, "probe", "http://"+s.addr+"/readyz"); code != 0 {
		t.Errorf("probe /readyz: exit %d %s", code, stderr)
	}
	if _, _, code := run(t, nil, "probe", "http://"+s.addr+"/api/nothing"); code != 1 {
		t.Errorf("probe of a 404: exit %d, want 1", code)
	}
	s.stop()
	if _, _, code := run(t, nil, "probe", "http://"+s.addr+"/readyz"); code != 1 {
		t.Errorf("probe of a stopped node: exit %d, want 1", code)
	}
}
