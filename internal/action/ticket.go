package action

import (
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

var (
	setStatus = Definition{
		Type:        "set_status",
		Effect:      EffectTicket,
		Run:         runSetStatus,
		Category:    CategoryTicket,
		Description: "Change status (open, pending, solved, closed, spam).",
		Params: []spec.Param{{Name: "status", Type: spec.Enum, Values: helpdesk.Statuses, Required: true, Example: "solved",
			Description: "The new status."}},
	}
	setPriority = Definition{
		Type:        "set_priority",
		Effect:      EffectTicket,
		Run:         runSetPriority,
		Category:    CategoryTicket,
		Description: "Set priority (low, medium, high, urgent).",
		Params: []spec.Param{{Name: "priority", Type: spec.Enum, Values: helpdesk.Priorities, Required: true, Example: "high",
			Description: "The new priority."}},
	}
	assignTo = Definition{
		Type:        "assign_to",
		Effect:      EffectTicket,
		Run:         runAssignTo,
		Category:    CategoryTicket,
		Description: `Assign to user ID, "ai", or "unassigned" (parameter assignee).`,
		Params: []spec.Param{{Name: "assignee", Type: spec.String, Required: true, Example: AssigneeUnassigned,
			Description: `A user's id, "ai", or "unassigned".`}},
		Check: func(p *param.Params, v spec.Values) {
			if s, ok := v.String("assignee"); ok && s != AssigneeAI && s != AssigneeUnassigned {
				p.AddRef(p.FieldPath("assignee"), param.KindUser, s)
			}
		},
	}
	assignTicket = Definition{
		Type:        "assign_ticket",
		Effect:      EffectTicket,
		Run:         runAssignTicket,
		Category:    CategoryTicket,
		Description: "Assign to a team or a user: assign_type (user or team) with team or user id.",
		Params: []spec.Param{
			{Name: "assign_type", Type: spec.Enum, Values: []string{"user", "team"}, Required: true, Example: "team",
				Description: "Whether to assign a team or a user."},
			// Both keys may be sent with null for the unused one (seed 003).
			{Name: "team", Type: spec.Reference, Reference: param.KindTeam, Custom: true, Example: "01J9Z8Q4T7B1X2Y3Z4W5V6R7T9",
				Description: "The team's id; required when assign_type is team."},
			{Name: "user", Type: spec.Reference, Reference: param.KindUser, Custom: true,
				Description: "The user's id; required when assign_type is user."},
		},
		Check: func(p *param.Params, v spec.Values) {
			team, hasTeam := p.String("team", false)
			user, hasUser := p.String("user", false)
			kind, ok := v.String("assign_type")
			if !ok {
				return
			}
			switch kind {
			case "team":
				if !hasTeam {
					p.Errs.Add(p.FieldPath("team"), "is required when assign_type is team")
					return
				}
				p.AddRef(p.FieldPath("team"), param.KindTeam, team)
				if hasUser {
					p.AddRef(p.FieldPath("user"), param.KindUser, user)
				}
			case "user":
				if !hasUser {
					p.Errs.Add(p.FieldPath("user"), "is required when assign_type is user")
					return
				}
				p.AddRef(p.FieldPath("user"), param.KindUser, user)
				if hasTeam {
					p.AddRef(p.FieldPath("team"), param.KindTeam, team)
				}
			}
		},
	}
	addTags = Definition{
		Type:          "add_tags",
		Effect:        EffectTicket,
		Run:           runAddTags,
		Category:      CategoryTicket,
		Description:   "Add tags (ids) to the ticket.",
		Params:        []spec.Param{ticketTags},
		EmitsTagEvent: helpdesk.EventTagAdded,
	}
	removeTags = Definition{
		Type:          "remove_tags",
		Effect:        EffectTicket,
		Run:           runRemoveTags,
		Category:      CategoryTicket,
		Description:   "Remove tags (ids) from the ticket.",
		Params:        []spec.Param{ticketTags},
		EmitsTagEvent: helpdesk.EventTagRemoved,
	}
	addInternalNote = Definition{
		Type:        "add_internal_note",
		Effect:      EffectTicket,
		KeepsTicket: true,
		Run:         runAddInternalNote,
		Category:    CategoryTicket,
		Description: "Add a private note for agents; content is a template.",
		Params: []spec.Param{{Name: "content", Type: spec.Template, Required: true, Example: "Escalated: waited {{ticket.status}}",
			Description: "The note's text."}},
	}
)

// ticketTags are the tags add_tags and remove_tags change.
var ticketTags = spec.Param{Name: "tags", Type: spec.References, Reference: param.KindTag, Required: true,
	Example: []string{"01J9Z8Q4T7B1X2Y3Z4W5V6R7S8"}, Description: "The tags' ids."}

// Special assignees of assign_to.
const (
	AssigneeAI         = "ai"
	AssigneeUnassigned = "unassigned"
)
