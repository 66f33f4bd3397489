// Package slack is the "slack" connector type and a small client for the
// two Slack Web API methods deskflow uses: chat.postMessage (the
// send_slack_message action) and auth.test (the connector test).
//
// # Slack's answers
//
// The Web API answers HTTP 200 for almost everything, with a JSON object
// whose boolean "ok" says whether the call worked; on failure "error" holds
// a short machine-readable code (channel_not_found, not_in_channel,
// invalid_auth, missing_scope, …). Rate limiting is the exception: HTTP 429
// with a Retry-After header in seconds (body {"ok": false, "error":
// "ratelimited"}). chat.postMessage succeeds with {"ok": true, "channel",
// "ts", "message"}.
//
// The token is sent only in the Authorization header (Bearer xoxb-…), which
// Slack requires for JSON bodies; it never appears in an error.
//
// # Retries
//
// A request is tried at most MaxAttempts times within the context's
// deadline, by the retry package's loop: HTTP 429 is retried after
// Retry-After (1s without one; failing at once, saying so, when it is
// longer than the time left), HTTP 5xx after Retry-After or else an
// exponential backoff (500ms, 1s, 2s). Nothing
// else is retried: a transport error or an ok:false answer may mean the
// message was posted, and chat.postMessage has no idempotency key. A 5xx
// can also follow a post that happened, so a retried 5xx may, rarely, post
// the message twice.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/retry"
	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/validate"
)

// Type is the connector type name.
const Type = "slack"

// DefaultBaseURL is Slack's Web API.
const DefaultBaseURL = "https://slack.com/api"

// Keys of the connector's settings and credentials.
const (
	SettingBaseURL = "base_url"
	CredBotToken   = "bot_token"
)

// MaxAttempts bounds the tries of one call (the first and the retries).
const MaxAttempts = 4

// maxBody caps how much of an answer is read.
const maxBody = 1 << 20

func init() {
	connector.Register(connector.Type{
		Name:        Type,
		Description: "Posts send_slack_message messages with a Slack app's bot token (chat:write scope; invite the bot to the channels it posts to).",
		Settings: []spec.Param{
			{Name: SettingBaseURL, Type: spec.String, Default: DefaultBaseURL, Example: DefaultBaseURL,
				Description: "The Web API's root, an absolute http(s) URL without credentials, query or fragment (trailing slashes dropped); change it only for proxies and test servers."},
		},
		StoreDefaults: true,
		Check:         checkSettings,
		Credentials: []connector.Credential{{Key: CredBotToken, Required: true,
			Description: "The Slack app's bot token (xoxb-…) with the chat:write scope."}},
		Test: test,
	})
}

// checkSettings checks and normalizes base_url (see CleanBaseURL).
func checkSettings(o *validate.Object, v spec.Values) {
	if s, ok := v.String(SettingBaseURL); ok {
		if u, err := CleanBaseURL(s); err != nil {
			o.Errs.Add(o.FieldPath(SettingBaseURL), "%s", err.Error())
		} else {
			o.Values[SettingBaseURL] = u
		}
	}
}

// CleanBaseURL checks an API base URL (absolute http or https, a host, no
// credentials, query or fragment) and drops trailing slashes.
func CleanBaseURL(raw string) (string, error) {
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
	return strings.TrimRight(raw, "/"), nil
}

func test(ctx context.Context, c *connector.Connector, env connector.Env) error {
	cl, err := New(c, env.HTTP)
	if err != nil {
		return err
	}
	if env.CheckURL != nil {
		if err := env.CheckURL(cl.BaseURL); err != nil {
			return &Error{Message: fmt.Sprintf("base_url: %v", err)}
		}
	}
	_, err = cl.AuthTest(ctx)
	return err
}

