// Package outbound is the one guarded HTTP client through which every
// outbound request of deskflow goes: webhooks, Slack, Microsoft Graph, the
// Shopify/Stripe connectors and the AI providers. Workflow admins control the
// URLs those requests go to, so the client is built to be impossible to turn
// against the host's own network (server-side request forgery, SSRF).
//
// # How requests are guarded
//
// The checks run at dial time, after DNS resolution, in the client's own
// DialContext. For every connection (the first request and every redirect
// hop alike) the dialer
//
//   - refuses "localhost" and every "*.localhost" name without resolving it;
//   - refuses numeric hosts that are not a canonical address: legacy IPv4
//     spellings that inet_aton and some resolvers accept (2130706433,
//     0x7f000001, 0177.0.0.1, 127.1, a trailing dot) are decoded as inet_aton
//     would, reported with the decoded address, and always refused as
//     ambiguous, even when the decoded address is public or allowed (write
//     the canonical dotted quad instead); a host whose last label is a
//     number but that is no valid address (1.2.3.4.5, 256.1.1.1, foo.123)
//     is refused as malformed;
//   - resolves a host name exactly once, checks EVERY returned address with
//     [Check] and refuses the whole connection if any answer is refused;
//   - then connects to the checked IP addresses themselves and never hands a
//     host name to the lower dialer, so DNS rebinding (a second, different
//     answer at connect time) cannot get through.
//
// The default lower dialer also re-checks the socket's final address in its
// Control hook, as a second line of defence.
//
// Proxy environment variables (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY) are
// ignored: the transport's Proxy is nil, so a proxy cannot route around the
// checks. Only the http and https schemes are supported. Ports are not
// restricted.
//
// # Refused ranges
//
// [Check] refuses, unless an allow-listed prefix contains the address:
//
//	loopback          127.0.0.0/8, ::1
//	private           10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7
//	link-local        169.254.0.0/16, fe80::/10
//	shared (CGNAT)    100.64.0.0/10
//	multicast         224.0.0.0/4, ff00::/8
//	unspecified       0.0.0.0/8 ("this network"), ::
//	broadcast         255.255.255.255
//	reserved          240.0.0.0/4
//	IETF protocol     192.0.0.0/24
//	benchmarking      198.18.0.0/15, 2001:2::/48
//	documentation     192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
//	                  2001:db8::/32, 3fff::/20
//	cloud metadata    169.254.169.254, fd00:ec2::254, 100.100.100.200,
//	                  168.63.129.16 (Azure WireServer)
//	site-local        fec0::/10 (deprecated)
//	discard-only      100::/64
//	NAT64 local-use   64:ff9b:1::/48 (the embedding inside it is operator
//	                  defined, so the whole prefix is refused)
//	other IPv6        anything outside global unicast 2000::/3 that is not
//	                  one of the IPv4-embedding forms below
//
// IPv6 addresses that embed an IPv4 address are unwrapped and the embedded
// address is checked too: IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96,
// NAT64 64:ff9b::/96, 6to4 2002::/16 (bits 16-47) and Teredo 2001::/32 (the
// client address, last 32 bits XOR 0xffffffff). A public address embedded in
// one of these forms is allowed, so DNS64/NAT64 hosts keep working.
//
// # Allow list
//
// An explicit allow list (see [ParseAllowList]) admits on-premise targets
// and tests' loopback servers. An allowed prefix overrides the deny list for
// every address it contains; it is matched against the address as given, its
// unmapped form and any embedded IPv4 address. It never re-admits localhost
// names or non-canonical numeric hosts.
//
// # Save-time check
//
// [CheckURL] rejects URLs that can never be allowed (wrong scheme, no host,
// credentials in the URL, localhost names, refused IP literals in any
// spelling), so that saving a workflow with one is a validation error. Host
// names that merely might resolve to a refused address pass: the dialer
// catches those at run time.
//
// # Limits
//
// The client returned by [NewClient] uses:
//
//	whole request (Options.Timeout)  30s by default, includes reading the body
//	dial (all addresses of a host)   10s, shared between the addresses
//	TLS handshake                    10s
//	response headers                 Options.Timeout
//	Expect: 100-continue             1s
//	idle connections                 100 in total, 10 per host, closed after 90s idle
//	response header size             1 MiB
//	redirects                        at most 5, and only with FollowRedirects
package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"syscall"
	"time"
)

