package outbound

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// FuzzCheckURL: CheckURL never panics, and any URL it accepts is an http(s)
// URL without credentials whose host, as net/http would dial it, is not a
// localhost name, not a non-canonical numeric IPv4 spelling and, when it is
// an IP literal, not in a refused range. The dialer agrees: for an accepted
// URL it never hands a refused address to the raw dialer.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://hooks.slack.com/services/T000/B000/XXXX",
		"http://example.com:8080/path?q=1#frag",
		"http://127.0.0.1/",
		"http://[::1]:80/",
		"http://[::ffff:169.254.169.254]/",
		"http://[64:ff9b::a9fe:a9fe]/",
		"http://[2002:a9fe:a9fe::1]/",
		"http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",
		"http://[fe80::1%25eth0]/",
		"http://2130706433/",
		"http://0x7f000001/",
		"http://0177.0.0.1/",
		"http://127.1/",
		"http://127.0.0.1./",
		"http://localhost./",
		"http://foo.LOCALHOST/",
		"http://user:pass@example.com/",
		"http://１２７.０.０.１/",
		"http://ｌｏｃａｌｈｏｓｔ/",
		"https://münchen.example/",
		"ftp://example.com/",
		"http:example.com",
		"http://93.184.215.14:65535/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if err := CheckURL(raw, nil); err != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted %q which does not parse: %v", raw, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("accepted %q with scheme %q", raw, u.Scheme)
		}
		if u.User != nil {
			t.Fatalf("accepted %q with credentials", raw)
		}
		host := u.Hostname()
		if host == "" {
			t.Fatalf("accepted %q without host", raw)
		}
		if !isASCII(host) {
			host = transportHost(u)
		}
		if a, err := netip.ParseAddr(host); err == nil {
			if err := Check(a, nil); err != nil {
				t.Fatalf("accepted %q whose host is refused: %v", raw, err)
			}
		} else {
			name := strings.ToLower(strings.TrimRight(host, "."))
			if name == "localhost" || strings.HasSuffix(name, ".localhost") {
				t.Fatalf("accepted %q with a localhost host", raw)
			}
			if a, ok := parseLegacyIPv4(name); ok {
				t.Fatalf("accepted %q, a non-canonical spelling of %s", raw, a)
			}
		}

		// The dialer, fed what net/http would dial, only ever connects
		// to checked addresses. Names resolve to a public address here.
		checkDialer(t, host, netip.MustParseAddr("93.184.215.14"))
	})
}

// FuzzDial: whatever the host and whatever the resolver answers, the raw
// dialer only ever receives an "ip:port" whose IP passes Check.
func FuzzDial(f *testing.F) {
	f.Add("example.com", []byte{10, 0, 0, 1})
	f.Add("example.com", []byte{93, 184, 215, 14})
	f.Add("127.0.0.1", []byte{})
	f.Add("localhost", []byte{93, 184, 215, 14})
	f.Add("0x7f000001", []byte{})
	f.Add("ex.test", []byte{0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 169, 254, 169, 254})
	f.Add("ex.test", []byte{0x20, 0x02, 0x0a, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, host string, resolved []byte) {
		var answer netip.Addr
		switch len(resolved) {
		case 4:
			answer = netip.AddrFrom4([4]byte(resolved))
		case 16:
			answer = netip.AddrFrom16([16]byte(resolved))
		}
		checkDialer(t, host, answer)
	})
}

// checkDialer dials host through the guard with a resolver answering
// answer (if valid) and fails if the raw dialer is ever given a refused
// address, or anything but an IP:port.
func checkDialer(t *testing.T, host string, answer netip.Addr) {
	t.Helper()
	r := &fakeResolver{answers: map[string][]netip.Addr{}}
	if answer.IsValid() {
		r.answers[strings.ToLower(host)] = []netip.Addr{answer}
	}
	rec := newDialRecorder()
	g := &guard{resolver: r, dial: rec.DialContext}
	if conn, err := g.DialContext(context.Background(), "tcp", net.JoinHostPort(host, "80")); err == nil {
		conn.Close()
		t.Fatalf("fake dial succeeded for %q", host)
	}
	for _, d := range rec.dialed() {
		ap, err := netip.ParseAddrPort(d)
		if err != nil {
			t.Fatalf("raw dialer got %q for host %q, not an IP:port", d, host)
		}
		if err := Check(ap.Addr(), nil); err != nil {
			t.Fatalf("raw dialer got refused %s for host %q: %v", d, host, err)
		}
	}
}
