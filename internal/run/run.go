// Package run is the record of workflow executions: a run of one workflow on
// one ticket for one event, its steps (one per action of each path that
// ran), approvals that pause a path, and the evaluation of every workflow
// against an event — the history that answers "why did / didn't this fire?".
package run

import (
	"time"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/workflow"
)

// Run statuses.
const (
	StatusRunning         = "running"
	StatusWaitingApproval = "waiting_approval"
	StatusSucceeded       = "succeeded"
	StatusFailed          = "failed"
)

// Step statuses (issue 3 §8).
const (
	StepPending         = "pending"
	StepRunning         = "running"
	StepWaitingApproval = "waiting_approval"
	StepSucceeded       = "succeeded"
	StepFailed          = "failed"
	StepSkipped         = "skipped"
	StepTimedOut        = "timed_out"
	StepRejected        = "rejected"
)

// StepFinal reports whether a step status is final.
func StepFinal(status string) bool {
	switch status {
	case StepSucceeded, StepFailed, StepSkipped, StepTimedOut, StepRejected:
		return true
	}
	return false
}

// MainPath is the index of the workflow's top-level actions; paths[i] of
// the workflow is path i+1.
const MainPath = 0

// PathMatch is how one path's conditions evaluated.
type PathMatch struct {
	Index              int                `json:"index"`
	Name               string             `json:"name"`
	Matched            bool               `json:"matched"`
	ConditionMatchType string             `json:"condition_match_type"`
	Conditions         []condition.Result `json:"conditions"`
	// Waiting is true while the path's conditions, which read run
	// variables, wait for the main path to finish.
	Waiting bool `json:"waiting,omitempty"`
}

// Match is how the workflow's and its paths' conditions evaluated.
type Match struct {
	ConditionMatchType string             `json:"condition_match_type"`
	Matched            bool               `json:"matched"`
	Conditions         []condition.Result `json:"conditions"`
	Paths              []PathMatch        `json:"paths"`
}

// PathDefinition is the snapshot of one path's actions taken when the run
// was created, so that editing a workflow does not change runs in flight.
type PathDefinition struct {
	Name    string            `json:"name"`
	Actions []workflow.Action `json:"actions"`
	// Conditions of a path evaluated after the main path (they read
	// variables); empty otherwise.
	ConditionMatchType string               `json:"condition_match_type,omitempty"`
	Conditions         []workflow.Condition `json:"conditions,omitempty"`
}

// Run is one execution of a workflow.
type Run struct {
	ID           string `json:"id"`
	WorkflowID   string `json:"workflow_id"`
	WorkflowName string `json:"workflow_name"`
	// WorkflowVersion is the version of the workflow the run started
	// with; it runs to its end as that version said (its definition is
	// the run's own), whatever is saved meanwhile.
	WorkflowVersion int              `json:"workflow_version"`
	TicketID        string           `json:"ticket_id"`
	EventID         string           `json:"event_id"`
	EventType       string           `json:"event_type"`
	Status          string           `json:"status"`
	Match           Match            `json:"match"`
	Paths           []PathDefinition `json:"-"`
	Cause           helpdesk.Cause   `json:"cause"`
	Steps           []Step           `json:"steps"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
	FinishedAt      *time.Time       `json:"finished_at"`
}

// Step is one action of one path of a run.
type Step struct {
	RunID      string     `json:"-"`
	Path       int        `json:"path"`
	Position   int        `json:"position"`
	ActionType string     `json:"action_type"`
	Label      string     `json:"label"`
	Status     string     `json:"status"`
	Attempts   int        `json:"attempts"`
	Input      any        `json:"input"`
	Output     any        `json:"output"`
	Error      string     `json:"error"`
	SaveAs     string     `json:"save_as,omitempty"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// Approval statuses.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
	ApprovalExpired  = "expired"
)

// Approval holds one path at one step until an admin decides.
type Approval struct {
	ID          string         `json:"id"`
	RunID       string         `json:"run_id"`
	WorkflowID  string         `json:"workflow_id"`
	TicketID    string         `json:"ticket_id"`
	Path        int            `json:"path"`
	Position    int            `json:"position"`
	Status      string         `json:"status"`
	ActionType  string         `json:"action_type"`
	Parameters  map[string]any `json:"parameters"`
	RequestedAt time.Time      `json:"requested_at"`
	ExpiresAt   time.Time      `json:"expires_at"`
	DecidedAt   *time.Time     `json:"decided_at"`
	DecidedBy   *string        `json:"decided_by"`
	Reason      string         `json:"reason"`
}

// Outcomes of evaluating one workflow against an event.
const (
	OutcomeMatched    = "matched"
	OutcomeNotMatched = "not_matched"
	OutcomeOutOfScope = "tag_not_in_scope"
	OutcomeLoop       = "loop_prevented"
	OutcomeDepthLimit = "depth_limit"
	// OutcomeBudgetExhausted: the chain of runs that the event belongs to
	// has started as many runs or steps as one originating event may.
	OutcomeBudgetExhausted = "budget_exhausted"
	// Outcomes of a no-reply timer that fell due.
	OutcomeWorkflowGone = "workflow_disabled"
	OutcomeTicketClosed = "ticket_closed"
	OutcomePeriodEnded  = "period_ended"
)

// WorkflowResult is one workflow's evaluation against an event.
type WorkflowResult struct {
	WorkflowID string             `json:"workflow_id"`
	Name       string             `json:"name"`
	Outcome    string             `json:"outcome"`
	Detail     string             `json:"detail,omitempty"`
	Conditions []condition.Result `json:"conditions"`
	RunID      string             `json:"run_id,omitempty"`
}

// Evaluation is how every enabled workflow of the event's trigger fared.
type Evaluation struct {
	EventID   string           `json:"event_id"`
	TicketID  string           `json:"ticket_id"`
	EventType string           `json:"event_type"`
	Results   []WorkflowResult `json:"results"`
	// RuledOut are the ids of the workflows that did not match because
	// a text their conditions require (a subject, body or sender literal)
	// does not occur in the event: the matching index skipped their
	// evaluation, so they have no entry in Results.
	RuledOut []string `json:"ruled_out"`
	// Stop says why no workflow was evaluated at all; nil when they were.
	Stop      *Stop     `json:"stop,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Stop is why an event was not matched against the workflows.
type Stop struct {
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// StopQueueFull: the workspace had as many events waiting as it may, and
// the event was caused by a workflow's run.
const StopQueueFull = "queue_full"