const (
	// DefaultTimeout caps a whole request (connect, headers and body) when
	// Options.Timeout is not positive.
	DefaultTimeout = 30 * time.Second
	// MaxRedirects is the number of redirects followed when
	// Options.FollowRedirects is set.
	MaxRedirects = 5

	dialTimeout           = 10 * time.Second
	minAttemptTimeout     = 2 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	expectContinueTimeout = 1 * time.Second
	idleConnTimeout       = 90 * time.Second
	maxIdleConns          = 100
	maxIdleConnsPerHost   = 10
	maxResponseHeaderSize = 1 << 20
	keepAlive             = 30 * time.Second
)

// Resolver resolves host names to IP addresses. *net.Resolver satisfies it;
// tests inject fakes.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Options configures NewClient. The zero value is a production client with
// an empty allow list.
type Options struct {
	// Allow admits addresses that the deny list would refuse (on-premise
	// targets, tests' loopback servers). See ParseAllowList.
	Allow []netip.Prefix
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver Resolver
	// FollowRedirects makes the client follow at most MaxRedirects
	// redirects, each hop going through the same dial-time checks. When
	// false, a 3xx response is returned as is.
	FollowRedirects bool
	// Timeout caps the whole request, body included; zero or negative
	// means DefaultTimeout.
	Timeout time.Duration
	// DialContext is the raw dialer used AFTER the checks, always with an
	// "ip:port" address; nil means a net.Dialer. Tests inject it to count
	// and inspect connection attempts.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSClientConfig is used for https requests (tests pass the
	// httptest server's roots); nil means the system defaults. It is
	// cloned.
	TLSClientConfig *tls.Config
}

// RefusedError reports a connection the guard refused. It is returned
// wrapped in *net.OpError (and *url.Error by http.Client), so use errors.As.
type RefusedError struct {
	// Host is the host as requested (a name or an IP literal); empty when
	// the error comes from Check.
	Host string
	// Addr is the refused address; the zero Addr for refused names
	// (localhost) and malformed numeric hosts.
	Addr netip.Addr
	// Reason says why, e.g. "loopback address", "cloud metadata address".
	Reason string
}

// Error returns e.g.
// "outbound: refused to connect to 169.254.169.254 (cloud metadata address)"
// or, for a name, "outbound: refused to connect to intranet.example (10.0.0.5: private address)".
func (e RefusedError) Error() string {
	switch {
	case e.Host == "" && !e.Addr.IsValid():
		return "outbound: refused to connect (" + e.Reason + ")"
	case e.Host == "":
		return fmt.Sprintf("outbound: refused to connect to %s (%s)", e.Addr, e.Reason)
	case !e.Addr.IsValid() || e.Addr.String() == e.Host:
		return fmt.Sprintf("outbound: refused to connect to %s (%s)", e.Host, e.Reason)
	default:
		return fmt.Sprintf("outbound: refused to connect to %s (%s: %s)", e.Host, e.Addr, e.Reason)
	}
}

