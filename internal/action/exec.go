package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/deskflow/deskflow/internal/ai"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/template"
)

// Effect says where an action acts, which decides how the engine runs it.
type Effect int

const (
	// EffectTicket actions change the ticket. They run inside the step's
	// database transaction, so their change and the step's result commit
	// together: after a crash they are either done and recorded, or not done.
	EffectTicket Effect = iota
	// EffectExternal actions talk to the outside world. They run outside
	// any transaction, with the step's idempotency key, and may be repeated
	// after a crash (at least once).
	EffectExternal
)

// TicketStore is what ticket actions change, inside the step's transaction.
type TicketStore interface {
	UpdateTicket(ctx context.Context, workspaceID int64, id string, ch helpdesk.TicketChange) (helpdesk.Ticket, error)
	AddTags(ctx context.Context, workspaceID int64, ticketID string, tagIDs []string, cause helpdesk.Cause) ([]string, error)
	RemoveTags(ctx context.Context, workspaceID int64, ticketID string, tagIDs []string, cause helpdesk.Cause) ([]string, error)
	AddMessage(ctx context.Context, workspaceID int64, m helpdesk.Message, cause helpdesk.Cause) (helpdesk.Message, error)
}

// ConnectorSource gives actions the workspace's connectors with their
// credentials opened.
type ConnectorSource interface {
	Connector(ctx context.Context, workspaceID int64, id string) (*connector.Connector, error)
	// UpdateCredentials merges credentials into a connector's (an OAuth
	// token refresh); an empty value deletes a key.
	UpdateCredentials(ctx context.Context, workspaceID int64, id string, creds map[string]string) error
}

// Services are the outside-world dependencies of external actions.
type Services struct {
	// HTTP is the guarded client every outbound request goes through.
	HTTP *http.Client
	// CheckURL refuses URLs that can never be reached (SSRF guard).
	CheckURL func(raw string) error
	// Connectors loads connectors with their credentials.
	Connectors ConnectorSource
	// Helpdesk reads and records what external actions need of the
	// helpdesk (the conversation, the sent reply).
	Helpdesk Helpdesk
	// AI chooses the language model of a workspace.
	AI AIProviders
	// MaxMessageBytes is the largest body of a message an action adds to a
	// ticket (a note, a sent reply); zero means
	// helpdesk.DefaultMaxMessageBytes.
	MaxMessageBytes int
}

// AIProviders resolves the language model for a step: the step's "ai"
// connector, else the workspace's, else the process default, else the
// built-in offline provider.
type AIProviders interface {
	Provider(ctx context.Context, workspaceID int64, connectorID string) (ai.Provider, error)
	Settings(ctx context.Context, workspaceID int64) (helpdesk.AISettings, error)
}

// Helpdesk is the helpdesk as external actions see it. Writes happen in
// transactions of their own: external actions run outside the step's.
type Helpdesk interface {
	Workspace(ctx context.Context, workspaceID int64) (helpdesk.Workspace, error)
	// EmailThread returns, oldest first and without their bodies, the
	// messages of the ticket that an emailed reply threads with (those
	// with a Message-ID, notes excepted): the first, the latest inbound
	// one and the latest n.
	EmailThread(ctx context.Context, workspaceID int64, ticketID string, n int) ([]helpdesk.Message, error)
	// SentEmail finds the ticket's outbound message recorded with the
	// Message-ID id (without angle brackets); found is false when there is
	// none.
	SentEmail(ctx context.Context, workspaceID int64, ticketID, id string) (m helpdesk.Message, found bool, err error)
	Contact(ctx context.Context, workspaceID int64, id string) (helpdesk.Contact, error)
	Channel(ctx context.Context, workspaceID int64, id string) (helpdesk.Channel, error)
	// RecordMessage stores a message the action sent (a reply) with the
	// causal chain, so it does not count as an agent's reply.
	RecordMessage(ctx context.Context, workspaceID int64, m helpdesk.Message, cause helpdesk.Cause) (helpdesk.Message, error)
	// AutoRepliesTo counts the email replies workflows sent to address
	// in the last hour.
	AutoRepliesTo(ctx context.Context, workspaceID int64, address string) (int, error)
	// TagTicket adds the tag named name (created if the workspace has
	// none) to the ticket, with the causal chain; it returns the tag's id.
	TagTicket(ctx context.Context, workspaceID int64, ticketID, name string, cause helpdesk.Cause) (string, error)
}

