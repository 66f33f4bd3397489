// Package teams is the "teams" connector type and a small Microsoft Graph
// client that posts messages to Microsoft Teams channels for the
// send_teams_message action.
//
// # Why a delegated refresh token
//
// Graph's "Send chatMessage in a channel" (POST
// /teams/{team-id}/channels/{channel-id}/messages) needs the delegated
// permission ChannelMessage.Send; application permissions are supported only
// for importing (migrating) messages. A daemon such as deskflow therefore
// acts for one consenting user through an OAuth 2.0 refresh token. The
// message appears as posted by that user (a service account is best).
//
// # How an admin sets up a connector
//
//  1. In the Microsoft Entra admin center, App registrations, register an
//     application (single tenant). Note its Application (client) ID and the
//     Directory (tenant) ID. Under Certificates & secrets create a client
//     secret and copy its Value (not its ID). Under Authentication add a Web
//     redirect URI you control (e.g. https://localhost/deskflow-consent).
//     Under API permissions add the Microsoft Graph delegated permissions
//     ChannelMessage.Send and offline_access (and grant admin consent if the
//     tenant requires it).
//  2. Sign in as the user deskflow should post as (a member of the teams and
//     channels it posts to) by opening
//     https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize?client_id={client}&response_type=code&redirect_uri={redirect}&response_mode=query&scope=https%3A%2F%2Fgraph.microsoft.com%2FChannelMessage.Send%20offline_access&state=x
//     and consent; the browser is sent to the redirect URI with ?code=….
//  3. Within ten minutes, redeem the code (the authorization code grant):
//     POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token
//     with the form client_id, client_secret, grant_type=authorization_code,
//     code, redirect_uri and the same scope. The JSON answer has a
//     refresh_token (only because offline_access was requested).
//  4. Create the connector: settings tenant_id and client_id; credentials
//     client_secret and refresh_token. deskflow then keeps access_token and
//     access_token_expires_at itself.
//
// When the refresh token stops working (revoked, expired after inactivity,
// password reset, consent withdrawn, conditional access), the step fails
// saying that an admin must consent again: repeat steps 2 and 3 and update
// the connector's refresh_token. When the client secret expires, create a
// new one and update client_secret.
//
// # Tokens
//
// Before each call the access token is refreshed when it is missing or
// expires within RefreshMargin, with the refresh_token grant of the
// Microsoft identity platform's token endpoint (form client_id,
// client_secret, grant_type=refresh_token, refresh_token, scope; answer
// access_token, expires_in seconds and usually a new refresh_token, which
// replaces the old one). The new access token, its expiry (RFC 3339) and the
// rotated refresh token are persisted through Client.Save. An HTTP 401 from
// Graph refreshes once and retries. The identity platform does not revoke a
// refresh token when it is used, so two steps refreshing at once both work.
//
// # Errors and retries
//
// Graph answers errors as {"error": {"code", "message"}}: 401
// InvalidAuthenticationToken, 403 Forbidden (missing permission or
// membership), 404, 429 with Retry-After. The token endpoint answers
// {"error", "error_description": "AADSTS…"}. HTTP 429 and 5xx (and the
// token endpoint's temporarily_unavailable) are retried within the
// context's deadline by the retry package's loop, like the slack package
// does: after Retry-After, or an exponential backoff (500ms, 1s, 2s) when
// there is none, at most MaxAttempts tries in all, failing at once when
// the wait is longer than the time left. No credential value appears in an error.
package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	httpretry "github.com/deskflow/deskflow/internal/integration/retry"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/validate"
)

// Type is the connector type name.
const Type = "teams"

// Defaults of the settings.
const (
	DefaultGraphBaseURL = "https://graph.microsoft.com/v1.0"
	// DefaultTokenURL is formatted with the tenant id.
	DefaultTokenURL = "https://login.microsoftonline.com/%s/oauth2/v2.0/token"
	DefaultScope    = "https://graph.microsoft.com/ChannelMessage.Send offline_access"
)

// Keys of the connector's settings.
const (
	SettingTenantID     = "tenant_id"
	SettingClientID     = "client_id"
	SettingGraphBaseURL = "graph_base_url"
	SettingTokenURL     = "token_url"
	SettingScope        = "scope"
)