// NewClient returns the guarded HTTP client. See the package documentation
// for the checks and limits it applies.
func NewClient(opts Options) *http.Client {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	allow := slices.Clone(opts.Allow)
	var resolver Resolver = net.DefaultResolver
	if opts.Resolver != nil {
		resolver = opts.Resolver
	}
	raw := opts.DialContext
	if raw == nil {
		d := &net.Dialer{
			Timeout:   dialTimeout,
			KeepAlive: keepAlive,
			Control:   socketControl(allow),
		}
		raw = d.DialContext
	}
	g := &guard{allow: allow, resolver: resolver, dial: raw}
	tr := &http.Transport{
		Proxy:                  nil, // never honour HTTP(S)_PROXY: it would bypass the checks
		DialContext:            g.DialContext,
		TLSClientConfig:        opts.TLSClientConfig.Clone(),
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  expectContinueTimeout,
		IdleConnTimeout:        idleConnTimeout,
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		MaxResponseHeaderBytes: maxResponseHeaderSize,
	}
	follow := opts.FollowRedirects
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !follow {
				return http.ErrUseLastResponse
			}
			if len(via) > MaxRedirects { // via holds the original request and every hop so far
				return fmt.Errorf("outbound: stopped after %d redirects", MaxRedirects)
			}
			if s := req.URL.Scheme; s != "http" && s != "https" {
				return fmt.Errorf("outbound: refusing redirect to scheme %q", s)
			}
			// The target's address is checked by the dialer.
			return nil
		},
	}
}

// guard is the checking DialContext of the transport.
type guard struct {
	allow    []netip.Prefix
	resolver Resolver
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
}

// DialContext resolves address once, checks every resolved IP and dials the
// checked IPs. Its own errors come wrapped in *net.OpError like net.Dial's.
func (g *guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	addrs, port, err := g.resolve(ctx, network, address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	deadline := time.Now().Add(dialTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var firstErr error
	for i, a := range addrs {
		// Share the remaining dial time between the remaining
		// addresses, like net.Dialer does.
		attempt := time.Until(deadline) / time.Duration(len(addrs)-i)
		if attempt < minAttemptTimeout {
			attempt = min(minAttemptTimeout, time.Until(deadline))
		}
		actx, cancel := context.WithTimeout(ctx, attempt)
		conn, err := g.dial(actx, network, netip.AddrPortFrom(a, port).String())
		cancel()
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil || time.Until(deadline) <= 0 {
			break
		}
	}
	return nil, firstErr
}

// resolve turns a "host:port" dial address into checked IP addresses. It
// refuses the whole host if any address is refused.
func (g *guard) resolve(ctx context.Context, network, address string) ([]netip.Addr, uint16, error) {
	var lookupNet string
	switch network {
	case "tcp":
		lookupNet = "ip"
	case "tcp4":
		lookupNet = "ip4"
	case "tcp6":
		lookupNet = "ip6"
	default:
		return nil, 0, fmt.Errorf("outbound: unsupported network %q", network)
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, 0, fmt.Errorf("outbound: bad dial address %q: %w", address, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("outbound: bad port %q", portStr)
	}
	lit, isLit, err := checkHost(host, g.allow)
	if err != nil {
		return nil, 0, err
	}
	var addrs []netip.Addr
	if isLit {
		addrs = []netip.Addr{lit}
	} else {
		addrs, err = g.resolver.LookupNetIP(ctx, lookupNet, host)
		if err != nil {
			return nil, 0, err
		}
	}
	// Check every answer first: one refused answer refuses the host.
	for _, a := range addrs {
		if err := Check(a, g.allow); err != nil {
			var re *RefusedError
			if errors.As(err, &re) {
				re.Host = host
			}
			return nil, 0, err
		}
	}
	var out []netip.Addr
	for _, a := range addrs {
		if a.Is4In6() {
			a = a.Unmap()
		}
		if (lookupNet == "ip4" && !a.Is4()) || (lookupNet == "ip6" && !a.Is6()) || slices.Contains(out, a) {
			continue
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, 0, &net.DNSError{Err: "no suitable address", Name: host, IsNotFound: true}
	}
	return out, uint16(port), nil
}

// socketControl is the default dialer's Control hook, a second line of
// defence: the address the socket is about to connect to, as the kernel will
// see it, is checked again.
func socketControl(allow []netip.Prefix) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &RefusedError{Host: address, Reason: "unparsable socket address"}
		}
		if err := Check(ap.Addr(), allow); err != nil {
			return err
		}
		return nil
	}
}
