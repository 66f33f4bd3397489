package outbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeResolver answers from a fixed table and records every lookup.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][]netip.Addr
	calls   []string
}

func newResolver(answers map[string][]string) *fakeResolver {
	r := &fakeResolver{answers: map[string][]netip.Addr{}}
	for host, as := range answers {
		for _, a := range as {
			r.answers[host] = append(r.answers[host], netip.MustParseAddr(a))
		}
	}
	return r
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, host)
	if as, ok := r.answers[strings.ToLower(host)]; ok { // DNS is case-insensitive
		return slices.Clone(as), nil
	}
	return nil, &net.DNSError{Err: "no such host (fake resolver)", Name: host, IsNotFound: true}
}

func (r *fakeResolver) lookups() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

var errFakeDial = errors.New("fake dial: not connecting anywhere")

// dialRecorder is the raw dialer injected after the checks. It records every
// address it is asked to connect to, really connects only to the loopback
// test servers listed in real, and fails every other attempt without any
// network traffic.
type dialRecorder struct {
	mu    sync.Mutex
	addrs []string
	real  map[string]bool
}

func newDialRecorder(realTargets ...string) *dialRecorder {
	d := &dialRecorder{real: map[string]bool{}}
	for _, a := range realTargets {
		d.real[a] = true
	}
	return d
}

func (d *dialRecorder) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	real := d.real[addr]
	d.mu.Unlock()
	if real {
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	}
	return nil, errFakeDial
}

func (d *dialRecorder) dialed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.addrs)
}

func get(t *testing.T, c *http.Client, rawURL string) (*http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatalf("NewRequest(%q): %v", rawURL, err)
	}
	resp, err := c.Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

func hostPort(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	return srv.Listener.Addr().String()
}

