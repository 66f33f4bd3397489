// Package helpdesk holds the helpdesk objects that workflows act on —
// workspaces, users, tags, teams, contacts, channels, custom fields, tickets,
// messages — and the events their changes emit. It is pure data and rules:
// no storage, no HTTP.
package helpdesk

import (
	"fmt"
	"regexp"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/deskflow/deskflow/internal/validate"
)

// NewID returns a new ULID string, the id of every object but workspaces and
// connectors.
func NewID() string { return ulid.Make().String() }

// IsID reports whether s is a well-formed ULID, so that malformed ids can be
// answered 404 without a query.
func IsID(s string) bool {
	_, err := ulid.ParseStrict(s)
	return err == nil
}

// Roles of a workspace member.
const (
	RoleAdmin = "admin"
	RoleAgent = "agent"
)

// Roles lists the valid roles.
var Roles = []string{RoleAdmin, RoleAgent}

// Workspace is a tenant: every other object belongs to exactly one.
type Workspace struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Signature is appended to email replies that ask for it.
	Signature string    `json:"signature"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person (or integration) that acts through an API token.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Named is an object that is only a name, unique in its workspace.
type Named struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Tag labels tickets.
type Tag = Named

// Team groups agents; tickets can be assigned to a team.
type Team = Named

// Contact is a customer who writes in.
type Contact struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	IsVIP     bool      `json:"is_vip"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Channel types.
const (
	ChannelEmail = "email"
	ChannelChat  = "chat"
	ChannelSMS   = "sms"
	ChannelAPI   = "api"
	ChannelPhone = "phone"
	ChannelWeb   = "web"
)

// ChannelTypes lists the valid channel types.
var ChannelTypes = []string{ChannelEmail, ChannelChat, ChannelSMS, ChannelAPI, ChannelPhone, ChannelWeb}

// Channel is where tickets come in.
type Channel struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Type     string          `json:"type"`
	Settings ChannelSettings `json:"settings"`
	// CredentialsSet names the write-only credentials that are set
	// (imap_password).
	CredentialsSet []string  `json:"credentials_set"`
	CreatedAt      time.Time `json:"created_at"`
	// Credentials are sealed in the database; never serialized.
	Credentials map[string]string `json:"-"`
}

// ChannelSettings are an email channel's: the address customers write to
// and, optionally, the IMAP mailbox deskflow fetches their mail from (a
// channel without one is fed by the SMTP receiver).
type ChannelSettings struct {
	Address string        `json:"address,omitempty"`
	IMAP    *IMAPSettings `json:"imap,omitempty"`
}

// IMAPSettings say where a channel's mailbox is. The password is the
// channel's imap_password credential.
type IMAPSettings struct {
	Host string `json:"host"`
	Port int    `json:"port,omitempty"`
	// TLS is implicit (port 993), starttls, or none (loopback only).
	TLS      string `json:"tls,omitempty"`
	Username string `json:"username"`
	Folder   string `json:"folder,omitempty"`
	// PollSeconds is how often the mailbox is looked at when the server
	// does not offer IDLE (and how long an IDLE lasts).
	PollSeconds int `json:"poll_seconds,omitempty"`
	// ProcessedFolder, when set, receives the imported messages (moved);
	// else they are flagged \Seen where they are.
	ProcessedFolder string `json:"processed_folder,omitempty"`
}

// IMAP TLS modes.
const (
	TLSImplicit = "implicit"
	TLSStartTLS = "starttls"
	TLSNone     = "none"
)

// ChannelStatus is how an email channel's mail intake fares.
type ChannelStatus struct {
	LastPollAt *time.Time `json:"last_poll_at"`
	LastError  string     `json:"last_error"`
	Imported   int64      `json:"imported"`
	Duplicates int64      `json:"duplicates"`
	Failed     int64      `json:"failed"`
}

// Custom field types.
const (
	FieldText    = "text"
	FieldNumber  = "number"
	FieldBoolean = "boolean"
	FieldDate    = "date"
)

// FieldTypes lists the valid custom field types.
var FieldTypes = []string{FieldText, FieldNumber, FieldBoolean, FieldDate}

// CustomField defines a per-ticket field such as order_number.
type CustomField struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
}

// Ticket statuses (DESIGN.md §3).
const (
	StatusOpen    = "open"
	StatusPending = "pending"
	StatusSolved  = "solved"
	StatusClosed  = "closed"
	StatusSpam    = "spam"
)

// Statuses lists the valid ticket statuses.
var Statuses = []string{StatusOpen, StatusPending, StatusSolved, StatusClosed, StatusSpam}

