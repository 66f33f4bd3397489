package outbound

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func mustAllow(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	p, err := ParseAllowList(s)
	if err != nil {
		t.Fatalf("ParseAllowList(%q): %v", s, err)
	}
	return p
}

func TestCheck(t *testing.T) {
	tests := []struct {
		addr   string
		allow  string
		reason string // "" = allowed; otherwise a substring of the reason
	}{
		// loopback
		{"127.0.0.1", "", "loopback address"},
		{"127.255.255.254", "", "loopback address"},
		{"::1", "", "loopback address"},
		// private
		{"10.0.0.1", "", "private address"},
		{"10.255.255.255", "", "private address"},
		{"172.16.0.1", "", "private address"},
		{"172.31.255.255", "", "private address"},
		{"192.168.1.1", "", "private address"},
		{"fc00::1", "", "private address"},
		{"fd12:3456::1", "", "private address"},
		// link-local
		{"169.254.1.1", "", "link-local address"},
		{"fe80::1", "", "link-local address"},
		{"fe80::1%eth0", "", "link-local address"},
		{"febf:ffff::1", "", "link-local address"},
		// CGNAT
		{"100.64.0.1", "", "shared (CGNAT) address"},
		{"100.127.255.255", "", "shared (CGNAT) address"},
		// multicast
		{"224.0.0.1", "", "multicast address"},
		{"239.255.255.250", "", "multicast address"},
		{"ff02::1", "", "multicast address"},
		{"ff0e::1", "", "multicast address"},
		// unspecified, this network, broadcast, reserved
		{"0.0.0.0", "", "unspecified address"},
		{"0.1.2.3", "", "this-network address"},
		{"::", "", "unspecified address"},
		{"255.255.255.255", "", "broadcast address"},
		{"240.0.0.1", "", "reserved address"},
		{"250.1.2.3", "", "reserved address"},
		// IETF, benchmarking, documentation
		{"192.0.0.8", "", "IETF protocol assignment address"},
		{"198.18.0.1", "", "benchmarking address"},
		{"198.19.255.255", "", "benchmarking address"},
		{"2001:2::1", "", "benchmarking address"},
		{"192.0.2.1", "", "documentation address"},
		{"198.51.100.7", "", "documentation address"},
		{"203.0.113.9", "", "documentation address"},
		{"2001:db8::1", "", "documentation address"},
		{"3fff::1", "", "documentation address"},
		// cloud metadata
		{"169.254.169.254", "", "cloud metadata address"},
		{"fd00:ec2::254", "", "cloud metadata address"},
		{"100.100.100.200", "", "cloud metadata address"},
		{"168.63.129.16", "", "cloud metadata address"},
		// other non-global IPv6
		{"fec0::1", "", "site-local address"},
		{"100::1", "", "discard-only address"},
		{"1::1", "", "outside global unicast"},
		{"4000::1", "", "outside global unicast"},
		{"::ffff:0:102:304", "", "outside global unicast"}, // SIIT ::ffff:0:0:0/96
		// IPv4-mapped
		{"::ffff:127.0.0.1", "", "loopback address 127.0.0.1 embedded in an IPv4-mapped IPv6 address"},
		{"::ffff:169.254.169.254", "", "cloud metadata address 169.254.169.254 embedded"},
		{"::ffff:a9fe:a9fe", "", "cloud metadata address"},
		{"::ffff:10.0.0.1", "", "private address"},
		// IPv4-compatible
		{"::127.0.0.1", "", "loopback address 127.0.0.1 embedded in an IPv4-compatible"},
		{"::10.0.0.1", "", "private address"},
		{"::0.0.0.2", "", "this-network address"},
		// NAT64
		{"64:ff9b::a9fe:a9fe", "", "cloud metadata address 169.254.169.254 embedded in a NAT64 address"},
		{"64:ff9b::10.0.0.1", "", "private address"},
		{"64:ff9b::7f00:1", "", "loopback address"},
		{"64:ff9b:1::a00:1", "", "private address 10.0.0.1 embedded in a NAT64 local-use"},
		{"64:ff9b:1::808:808", "", "NAT64 local-use address"},
		{"64:ff9b:1:ab:cd::", "", "NAT64 local-use address"},
		// 6to4: IPv4 in bits 16-47
		{"2002:7f00:1::1", "", "loopback address 127.0.0.1 embedded in a 6to4 address"},
		{"2002:a9fe:a9fe::", "", "cloud metadata address"},
		{"2002:c0a8:101::1", "", "private address 192.168.1.1"},
		// Teredo: client IPv4 is the last 32 bits XOR 0xffffffff
		{"2001:0:4136:e378:8000:63bf:f5ff:fffe", "", "private address 10.0.0.1 embedded in a Teredo address"},
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", "", "loopback address 127.0.0.1"},
		{"2001:0:4136:e378:8000:63bf:5601:5601", "", "cloud metadata address 169.254.169.254"},

		// public: allowed
		{"8.8.8.8", "", ""},
		{"93.184.215.14", "", ""},
		{"1.1.1.1", "", ""},
		{"11.0.0.1", "", ""},
		{"9.255.255.255", "", ""},
		{"172.15.255.255", "", ""},
		{"172.32.0.1", "", ""},
		{"192.167.255.255", "", ""},
		{"192.169.0.0", "", ""},
		{"100.63.255.255", "", ""},
		{"100.128.0.0", "", ""},
		{"169.253.255.255", "", ""},
		{"169.255.0.0", "", ""},
		{"192.0.1.255", "", ""},
		{"198.17.255.255", "", ""},
		{"198.20.0.0", "", ""},
		{"223.255.255.255", "", ""},
		{"2606:4700::1111", "", ""},
		{"2001:4860:4860::8888", "", ""},
		{"::ffff:8.8.8.8", "", ""},
		{"::8.8.8.8", "", ""},
		{"64:ff9b::808:808", "", ""},
		{"2002:808:808::1", "", ""},
		{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", "", ""}, // Teredo client 8.8.8.8

		// allow list overrides, also on the unwrapped address
		{"127.0.0.1", "127.0.0.1/32", ""},
		{"127.0.0.2", "127.0.0.1/32", "loopback address"},
		{"::ffff:127.0.0.1", "127.0.0.1/32", ""},
		{"::127.0.0.1", "127.0.0.1", ""},
		{"64:ff9b::7f00:1", "127.0.0.1/32", ""},
		{"2002:7f00:1::1", "127.0.0.1/32", ""},
		{"10.20.3.4", "10.20.0.0/16", ""},
		{"64:ff9b:1::a14:304", "10.20.0.0/16", ""},
		{"10.21.0.1", "10.20.0.0/16", "private address"},
		{"::1", "::1", ""},
		{"fe80::1%eth0", "fe80::/10", ""},
		{"fd00:ec2::254", "fd00::/8", ""},
		{"169.254.169.254", "10.0.0.0/8, 127.0.0.1", "cloud metadata address"},
	}
	for _, tt := range tests {
		t.Run(tt.addr+"_"+tt.allow, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			err := Check(addr, mustAllow(t, tt.allow))
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Check(%s) = %v, want allowed", tt.addr, err)
				}
				return
			}
			var re *RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("Check(%s) = %v, want *RefusedError", tt.addr, err)
			}
			if !strings.Contains(re.Reason, tt.reason) {
				t.Errorf("Check(%s) reason = %q, want it to contain %q", tt.addr, re.Reason, tt.reason)
			}
			if re.Addr != addr {
				t.Errorf("Check(%s) Addr = %v", tt.addr, re.Addr)
			}
		})
	}
}