func TestRefusedWithoutConnecting(t *testing.T) {
	resolver := newResolver(map[string][]string{
		"intranet.example.test": {"10.1.2.3"},
		"mixed.example.test":    {"93.184.215.14", "10.0.0.5"},
		"mixed6.example.test":   {"2606:4700::1111", "fd12::1"},
		"meta.example.test":     {"169.254.169.254"},
		"mapped.example.test":   {"::ffff:127.0.0.1"},
	})
	tests := []struct {
		url      string
		reason   string
		addr     string // the refused address, "" = none (name refused)
		resolves bool   // whether the host is looked up before refusing
	}{
		{"http://127.0.0.1/", "loopback address", "127.0.0.1", false},
		{"http://127.0.0.1:8080/x", "loopback address", "127.0.0.1", false},
		{"http://localhost/", "localhost name", "", false},
		{"http://LocalHost:9000/", "localhost name", "", false},
		{"http://api.localhost/", "localhost name", "", false},
		{"http://localhost./", "localhost name", "", false},
		{"http://[::1]/", "loopback address", "::1", false},
		{"http://10.0.0.1/", "private address", "10.0.0.1", false},
		{"http://172.16.0.1/", "private address", "172.16.0.1", false},
		{"http://192.168.1.1/", "private address", "192.168.1.1", false},
		{"http://169.254.169.254/latest/meta-data/", "cloud metadata address", "169.254.169.254", false},
		{"http://100.64.0.1/", "shared (CGNAT) address", "100.64.0.1", false},
		{"http://0.0.0.0/", "unspecified address", "0.0.0.0", false},
		{"http://[::ffff:169.254.169.254]/", "cloud metadata address", "::ffff:169.254.169.254", false},
		{"http://[64:ff9b::a9fe:a9fe]/", "cloud metadata address", "64:ff9b::a9fe:a9fe", false},
		{"http://[fd00:ec2::254]/", "cloud metadata address", "fd00:ec2::254", false},
		{"http://[fe80::1%25eth0]/", "link-local address", "fe80::1%eth0", false},
		{"http://2130706433/", "non-canonical IPv4 spelling of a loopback address", "127.0.0.1", false},
		{"http://0x7f000001/", "non-canonical IPv4 spelling of a loopback address", "127.0.0.1", false},
		{"http://0177.0.0.1/", "non-canonical IPv4 spelling of a loopback address", "127.0.0.1", false},
		{"http://127.1/", "non-canonical IPv4 spelling of a loopback address", "127.0.0.1", false},
		{"http://１２７.０.０.１/", "loopback address", "127.0.0.1", false},
		{"https://intranet.example.test/", "private address", "10.1.2.3", true},
		{"http://meta.example.test/", "cloud metadata address", "169.254.169.254", true},
		{"http://mapped.example.test/", "loopback address 127.0.0.1 embedded", "::ffff:127.0.0.1", true},
		// One refused answer refuses the host, even after a public one.
		{"http://mixed.example.test/", "private address", "10.0.0.5", true},
		{"http://mixed6.example.test/", "private address", "fd12::1", true},
	}
	for _, follow := range []bool{true, false} {
		for _, tt := range tests {
			t.Run(tt.url, func(t *testing.T) {
				rec := newDialRecorder()
				before := len(resolver.lookups())
				c := NewClient(Options{Resolver: resolver, DialContext: rec.DialContext, FollowRedirects: follow})
				resp, err := get(t, c, tt.url)
				if err == nil {
					t.Fatalf("GET %s: status %d, want refusal", tt.url, resp.StatusCode)
				}
				var re *RefusedError
				if !errors.As(err, &re) {
					t.Fatalf("GET %s: %v, want *RefusedError", tt.url, err)
				}
				if !strings.Contains(re.Reason, tt.reason) {
					t.Errorf("reason = %q, want %q", re.Reason, tt.reason)
				}
				if got := addrString(re.Addr); got != tt.addr {
					t.Errorf("Addr = %q, want %q", got, tt.addr)
				}
				if re.Host == "" {
					t.Error("Host is empty")
				}
				if d := rec.dialed(); len(d) != 0 {
					t.Errorf("connection attempted to %v, want none", d)
				}
				lookups := resolver.lookups()[before:]
				if tt.resolves && len(lookups) != 1 {
					t.Errorf("lookups = %v, want exactly one", lookups)
				}
				if !tt.resolves && len(lookups) != 0 {
					t.Errorf("lookups = %v, want none", lookups)
				}
			})
		}
	}
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func TestRefusedErrorWrapping(t *testing.T) {
	rec := newDialRecorder()
	c := NewClient(Options{DialContext: rec.DialContext})
	_, err := get(t, c, "http://169.254.169.254/latest/meta-data/")
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("error %T %v is not a *url.Error", err, err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		t.Fatalf("error %v does not wrap a dial *net.OpError", err)
	}
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("error %v does not wrap *RefusedError", err)
	}
	if got, want := re.Error(), "outbound: refused to connect to 169.254.169.254 (cloud metadata address)"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
	if !strings.Contains(err.Error(), "outbound: refused to connect to 169.254.169.254 (cloud metadata address)") {
		t.Errorf("full error %q lacks the refusal message", err)
	}
	if len(rec.dialed()) != 0 {
		t.Errorf("dialed %v", rec.dialed())
	}
}

func TestAllowListedLoopbackServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from "+r.URL.Path)
	}))
	defer srv.Close()
	allow := mustAllow(t, "127.0.0.1/32")

	t.Run("allowed", func(t *testing.T) {
		rec := newDialRecorder(hostPort(t, srv))
		c := NewClient(Options{Allow: allow, DialContext: rec.DialContext})
		resp, err := get(t, c, srv.URL+"/ping")
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "hello from /ping" {
			t.Errorf("got %d %q", resp.StatusCode, body)
		}
		if d := rec.dialed(); !slices.Equal(d, []string{hostPort(t, srv)}) {
			t.Errorf("dialed %v, want [%s]", d, hostPort(t, srv))
		}
	})
	t.Run("allowed with the default dialer", func(t *testing.T) {
		c := NewClient(Options{Allow: allow})
		resp, err := get(t, c, srv.URL+"/default")
		if err != nil {
			t.Fatalf("GET: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		if string(body) != "hello from /default" {
			t.Errorf("body %q", body)
		}
	})
	t.Run("not allowed", func(t *testing.T) {
		rec := newDialRecorder(hostPort(t, srv))
		c := NewClient(Options{DialContext: rec.DialContext})
		_, err := get(t, c, srv.URL+"/ping")
		var re *RefusedError
		if !errors.As(err, &re) || re.Reason != "loopback address" {
			t.Fatalf("GET without allow list: %v, want loopback refusal", err)
		}
		if d := rec.dialed(); len(d) != 0 {
			t.Errorf("dialed %v, want none", d)
		}
	})
	t.Run("not allowed with the default dialer", func(t *testing.T) {
		c := NewClient(Options{})
		_, err := get(t, c, srv.URL+"/ping")
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Fatalf("GET: %v, want refusal", err)
		}
	})
	t.Run("other loopback address not allowed", func(t *testing.T) {
		rec := newDialRecorder()
		c := NewClient(Options{Allow: allow, DialContext: rec.DialContext})
		_, err := get(t, c, "http://127.0.0.2:1/")
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Fatalf("GET 127.0.0.2: %v, want refusal", err)
		}
		if d := rec.dialed(); len(d) != 0 {
			t.Errorf("dialed %v, want none", d)
		}
	})
}

