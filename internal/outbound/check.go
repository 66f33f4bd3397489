package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Errors returned by CheckURL besides *RefusedError, for errors.Is.
var (
	ErrInvalidURL  = errors.New("outbound: invalid URL")
	ErrScheme      = errors.New("outbound: URL must be absolute and use http or https")
	ErrNoHost      = errors.New("outbound: URL has no host")
	ErrCredentials = errors.New("outbound: URL must not contain credentials (user:password@)")
)

type rangeRule struct {
	prefix netip.Prefix
	reason string
}

func rules(reason string, prefixes ...string) []rangeRule {
	out := make([]rangeRule, len(prefixes))
	for i, p := range prefixes {
		out[i] = rangeRule{netip.MustParsePrefix(p), reason}
	}
	return out
}

const (
	reasonMetadata    = "cloud metadata address"
	reasonUnspecified = "unspecified address"
	reasonThisNetwork = "this-network address"
	reasonLoopback    = "loopback address"
	reasonPrivate     = "private address"
	reasonLinkLocal   = "link-local address"
	reasonCGNAT       = "shared (CGNAT) address"
	reasonMulticast   = "multicast address"
	reasonBroadcast   = "broadcast address"
	reasonReserved    = "reserved address"
	reasonIETF        = "IETF protocol assignment address"
	reasonBenchmark   = "benchmarking address"
	reasonDocs        = "documentation address"
	reasonSiteLocal   = "site-local address"
	reasonDiscard     = "discard-only address"
	reasonNAT64Local  = "NAT64 local-use address"
	reasonNotGlobal   = "reserved IPv6 address (outside global unicast 2000::/3)"
	reasonLocalhost   = "localhost name"
	reasonMalformed   = "malformed numeric IPv4 host"
	reasonInvalid     = "invalid address"
)

// denyV4 is checked in order; the first match gives the reason, so the more
// specific entries come first.
var denyV4 = slices.Concat(
	rules(reasonMetadata, "169.254.169.254/32", "100.100.100.200/32", "168.63.129.16/32"),
	rules(reasonUnspecified, "0.0.0.0/32"),
	rules(reasonBroadcast, "255.255.255.255/32"),
	rules(reasonThisNetwork, "0.0.0.0/8"),
	rules(reasonLoopback, "127.0.0.0/8"),
	rules(reasonPrivate, "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
	rules(reasonLinkLocal, "169.254.0.0/16"),
	rules(reasonCGNAT, "100.64.0.0/10"),
	rules(reasonMulticast, "224.0.0.0/4"),
	rules(reasonReserved, "240.0.0.0/4"),
	rules(reasonIETF, "192.0.0.0/24"),
	rules(reasonBenchmark, "198.18.0.0/15"),
	rules(reasonDocs, "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"),
)

// denyV6 holds the IPv6 ranges refused for themselves, before any embedded
// IPv4 address is looked at (so ::1 is "loopback", not 0.0.0.1).
var denyV6 = slices.Concat(
	rules(reasonMetadata, "fd00:ec2::254/128"),
	rules(reasonUnspecified, "::/128"),
	rules(reasonLoopback, "::1/128"),
	rules(reasonPrivate, "fc00::/7"),
	rules(reasonLinkLocal, "fe80::/10"),
	rules(reasonSiteLocal, "fec0::/10"),
	rules(reasonMulticast, "ff00::/8"),
	rules(reasonDocs, "2001:db8::/32", "3fff::/20"),
	rules(reasonBenchmark, "2001:2::/48"),
	rules(reasonDiscard, "100::/64"),
)

var (
	prefixMapped   = netip.MustParsePrefix("::ffff:0:0/96")
	prefixCompat   = netip.MustParsePrefix("::/96")
	prefixNAT64    = netip.MustParsePrefix("64:ff9b::/96")
	prefixNAT64L   = netip.MustParsePrefix("64:ff9b:1::/48")
	prefix6to4     = netip.MustParsePrefix("2002::/16")
	prefixTeredo   = netip.MustParsePrefix("2001::/32")
	prefixGlobalV6 = netip.MustParsePrefix("2000::/3")
	embeddingName  = map[netip.Prefix]string{
		prefixMapped: "IPv4-mapped IPv6",
		prefixCompat: "IPv4-compatible IPv6",
		prefixNAT64:  "NAT64",
		prefixNAT64L: "NAT64 local-use",
		prefix6to4:   "6to4",
		prefixTeredo: "Teredo",
	}
)

// embeddedIPv4 returns the IPv4 address embedded in an IPv6 address of one
// of the embedding forms, and the form's prefix.
func embeddedIPv4(a netip.Addr) (netip.Addr, netip.Prefix, bool) {
	if !a.Is6() {
		return netip.Addr{}, netip.Prefix{}, false
	}
	b := a.As16()
	last := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	switch {
	case prefixMapped.Contains(a):
		return last, prefixMapped, true
	case prefixCompat.Contains(a):
		return last, prefixCompat, true
	case prefixNAT64.Contains(a):
		return last, prefixNAT64, true
	case prefixNAT64L.Contains(a):
		// Operator-defined layout; the /96 layout (last 32 bits) is the
		// common one. Used for the allow list and the reason only: the
		// prefix itself is refused.
		return last, prefixNAT64L, true
	case prefix6to4.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), prefix6to4, true
	case prefixTeredo.Contains(a):
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), prefixTeredo, true
	}
	return netip.Addr{}, netip.Prefix{}, false
}

