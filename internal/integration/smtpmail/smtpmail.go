// Package smtpmail is the "smtp" connector type and the SMTP client behind
// the send_reply and send_email actions.
//
// # Connector
//
// Settings:
//
//	host                  required; a host name (ASCII, IDN in punycode) or
//	                      an IP address (IPv6 with or without brackets)
//	port                  required; 1–65535 (587 for STARTTLS submission,
//	                      465 for implicit TLS)
//	security              "starttls" (default): plain connection upgraded
//	                      with STARTTLS, which is then required (a server
//	                      that does not offer it is an error, never a
//	                      silent downgrade); "tls": TLS from the first byte
//	                      (SMTPS, port 465); "none": no encryption at all,
//	                      only allowed when host is a loopback IP address
//	                      (127.0.0.0/8 or ::1), for a relay on the same
//	                      machine. "localhost" is not accepted as a host:
//	                      the outbound guard refuses localhost names.
//	from_address          required; the sender address (envelope and From)
//	from_name             optional display name of the sender
//	insecure_skip_verify  default false; skips TLS certificate verification.
//	                      For tests with self-signed certificates only: it
//	                      makes TLS worthless against an active attacker
//	                      (who then reads the password), never use it in
//	                      production.
//
// Credentials (both optional): username and password for SMTP AUTH (PLAIN,
// or LOGIN when the server does not offer PLAIN). A username without a
// password, or a password without a username, is an error when the
// connector is tested or used (connector.Type cannot check credentials
// together at save time). Credentials are only ever sent over TLS, or to a
// loopback address with security "none"; they never appear in errors.
//
// # Reaching the server
//
// Connections obey deskflow's SSRF rules: the host is first checked with
// the same save-time check as URLs (CheckURL on "https://host:port/"), then
// dialed with the dial function of the guarded outbound HTTP client (see
// package outbound): that dialer resolves the name once, refuses private,
// loopback, link-local and metadata addresses unless allow-listed, and
// connects to the checked IP itself, so DNS rebinding is caught as for HTTP.
// When no guarded client is available (its transport is not an
// *http.Transport), a net.Dialer whose Control hook refuses every address of
// outbound's deny list, without any allow list, is used instead.
//
// # Messages
//
// Messages are plain text (text/plain; charset=utf-8, quoted-printable),
// with a Message-ID, optional In-Reply-To and References for threading,
// and Auto-Submitted (RFC 3834) so that auto-responders do not answer them.
// Header values never carry CR or LF: subjects have every control character
// (CR, LF, tab, …) replaced by a space and are RFC 2047 Q-encoded when they
// are not plain ASCII; addresses are parsed with net/mail and re-formatted;
// message ids are checked and dropped when malformed.
package smtpmail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"strconv"
	"strings"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/validate"
)

// Type is the connector type name.
const Type = "smtp"

// Security modes of the connection.
const (
	SecurityStartTLS = "starttls"
	SecurityTLS      = "tls"
	SecurityNone     = "none"
)

// Securities lists the valid security modes.
var Securities = []string{SecurityStartTLS, SecurityTLS, SecurityNone}

// Credential keys.
const (
	CredentialUsername = "username"
	CredentialPassword = "password"
)

const maxFromName = 200

func init() {
	connector.Register(connector.Type{
		Name:        Type,
		Description: "Sends email (send_reply, send_email) through an SMTP server: STARTTLS or implicit TLS, optional AUTH PLAIN/LOGIN.",
		Settings: []spec.Param{
			{Name: "host", Type: spec.String, Required: true, Example: "smtp.example.com",
				Description: "The server's host name (ASCII, internationalized names in punycode) or IP address (IPv6 with or without brackets), without scheme or port; stored lower-cased."},
			{Name: "port", Type: spec.Integer, Required: true, Min: spec.Bound(1), Max: spec.Bound(65535), Example: 587,
				Description: "The server's port: 587 for STARTTLS submission, 465 for implicit TLS."},
			// Custom: the value is accepted in any case and with surrounding
			// spaces, and none depends on the host.
			{Name: "security", Type: spec.Enum, Values: Securities, Default: SecurityStartTLS, Custom: true, Example: SecurityStartTLS,
				Description: "starttls: a plain connection upgraded with STARTTLS, which is then required (never a silent downgrade); tls: TLS from the first byte (SMTPS); none: no encryption, only when host is a loopback IP address (127.0.0.1 or ::1)."},
			{Name: "from_address", Type: spec.String, Required: true, Example: "support@example.com",
				Description: "The sender's address (envelope and From), a bare address."},
			{Name: "from_name", Type: spec.String, Example: "Example Support",
				Description: fmt.Sprintf("The sender's display name, at most %d characters, without line breaks.", maxFromName)},
			{Name: "insecure_skip_verify", Type: spec.Boolean, Default: false, Example: false,
				Description: "Skip TLS certificate verification: for tests with self-signed certificates only, it makes TLS worthless against an active attacker."},
		},
		StoreDefaults: true,
		Check:         checkSettings,
		Credentials: []connector.Credential{
			{Key: CredentialUsername, Description: "Username for SMTP AUTH (PLAIN, or LOGIN when the server does not offer PLAIN); give it with password, or neither to send without authentication."},
			{Key: CredentialPassword, Description: "Password for SMTP AUTH, sent only over TLS or to a loopback address."},
		},
		Test: test,
	})
}

