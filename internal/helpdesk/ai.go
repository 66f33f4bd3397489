package helpdesk

import "time"

// SavedReply is a canned answer agents (and the built-in AI provider) reuse;
// its body is a template ({{customer.name}}, …).
type SavedReply struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
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
