package platform

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/validate"
)

// register adds the platform's connector type.
func register(p *Platform) {
	creds := make([]connector.Credential, len(p.Credentials))
	for i, c := range p.Credentials {
		creds[i] = connector.Credential{Key: c.Key, Required: c.Required}
	}
	connector.Register(connector.Type{
		Name:        p.ID,
		Description: p.Description,
		Settings:    p.ValidateSettings,
		Credentials: creds,
		Test: func(ctx context.Context, c *connector.Connector, env connector.Env) error {
			return p.TestConnector(ctx, c, Env{HTTP: env.HTTP, CheckURL: env.CheckURL})
		},
	})
}

var (
	shopDomainRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)
	apiVersionRe = regexp.MustCompile(`^(\d{4}-\d{2}(-\d{2}(\.[a-z]+)?)?|unstable)$`)
)

// ValidateSettings checks a connector's settings object and normalizes
// them in place (a bare shop name gets .myshopify.com, base URLs lose their
// trailing slash).
func (p *Platform) ValidateSettings(o *validate.Object) {
	given := func(key string) bool {
		s, ok := o.Values[key].(string)
		return ok && strings.TrimSpace(s) != ""
	}
	for _, st := range p.Settings {
		required := st.Required && (st.RequiredUnless == "" || !given(st.RequiredUnless))
		v, ok := o.String(st.Key, required)
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if v == "" {
			delete(o.Values, st.Key)
			continue
		}
		path := o.FieldPath(st.Key)
		switch st.Kind {
		case "url":
			if err := checkBaseURL(v); err != nil {
				o.Errs.Add(path, "%s", err.Error())
				continue
			}
			v = strings.TrimRight(v, "/")
		case "shop_domain":
			v = normalizeShopDomain(v)
			if !shopDomainRe.MatchString(v) {
				o.Errs.Add(path, "must be the store's myshopify.com domain, e.g. my-store.myshopify.com")
				continue
			}
		case "api_version":
			if !apiVersionRe.MatchString(v) {
				o.Errs.Add(path, "must be an API version such as 2024-10")
				continue
			}
		}
		o.Values[st.Key] = v
	}
}

func normalizeShopDomain(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.TrimPrefix(strings.TrimPrefix(v, "https://"), "http://")
	v = strings.TrimRight(v, "/")
	if v != "" && !strings.Contains(v, ".") {
		v += ".myshopify.com"
	}
	return v
}

// checkBaseURL accepts an absolute https URL without credentials, query or
// fragment; plain http only for loopback hosts (local test servers).
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("must be an absolute URL such as https://api.example.com")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") {
		return fmt.Errorf("must not contain credentials, a query or a fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("must use https (credentials are sent with every request)")
	}
	return fmt.Errorf("must be an https URL")
}