// checkSettings normalizes the host, the security mode (allowing none only
// for a loopback host), the sender's address and display name.
func checkSettings(o *validate.Object, v spec.Values) {
	host, hostOK := v.String("host")
	if hostOK {
		h, err := normalizeHost(host)
		if err != nil {
			o.Errs.Add(o.FieldPath("host"), "%s", err.Error())
			hostOK = false
		} else {
			host = h
			o.Values["host"] = h
		}
	}

	security := SecurityStartTLS
	if s, ok := o.String("security", false); ok {
		security = strings.ToLower(strings.TrimSpace(s))
		if o.OneOf("security", security, Securities...) {
			o.Values["security"] = security
		}
	}
	if security == SecurityNone && hostOK && !isLoopbackIP(host) {
		o.Errs.Add(o.FieldPath("security"), "none (no encryption) is only allowed when host is a loopback IP address (127.0.0.1 or ::1); use starttls or tls")
	}

	if from, ok := v.String("from_address"); ok {
		addr, err := ParseSender(from)
		if err != nil {
			o.Errs.Add(o.FieldPath("from_address"), "%s", err.Error())
		} else {
			o.Values["from_address"] = addr
		}
	}
	if name, ok := v.String("from_name"); ok {
		name = strings.TrimSpace(name)
		switch {
		case strings.ContainsFunc(name, isControl):
			o.Errs.Add(o.FieldPath("from_name"), "must not contain line breaks or control characters")
		case len([]rune(name)) > maxFromName:
			o.Errs.Add(o.FieldPath("from_name"), "must be at most %d characters", maxFromName)
		default:
			o.Values["from_name"] = name
		}
	}
}

// normalizeHost accepts a host name or an IP address (IPv6 possibly in
// brackets) and returns it lower-cased, without brackets.
func normalizeHost(s string) (string, error) {
	h := strings.TrimSpace(s)
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return "", errors.New("must not have an IPv6 zone")
		}
		return a.String(), nil
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || len(h) > 253 {
		return "", errors.New("must be a host name or an IP address (without scheme or port)")
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", errors.New("must be a host name or an IP address (without scheme or port)")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", errors.New("must be a host name or an IP address (without scheme or port; internationalized names in punycode)")
			}
		}
	}
	return h, nil
}

func isLoopbackIP(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// Config is a connector's settings and credentials, checked.
type Config struct {
	Host               string
	Port               int
	Security           string
	FromAddress        string
	FromName           string
	InsecureSkipVerify bool
	Username           string
	Password           string
}

// From is the sender as a mail address.
func (c Config) From() mail.Address { return mail.Address{Name: c.FromName, Address: c.FromAddress} }

// Addr is "host:port".
func (c Config) Addr() string { return joinHostPort(c.Host, c.Port) }

// ConfigOf reads an smtp connector. Its settings are checked again (they
// may predate a rule) and its credentials together: a username without a
// password, or the reverse, is an error. Errors never contain credentials.
func ConfigOf(c *connector.Connector) (Config, error) {
	if c == nil {
		return Config{}, errors.New("no SMTP connector")
	}
	if c.Type != Type {
		return Config{}, fmt.Errorf("connector %s is of type %s, not %s", c.ID, c.Type, Type)
	}
	settings := make(map[string]any, len(c.Settings))
	for k, v := range c.Settings {
		settings[k] = v
	}
	// Settings stored as JSON come back as json.Number; accept other
	// numeric forms too.
	switch p := settings["port"].(type) {
	case float64:
		settings["port"] = json.Number(strconv.FormatFloat(p, 'f', -1, 64))
	case int:
		settings["port"] = json.Number(strconv.Itoa(p))
	case int64:
		settings["port"] = json.Number(strconv.FormatInt(p, 10))
	}
	var errs validate.Errors
	o := validate.NewObject(&errs, "settings", settings)
	def, _ := connector.Lookup(Type)
	def.ReadSettings(o)
	o.RejectUnknown()
	if err := errs.Err(); err != nil {
		return Config{}, fmt.Errorf("the SMTP connector's settings are invalid: %v", err)
	}
	port, _ := o.Values["port"].(json.Number).Int64()
	cfg := Config{
		Host:        o.Values["host"].(string),
		Port:        int(port),
		Security:    o.Values["security"].(string),
		FromAddress: o.Values["from_address"].(string),
		Username:    c.Secret(CredentialUsername),
		Password:    c.Secret(CredentialPassword),
	}
	cfg.FromName, _ = o.Values["from_name"].(string)
	cfg.InsecureSkipVerify, _ = o.Values["insecure_skip_verify"].(bool)
	switch {
	case cfg.Username != "" && cfg.Password == "":
		return Config{}, errors.New("the SMTP connector has a username but no password: set credentials.password, or remove the username to send without authentication")
	case cfg.Username == "" && cfg.Password != "":
		return Config{}, errors.New("the SMTP connector has a password but no username: set credentials.username")
	case strings.ContainsAny(cfg.Username, "\r\n\x00") || strings.ContainsAny(cfg.Password, "\r\n\x00"):
		return Config{}, errors.New("the SMTP connector's username or password contains a line break or NUL character")
	}
	return cfg, nil
}

// test is the connector type's Test: it connects, greets, upgrades and
// authenticates as configured, checks that the sender is accepted, and
// quits without sending anything.
func test(ctx context.Context, c *connector.Connector, env connector.Env) error {
	cfg, err := ConfigOf(c)
	if err != nil {
		return err
	}
	return Check(ctx, cfg, Net{HTTP: env.HTTP, CheckURL: env.CheckURL})
}
