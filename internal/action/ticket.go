package action

import (
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/param"
)

var (
	setStatus = Definition{
		Type:        "set_status",
		Effect:      EffectTicket,
		Run:         runSetStatus,
		Category:    CategoryTicket,
		Description: "Change status (open, pending, solved, closed, spam).",
		Validate: func(p *param.Params) {
			if s, ok := p.String("status", true); ok {
				p.OneOf("status", s, helpdesk.Statuses...)
			}
		},
	}
	setPriority = Definition{
		Type:        "set_priority",
		Effect:      EffectTicket,
		Run:         runSetPriority,
		Category:    CategoryTicket,
		Description: "Set priority (low, medium, high, urgent).",
		Validate: func(p *param.Params) {
			if s, ok := p.String("priority", true); ok {
				p.OneOf("priority", s, helpdesk.Priorities...)
			}
		},
	}
	assignTo = Definition{
		Type:        "assign_to",
		Effect:      EffectTicket,
		Run:         runAssignTo,
		Category:    CategoryTicket,
		Description: `Assign to user ID, "ai", or "unassigned" (parameter assignee).`,
		Validate: func(p *param.Params) {
			s, ok := p.String("assignee", true)
			if !ok || s == AssigneeAI || s == AssigneeUnassigned {
				return
			}
			p.AddRef(p.FieldPath("assignee"), param.KindUser, s)
		},
	}
	assignTicket = Definition{
		Type:        "assign_ticket",
		Effect:      EffectTicket,
		Run:         runAssignTicket,
		Category:    CategoryTicket,
		Description: "Assign to a team or a user: assign_type (user or team) with team or user id.",
		Validate: func(p *param.Params) {
			kind, ok := p.String("assign_type", true)
			if ok && !p.OneOf("assign_type", kind, "user", "team") {
				ok = false
			}
			// Both keys may be sent with null for the unused one (seed 003).
			team, hasTeam := p.String("team", false)
			user, hasUser := p.String("user", false)
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
		Type:        "add_tags",
		Effect:      EffectTicket,
		Run:         runAddTags,
		Category:    CategoryTicket,
		Description: "Add tags (ids) to the ticket.",
		Validate:    func(p *param.Params) { p.RefList("tags", param.KindTag, true) },
	}
	removeTags = Definition{
		Type:        "remove_tags",
		Effect:      EffectTicket,
		Run:         runRemoveTags,
		Category:    CategoryTicket,
		Description: "Remove tags (ids) from the ticket.",
		Validate:    func(p *param.Params) { p.RefList("tags", param.KindTag, true) },
	}
	addInternalNote = Definition{
		Type:        "add_internal_note",
		Effect:      EffectTicket,
		KeepsTicket: true,
		Run:         runAddInternalNote,
		Category:    CategoryTicket,
		Description: "Add a private note for agents; content is a template.",
		Validate:    func(p *param.Params) { p.Template("content", true) },
	}
)

// Special assignees of assign_to.
const (
	AssigneeAI         = "ai"
	AssigneeUnassigned = "unassigned"
)
