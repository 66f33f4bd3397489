package action

import (
	"context"

	"github.com/deskflow/deskflow/internal/helpdesk"
)

// The Run functions of the ticket actions. Each changes the ticket through
// the step's transaction, so the change and the step's result land together.

func runSetStatus(ctx context.Context, x *Exec) (any, error) {
	status := x.String("status")
	before := x.Ticket.Status
	t, err := x.Tickets.UpdateTicket(ctx, x.WorkspaceID, x.Ticket.ID, helpdesk.TicketChange{Status: &status})
	if err != nil {
		return nil, err
	}
	return map[string]any{"status": t.Status, "previous": before}, nil
}

func runSetPriority(ctx context.Context, x *Exec) (any, error) {
	priority := x.String("priority")
	before := x.Ticket.Priority
	t, err := x.Tickets.UpdateTicket(ctx, x.WorkspaceID, x.Ticket.ID, helpdesk.TicketChange{Priority: &priority})
	if err != nil {
		return nil, err
	}
	return map[string]any{"priority": t.Priority, "previous": before}, nil
}

func assign(ctx context.Context, x *Exec, a helpdesk.Assignee) (any, error) {
	t, err := x.Tickets.UpdateTicket(ctx, x.WorkspaceID, x.Ticket.ID, helpdesk.TicketChange{Assignee: &a})
	if err != nil {
		return nil, err
	}
	return map[string]any{"assignee": t.Assignee}, nil
}

func runAssignTo(ctx context.Context, x *Exec) (any, error) {
	switch who := x.String("assignee"); who {
	case AssigneeAI:
		return assign(ctx, x, helpdesk.Assignee{Type: helpdesk.AssigneeAI})
	case AssigneeUnassigned:
		return assign(ctx, x, helpdesk.Assignee{Type: helpdesk.AssigneeNone})
	default:
		return assign(ctx, x, helpdesk.Assignee{Type: helpdesk.AssigneeUser, UserID: &who})
	}
}

func runAssignTicket(ctx context.Context, x *Exec) (any, error) {
	user, team := x.String("user"), x.String("team")
	if x.String("assign_type") == "team" {
		a := helpdesk.Assignee{Type: helpdesk.AssigneeTeam, TeamID: &team}
		if user != "" {
			a.UserID = &user
		}
		return assign(ctx, x, a)
	}
	a := helpdesk.Assignee{Type: helpdesk.AssigneeUser, UserID: &user}
	if team != "" {
		a.TeamID = &team
	}
	return assign(ctx, x, a)
}

func runAddTags(ctx context.Context, x *Exec) (any, error) {
	added, err := x.Tickets.AddTags(ctx, x.WorkspaceID, x.Ticket.ID, x.Strings("tags"), x.Cause)
	if err != nil {
		return nil, err
	}
	return map[string]any{"added": added}, nil
}

func runRemoveTags(ctx context.Context, x *Exec) (any, error) {
	removed, err := x.Tickets.RemoveTags(ctx, x.WorkspaceID, x.Ticket.ID, x.Strings("tags"), x.Cause)
	if err != nil {
		return nil, err
	}
	return map[string]any{"removed": removed}, nil
}

func runAddInternalNote(ctx context.Context, x *Exec) (any, error) {
	content, err := x.Text(ctx, "content")
	if err != nil {
		return nil, err
	}
	if err := x.checkMessage("content", content); err != nil {
		return nil, err
	}
	m, err := x.Tickets.AddMessage(ctx, x.WorkspaceID, helpdesk.Message{
		TicketID: x.Ticket.ID, Direction: helpdesk.DirectionNote, Body: content, WorkflowRunID: &x.RunID,
	}, x.Cause)
	if err != nil {
		return nil, err
	}
	return map[string]any{"message_id": m.ID, "content": content}, nil
}