// Keys of the connector's credentials.
const (
	CredClientSecret   = "client_secret"
	CredRefreshToken   = "refresh_token"
	CredAccessToken    = "access_token"
	CredAccessTokenExp = "access_token_expires_at"
)

// RefreshMargin: an access token that expires sooner than this is
// refreshed before a call.
const RefreshMargin = 5 * time.Minute

// MaxAttempts bounds the tries of one request (the first and the retries
// after 429 and 5xx).
const MaxAttempts = 4

const maxBody = 1 << 20

func init() {
	connector.Register(connector.Type{
		Name:        Type,
		Description: "Posts send_teams_message messages to Microsoft Teams channels through Microsoft Graph, as the user who consented to the app's delegated ChannelMessage.Send permission (refresh token).",
		Settings: []spec.Param{
			{Name: SettingTenantID, Type: spec.String, Required: true, Example: "contoso.onmicrosoft.com",
				Description: "The Directory (tenant) ID of the app registration, or a verified domain of the tenant."},
			{Name: SettingClientID, Type: spec.String, Required: true, Example: "00001111-aaaa-2222-bbbb-3333cccc4444",
				Description: "The app registration's Application (client) ID, a GUID."},
			{Name: SettingGraphBaseURL, Type: spec.String, Default: DefaultGraphBaseURL, Example: DefaultGraphBaseURL,
				Description: "Microsoft Graph's root, an absolute http(s) URL (trailing slashes dropped); change it only for national clouds, proxies and test servers."},
			{Name: SettingTokenURL, Type: spec.String, Example: fmt.Sprintf(DefaultTokenURL, "contoso.onmicrosoft.com"),
				Description: "The identity platform's token endpoint, an absolute http(s) URL; default: " + fmt.Sprintf(DefaultTokenURL, "{tenant_id}") + "."},
			{Name: SettingScope, Type: spec.String, Default: DefaultScope, Example: DefaultScope,
				Description: "The scopes asked for when the token is refreshed, separated by spaces."},
		},
		StoreDefaults: true,
		Check:         checkSettings,
		Credentials: []connector.Credential{
			{Key: CredClientSecret, Required: true, Description: "A client secret of the app registration."},
			{Key: CredRefreshToken, Required: true, Description: "The refresh token of the user who consented to ChannelMessage.Send (with offline_access); deskflow stores the one each refresh returns."},
			{Key: CredAccessToken, Description: "A current access token, optional: deskflow gets and stores one by refreshing."},
			{Key: CredAccessTokenExp, Description: "When access_token expires (RFC 3339), optional; written by deskflow with the access token."},
		},
		Test: test,
	})
}

// checkSettings checks the tenant and client ids and the URLs, normalizes
// the scope, and defaults token_url from the tenant.
func checkSettings(o *validate.Object, v spec.Values) {
	tenant, tenantOK := v.String(SettingTenantID)
	if tenantOK {
		tenant = strings.TrimSpace(tenant)
		if !validTenant(tenant) {
			o.Errs.Add(o.FieldPath(SettingTenantID), "must be the Directory (tenant) ID or a verified domain such as contoso.onmicrosoft.com")
			tenantOK = false
		} else {
			o.Values[SettingTenantID] = tenant
		}
	}
	if client, ok := v.String(SettingClientID); ok {
		client = strings.TrimSpace(client)
		if !connector.IsID(client) {
			o.Errs.Add(o.FieldPath(SettingClientID), "must be the app registration's Application (client) ID, a GUID")
		} else {
			o.Values[SettingClientID] = client
		}
	}
	urlSetting(o, v, SettingGraphBaseURL, true)
	if !urlSetting(o, v, SettingTokenURL, false) && absent(o, SettingTokenURL) && tenantOK {
		o.Values[SettingTokenURL] = fmt.Sprintf(DefaultTokenURL, url.PathEscape(tenant))
	}
	if s, ok := v.String(SettingScope); ok {
		s = strings.Join(strings.Fields(s), " ")
		if s == "" {
			o.Errs.Add(o.FieldPath(SettingScope), "must not be empty")
		} else {
			o.Values[SettingScope] = s
		}
	}
}

// urlSetting checks and cleans a URL setting; it reports whether one was
// given.
func urlSetting(o *validate.Object, v spec.Values, key string, trimSlash bool) bool {
	s, ok := v.String(key)
	if !ok {
		return false
	}
	u, err := cleanURL(s, trimSlash)
	if err != nil {
		o.Errs.Add(o.FieldPath(key), "%s", err.Error())
	} else {
		o.Values[key] = u
	}
	return true
}