// Error is a failure that the connector's or the action's configuration
// explains (Slack's answer, an unreachable URL), as opposed to an internal
// error; its text never contains the token.
type Error struct {
	Message string
	// Code is Slack's error code, when Slack gave one.
	Code string
	// Status is the HTTP status of the answer (0 without one).
	Status int
	// Err is the underlying cause (a transport or context error).
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Client calls Slack's Web API with a bot token.
type Client struct {
	// BaseURL is the API root, without a trailing slash.
	BaseURL string
	Token   string
	// HTTP is the guarded outbound client.
	HTTP *http.Client
	// Sleep waits between attempts; nil waits on a timer (or until ctx is
	// done). Tests inject one that records the waits.
	Sleep func(ctx context.Context, d time.Duration) error
}

// New returns a client for a slack connector.
func New(c *connector.Connector, hc *http.Client) (*Client, error) {
	base := c.Setting(SettingBaseURL)
	if base == "" {
		base = DefaultBaseURL
	}
	base, err := CleanBaseURL(base)
	if err != nil {
		return nil, &Error{Message: "the connector's base_url " + err.Error()}
	}
	token := strings.TrimSpace(c.Secret(CredBotToken))
	if token == "" {
		return nil, &Error{Message: "the Slack connector has no bot_token; set it on the connector"}
	}
	return &Client{BaseURL: base, Token: token, HTTP: hc}, nil
}

// Message is a posted message.
type Message struct {
	// Channel is the ID of the conversation the message went to.
	Channel string
	// TS is the message's timestamp, its id within the channel.
	TS string
}

// PostMessage posts text to channel (an ID such as C0123456789 or a name
// such as #support) with chat.postMessage.
func (c *Client) PostMessage(ctx context.Context, channel, text string) (Message, error) {
	body, err := encodeJSON(map[string]string{"channel": channel, "text": text})
	if err != nil {
		return Message{}, err
	}
	var res struct {
		answer
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	}
	if err := c.call(ctx, "chat.postMessage", body, &res); err != nil {
		return Message{}, err
	}
	if !res.OK {
		return Message{}, c.refusal("chat.postMessage", res.answer, channel)
	}
	return Message{Channel: res.Channel, TS: res.TS}, nil
}

// Identity is who a token belongs to (auth.test).
type Identity struct {
	Team   string
	TeamID string
	User   string
	UserID string
	BotID  string
}

// AuthTest checks the token with auth.test.
func (c *Client) AuthTest(ctx context.Context) (Identity, error) {
	var res struct {
		answer
		Team   string `json:"team"`
		TeamID string `json:"team_id"`
		User   string `json:"user"`
		UserID string `json:"user_id"`
		BotID  string `json:"bot_id"`
	}
	if err := c.call(ctx, "auth.test", []byte("{}"), &res); err != nil {
		return Identity{}, err
	}
	if !res.OK {
		return Identity{}, c.refusal("auth.test", res.answer, "")
	}
	return Identity{Team: res.Team, TeamID: res.TeamID, User: res.User, UserID: res.UserID, BotID: res.BotID}, nil
}

// answer is the envelope of every Web API answer.
type answer struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	Needed string `json:"needed"` // missing_scope
}

// refusal explains an ok:false answer.
func (c *Client) refusal(method string, a answer, channel string) error {
	code := c.redact(a.Error)
	if code == "" {
		code = "unknown_error"
	}
	var hint string
	switch code {
	case "not_in_channel":
		hint = fmt.Sprintf("the bot is not a member of channel %q: invite it to the channel (/invite @your-bot) and retry", channel)
	case "channel_not_found":
		hint = fmt.Sprintf("channel %q was not found: use a channel ID (C…) or an existing channel name, and invite the bot to private channels", channel)
	case "is_archived":
		hint = fmt.Sprintf("channel %q is archived", channel)
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive":
		hint = "Slack refused the bot token: update the connector's bot_token"
	case "missing_scope":
		hint = "the bot token lacks a scope this needs"
		if a.Needed != "" {
			hint += " (" + c.redact(a.Needed) + ")"
		}
		hint += ": add it to the Slack app and reinstall it"
	case "no_text":
		hint = "the message is empty"
	case "msg_too_long":
		hint = "the message is too long for Slack"
	case "restricted_action", "restricted_action_read_only_channel", "restricted_action_thread_only_channel", "ekm_access_denied":
		hint = "a workspace or channel setting does not allow the bot to post there"
	case "ratelimited", "rate_limited":
		hint = "Slack is rate limiting this app"
	default:
		hint = "Slack refused the call"
	}
	return &Error{Message: fmt.Sprintf("Slack %s failed with %s: %s", method, code, hint), Code: code, Status: http.StatusOK}
}

