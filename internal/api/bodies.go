package api

import (
	"time"

	"github.com/deskflow/deskflow/internal/businesshours"
	"github.com/deskflow/deskflow/internal/helpdesk"
)

// The request bodies as the OpenAPI description shows them. Handlers read
// bodies field by field (validate.Object), so that every error names its
// path; these types only describe what those readers accept, and the
// description is drawn from them by reflection (openapi_schema.go): a field
// without omitempty is required, and these tags constrain a field: enum
// (the name of a list in enums), minLength, maxLength, pattern, format,
// minItems, maxItems, nullable (may be sent as null, meaning omitted), types
// (the JSON types of a free-form value, or of a map's values), doc (its
// description).
// Every body is an object without other fields: the readers reject unknown
// ones (422). A route whose reader serves both creating and updating marks
// its update partial: the same body, every field optional.

// echoed are the read-only fields of an object's answer, which a body may
// send back unchanged (GET, then PUT): they are ignored.
type echoed struct {
	ID        string    `json:"id,omitempty" doc:"Ignored: the id is the path's."`
	CreatedAt time.Time `json:"created_at,omitempty" doc:"Ignored."`
	UpdatedAt time.Time `json:"updated_at,omitempty" doc:"Ignored."`
}

type workspaceInput struct {
	Name      string    `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Signature string    `json:"signature,omitempty" maxLength:"10000" doc:"Appended to outbound emails; trailing blanks are removed."`
	ID        int64     `json:"id,omitempty" doc:"Ignored."`
	CreatedAt time.Time `json:"created_at,omitempty" doc:"Ignored."`
}

// nameInput is the body of tags and teams.
type nameInput struct {
	Name string `json:"name" minLength:"1" maxLength:"100"`
	echoed
}

type channelInput struct {
	Name     string                    `json:"name" minLength:"1" maxLength:"100"`
	Type     string                    `json:"type" enum:"channel_type"`
	Settings *helpdesk.ChannelSettings `json:"settings,omitempty" doc:"An email channel's address and, optionally, its IMAP mailbox."`
	// Credentials are write-only.
	Credentials    *channelCredentials `json:"credentials,omitempty" doc:"Write-only: imap_password, the IMAP mailbox's password (sealed, never returned)."`
	CredentialsSet []string            `json:"credentials_set,omitempty" doc:"Ignored."`
	echoed
}

type channelCredentials struct {
	IMAPPassword string `json:"imap_password,omitempty"`
}

type contactInput struct {
	Email string `json:"email" format:"email" maxLength:"254"`
	Name  string `json:"name,omitempty" maxLength:"100"`
	IsVIP bool   `json:"is_vip,omitempty"`
	echoed
}

type customFieldInput struct {
	Key  string `json:"key" pattern:"^[a-z][a-z0-9_]{0,63}$" doc:"The field's key in a ticket's custom_fields and in templates; cannot be changed."`
	Name string `json:"name" minLength:"1" maxLength:"100"`
	Type string `json:"type,omitempty" enum:"field_type" doc:"The type of the values; text when omitted. Cannot be changed."`
	echoed
}

type customFieldUpdate struct {
	Name string `json:"name" minLength:"1" maxLength:"100"`
	Key  string `json:"key,omitempty" doc:"Must be the field's key: it cannot be changed."`
	Type string `json:"type,omitempty" enum:"field_type" doc:"Must be the field's type: it cannot be changed."`
	echoed
}

type connectorInput struct {
	Type        string            `json:"type" enum:"connector_type" doc:"Cannot be changed: an update may only repeat it."`
	Name        string            `json:"name" minLength:"1" maxLength:"100"`
	Settings    map[string]any    `json:"settings,omitempty" doc:"The settings of the connector's type (ConnectorSettings_<type>); an update replaces them."`
	Credentials map[string]string `json:"credentials,omitempty" doc:"Write-only secrets by key, among the type's credentials (ConnectorCredentials_<type>); the required ones must be set. An update merges them key by key into the stored ones; \"\" deletes one."`
	// CredentialsSet is ignored: it is only ever answered.
	CredentialsSet []string `json:"credentials_set,omitempty" doc:"Ignored."`
	echoed
}

type savedReplyInput struct {
	Title string `json:"title" minLength:"1" maxLength:"200"`
	Body  string `json:"body" minLength:"1" maxLength:"65536" doc:"A template, parsed when saved."`
	echoed
}

type aiSettingsInput struct {
	ConnectorID   *string             `json:"connector_id,omitempty" nullable:"true" doc:"An ai connector of the workspace; null or omitted: none."`
	Categories    []string            `json:"categories,omitempty" maxItems:"50" doc:"The categories classify_ticket chooses from, each once (case-insensitively)."`
	CategoryField string              `json:"category_field,omitempty" doc:"The key of the custom field that holds a ticket's category; \"\" for none."`
	Keywords      map[string][]string `json:"keywords,omitempty" doc:"Keywords by category (at most 100 each); each key must be one of categories."`
}

type businessHoursInput struct {
	Timezone    string                              `json:"timezone" doc:"An IANA time zone name such as Europe/Berlin."`
	Weekly      map[string][]businesshours.Interval `json:"weekly" doc:"Opening intervals by lower-case English day name (monday … sunday); a missing or empty day is closed; at least one interval in all."`
	ClosedDates []string                            `json:"closed_dates,omitempty" nullable:"true" format:"date" doc:"Local dates (YYYY-MM-DD) on which the workspace is closed all day; null or omitted: none."`
}

type ticketInput struct {
	Subject      string         `json:"subject" minLength:"1" maxLength:"998"`
	Body         string         `json:"body" minLength:"1" doc:"The first customer message."`
	Status       string         `json:"status,omitempty" enum:"ticket_status" doc:"open when omitted."`
	Priority     string         `json:"priority,omitempty" enum:"ticket_priority" doc:"medium when omitted."`
	ChannelID    string         `json:"channel_id,omitempty" doc:"A channel of the workspace."`
	Channel      string         `json:"channel,omitempty" doc:"The same as channel_id, when channel_id is not given."`
	Contact      ticketContact  `json:"contact" doc:"The customer, found or created by email address."`
	CustomFields map[string]any `json:"custom_fields,omitempty" types:"string,number,boolean" doc:"Values by custom field key, each of its field's type (a date is YYYY-MM-DD)."`
}

type ticketContact struct {
	Email string `json:"email" format:"email" maxLength:"254"`
	Name  string `json:"name,omitempty" maxLength:"100"`
}

type ticketUpdate struct {
	Subject      string         `json:"subject,omitempty" minLength:"1" maxLength:"998"`
	Status       string         `json:"status,omitempty" enum:"ticket_status"`
	Priority     string         `json:"priority,omitempty" enum:"ticket_priority"`
	Assignee     *assigneeInput `json:"assignee,omitempty"`
	CustomFields map[string]any `json:"custom_fields,omitempty" types:"string,number,boolean,null" doc:"Values by custom field key, merged into the ticket's: each of its field's type (a date is YYYY-MM-DD), or null to remove it."`
	// What a ticket's answer has besides, ignored when sent back.
	ID        string             `json:"id,omitempty" doc:"Ignored."`
	CreatedAt time.Time          `json:"created_at,omitempty" doc:"Ignored."`
	UpdatedAt time.Time          `json:"updated_at,omitempty" doc:"Ignored."`
	Tags      []string           `json:"tags,omitempty" doc:"Ignored: tags change through /api/tickets/{ticket}/tags."`
	Contact   *helpdesk.Contact  `json:"contact,omitempty" nullable:"true" doc:"Ignored."`
	ContactID *string            `json:"contact_id,omitempty" nullable:"true" doc:"Ignored."`
	ChannelID *string            `json:"channel_id,omitempty" nullable:"true" doc:"Ignored."`
	Messages  []helpdesk.Message `json:"messages,omitempty" doc:"Ignored."`
}

type assigneeInput struct {
	Type   string `json:"type" enum:"assignee_type"`
	UserID string `json:"user_id,omitempty" doc:"The user, for type user (required) or team (optional)."`
	TeamID string `json:"team_id,omitempty" doc:"The team, for type team."`
}

type messageInput struct {
	Direction      string `json:"direction" enum:"message_direction"`
	Body           string `json:"body" minLength:"1"`
	SenderName     string `json:"sender_name,omitempty" maxLength:"100"`
	SenderEmail    string `json:"sender_email,omitempty" format:"email" maxLength:"254"`
	EmailMessageID string `json:"email_message_id,omitempty" maxLength:"998" doc:"The Message-ID of the email the message came in as, so that replies thread with it."`
}

type ticketTagsInput struct {
	Tags []string `json:"tags" minItems:"1" doc:"Ids of tags of the workspace."`
}

type decisionInput struct {
	Reason string `json:"reason,omitempty" maxLength:"2000" doc:"Why; recorded with the decision."`
}

type runInput struct {
	TicketID string `json:"ticket_id" doc:"The ticket to run the workflow on; the workflow's conditions must match it."`
}

// workflowInput and workflowUpdate name the bodies of POST and PUT
// /api/workflows: their schemas are drawn from the trigger, condition and
// action registries (openapi.go, drawnSchemas), not reflected.
type (
	workflowInput  struct{}
	workflowUpdate struct{}
)

// bundleInput is the body of POST /api/import: a bundle as GET
// /api/export answers it. Every kind may be left out (it is then not
// touched).
type bundleInput struct {
	Version       int                 `json:"version,omitempty" doc:"The bundle format's version: 1."`
	BusinessHours *businessHoursInput `json:"business_hours,omitempty" doc:"The workspace's business hours; left as they are when omitted."`
	Tags          []string            `json:"tags,omitempty" doc:"Tag names, each once (case-insensitively)."`
	Teams         []string            `json:"teams,omitempty" doc:"Team names, each once (case-insensitively)."`
	SavedReplies  []bundleSavedReply  `json:"saved_replies,omitempty" doc:"Saved replies, known by their titles."`
	Connectors    []bundleConnector   `json:"connectors,omitempty" doc:"Connectors without credentials, known by their names."`
	Workflows     []workflowInput     `json:"workflows,omitempty" doc:"Workflows as POST /api/workflows takes them, known by their names; where the API takes an id, a bundle has a name: a tag's, team's, connector's or channel's name, a user's email (or name when the user has none)."`
}

type bundleSavedReply struct {
	Title string `json:"title" minLength:"1" maxLength:"200"`
	Body  string `json:"body" minLength:"1" maxLength:"65536" doc:"A template, parsed when saved."`
}

type bundleConnector struct {
	Type     string         `json:"type" enum:"connector_type" doc:"Cannot change for a connector of the workspace."`
	Name     string         `json:"name" minLength:"1" maxLength:"100"`
	Settings map[string]any `json:"settings,omitempty" doc:"The settings of the connector's type (ConnectorSettings_<type>)."`
}