func absent(o *validate.Object, key string) bool {
	v, present := o.Values[key]
	return !present || v == nil
}

func validTenant(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return !strings.HasPrefix(s, ".") && !strings.HasPrefix(s, "-")
}

func cleanURL(raw string, trimSlash bool) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("must not be empty")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("must be an absolute http or https URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", errors.New("must not contain credentials, a query or a fragment")
	}
	if trimSlash {
		raw = strings.TrimRight(raw, "/")
	}
	return raw, nil
}

func test(ctx context.Context, c *connector.Connector, env connector.Env) error {
	cl, err := New(c, env.HTTP)
	if err != nil {
		return err
	}
	if err := cl.CheckURLs(env.CheckURL); err != nil {
		return err
	}
	// connector.Env has no way to persist credentials, so the refreshed
	// tokens are not saved here; the identity platform keeps the old refresh
	// token valid, so the stored one keeps working.
	tok, err := cl.Refresh(ctx)
	if err != nil {
		return err
	}
	if tok.Scope != "" && !grantsSend(tok.Scope) {
		return &Error{Message: fmt.Sprintf("the refreshed token is valid for %q, which lacks Microsoft Graph's delegated ChannelMessage.Send permission: add it to the app registration, have the user consent again and update the connector's refresh_token", tok.Scope)}
	}
	return nil
}

// grantsSend reports whether a token response's scope list includes a
// permission that can post channel messages.
func grantsSend(scope string) bool {
	if u, err := url.QueryUnescape(scope); err == nil {
		scope = u
	}
	for _, s := range strings.Fields(scope) {
		s = strings.ToLower(s[strings.LastIndex(s, "/")+1:])
		if s == "channelmessage.send" || s == "group.readwrite.all" {
			return true
		}
	}
	return false
}

// Error is a failure that the connector's or the action's configuration
// explains (an answer of Graph or of the token endpoint, an unreachable
// URL), as opposed to an internal error. Its text never holds a credential.
type Error struct {
	Message string
	// Status is the HTTP status of the answer (0 without one).
	Status int
	// Code is Graph's error.code or the token endpoint's error.
	Code string
	// Reconsent is set when the refresh token was refused: an admin must
	// consent again and update the connector's refresh_token.
	Reconsent bool
	Err       error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Client posts to Microsoft Graph for one teams connector.
type Client struct {
	TenantID     string
	ClientID     string
	ClientSecret string
	// GraphBaseURL is Graph's root with its version, no trailing slash.
	GraphBaseURL string
	TokenURL     string
	Scope        string
	// Tokens are the current tokens; refreshes update them.
	Tokens Tokens
	// HTTP is the guarded outbound client.
	HTTP *http.Client
	// Save persists refreshed tokens: it merges creds (access_token,
	// access_token_expires_at, refresh_token) into the connector's
	// credentials. Nil does not persist.
	Save func(ctx context.Context, creds map[string]string) error
	// Now is the clock for token expiry; nil is time.Now.
	Now func() time.Time
	// Sleep waits between attempts; nil waits on a timer (or until ctx is
	// done).
	Sleep func(ctx context.Context, d time.Duration) error

	// spent are earlier tokens, redacted from errors too.
	spent []string
}

// Tokens are a connector's OAuth tokens.
type Tokens struct {
	AccessToken  string
	ExpiresAt    time.Time
	RefreshToken string
	// Scope is what the token endpoint said the access token is for.
	Scope string
}

// New returns a client for a teams connector with its opened credentials.
func New(c *connector.Connector, hc *http.Client) (*Client, error) {
	cl := &Client{
		TenantID:     c.Setting(SettingTenantID),
		ClientID:     c.Setting(SettingClientID),
		ClientSecret: c.Secret(CredClientSecret),
		GraphBaseURL: c.Setting(SettingGraphBaseURL),
		TokenURL:     c.Setting(SettingTokenURL),
		Scope:        c.Setting(SettingScope),
		HTTP:         hc,
		Tokens: Tokens{
			AccessToken:  c.Secret(CredAccessToken),
			RefreshToken: c.Secret(CredRefreshToken),
		},
	}
	if t, err := time.Parse(time.RFC3339, c.Secret(CredAccessTokenExp)); err == nil {
		cl.Tokens.ExpiresAt = t
	}
	if cl.GraphBaseURL == "" {
		cl.GraphBaseURL = DefaultGraphBaseURL
	}
	cl.GraphBaseURL = strings.TrimRight(cl.GraphBaseURL, "/")
	if cl.Scope == "" {
		cl.Scope = DefaultScope
	}
	if cl.TenantID == "" || cl.ClientID == "" {
		return nil, &Error{Message: "the Teams connector lacks tenant_id or client_id; set them in its settings"}
	}
	if cl.TokenURL == "" {
		cl.TokenURL = fmt.Sprintf(DefaultTokenURL, url.PathEscape(cl.TenantID))
	}
	if cl.ClientSecret == "" {
		return nil, &Error{Message: "the Teams connector has no client_secret; set it on the connector"}
	}
	if cl.Tokens.RefreshToken == "" {
		return nil, &Error{Message: "the Teams connector has no refresh_token: an admin must consent and set it on the connector", Reconsent: true}
	}
	return cl, nil
}

// CheckURLs applies a URL guard (the SSRF save-time check) to the token and
// Graph URLs; nil accepts them.
func (c *Client) CheckURLs(check func(string) error) error {
	if check == nil {
		return nil
	}
	if err := check(c.TokenURL); err != nil {
		return &Error{Message: fmt.Sprintf("token_url: %v", err)}
	}
	if err := check(c.GraphBaseURL); err != nil {
		return &Error{Message: fmt.Sprintf("graph_base_url: %v", err)}
	}
	return nil
}

// Message is a posted channel message.
type Message struct {
	ID     string
	WebURL string
}

// TextToHTML makes plain text the HTML content of a chat message: escaped,
// with line breaks as <br>.
func TextToHTML(text string) string {
	s := html.EscapeString(text)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "<br>")
}