func TestCheckRawAllowPrefixes(t *testing.T) {
	// Prefixes built by hand (not through ParseAllowList) still match the
	// other form of an IPv4 address.
	mapped := []netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.1/128")}
	if err := Check(netip.MustParseAddr("127.0.0.1"), mapped); err != nil {
		t.Errorf("127.0.0.1 with ::ffff:127.0.0.1/128 allowed: %v", err)
	}
	if err := Check(netip.Addr{}, nil); err == nil || !strings.Contains(err.Error(), "invalid address") {
		t.Errorf("Check(zero Addr) = %v, want invalid address refusal", err)
	}
}

func TestRefusedErrorMessage(t *testing.T) {
	tests := []struct {
		err  RefusedError
		want string
	}{
		{RefusedError{Addr: netip.MustParseAddr("169.254.169.254"), Reason: "cloud metadata address"},
			"outbound: refused to connect to 169.254.169.254 (cloud metadata address)"},
		{RefusedError{Host: "169.254.169.254", Addr: netip.MustParseAddr("169.254.169.254"), Reason: "cloud metadata address"},
			"outbound: refused to connect to 169.254.169.254 (cloud metadata address)"},
		{RefusedError{Host: "intranet.example.test", Addr: netip.MustParseAddr("10.0.0.5"), Reason: "private address"},
			"outbound: refused to connect to intranet.example.test (10.0.0.5: private address)"},
		{RefusedError{Host: "localhost", Reason: "localhost name"},
			"outbound: refused to connect to localhost (localhost name)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		// The pointer (what the package returns) has the same message.
		if got := (&tt.err).Error(); got != tt.want {
			t.Errorf("(*RefusedError).Error() = %q, want %q", got, tt.want)
		}
	}
	err := Check(netip.MustParseAddr("169.254.169.254"), nil)
	if got, want := err.Error(), "outbound: refused to connect to 169.254.169.254 (cloud metadata address)"; got != want {
		t.Errorf("Check error = %q, want %q", got, want)
	}
}

func TestParseAllowList(t *testing.T) {
	good := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"127.0.0.1/32,10.20.0.0/16", []string{"127.0.0.1/32", "10.20.0.0/16"}},
		{" 127.0.0.1/32 , 10.20.0.0/16 ", []string{"127.0.0.1/32", "10.20.0.0/16"}},
		{"127.0.0.1", []string{"127.0.0.1/32"}},
		{"::1", []string{"::1/128"}},
		{"fd00::/8, 2001:db8::1", []string{"fd00::/8", "2001:db8::1/128"}},
		{"::ffff:10.0.0.0/104", []string{"10.0.0.0/8"}},
		{"::ffff:127.0.0.1", []string{"127.0.0.1/32"}},
		{"10.0.0.0/8,,", []string{"10.0.0.0/8"}},
		{"0.0.0.0/0", []string{"0.0.0.0/0"}},
	}
	for _, tt := range good {
		got, err := ParseAllowList(tt.in)
		if err != nil {
			t.Errorf("ParseAllowList(%q) error: %v", tt.in, err)
			continue
		}
		var gs []string
		for _, p := range got {
			gs = append(gs, p.String())
		}
		if !slices.Equal(gs, tt.want) {
			t.Errorf("ParseAllowList(%q) = %v, want %v", tt.in, gs, tt.want)
		}
	}

	bad := []struct {
		in      string
		mention string // the error must name the bad entry
	}{
		{"10.0.0.0/33", `"10.0.0.0/33"`},
		{"10.0.0.1/8", "did you mean 10.0.0.0/8"},
		{"example.com", `"example.com"`},
		{"127.1", `"127.1"`},
		{"2130706433", `"2130706433"`},
		{"10.0.0.0/8;", `"10.0.0.0/8;"`},
		{"fe80::1%eth0", `"fe80::1%eth0"`},
		{"127.0.0.1/32, bogus", `"bogus"`},
		{"127.0.0.1/32 10.0.0.0/8", `"127.0.0.1/32 10.0.0.0/8"`},
	}
	for _, tt := range bad {
		got, err := ParseAllowList(tt.in)
		if err == nil {
			t.Errorf("ParseAllowList(%q) = %v, want error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("ParseAllowList(%q) error %q does not mention %s", tt.in, err, tt.mention)
		}
	}
}