func ruleReason(a netip.Addr, rs []rangeRule) (string, bool) {
	for _, r := range rs {
		if r.prefix.Contains(a) {
			return r.reason, true
		}
	}
	return "", false
}

// Check reports whether addr may be connected to: nil, or a *RefusedError
// naming the refused range. An allowed prefix overrides the deny list for
// the addresses it contains, matched against addr (without zone), its
// unmapped form and the IPv4 address embedded in it, if any.
func Check(addr netip.Addr, allow []netip.Prefix) error {
	if !addr.IsValid() {
		return &RefusedError{Addr: addr, Reason: reasonInvalid}
	}
	a := addr.WithZone("")
	v4, form, embeds := embeddedIPv4(a)

	// Every form of the address, so that an allow entry written as IPv4
	// or as IPv4-mapped IPv6 matches either.
	candidates := []netip.Addr{a}
	if u := a.Unmap(); u.Is4() {
		candidates = append(candidates, u, netip.AddrFrom16(u.As16()))
	}
	if embeds {
		candidates = append(candidates, v4, netip.AddrFrom16(v4.As16()))
	}
	for _, p := range allow {
		for _, c := range candidates {
			if p.Contains(c) {
				return nil
			}
		}
	}

	refuse := func(reason string) error { return &RefusedError{Addr: addr, Reason: reason} }
	if a.Is4() {
		if reason, ok := ruleReason(a, denyV4); ok {
			return refuse(reason)
		}
		return nil
	}
	if reason, ok := ruleReason(a, denyV6); ok {
		return refuse(reason)
	}
	if embeds {
		if reason, ok := ruleReason(v4, denyV4); ok {
			return refuse(fmt.Sprintf("%s %s embedded in %s address", reason, v4, withArticle(embeddingName[form])))
		}
	}
	switch {
	case prefixNAT64L.Contains(a):
		return refuse(reasonNAT64Local)
	case prefixGlobalV6.Contains(a), prefixMapped.Contains(a), prefixCompat.Contains(a), prefixNAT64.Contains(a):
		return nil
	default:
		return refuse(reasonNotGlobal)
	}
}

// ParseAllowList parses a comma-separated list of CIDR prefixes such as
// "127.0.0.1/32, 10.20.0.0/16". A bare address means a single host (/32 or
// /128); spaces and empty entries are ignored, so "" is the empty list.
// Prefixes must not have host bits set ("10.0.0.1/8" is an error), and
// IPv4-mapped IPv6 prefixes are stored in their IPv4 form.
func ParseAllowList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(entry, "/") {
			var err error
			p, err = netip.ParsePrefix(entry)
			if err != nil {
				return nil, fmt.Errorf("outbound: allow list entry %q is not a CIDR prefix or IP address", entry)
			}
			if p.Masked() != p {
				return nil, fmt.Errorf("outbound: allow list entry %q has host bits set (did you mean %s?)", entry, p.Masked())
			}
		} else {
			a, err := netip.ParseAddr(entry)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("outbound: allow list entry %q is not a CIDR prefix or IP address", entry)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p)
	}
	return out, nil
}

// CheckURL is the save-time check: it rejects URLs that can never be
// fetched by the client, so that saving a workflow with one is a validation
// error. Rejected are: URLs that do not parse, are not absolute http or
// https, have no host, carry credentials (userinfo, even empty), have an
// invalid port, name localhost or *.localhost, use a non-canonical numeric
// IPv4 spelling, or have an IP literal host (also bracketed IPv6, with a
// zone, or an IPv4-embedding IPv6 form) in a refused range and not allowed.
// Non-ASCII hosts are checked as net/http will dial them, after its IDNA
// mapping (so "１２７.０.０.１" is 127.0.0.1). A host name passes even if
// it may resolve to a refused address: the dialer catches that at run time.
//
// Errors are *RefusedError for refused hosts, and otherwise wrap
// ErrInvalidURL, ErrScheme, ErrNoHost or ErrCredentials. Messages never
// repeat the URL, which may contain secrets.
func CheckURL(raw string, allow []netip.Prefix) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	if !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") {
		return ErrScheme
	}
	if u.User != nil {
		return ErrCredentials
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return ErrNoHost
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("%w: port %q out of range", ErrInvalidURL, p)
		}
	}
	host := u.Hostname()
	dialHost := host
	if !isASCII(host) {
		dialHost = transportHost(u)
	}
	if _, _, err := checkHost(dialHost, allow); err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			re.Host = host
		}
		return err
	}
	return nil
}