// SendChannelMessage posts HTML content to a channel of a team.
func (c *Client) SendChannelMessage(ctx context.Context, teamID, channelID, content string) (Message, error) {
	endpoint := c.GraphBaseURL + "/teams/" + url.PathEscape(teamID) + "/channels/" + url.PathEscape(channelID) + "/messages"
	body, err := json.Marshal(map[string]any{"body": map[string]string{"contentType": "html", "content": content}})
	if err != nil {
		return Message{}, err
	}
	if err := c.ensureToken(ctx); err != nil {
		return Message{}, err
	}
	refreshed := false
	for {
		status, raw, err := c.do(ctx, "Microsoft Graph", func() (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+c.Tokens.AccessToken)
			req.Header.Set("Content-Type", "application/json")
			return req, nil
		}, nil)
		if err != nil {
			return Message{}, err
		}
		if status/100 == 2 {
			var m struct {
				ID     string `json:"id"`
				WebURL string `json:"webUrl"`
			}
			if err := json.Unmarshal(raw, &m); err != nil || m.ID == "" {
				return Message{}, &Error{Message: fmt.Sprintf("Microsoft Graph answered HTTP %d without a chatMessage", status), Status: status}
			}
			return Message{ID: m.ID, WebURL: m.WebURL}, nil
		}
		if status == http.StatusUnauthorized && !refreshed {
			// The access token was refused before its recorded expiry
			// (revoked, or a clock skew): get a new one once.
			refreshed = true
			if _, err := c.Refresh(ctx); err != nil {
				return Message{}, err
			}
			continue
		}
		return Message{}, c.graphError(status, raw, teamID, channelID)
	}
}

// graphError explains a Graph error answer.
func (c *Client) graphError(status int, raw []byte, teamID, channelID string) error {
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &env)
	code := c.redact(env.Error.Code)
	detail := fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	if code != "" {
		detail += ", " + code
	}
	if msg := oneLine(c.redact(env.Error.Message)); msg != "" {
		detail += ": " + msg
	}
	e := &Error{Status: status, Code: code}
	switch status {
	case http.StatusUnauthorized:
		e.Message = "Microsoft Graph refused the access token even after a refresh (" + detail + "): check that the app registration and tenant are right, or have an admin consent again and update the connector's refresh_token"
	case http.StatusForbidden:
		e.Message = "Microsoft Graph refused to post (" + detail + "): the app needs the delegated permission ChannelMessage.Send, consented by the connector's user, who must also be a member of the team and channel; grant it, consent again and update the connector's refresh_token if needed"
	case http.StatusNotFound:
		e.Message = fmt.Sprintf("Microsoft Graph found no channel %q in team %q (%s): check teamId and channelId, and that the connector's user is a member", channelID, teamID, detail)
	default:
		if status >= 500 {
			e.Message = "Microsoft Graph failed to take the message (" + detail + ")"
		} else {
			e.Message = "Microsoft Graph refused the message (" + detail + ")"
		}
	}
	return e
}