// Exec is one execution of one action.
type Exec struct {
	WorkspaceID int64
	RunID       string
	Ticket      helpdesk.Ticket
	Parameters  map[string]any
	// Data is the template data: ticket, customer, message, customFields,
	// variables.
	Data map[string]any
	// Tickets is set for EffectTicket actions.
	Tickets TicketStore
	// Cause is the causal chain for events the action's changes emit.
	Cause helpdesk.Cause
	// IdempotencyKey is stable across retries of this step.
	IdempotencyKey string
	Services       *Services
	// Input records the values the action actually used (rendered
	// templates), for run history.
	Input map[string]any
}

// Error is a step failure caused by the step's own data (a template that
// renders badly, a refused URL, a 4xx answer), as opposed to an internal
// error of deskflow. Both fail the step; the distinction is for logs.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

// Failf returns a step Error.
func Failf(format string, args ...any) error { return &Error{Message: fmt.Sprintf(format, args...)} }

// IsStepError reports whether err is a step Error.
func IsStepError(err error) bool {
	var se *Error
	return errors.As(err, &se)
}

// String returns a plain (not templated) string parameter.
func (x *Exec) String(key string) string {
	s, _ := x.Parameters[key].(string)
	return s
}

// Bool returns a boolean parameter.
func (x *Exec) Bool(key string) bool {
	b, _ := x.Parameters[key].(bool)
	return b
}

// Strings returns a string-list parameter.
func (x *Exec) Strings(key string) []string {
	raw, _ := x.Parameters[key].([]any)
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Text renders the template parameter key as plain text and records it.
func (x *Exec) Text(ctx context.Context, key string) (string, error) {
	return x.RenderAs(ctx, key, x.String(key), template.Plain)
}

// RenderAs renders src (the value of parameter key) with an escape mode and
// records the result under key.
func (x *Exec) RenderAs(ctx context.Context, key, src string, esc template.Escape) (string, error) {
	out, missing, err := render(ctx, src, x.Data, esc)
	if err != nil {
		return "", Failf("render %s: %v", key, err)
	}
	x.record(key, out)
	if len(missing) > 0 {
		// Missing values render empty; the run history says which.
		all, _ := x.Input["missing_variables"].([]string)
		x.record("missing_variables", append(all, missing...))
	}
	return out, nil
}

// checkMessage fails the step when body, which parameter key made, is too
// long for one message of the ticket.
func (x *Exec) checkMessage(key, body string) error {
	limit := helpdesk.DefaultMaxMessageBytes
	if x.Services != nil && x.Services.MaxMessageBytes > 0 {
		limit = x.Services.MaxMessageBytes
	}
	if err := helpdesk.CheckMessageBody(body, limit); err != nil {
		return Failf("%s: the message %v", key, err)
	}
	return nil
}

func (x *Exec) record(key string, v any) {
	if x.Input == nil {
		x.Input = map[string]any{}
	}
	x.Input[key] = v
}

// Maximum rendered size of one parameter.
const maxRendered = 1 << 20

// parsedCache holds parsed templates by source: workflow parameters are
// few and reused on every run. It is emptied when full, which bounds it.
var parsedCache = struct {
	sync.Mutex
	m map[string]*template.Template
}{m: map[string]*template.Template{}}

const maxParsedTemplates = 10_000

func parse(src string) (*template.Template, error) {
	parsedCache.Lock()
	defer parsedCache.Unlock()
	if t, ok := parsedCache.m[src]; ok {
		return t, nil
	}
	t, err := template.Parse(src, template.DefaultSchema)
	if err != nil {
		return nil, err
	}
	if len(parsedCache.m) >= maxParsedTemplates {
		parsedCache.m = map[string]*template.Template{}
	}
	parsedCache.m[src] = t
	return t, nil
}

// Render renders a template source against data.
func Render(ctx context.Context, src string, data map[string]any, esc template.Escape) (string, error) {
	out, _, err := render(ctx, src, data, esc)
	return out, err
}

func render(ctx context.Context, src string, data map[string]any, esc template.Escape) (string, []string, error) {
	t, err := parse(src)
	if err != nil {
		return "", nil, err
	}
	res, err := t.Render(ctx, data, template.Options{Escape: esc, MaxOutput: maxRendered})
	if err != nil {
		return "", nil, err
	}
	return res.Text, res.Missing, nil
}

// Connector loads the connector named by parameter key (connectorId), which
// must be of one of the types; the step fails clearly otherwise.
func (x *Exec) Connector(ctx context.Context, key string, types ...string) (*connector.Connector, error) {
	id := x.String(key)
	if id == "" {
		return nil, Failf("%s: no connector given", key)
	}
	c, err := x.Services.Connectors.Connector(ctx, x.WorkspaceID, id)
	if err != nil {
		return nil, err
	}
	if len(types) > 0 && !slices.Contains(types, c.Type) {
		return nil, Failf("%s: connector %s is of type %s, not %s", key, id, c.Type, strings.Join(types, " or "))
	}
	return c, nil
}