// checkHost applies the checks that need no DNS to a host as dialed (a name
// or an IP literal without brackets). For an IP literal it returns the
// address and isLiteral; for a name that may be resolved, neither.
func checkHost(host string, allow []netip.Prefix) (addr netip.Addr, isLiteral bool, err error) {
	if a, perr := netip.ParseAddr(host); perr == nil {
		if err := Check(a, allow); err != nil {
			var re *RefusedError
			if errors.As(err, &re) {
				re.Host = host
			}
			return netip.Addr{}, false, err
		}
		return a, true, nil
	}
	name := strings.ToLower(strings.TrimRight(host, "."))
	if name == "" {
		return netip.Addr{}, false, &RefusedError{Host: host, Reason: "empty host name"}
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return netip.Addr{}, false, &RefusedError{Host: host, Reason: reasonLocalhost}
	}
	if endsInNumber(name) {
		a, ok := parseLegacyIPv4(name)
		if !ok {
			return netip.Addr{}, false, &RefusedError{Host: host, Reason: reasonMalformed}
		}
		reason := "non-canonical IPv4 spelling"
		var re *RefusedError
		if errors.As(Check(a, nil), &re) {
			reason += " of " + withArticle(re.Reason)
		}
		return netip.Addr{}, false, &RefusedError{Host: host, Addr: a, Reason: reason}
	}
	return netip.Addr{}, false, nil
}

// endsInNumber reports whether the last dot-separated label of name is a
// number (decimal digits, or 0x followed by hex digits), as in the WHATWG
// URL standard: such a host is an IPv4 address or invalid, never a name.
func endsInNumber(name string) bool {
	label := name[strings.LastIndexByte(name, '.')+1:]
	if label == "" {
		return false
	}
	if h, ok := strings.CutPrefix(label, "0x"); ok {
		return strings.Trim(h, "0123456789abcdef") == ""
	}
	return strings.Trim(label, "0123456789") == ""
}

// parseLegacyIPv4 parses s as inet_aton does: one to four parts, each
// decimal, octal (leading 0) or hex (0x); the last part fills the remaining
// bytes (a, a.b with 24 bits, a.b.c with 16 bits, a.b.c.d). s is lower case.
func parseLegacyIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var vals []uint64
	for _, p := range parts {
		base, digits := 10, p
		switch {
		case strings.HasPrefix(p, "0x"):
			base, digits = 16, p[2:]
			if digits == "" {
				digits = "0" // inet_aton accepts a bare "0x" as 0
			}
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		if digits == "" || strings.ContainsAny(digits, "+-_") {
			return netip.Addr{}, false
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals = append(vals, v)
	}
	var n uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 0xff {
			return netip.Addr{}, false
		}
		n |= v << (24 - 8*i)
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(5-len(vals))) {
		return netip.Addr{}, false
	}
	n |= last
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// withArticle prefixes a reason with "a" or "an".
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// The IDNA mapping net/http applies before dialing (UTS #46, which turns
// fullwidth, mathematical or circled digits into ASCII ones) is not exported
// by the standard library. transportHost asks net/http itself: it sends the
// URL's host through a transport whose dialer only records the address and
// fails, so nothing ever leaves the process.
type probeKey struct{}

type probeResult struct {
	mu   sync.Mutex
	addr string
}

var errProbe = errors.New("outbound: address probe, never dials")

var probeTransport = &http.Transport{
	Proxy:             nil,
	DisableKeepAlives: true,
	DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
		if r, ok := ctx.Value(probeKey{}).(*probeResult); ok {
			r.mu.Lock()
			r.addr = addr
			r.mu.Unlock()
		}
		return nil, errProbe
	},
}

// transportHost returns the host net/http would dial for u, or u's host if
// it cannot tell.
func transportHost(u *url.URL) string {
	r := &probeResult{}
	ctx := context.WithValue(context.Background(), probeKey{}, r)
	req := (&http.Request{
		Method: http.MethodGet,
		URL:    &url.URL{Scheme: "http", Host: u.Host, Path: "/"},
		Header: make(http.Header),
	}).WithContext(ctx)
	if resp, err := probeTransport.RoundTrip(req); err == nil {
		resp.Body.Close() // unreachable: the probe dialer always fails
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if host, _, err := net.SplitHostPort(r.addr); err == nil {
		return host
	}
	return u.Hostname()
}