// call POSTs a JSON body to a method and decodes the JSON answer of an HTTP
// 200 into out, retrying 429 and 5xx answers.
func (c *Client) call(ctx context.Context, method string, body []byte, out any) error {
	endpoint := c.BaseURL + "/" + method
	err := retry.Do(ctx, c.policy(), func(ctx context.Context, _ int) retry.Outcome {
		status, header, raw, err := c.post(ctx, method, endpoint, body)
		if err != nil {
			return retry.Outcome{Err: err}
		}
		if status == http.StatusOK {
			if err := json.Unmarshal(raw, out); err != nil {
				return retry.Outcome{Err: &Error{Message: fmt.Sprintf("Slack %s answered HTTP 200 with something that is not a Web API answer", method), Status: status}}
			}
			return retry.Outcome{}
		}
		return c.failure(method, status, header, raw)
	})
	var stop *retry.Stop
	if !errors.As(err, &stop) {
		return err
	}
	failure, ok := stop.Err.(*Error)
	if !ok {
		return err
	}
	switch stop.Reason {
	case retry.Deadline:
		if failure.Code == "ratelimited" {
			failure.Message = fmt.Sprintf("Slack %s is rate limited (HTTP 429) and asks to wait %s, more than the %s left of the step's timeout", method, stop.Wait, stop.Left.Round(time.Millisecond))
		}
	case retry.Attempts:
		failure.Message += fmt.Sprintf(", still after %d attempts", stop.Attempts)
	case retry.Interrupted:
		failure.Err = stop.Cause
	}
	return failure
}

// policy is Slack's retry policy: MaxAttempts tries, 500ms doubling
// between them, within the context's deadline.
func (c *Client) policy() retry.Policy {
	return retry.Policy{MaxAttempts: MaxAttempts, Base: 500 * time.Millisecond, Sleep: c.Sleep}
}

// post makes one attempt and reads the answer.
func (c *Client) post(ctx context.Context, method, endpoint string, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, &Error{Message: "Slack " + method + ": bad request URL", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "deskflow/1")
	res, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, nil, &Error{Message: "could not reach Slack (" + method + ")", Err: stripURL(err)}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return 0, nil, nil, &Error{Message: "reading Slack's answer to " + method, Status: res.StatusCode, Err: err}
	}
	return res.StatusCode, res.Header, raw, nil
}

// failure explains an answer other than HTTP 200: 429 (retried after
// Retry-After, 1s without one) and 5xx (retried after Retry-After, or else
// the backoff) are worth another attempt.
func (c *Client) failure(method string, status int, header http.Header, raw []byte) retry.Outcome {
	after, hasAfter := retry.After(header, time.Now())
	switch {
	case status == http.StatusTooManyRequests:
		if !hasAfter {
			after = time.Second
		}
		return retry.Outcome{
			Err:   &Error{Message: fmt.Sprintf("Slack %s is rate limited (HTTP 429, Retry-After %s)", method, after), Code: "ratelimited", Status: status},
			Retry: true, Wait: after, HasWait: true,
		}
	case status >= 500:
		return retry.Outcome{
			Err:   &Error{Message: fmt.Sprintf("Slack %s answered HTTP %d %s", method, status, http.StatusText(status)), Status: status},
			Retry: true, Wait: after, HasWait: hasAfter,
		}
	}
	var a answer
	_ = json.Unmarshal(raw, &a)
	if a.Error != "" {
		e := c.refusal(method, a, "").(*Error)
		e.Status = status
		e.Message = fmt.Sprintf("%s (HTTP %d)", e.Message, status)
		return retry.Outcome{Err: e}
	}
	return retry.Outcome{Err: &Error{Message: fmt.Sprintf("Slack %s answered HTTP %d %s", method, status, http.StatusText(status)), Status: status}}
}

// redact removes the token from text that came from Slack.
func (c *Client) redact(s string) string {
	if c.Token != "" && strings.Contains(s, c.Token) {
		s = strings.ReplaceAll(s, c.Token, "[redacted]")
	}
	return s
}

// SleepContext waits d, or until ctx is done.
func SleepContext(ctx context.Context, d time.Duration) error { return retry.Sleep(ctx, d) }

// stripURL keeps a transport error's cause without repeating the URL.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// EscapeText escapes the three characters Slack's message formatting
// gives a meaning to (& < >), so that text shows as written: a value such
// as a ticket subject cannot become a mention (<!channel>) or a link.
func EscapeText(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return textEscaper.Replace(s)
}

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// EscapeValues returns a copy of template data whose strings are escaped
// with EscapeText, so that a template's literal text keeps Slack's control
// sequences (<@U123>, <!here>, <https://…|links>) while the values it
// interpolates cannot inject any. Values of other types are kept.
func EscapeValues(v any) any {
	switch t := v.(type) {
	case string:
		return EscapeText(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = EscapeValues(x)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(t))
		for k, x := range t {
			out[k] = EscapeText(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = EscapeValues(x)
		}
		return out
	case []string:
		out := make([]string, len(t))
		for i, x := range t {
			out[i] = EscapeText(x)
		}
		return out
	default:
		return v
	}
}