// ensureToken refreshes the access token when it is missing or expires
// within RefreshMargin.
func (c *Client) ensureToken(ctx context.Context) error {
	if c.Tokens.AccessToken != "" && c.Tokens.ExpiresAt.After(c.now().Add(RefreshMargin)) {
		return nil
	}
	_, err := c.Refresh(ctx)
	return err
}

// Refresh redeems the refresh token for a new access token (and usually a
// new refresh token), updates c.Tokens and persists them with Save.
func (c *Client) Refresh(ctx context.Context) (Tokens, error) {
	form := url.Values{
		"client_id":     {c.ClientID},
		"client_secret": {c.ClientSecret},
		"grant_type":    {"refresh_token"},
		"refresh_token": {c.Tokens.RefreshToken},
		"scope":         {c.Scope},
	}
	encoded := form.Encode()
	requested := c.now()
	status, raw, err := c.do(ctx, "the Microsoft identity platform", func() (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(encoded))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req, nil
	}, tokenRetryable)
	if err != nil {
		return Tokens{}, err
	}
	if status != http.StatusOK {
		return Tokens{}, c.tokenError(status, raw)
	}
	var res struct {
		AccessToken  string      `json:"access_token"`
		TokenType    string      `json:"token_type"`
		ExpiresIn    json.Number `json:"expires_in"`
		RefreshToken string      `json:"refresh_token"`
		Scope        string      `json:"scope"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || res.AccessToken == "" {
		return Tokens{}, &Error{Message: "the Microsoft identity platform answered the token refresh without an access token", Status: status}
	}
	if res.TokenType != "" && !strings.EqualFold(res.TokenType, "Bearer") {
		return Tokens{}, &Error{Message: fmt.Sprintf("the Microsoft identity platform issued a %q token, not a Bearer token", c.redact(res.TokenType)), Status: status}
	}
	secs, err := strconv.ParseInt(res.ExpiresIn.String(), 10, 64)
	if err != nil || secs <= 0 {
		secs = 3600 // the usual lifetime, when the answer does not say
	}
	c.spent = append(c.spent, c.Tokens.AccessToken, c.Tokens.RefreshToken)
	next := Tokens{
		AccessToken:  res.AccessToken,
		ExpiresAt:    requested.Add(time.Duration(secs) * time.Second).UTC().Truncate(time.Second),
		RefreshToken: c.Tokens.RefreshToken,
		Scope:        res.Scope,
	}
	creds := map[string]string{
		CredAccessToken:    next.AccessToken,
		CredAccessTokenExp: next.ExpiresAt.Format(time.RFC3339),
	}
	if res.RefreshToken != "" {
		next.RefreshToken = res.RefreshToken
		creds[CredRefreshToken] = res.RefreshToken
	}
	c.Tokens = next
	if c.Save != nil {
		if err := c.Save(ctx, creds); err != nil {
			return Tokens{}, fmt.Errorf("save the refreshed Microsoft tokens: %w", err)
		}
	}
	return next, nil
}

// tokenRetryable says which token endpoint answers are worth retrying
// beyond 429 and 5xx: temporarily_unavailable.
func tokenRetryable(status int, raw []byte) bool {
	if status != http.StatusBadRequest {
		return false
	}
	var e struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(raw, &e) == nil && e.Error == "temporarily_unavailable"
}

// tokenError explains an error answer of the token endpoint.
func (c *Client) tokenError(status int, raw []byte) error {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(raw, &e)
	code := c.redact(e.Error)
	desc := oneLine(c.redact(e.Description))
	detail := fmt.Sprintf("HTTP %d", status)
	if code != "" {
		detail = code
	}
	if desc != "" {
		detail += ": " + desc
	}
	out := &Error{Status: status, Code: code}
	switch code {
	case "invalid_grant", "interaction_required", "consent_required", "login_required":
		out.Reconsent = true
		out.Message = "Microsoft refused the connector's refresh token (" + detail + "): an admin must have the user consent again and update the connector's refresh_token"
	case "invalid_client", "unauthorized_client":
		out.Message = "Microsoft refused the app's credentials (" + detail + "): check client_id and tenant_id, and update the connector's client_secret if it expired"
	case "invalid_scope":
		out.Message = "Microsoft refused the connector's scope (" + detail + "): fix the scope setting"
	default:
		out.Message = "refreshing the Microsoft access token failed (" + detail + ")"
	}
	return out
}

// do sends a request built by build, retrying HTTP 429 and 5xx (and
// answers retryable reports as retryable) within ctx's deadline. It
// returns the final answer's status and body.
func (c *Client) do(ctx context.Context, service string, build func() (*http.Request, error), retryable func(int, []byte) bool) (int, []byte, error) {
	var last answer
	err := httpretry.Do(ctx, c.policy(), func(ctx context.Context, _ int) httpretry.Outcome {
		status, header, raw, err := c.send(service, build)
		if err != nil {
			return httpretry.Outcome{Err: err}
		}
		last = answer{status: status, raw: raw}
		if status != http.StatusTooManyRequests && status < 500 && (retryable == nil || !retryable(status, raw)) {
			return httpretry.Outcome{}
		}
		o := httpretry.Outcome{Err: &last, Retry: true}
		o.Wait, o.HasWait = httpretry.After(header, time.Now())
		return o
	})
	var stop *httpretry.Stop
	if !errors.As(err, &stop) {
		if err != nil {
			return 0, nil, err
		}
		return last.status, last.raw, nil
	}
	switch {
	case stop.Reason == httpretry.Interrupted:
		return 0, nil, &Error{Message: fmt.Sprintf("%s answered HTTP %d and the step ran out of time waiting to retry", service, last.status), Status: last.status, Err: stop.Cause}
	case last.status == http.StatusTooManyRequests && stop.Reason == httpretry.Deadline:
		return 0, nil, &Error{Message: fmt.Sprintf("%s is throttling (HTTP 429) and asks to wait %s, more than the %s left of the step's timeout", service, stop.Wait, stop.Left.Round(time.Millisecond)), Status: last.status, Code: "throttled"}
	case last.status == http.StatusTooManyRequests:
		return 0, nil, &Error{Message: fmt.Sprintf("%s is still throttling (HTTP 429) after %d attempts", service, stop.Attempts), Status: last.status, Code: "throttled"}
	}
	return last.status, last.raw, nil
}

// policy is the retry policy of Graph and the token endpoint: MaxAttempts
// tries, 500ms doubling between them, within the context's deadline (on
// the real clock: Now is the clock of token expiry only).
func (c *Client) policy() httpretry.Policy {
	return httpretry.Policy{MaxAttempts: MaxAttempts, Base: 500 * time.Millisecond, Sleep: c.Sleep}
}

// answer is an answer of Graph or of the token endpoint.
type answer struct {
	status int
	raw    []byte
}

func (a *answer) Error() string { return fmt.Sprintf("HTTP %d", a.status) }

// send makes one attempt and reads the answer.
func (c *Client) send(service string, build func() (*http.Request, error)) (int, http.Header, []byte, error) {
	req, err := build()
	if err != nil {
		return 0, nil, nil, &Error{Message: "could not build the request to " + service, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "deskflow/1")
	res, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, nil, &Error{Message: "could not reach " + service, Err: stripURL(err)}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return 0, nil, nil, &Error{Message: "reading the answer of " + service, Status: res.StatusCode, Err: err}
	}
	return res.StatusCode, res.Header, raw, nil
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// redact removes every credential value the client knows from text that
// came from a service.
func (c *Client) redact(s string) string {
	for _, secret := range append([]string{c.ClientSecret, c.Tokens.AccessToken, c.Tokens.RefreshToken}, c.spent...) {
		if len(secret) >= minSecret && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// minSecret is the shortest value redact looks for: shorter ones would
// mangle ordinary words, and no real credential is that short.
const minSecret = 8

// oneLine keeps the first line of a service's message (AADSTS descriptions
// go on with trace and correlation ids), bounded.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if i := strings.Index(s, " Trace ID:"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "…"
	}
	return s
}

func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