// Ticket priorities.
const (
	PriorityLow    = "low"
	PriorityMedium = "medium"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

// Priorities lists the valid priorities.
var Priorities = []string{PriorityLow, PriorityMedium, PriorityHigh, PriorityUrgent}

// Assignee kinds.
const (
	AssigneeNone = "none"
	AssigneeUser = "user"
	AssigneeTeam = "team"
	AssigneeAI   = "ai"
)

// Assignee says who works a ticket: nobody, a user, a team, or the AI.
type Assignee struct {
	Type   string  `json:"type"`
	UserID *string `json:"user_id"`
	TeamID *string `json:"team_id"`
}

// Ticket is a customer conversation.
type Ticket struct {
	ID        string   `json:"id"`
	Subject   string   `json:"subject"`
	Status    string   `json:"status"`
	Priority  string   `json:"priority"`
	ChannelID *string  `json:"channel_id"`
	ContactID *string  `json:"contact_id"`
	Assignee  Assignee `json:"assignee"`
	TagIDs    []string `json:"tags"`
	// TagNames are the names of the tags, in the order of TagIDs.
	TagNames     []string       `json:"tag_names"`
	CustomFields map[string]any `json:"custom_fields"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
	// WaitingSince is when the customer's current wait for a reply began
	// (nil when nobody is waiting): the start of the on_no_reply period.
	WaitingSince *time.Time `json:"waiting_since"`
}

// Message directions.
const (
	DirectionInbound  = "inbound"  // from the customer
	DirectionOutbound = "outbound" // a reply to the customer
	DirectionNote     = "note"     // internal note for agents
)

// Message is one entry of a ticket's conversation.
type Message struct {
	ID            string  `json:"id"`
	TicketID      string  `json:"ticket_id"`
	Direction     string  `json:"direction"`
	Body          string  `json:"body"`
	SenderName    string  `json:"sender_name"`
	SenderEmail   string  `json:"sender_email"`
	AuthorUserID  *string `json:"author_user_id"`
	WorkflowRunID *string `json:"workflow_run_id"`
	// EmailMessageID is the Message-ID header of the email the message
	// came in as or went out as, for threading replies.
	EmailMessageID string `json:"email_message_id"`
	// Automatic says why the message was sent by a machine (an
	// auto-reply, a bounce, a list); deskflow never answers those.
	Automatic string    `json:"automatic"`
	CreatedAt time.Time `json:"created_at"`
}

// DefaultMaxMessageBytes is the largest body of one message unless the
// service is configured otherwise (deskflow serve --max-message-bytes):
// the API refuses a longer body, and a workflow step that would write one
// fails. Inbound email is to keep a longer body truncated to the limit, with
// the original as an attachment.
const DefaultMaxMessageBytes = 256 << 10

// CheckMessageBody returns nil when body fits in limit bytes, else an error
// that says how long it is and states the limit, in bytes and KiB: "is
// 262145 bytes, more than the limit of 262144 bytes (256 KiB) for one
// message".
func CheckMessageBody(body string, limit int) error {
	if len(body) <= limit {
		return nil
	}
	return fmt.Errorf("is %d bytes, more than the limit of %s for one message", len(body), SizeText(limit))
}

// SizeText states a size in bytes, and in KiB when it is a whole number of
// them: "262144 bytes (256 KiB)", "1000 bytes".
func SizeText(n int) string {
	if n > 0 && n%1024 == 0 {
		return fmt.Sprintf("%d bytes (%d KiB)", n, n/1024)
	}
	return fmt.Sprintf("%d bytes", n)
}

// InboundText is text received from outside deskflow — an inbound email's
// subject, body, sender name and address, Message-ID — made fit to store
// and to match on: its NUL characters, which PostgreSQL cannot store in
// text, are removed, as they are from API requests (validate.StripNUL), so
// that a message carrying one is kept rather than lost. Whatever reads
// inbound messages calls it on every text it takes from one, before
// conditions or storage see it.
func InboundText(s string) string { return validate.StripNUL(s) }

// TicketChange is an update of a ticket's fields; nil fields stay.
type TicketChange struct {
	Subject      *string
	Status       *string
	Priority     *string
	Assignee     *Assignee
	CustomFields map[string]any // merged into the existing values; a nil value removes the key
}

// Attachment is a file that came with an email message. Omitted: it was
// over the size limit, so only its name, type and size were kept.
type Attachment struct {
	ID          string    `json:"id"`
	MessageID   string    `json:"message_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Omitted     bool      `json:"omitted"`
	CreatedAt   time.Time `json:"created_at"`
}

// TicketReferencePattern finds the ticket reference deskflow puts in the
// subjects of its emails: "[#" and the last 10 characters of the ticket's
// id.
var TicketReferencePattern = regexp.MustCompile(`\[#([0-9A-Za-z]{10})\]`)

// TicketReference is the subject reference of a ticket.
func TicketReference(ticketID string) string {
	return "[#" + ticketID[max(0, len(ticketID)-10):] + "]"
}
