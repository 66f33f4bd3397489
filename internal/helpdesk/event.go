package helpdesk

import (
	"encoding/json"
	"time"
)

// Event types: each change that a workflow trigger can react to.
const (
	EventTicketCreated   = "ticket.created"
	EventInboundMessage  = "message.inbound"
	EventOutboundMessage = "message.outbound"
	EventTagAdded        = "tag.added"
	EventTagRemoved      = "tag.removed"
	EventNoReplyDue      = "no_reply.due"
	EventManualRun       = "manual.run"
)

// Cause is the causal chain of an event produced by a workflow's action:
// the workflows that ran, in order, to produce it, and the event that
// started the chain. Loop prevention and the chain's budget read it.
type Cause struct {
	WorkflowIDs []string `json:"workflow_ids"`
	RunID       string   `json:"run_id,omitempty"`
	// Origin is the id of the event that started the chain (a change by
	// a person or the API): every run of the chain counts against its
	// budget.
	Origin string `json:"origin,omitempty"`
}

// MarshalJSON writes workflow_ids as a list: [] when no workflow's run
// caused the event.
func (c Cause) MarshalJSON() ([]byte, error) {
	type plain Cause
	if c.WorkflowIDs == nil {
		c.WorkflowIDs = []string{}
	}
	return json.Marshal(plain(c))
}

// Chained reports whether a workflow's run caused the event.
func (c Cause) Chained() bool { return len(c.WorkflowIDs) > 0 }

// Depth is the number of workflow runs that led to the event.
func (c Cause) Depth() int { return len(c.WorkflowIDs) }

// Event is a stored change, written in the same transaction as the change.
type Event struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	TicketID  string  `json:"ticket_id"`
	MessageID *string `json:"message_id,omitempty"`
	TagID     *string `json:"tag_id,omitempty"`
	// WorkflowID names the workflow a no-reply timer fired for.
	WorkflowID *string   `json:"workflow_id,omitempty"`
	Cause      Cause     `json:"cause"`
	CreatedAt  time.Time `json:"created_at"`
}