func TestCheckURL(t *testing.T) {
	type want struct {
		sentinel error  // errors.Is target
		reason   string // or a *RefusedError whose reason contains this
	}
	refusedAs := func(reason string) want { return want{reason: reason} }
	is := func(err error) want { return want{sentinel: err} }

	bad := []struct {
		url   string
		allow string
		want  want
	}{
		// not absolute http(s)
		{"", "", is(ErrScheme)},
		{"ftp://example.com/", "", is(ErrScheme)},
		{"file:///etc/passwd", "", is(ErrScheme)},
		{"gopher://example.com:70/", "", is(ErrScheme)},
		{"javascript:alert(1)", "", is(ErrScheme)},
		{"//example.com/x", "", is(ErrScheme)},
		{"example.com/path", "", is(ErrScheme)},
		{"/relative/path", "", is(ErrScheme)},
		// missing host
		{"http:example.com", "", is(ErrNoHost)},
		{"http:///path", "", is(ErrNoHost)},
		{"https://:443/", "", is(ErrNoHost)},
		{"http://", "", is(ErrNoHost)},
		// credentials
		{"http://user:pass@example.com/", "", is(ErrCredentials)},
		{"http://user@example.com/", "", is(ErrCredentials)},
		{"https://@example.com/", "", is(ErrCredentials)},
		{"http://example.com\\@evil.test/", "", is(ErrInvalidURL)},
		// malformed
		{"http://exa mple.com/", "", is(ErrInvalidURL)},
		{"http://example.com:abc/", "", is(ErrInvalidURL)},
		{"http://example.com:0/", "", is(ErrInvalidURL)},
		{"http://example.com:70000/", "", is(ErrInvalidURL)},
		{"http://[::1/", "", is(ErrInvalidURL)},
		// localhost names
		{"http://localhost/", "", refusedAs("localhost name")},
		{"http://LOCALHOST:8080/", "", refusedAs("localhost name")},
		{"http://localhost./", "", refusedAs("localhost name")},
		{"http://foo.localhost/", "", refusedAs("localhost name")},
		{"https://a.b.LocalHost./x", "", refusedAs("localhost name")},
		{"http://localhost:8080/", "127.0.0.1/32", refusedAs("localhost name")},
		// IP literals in refused ranges
		{"http://127.0.0.1/", "", refusedAs("loopback address")},
		{"http://127.0.0.1:8080/x?y=1", "", refusedAs("loopback address")},
		{"http://[::1]/", "", refusedAs("loopback address")},
		{"http://[::1%25lo]:8080/", "", refusedAs("loopback address")},
		{"http://10.0.0.1/", "", refusedAs("private address")},
		{"http://172.16.0.1/", "", refusedAs("private address")},
		{"http://192.168.1.1/", "", refusedAs("private address")},
		{"http://100.64.0.1/", "", refusedAs("shared (CGNAT) address")},
		{"http://0.0.0.0/", "", refusedAs("unspecified address")},
		{"http://169.254.169.254/latest/meta-data/", "", refusedAs("cloud metadata address")},
		{"http://100.100.100.200/", "", refusedAs("cloud metadata address")},
		{"http://[fd00:ec2::254]/", "", refusedAs("cloud metadata address")},
		{"http://[fe80::1%25eth0]/", "", refusedAs("link-local address")},
		{"http://[::ffff:169.254.169.254]/", "", refusedAs("cloud metadata address")},
		{"http://[::ffff:a9fe:a9fe]/", "", refusedAs("cloud metadata address")},
		{"http://[64:ff9b::a9fe:a9fe]/", "", refusedAs("cloud metadata address")},
		{"http://[2002:a9fe:a9fe::1]/", "", refusedAs("cloud metadata address")},
		{"http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/", "", refusedAs("private address")},
		{"http://10.0.0.1/", "127.0.0.1/32", refusedAs("private address")},
		// legacy numeric spellings: decoded as inet_aton would, always refused
		{"http://2130706433/", "", refusedAs("non-canonical IPv4 spelling of a loopback address")},
		{"http://0x7f000001/", "", refusedAs("non-canonical IPv4 spelling of a loopback address")},
		{"http://0X7F000001/", "", refusedAs("non-canonical IPv4 spelling of a loopback address")},
		{"http://0177.0.0.1/", "", refusedAs("non-canonical IPv4 spelling of a loopback address")},
		{"http://017700000001/", "", refusedAs("non-canonical IPv4 spelling of a loopback address")},
		{"http://0x7f.0.0.1/", "", refusedAs("non-canonical IPv4 spelling of a loopback address")},
		{"http://127.1/", "", refusedAs("non-canonical IPv4 spelling of a loopback address")},
		{"http://127.0.1/", "", refusedAs("non-canonical IPv4 spelling of a loopback address")},
		{"http://127.0.0.1./", "", refusedAs("non-canonical IPv4 spelling of a loopback address")},
		{"http://0/", "", refusedAs("non-canonical IPv4 spelling of an unspecified address")},
		{"http://2852039166/", "", refusedAs("non-canonical IPv4 spelling of a cloud metadata address")},
		{"http://127.1/", "127.0.0.1/32", refusedAs("non-canonical IPv4 spelling")},
		{"http://134744072/", "", refusedAs("non-canonical IPv4 spelling")}, // 8.8.8.8: ambiguous, refused too
		{"http://1.2.3.4.5/", "", refusedAs("malformed numeric IPv4 host")},
		{"http://256.1.1.1/", "", refusedAs("malformed numeric IPv4 host")},
		{"http://08.8.8.8/", "", refusedAs("malformed numeric IPv4 host")},
		{"http://4294967296/", "", refusedAs("malformed numeric IPv4 host")},
		{"http://foo.123/", "", refusedAs("malformed numeric IPv4 host")},
		// non-ASCII spellings that net/http's IDNA mapping turns into ASCII
		{"http://１２７.０.０.１/", "", refusedAs("loopback address")},
		{"http://127。0。0。1/", "", refusedAs("loopback address")},
		{"http://①⑥⑨.②⑤④.①⑥⑨.②⑤④/", "", refusedAs("cloud metadata address")},
		{"http://ｌｏｃａｌｈｏｓｔ/", "", refusedAs("localhost name")},
	}
	for _, tt := range bad {
		t.Run(tt.url, func(t *testing.T) {
			err := CheckURL(tt.url, mustAllow(t, tt.allow))
			if err == nil {
				t.Fatalf("CheckURL(%q) = nil, want error", tt.url)
			}
			if tt.want.sentinel != nil {
				if !errors.Is(err, tt.want.sentinel) {
					t.Fatalf("CheckURL(%q) = %v, want errors.Is %v", tt.url, err, tt.want.sentinel)
				}
				return
			}
			var re *RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("CheckURL(%q) = %v, want *RefusedError", tt.url, err)
			}
			if !strings.Contains(re.Reason, tt.want.reason) {
				t.Errorf("CheckURL(%q) reason = %q, want %q", tt.url, re.Reason, tt.want.reason)
			}
			if re.Host == "" {
				t.Errorf("CheckURL(%q): RefusedError without Host", tt.url)
			}
		})
	}

	good := []struct{ url, allow string }{
		{"https://hooks.slack.com/services/T000/B000/XXXX", ""},
		{"https://graph.microsoft.com/v1.0/me", ""},
		{"http://example.com:8080/path?q=1#frag", ""},
		{"HTTPS://Example.COM/", ""},
		{"https://93.184.215.14/", ""},
		{"https://[2606:4700::1111]:8443/", ""},
		{"http://[::ffff:8.8.8.8]/", ""},
		{"http://[64:ff9b::808:808]/", ""},
		{"https://intranet.example.test/", ""}, // may resolve privately: the dialer decides
		{"http://1password.com/", ""},
		{"http://123.example.com/", ""},
		{"http://0x7f.example/", ""},
		{"https://münchen.example/", ""},
		{"https://xn--mnchen-3ya.example/", ""},
		{"http://127.0.0.1:8080/", "127.0.0.1/32"},
		{"http://[::ffff:127.0.0.1]:8080/", "127.0.0.1/32"},
		{"http://10.20.1.2/hook", "10.20.0.0/16"},
		{"http://[fd00:ec2::254]/", "fd00::/8"},
	}
	for _, tt := range good {
		if err := CheckURL(tt.url, mustAllow(t, tt.allow)); err != nil {
			t.Errorf("CheckURL(%q, %q) = %v, want nil", tt.url, tt.allow, err)
		}
	}
}

