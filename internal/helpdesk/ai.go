package helpdesk

import (
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/validate"
)

// SavedReply is a canned answer agents (and the built-in AI provider) reuse;
// its body is a template ({{customer.name}}, …).
type SavedReply struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Limits of a saved reply.
const (
	MaxSavedReplyBody  = 64 << 10
	MaxSavedReplyTitle = 200
)

// ReadSavedReply reads {title, body} over sr (a field omitted keeps its
// value unless sr is new, where both are required); the body is a template
// checked like a workflow's. Other keys but read-only ones are refused.
func ReadSavedReply(obj *validate.Object, sr SavedReply, readOnly ...string) SavedReply {
	isNew := sr.ID == ""
	if isNew || obj.Has("title") {
		if t, ok := obj.String("title", true); ok {
			if len(t) > MaxSavedReplyTitle {
				obj.Errs.Add(obj.FieldPath("title"), "must be at most %d bytes", MaxSavedReplyTitle)
			}
			sr.Title = strings.TrimSpace(t)
		}
	}
	if isNew || obj.Has("body") {
		if b, ok := obj.String("body", true); ok {
			if len(b) > MaxSavedReplyBody {
				obj.Errs.Add(obj.FieldPath("body"), "must be at most %d bytes", MaxSavedReplyBody)
			} else if _, err := template.Parse(b, template.DefaultSchema); err != nil {
				obj.Errs.Add(obj.FieldPath("body"), "invalid template: %s", err.Error())
			}
			sr.Body = b
		}
	}
	obj.RejectUnknown(readOnly...)
	return sr
}

// Limits of AI classification: categories of a workspace or of a
// classify_ticket step, keywords of one category.
const (
	MaxCategories = 50
	MaxKeywords   = 100
)

// AISettings are a workspace's AI defaults.
type AISettings struct {
	// ConnectorID is the "ai" connector used when an action names none;
	// nil means the process default (the built-in provider unless the
	// environment configures another).
	ConnectorID *string `json:"connector_id"`
	// Categories are classify_ticket's default categories.
	Categories []string `json:"categories"`
	// CategoryField is the custom field whose value labels past tickets
	// for the built-in classifier; empty means tags named like the
	// categories label them.
	CategoryField string `json:"category_field"`
	// Keywords per category help the built-in classifier while history is
	// thin.
	Keywords map[string][]string `json:"keywords"`
}
