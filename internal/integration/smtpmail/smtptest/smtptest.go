// Package smtptest runs a real SMTP server for tests: the aiosmtpd script
// testdata/smtpserver.py of package smtpmail, under the system python
// (/usr/bin/python3, or $DESKFLOW_TEST_PYTHON). The Debian package
// python3-aiosmtpd must be installed; without it tests fail (they do not
// skip), saying so.
//
// The server listens on 127.0.0.1 with a self-signed certificate made by
// Start (STARTTLS or implicit TLS), optionally requires AUTH PLAIN/LOGIN
// with one user, refuses recipients whose local part starts with "reject",
// and writes every accepted message to a directory, which Deliveries reads.
package smtptest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// DebianPackage provides aiosmtpd for the system python.
const DebianPackage = "python3-aiosmtpd"

// Modes of the server.
const (
	ModeStartTLS = "starttls"
	ModeTLS      = "tls"
	ModeNone     = "none"
)

// Options configure Start.
type Options struct {
	// Mode is ModeStartTLS (default), ModeTLS or ModeNone.
	Mode string
	// Username and Password, when Username is set, make the server
	// require AUTH with exactly this pair.
	Username, Password string
}

// Server is a running SMTP server.
type Server struct {
	Host string
	Port int
	Dir  string
	// CertPEM is the server's self-signed certificate.
	CertPEM []byte
}

// Delivery is one message the server accepted.
type Delivery struct {
	MailFrom string   `json:"mail_from"`
	RcptTos  []string `json:"rcpt_tos"`
	// Data is the message as received (headers and encoded body).
	Data string `json:"data"`
	// AuthUser is the login that authenticated the session, if any.
	AuthUser *string `json:"auth_user"`
	// TLS reports whether the session was encrypted.
	TLS bool `json:"tls"`

	// Header is the parsed header (continuation lines unfolded).
	Header mail.Header `json:"-"`
	// Body is the decoded body (quoted-printable undone), with "\n"
	// line breaks.
	Body string `json:"-"`
}

// Subject is the decoded Subject header.
func (d Delivery) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(d.Header.Get("Subject"))
	if err != nil {
		return d.Header.Get("Subject")
	}
	return s
}

// Python is the interpreter that runs the server.
func Python() string {
	if p := os.Getenv("DESKFLOW_TEST_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}

// Script is the path of the server script.
func Script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "smtpserver.py")
}

var (
	checkOnce sync.Once
	checkErr  error
)

// Require fails the test unless the python has aiosmtpd. Outside CI
// (CI=true), a machine without it skips the email tests with a message
// naming the package, so that `go test ./...` works with Go alone; CI
// installs it (scripts/test-deps.sh) and then a missing server fails.
func Require(t testing.TB) {
	t.Helper()
	checkOnce.Do(func() {
		out, err := exec.Command(Python(), "-c", "import aiosmtpd").CombinedOutput()
		if err != nil {
			checkErr = fmt.Errorf("%s cannot import aiosmtpd (%v: %s); install the Debian package %s (apt-get install -y %s)",
				Python(), err, strings.TrimSpace(string(out)), DebianPackage, DebianPackage)
		}
	})
	if checkErr != nil {
		if os.Getenv("CI") != "true" {
			t.Skipf("email tests need a real SMTP server: %v (or run scripts/test-deps.sh)", checkErr)
		}
		t.Fatal(checkErr)
	}
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	Require(t)
	if opts.Mode == "" {
		opts.Mode = ModeStartTLS
	}
	dir := t.TempDir()
	mailDir := filepath.Join(dir, "mail")
	if err := os.Mkdir(mailDir, 0o700); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := SelfSigned(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for range 5 { // the free port may be taken between choosing and binding
		port := UnusedPort(t)
		args := []string{Script(), "--port", fmt.Sprint(port), "--dir", mailDir, "--mode", opts.Mode}
		if opts.Mode != ModeNone {
			args = append(args, "--cert", certFile, "--key", keyFile)
		}
		if opts.Username != "" {
			args = append(args, "--user", opts.Username, "--password", opts.Password)
		}
		if err := run(t, args); err != nil {
			lastErr = err
			if strings.Contains(err.Error(), "in use") {
				continue
			}
			t.Fatal(err)
		}
		return &Server{Host: "127.0.0.1", Port: port, Dir: mailDir, CertPEM: certPEM}
	}
	t.Fatal(lastErr)
	return nil
}

// run starts the server process and waits until it prints READY.
func run(t testing.TB, args []string) error {
	cmd := exec.Command(Python(), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", Python(), err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ok := false
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "READY" {
				ok = true
				break
			}
		}
		ready <- ok
		_, _ = io.Copy(io.Discard, stdout)
	}()
	stopProcess := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	select {
	case ok := <-ready:
		if !ok {
			stopProcess()
			msg := strings.TrimSpace(stderr.String())
			if strings.Contains(msg, "aiosmtpd is not importable") {
				return fmt.Errorf("%s; install the Debian package %s", msg, DebianPackage)
			}
			return fmt.Errorf("the SMTP test server exited before it was ready: %s", msg)
		}
	case <-time.After(30 * time.Second):
		stopProcess()
		return fmt.Errorf("the SMTP test server was not ready after 30s: %s", stderr.String())
	}
	t.Cleanup(stopProcess)
	return nil
}

// UnusedPort returns a loopback port that nothing listens on (at the time
// of the call).
func UnusedPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

// Deliveries returns the messages accepted so far, in order.
func (s *Server) Deliveries(t testing.TB) []Delivery {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(s.Dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	out := make([]Delivery, 0, len(names))
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var d Delivery
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, err := mail.ReadMessage(strings.NewReader(d.Data))
		if err != nil {
			t.Fatalf("delivered message does not parse: %v\n%s", err, d.Data)
		}
		d.Header = m.Header
		var body io.Reader = m.Body
		if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(m.Body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("delivered body does not decode: %v\n%s", err, d.Data)
		}
		d.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
		out = append(out, d)
	}
	return out
}

// SelfSigned makes a certificate for 127.0.0.1, ::1 and localhost (test
// servers, SMTP and IMAP).
func SelfSigned(t testing.TB) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "deskflow smtp test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}