func TestCheckURLDoesNotLeakCredentials(t *testing.T) {
	for _, raw := range []string{
		"http://user:s3cret@example.com/",
		"ftp://user:s3cret@example.com/",
		"http://user:s3cret@exa mple.com/",
		"http://user:s3cret@example.com:bad/",
	} {
		err := CheckURL(raw, nil)
		if err == nil {
			t.Errorf("CheckURL(%q) = nil, want error", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("CheckURL(%q) error leaks the password: %v", raw, err)
		}
	}
}

func TestParseLegacyIPv4(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = not an inet_aton address
	}{
		{"2130706433", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"0177.0.0.01", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"10.1.65535", "10.1.255.255"},
		{"10.16777215", "10.255.255.255"},
		{"0x0a.0x00.0x00.0x01", "10.0.0.1"},
		{"0x", "0.0.0.0"},
		{"0", "0.0.0.0"},
		{"4294967295", "255.255.255.255"},
		{"4294967296", ""},
		{"256.0.0.1", ""},
		{"1.2.3.256", ""},
		{"1.2.65536", ""},
		{"1.2.3.4.5", ""},
		{"08", ""},
		{"0xg", ""},
		{"1..2", ""},
		{"a.1", ""},
		{"+1", ""},
	}
	for _, tt := range tests {
		got, ok := parseLegacyIPv4(tt.in)
		switch {
		case tt.want == "" && ok:
			t.Errorf("parseLegacyIPv4(%q) = %v, want failure", tt.in, got)
		case tt.want != "" && (!ok || got.String() != tt.want):
			t.Errorf("parseLegacyIPv4(%q) = %v, %v; want %s", tt.in, got, ok, tt.want)
		}
	}
}
