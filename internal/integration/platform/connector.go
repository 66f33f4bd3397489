package platform

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/validate"
)

// register adds the platform's connector type.
func register(p *Platform) {
	connector.Register(connector.Type{
		Name:        p.ID,
		Description: p.Description,
		Settings:    p.settingSpecs(),
		Check:       p.checkSettings,
		Credentials: slices.Clone(p.Credentials),
		Test: func(ctx context.Context, c *connector.Connector, env connector.Env) error {
			return p.TestConnector(ctx, c, Env{HTTP: env.HTTP, CheckURL: env.CheckURL})
		},
	})
}

// settingSpecs are the specs of the catalog's settings: strings, whose
// kind Check enforces. A setting required unless another is given is read
// by Check (Custom); its description says so. Defaults are not stored:
// they apply when a request is built.
func (p *Platform) settingSpecs() []spec.Param {
	out := make([]spec.Param, len(p.Settings))
	for i, st := range p.Settings {
		s := spec.Param{Name: st.Key, Type: spec.String, Required: st.Required, Description: st.Description, Example: st.Example}
		if st.Default != "" {
			s.Default = st.Default
		}
		if st.RequiredUnless != "" {
			s.Required, s.Custom = false, true
			s.Description += " Required unless " + st.RequiredUnless + " is set."
		}
		out[i] = s
	}
	return out
}

var (
	shopDomainRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*\.myshopify\.com$`)
	apiVersionRe = regexp.MustCompile(`^(\d{4}-\d{2}(-\d{2}(\.[a-z]+)?)?|unstable)$`)
)

// checkSettings reads the settings required unless another is given,
// checks each setting's kind and normalizes them in place (a bare shop
// name gets .myshopify.com, base URLs lose their trailing slash; a blank
// setting is removed).
func (p *Platform) checkSettings(o *validate.Object, v spec.Values) {
	given := func(key string) bool {
		s, ok := o.Values[key].(string)
		return ok && strings.TrimSpace(s) != ""
	}
	for _, st := range p.Settings {
		s, ok := v.String(st.Key)
		if st.RequiredUnless != "" {
			s, ok = o.String(st.Key, st.Required && !given(st.RequiredUnless))
		}
		if !ok {
			continue
		}
		s = strings.TrimSpace(s)
		if s == "" {
			delete(o.Values, st.Key)
			continue
		}
		path := o.FieldPath(st.Key)
		switch st.Kind {
		case "url":
			if err := checkBaseURL(s); err != nil {
				o.Errs.Add(path, "%s", err.Error())
				continue
			}
			s = strings.TrimRight(s, "/")
		case "shop_domain":
			s = normalizeShopDomain(s)
			if !shopDomainRe.MatchString(s) {
				o.Errs.Add(path, "must be the store's myshopify.com domain, e.g. my-store.myshopify.com")
				continue
			}
		case "api_version":
			if !apiVersionRe.MatchString(s) {
				o.Errs.Add(path, "must be an API version such as 2026-10")
				continue
			}
		}
		o.Values[st.Key] = s
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