func TestAllowListedTLSServer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secure")
	}))
	defer srv.Close()
	tlsConf := srv.Client().Transport.(*http.Transport).TLSClientConfig
	rec := newDialRecorder(hostPort(t, srv))
	c := NewClient(Options{Allow: mustAllow(t, "127.0.0.1"), DialContext: rec.DialContext, TLSClientConfig: tlsConf})
	resp, err := get(t, c, srv.URL)
	if err != nil {
		t.Fatalf("GET %s: %v", srv.URL, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "secure" || resp.TLS == nil {
		t.Errorf("body %q, TLS %v", body, resp.TLS != nil)
	}
	if d := rec.dialed(); !slices.Equal(d, []string{hostPort(t, srv)}) {
		t.Errorf("dialed %v", d)
	}
}

func TestResolvedAddressIsDialed(t *testing.T) {
	resolver := newResolver(map[string][]string{
		"api.example.test":    {"93.184.215.14"},
		"v6.example.test":     {"2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
		"multi.example.test":  {"93.184.215.14", "93.184.215.15", "93.184.215.14"},
		"onprem.example.test": {"10.20.0.5"},
		"mapped.example.test": {"::ffff:10.20.0.6"},
		"nat64.example.test":  {"64:ff9b::5db8:d70e"},
	})
	tests := []struct {
		url   string
		allow string
		want  []string
	}{
		{"http://api.example.test/", "", []string{"93.184.215.14:80"}},
		{"https://api.example.test/", "", []string{"93.184.215.14:443"}},
		{"http://API.Example.Test:8081/x", "", []string{"93.184.215.14:8081"}},
		{"https://v6.example.test/", "", []string{"[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443"}},
		// every address is tried in order, duplicates once
		{"http://multi.example.test/", "", []string{"93.184.215.14:80", "93.184.215.15:80"}},
		{"http://onprem.example.test/", "10.20.0.0/16", []string{"10.20.0.5:80"}},
		{"http://mapped.example.test/", "10.20.0.0/16", []string{"10.20.0.6:80"}},
		{"http://nat64.example.test/", "", []string{"[64:ff9b::5db8:d70e]:80"}},
		{"http://93.184.215.14:9/", "", []string{"93.184.215.14:9"}},
		{"http://[2606:4700::1111]/", "", []string{"[2606:4700::1111]:80"}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			rec := newDialRecorder() // never really connects
			c := NewClient(Options{Allow: mustAllow(t, tt.allow), Resolver: resolver, DialContext: rec.DialContext})
			_, err := get(t, c, tt.url)
			if !errors.Is(err, errFakeDial) {
				t.Fatalf("GET %s: %v, want the fake dial error", tt.url, err)
			}
			if d := rec.dialed(); !slices.Equal(d, tt.want) {
				t.Errorf("dialed %v, want %v", d, tt.want)
			}
		})
	}
}

// rebindingResolver answers a public address first and a private one
// afterwards, as a DNS rebinding attacker would.
type rebindingResolver struct{ calls atomic.Int32 }

func (r *rebindingResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	if r.calls.Add(1) == 1 {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("10.0.0.1")}, nil
}

func TestDNSRebinding(t *testing.T) {
	r := &rebindingResolver{}
	rec := newDialRecorder()
	c := NewClient(Options{Resolver: r, DialContext: rec.DialContext})

	// First connection: resolved once, and the checked IP itself is what
	// is dialed, so a second (rebinding) answer is never consulted.
	_, err := get(t, c, "http://rebind.example.test/")
	if !errors.Is(err, errFakeDial) {
		t.Fatalf("first GET: %v", err)
	}
	if n := r.calls.Load(); n != 1 {
		t.Errorf("resolver called %d times for one connection, want 1", n)
	}
	if d := rec.dialed(); !slices.Equal(d, []string{"93.184.215.14:80"}) {
		t.Errorf("dialed %v", d)
	}

	// Next connection: the answer is now private, and is refused.
	_, err = get(t, c, "http://rebind.example.test/")
	var re *RefusedError
	if !errors.As(err, &re) || re.Addr != netip.MustParseAddr("10.0.0.1") {
		t.Fatalf("second GET: %v, want refusal of 10.0.0.1", err)
	}
	if d := rec.dialed(); len(d) != 1 {
		t.Errorf("dialed %v, want only the first attempt", d)
	}
}

func TestRedirects(t *testing.T) {
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/secret", http.StatusFound)
	})
	mux.HandleFunc("/to-metadata-name", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://meta.example.test/latest/meta-data/", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/to-localhost", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	mux.HandleFunc("/to-ok", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	allow := mustAllow(t, "127.0.0.1/32")
	resolver := newResolver(map[string][]string{"meta.example.test": {"169.254.169.254"}})

	newClient := func(follow bool) (*http.Client, *dialRecorder) {
		rec := newDialRecorder(hostPort(t, srv))
		return NewClient(Options{Allow: allow, Resolver: resolver, FollowRedirects: follow, DialContext: rec.DialContext}), rec
	}
	onlyServer := func(t *testing.T, rec *dialRecorder) {
		t.Helper()
		for _, a := range rec.dialed() {
			if a != hostPort(t, srv) {
				t.Errorf("dialed %s, want only the test server", a)
			}
		}
	}

	refused := []struct{ path, reason string }{
		{"/to-private", "private address"},
		{"/to-metadata-name", "cloud metadata address"},
		{"/to-localhost", "localhost name"},
	}
	for _, tt := range refused {
		t.Run("follow"+tt.path, func(t *testing.T) {
			c, rec := newClient(true)
			_, err := get(t, c, srv.URL+tt.path)
			var re *RefusedError
			if !errors.As(err, &re) || !strings.Contains(re.Reason, tt.reason) {
				t.Fatalf("GET %s: %v, want refusal (%s)", tt.path, err, tt.reason)
			}
			onlyServer(t, rec)
		})
		t.Run("no-follow"+tt.path, func(t *testing.T) {
			c, rec := newClient(false)
			resp, err := get(t, c, srv.URL+tt.path)
			if err != nil {
				t.Fatalf("GET %s: %v, want the 3xx response", tt.path, err)
			}
			if resp.StatusCode < 300 || resp.StatusCode > 399 || resp.Header.Get("Location") == "" {
				t.Errorf("got %d, Location %q; want the redirect itself", resp.StatusCode, resp.Header.Get("Location"))
			}
			onlyServer(t, rec)
		})
	}

	t.Run("follow to non-http scheme", func(t *testing.T) {
		c, rec := newClient(true)
		_, err := get(t, c, srv.URL+"/to-file")
		if err == nil || !strings.Contains(err.Error(), `refusing redirect to scheme "file"`) {
			t.Fatalf("GET /to-file: %v", err)
		}
		onlyServer(t, rec)
	})
	t.Run("follow allowed redirect", func(t *testing.T) {
		c, _ := newClient(true)
		resp, err := get(t, c, srv.URL+"/to-ok")
		if err != nil {
			t.Fatalf("GET /to-ok: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "ok" {
			t.Errorf("got %d %q", resp.StatusCode, body)
		}
	})
	t.Run("at most 5 redirects", func(t *testing.T) {
		hits.Store(0)
		c, _ := newClient(true)
		_, err := get(t, c, srv.URL+"/loop")
		if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") {
			t.Fatalf("GET /loop: %v, want the redirect limit", err)
		}
		if n := hits.Load(); n != 1+MaxRedirects {
			t.Errorf("server hit %d times, want %d (the request and 5 redirects)", n, 1+MaxRedirects)
		}
	})
}

