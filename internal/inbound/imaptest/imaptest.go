// Package imaptest runs a real IMAP server for tests: Debian's Dovecot
// (package dovecot-imapd), started on a loopback port with a throwaway
// configuration and maildir, every user's password "secret". Without
// Dovecot the tests that need it are skipped with a message, except in CI
// (CI=true), where scripts/test-deps.sh installs it and its absence fails.
package imaptest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"github.com/deskflow/deskflow/internal/integration/smtpmail/smtptest"
)

// Binary is Dovecot's executable.
const Binary = "/usr/sbin/dovecot"

// Password is every user's password.
const Password = "secret"

// Server is a running Dovecot: Port speaks IMAP (with STARTTLS), TLSPort
// IMAP over TLS from the first byte, with the self-signed CertPEM.
type Server struct {
	Host    string
	Port    int
	TLSPort int
	CertPEM []byte
	dir     string
}

// Require skips (or, in CI, fails) the test without Dovecot.
func Require(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		if os.Getenv("CI") != "true" {
			t.Skipf("IMAP tests need Dovecot (%s): apt-get install -y dovecot-imapd, or run scripts/test-deps.sh", Binary)
		}
		t.Fatalf("Dovecot is not installed (%s): scripts/test-deps.sh installs it", Binary)
	}
}

// Start starts a Dovecot for the test; it stops with the test.
func Start(t testing.TB) *Server {
	t.Helper()
	Require(t)
	// The mail user is nobody (Dovecot refuses root): the directory must
	// be open to it.
	dir, err := os.MkdirTemp("", "deskflow-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{dir, filepath.Join(dir, "mail"), filepath.Join(dir, "run")} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	port, tlsPort := freePort(t), freePort(t)
	certPEM, keyPEM := smtptest.SelfSigned(t)
	for name, content := range map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	conf := fmt.Sprintf(`protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/run
log_path = %[1]s/dovecot.log
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_max_userip_connections = 100
first_valid_uid = 0
mail_location = maildir:%[1]s/mail/%%u
passdb {
  driver = static
  args = password=%[3]s
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[1]s/mail/%%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[4]d
    ssl = yes
  }
}
service anvil {
  chroot =
}
`, dir, port, Password, tlsPort)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(Binary, "-c", confPath, "-F")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	s := &Server{Host: "127.0.0.1", Port: port, TLSPort: tlsPort, CertPEM: certPEM, dir: dir}
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", s.Addr())
		if err == nil {
			conn.Close()
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot did not start: %s\n%s", out.String(), log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Client logs user in; the caller logs out.
func (s *Server) Client(t testing.TB, user string) *client.Client {
	t.Helper()
	c, err := client.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(user, Password); err != nil {
		t.Fatal(err)
	}
	return c
}

// Append delivers a message to user's folder with IMAP APPEND (the server
// assigns its UID).
func (s *Server) Append(t testing.TB, user, folder string, raw []byte) {
	t.Helper()
	c := s.Client(t, user)
	defer c.Logout()
	if err := c.Append(folder, nil, time.Now(), bytes.NewReader(raw)); err != nil {
		t.Fatalf("append to %s/%s: %v", user, folder, err)
	}
}

// Unseen counts the messages of user's folder without \Seen.
func (s *Server) Unseen(t testing.TB, user, folder string) int {
	t.Helper()
	c := s.Client(t, user)
	defer c.Logout()
	if _, err := c.Select(folder, true); err != nil {
		t.Fatal(err)
	}
	criteria := imap.NewSearchCriteria()
	criteria.WithoutFlags = []string{imap.SeenFlag}
	uids, err := c.UidSearch(criteria)
	if err != nil {
		t.Fatal(err)
	}
	return len(uids)
}

// Maildir is the maildir of user's INBOX (files written to its new/
// directory are delivered).
func (s *Server) Maildir(user string) string { return filepath.Join(s.dir, "mail", user) }

// Unsee removes \Seen from every message of user's folder.
func (s *Server) Unsee(t testing.TB, user, folder string) {
	t.Helper()
	c := s.Client(t, user)
	defer c.Logout()
	if _, err := c.Select(folder, false); err != nil {
		t.Fatal(err)
	}
	all := new(imap.SeqSet)
	all.AddRange(1, 0)
	if err := c.Store(all, imap.FormatFlagsOp(imap.RemoveFlags, true), []any{imap.SeenFlag}, nil); err != nil {
		t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Flags returns the flags of each message of user's folder, by UID.
func (s *Server) Flags(t testing.TB, user, folder string) map[uint32][]string {
	t.Helper()
	c := s.Client(t, user)
	defer c.Logout()
	if _, err := c.Select(folder, true); err != nil {
		t.Fatal(err)
	}
	all := new(imap.SeqSet)
	all.AddRange(1, 0)
	messages := make(chan *imap.Message, 16)
	done := make(chan error, 1)
	go func() { done <- c.Fetch(all, []imap.FetchItem{imap.FetchUid, imap.FetchFlags}, messages) }()
	out := map[uint32][]string{}
	for m := range messages {
		out[m.Uid] = m.Flags
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return out
}