func TestProxyEnvironmentIgnored(t *testing.T) {
	var proxyHits atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxyHits.Add(1)
		http.Error(w, "proxied", http.StatusBadGateway)
	}))
	defer proxy.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "direct")
	}))
	defer target.Close()
	tlsTarget := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "direct tls")
	}))
	defer tlsTarget.Close()

	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"} {
		t.Setenv(k, proxy.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")

	// The test names resolve to the loopback servers; loopback hosts are
	// never proxied by net/http anyway, names are.
	resolver := newResolver(map[string][]string{
		"api.example.test": {"127.0.0.1"},
		"tls.example.test": {"127.0.0.1"},
	})
	plainURL := "http://api.example.test:" + target.URL[strings.LastIndexByte(target.URL, ':')+1:] + "/"
	tlsURL := "https://tls.example.test:" + tlsTarget.URL[strings.LastIndexByte(tlsTarget.URL, ':')+1:] + "/"

	// Control: the environment does designate the proxy for these URLs.
	for _, u := range []string{plainURL, tlsURL} {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if p, err := http.ProxyFromEnvironment(req); err != nil || p == nil {
			t.Fatalf("control: ProxyFromEnvironment(%s) = %v, %v; the environment should proxy it", u, p, err)
		}
	}

	roots := x509.NewCertPool()
	roots.AddCert(tlsTarget.Certificate())
	rec := newDialRecorder(hostPort(t, target), hostPort(t, tlsTarget))
	c := NewClient(Options{
		Allow:           mustAllow(t, "127.0.0.1/32"),
		Resolver:        resolver,
		DialContext:     rec.DialContext,
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "example.com"},
	})
	if tr := c.Transport.(*http.Transport); tr.Proxy != nil {
		t.Fatal("Transport.Proxy is set")
	}
	for _, tt := range []struct{ url, body string }{{plainURL, "direct"}, {tlsURL, "direct tls"}} {
		resp, err := get(t, c, tt.url)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.url, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if string(body) != tt.body {
			t.Errorf("GET %s: %d %q, want %q", tt.url, resp.StatusCode, body, tt.body)
		}
	}
	if n := proxyHits.Load(); n != 0 {
		t.Errorf("proxy used %d times", n)
	}
	if d := rec.dialed(); !slices.Equal(d, []string{hostPort(t, target), hostPort(t, tlsTarget)}) {
		t.Errorf("dialed %v, want the two targets only", d)
	}

	// And the recorder does see a proxy when one is actually configured.
	proxied := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(mustURL(t, proxy.URL))}}
	resp, err := get(t, proxied, "http://api.example.test/")
	if err != nil || resp.StatusCode != http.StatusBadGateway || proxyHits.Load() != 1 {
		t.Errorf("control: explicitly proxied request not seen by the proxy (err %v)", err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestClientConfiguration(t *testing.T) {
	c := NewClient(Options{})
	if c.Timeout != DefaultTimeout || DefaultTimeout != 30*time.Second {
		t.Errorf("Timeout = %v, want 30s", c.Timeout)
	}
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("Transport is %T", c.Transport)
	}
	if tr.Proxy != nil {
		t.Error("Proxy is set")
	}
	//lint:ignore SA1019 the deprecated hooks must stay unset too, or they would bypass the checks
	if tr.DialContext == nil || tr.DialTLSContext != nil || tr.Dial != nil || tr.DialTLS != nil {
		t.Error("dial hooks: want only DialContext")
	}
	if tr.TLSHandshakeTimeout != 10*time.Second || tr.ResponseHeaderTimeout != DefaultTimeout ||
		tr.IdleConnTimeout != 90*time.Second || tr.MaxIdleConns != 100 || tr.MaxIdleConnsPerHost != 10 ||
		tr.ExpectContinueTimeout != time.Second || tr.MaxResponseHeaderBytes != 1<<20 {
		t.Errorf("transport limits: %+v", tr)
	}

	c = NewClient(Options{Timeout: 5 * time.Second})
	if c.Timeout != 5*time.Second || c.Transport.(*http.Transport).ResponseHeaderTimeout != 5*time.Second {
		t.Errorf("Timeout option not applied: %v", c.Timeout)
	}
	c = NewClient(Options{Timeout: -1})
	if c.Timeout != DefaultTimeout {
		t.Errorf("negative Timeout gives %v, want the default", c.Timeout)
	}

	// FollowRedirects false: the 3xx is returned as is.
	req, _ := http.NewRequest(http.MethodGet, "http://example.test/", nil)
	if err := NewClient(Options{}).CheckRedirect(req, []*http.Request{req}); !errors.Is(err, http.ErrUseLastResponse) {
		t.Errorf("CheckRedirect without FollowRedirects = %v", err)
	}
	if err := NewClient(Options{FollowRedirects: true}).CheckRedirect(req, []*http.Request{req}); err != nil {
		t.Errorf("CheckRedirect with FollowRedirects = %v", err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := NewClient(Options{Allow: mustAllow(t, "127.0.0.1"), Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := get(t, c, srv.URL)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("GET slow server: %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}
}

func TestSocketControl(t *testing.T) {
	allow := mustAllow(t, "127.0.0.1/32")
	ctl := socketControl(allow)
	for _, tt := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:80", true},
		{"93.184.215.14:443", true},
		{"[2606:4700::1111]:443", true},
		{"10.0.0.1:80", false},
		{"169.254.169.254:80", false},
		{"[::1]:80", false},
		{"not-an-address", false},
	} {
		err := ctl("tcp", tt.addr, nil)
		if (err == nil) != tt.ok {
			t.Errorf("control(%s) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
	}
}

func TestDialerRejectsOddInput(t *testing.T) {
	rec := newDialRecorder()
	g := &guard{resolver: newResolver(nil), dial: rec.DialContext}
	ctx := context.Background()
	for _, tt := range []struct{ network, addr string }{
		{"udp", "93.184.215.14:53"},
		{"tcp", "93.184.215.14"},
		{"tcp", "93.184.215.14:http"},
		{"tcp", "93.184.215.14:99999"},
		{"tcp4", "[2606:4700::1111]:80"},
		{"tcp6", "93.184.215.14:80"},
		{"tcp", "unknown.example.test:80"},
	} {
		conn, err := g.DialContext(ctx, tt.network, tt.addr)
		if err == nil {
			conn.Close()
			t.Errorf("DialContext(%s, %s) succeeded", tt.network, tt.addr)
		}
	}
	if d := rec.dialed(); len(d) != 0 {
		t.Errorf("dialed %v", d)
	}
}
