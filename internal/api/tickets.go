package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
)

// The values of a message's direction and an assignee's type.
var (
	messageDirections = []string{helpdesk.DirectionInbound, helpdesk.DirectionOutbound, helpdesk.DirectionNote}
	assigneeTypes     = []string{helpdesk.AssigneeNone, helpdesk.AssigneeUser, helpdesk.AssigneeTeam, helpdesk.AssigneeAI}
)

// maxSubjectLength is RFC 5322's line limit, so subjects fit a mail header.
const maxSubjectLength = 998

// viewMessages is how many of its latest messages the single-ticket view
// shows; GET /api/tickets/{ticket}/messages pages through all.
const viewMessages = 50

// ticketView is a ticket as the API shows it: with its contact and, on the
// single-ticket view, its latest messages.
type ticketView struct {
	helpdesk.Ticket
	Contact *helpdesk.Contact `json:"contact"`
	*conversationView
}

// conversationView is the end of a ticket's conversation: its latest
// messages and notes (at most viewMessages, oldest first), how many it has
// in all, and the list that pages through them.
type conversationView struct {
	Messages      []helpdesk.Message `json:"messages"`
	MessagesTotal int                `json:"messages_total"`
	MessagesURL   string             `json:"messages_url"`
}

func (s *Server) viewTicket(ctx context.Context, ws int64, t helpdesk.Ticket, withMessages bool) (ticketView, error) {
	v := ticketView{Ticket: t}
	if t.ContactID != nil {
		c, err := s.db.GetContact(ctx, ws, *t.ContactID)
		if err != nil && err != storage.ErrNotFound {
			return v, err
		}
		if err == nil {
			v.Contact = &c
		}
	}
	if withMessages {
		msgs, total, err := s.db.LatestMessages(ctx, ws, t.ID, viewMessages)
		if err != nil {
			return v, err
		}
		v.conversationView = &conversationView{Messages: msgs, MessagesTotal: total, MessagesURL: "/api/tickets/" + t.ID + "/messages"}
	}
	return v, nil
}

func (s *Server) showTicket(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "ticket")
	if err != nil {
		return err
	}
	t, err := s.db.GetTicket(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	v, err := s.viewTicket(r.Context(), p.WorkspaceID, t, true)
	if err != nil {
		return err
	}
	return ok(w, v)
}

func text(obj *validate.Object, key string, required bool, limit int) string {
	s, ok := obj.String(key, required)
	if ok && len(s) > limit {
		obj.Errs.Add(obj.FieldPath(key), "must be at most %d bytes", limit)
	}
	return s
}

// messageBody reads the body of a new message: at most s.maxMessageBytes.
func (s *Server) messageBody(obj *validate.Object) string {
	body, ok := obj.String("body", true)
	if err := helpdesk.CheckMessageBody(body, s.maxMessageBytes); ok && err != nil {
		obj.Errs.Add(obj.FieldPath("body"), "%v", err)
	}
	return body
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, p principal) error {
	ctx := r.Context()
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	var in storage.NewTicket // status and priority default to open and medium
	in.Subject = strings.TrimSpace(text(obj, "subject", true, maxSubjectLength))
	in.Body = s.messageBody(obj)
	if st, ok := obj.String("status", false); ok && obj.OneOf("status", st, helpdesk.Statuses...) {
		in.Status = st
	}
	if pr, ok := obj.String("priority", false); ok && obj.OneOf("priority", pr, helpdesk.Priorities...) {
		in.Priority = pr
	}
	channelKey := "channel_id"
	if !obj.Has(channelKey) && obj.Has("channel") {
		channelKey = "channel" // the spelling
	}
	if ch, ok := obj.String(channelKey, false); ok {
		if exists, err := s.db.Exists(ctx, p.WorkspaceID, param.KindChannel, ch); err != nil {
			return err
		} else if !exists {
			errs.Add(channelKey, "no channel with id %q in this workspace", ch)
		}
		in.ChannelID = &ch
	}
	contact, _ := obj.Object("contact", true)
	in.ContactEmail, _ = email(contact, "email", true)
	in.ContactName = strings.TrimSpace(text(contact, "name", false, maxNameLength))
	contact.RejectUnknown()
	fields, err := s.readCustomFields(ctx, p.WorkspaceID, obj, false)
	if err != nil {
		return err
	}
	in.CustomFields = fields
	obj.RejectUnknown()
	if err := errs.Err(); err != nil {
		return err
	}
	t, err := s.db.CreateTicket(ctx, p.WorkspaceID, in)
	if err != nil {
		return err
	}
	// Read back what the transaction left (the waiting period its message
	// began, tags), so the answer equals a GET.
	if t, err = s.db.GetTicket(ctx, p.WorkspaceID, t.ID); err != nil {
		return err
	}
	v, err := s.viewTicket(ctx, p.WorkspaceID, t, true)
	if err != nil {
		return err
	}
	return created(w, v)
}

// readCustomFields checks custom_fields against the workspace's definitions:
// unknown keys and values of the wrong type are field errors. With
// allowNull, null removes a value.
func (s *Server) readCustomFields(ctx context.Context, ws int64, obj *validate.Object, allowNull bool) (map[string]any, error) {
	cf, given := obj.Object("custom_fields", false)
	if !given {
		return nil, nil
	}
	defs, err := s.db.CustomFieldsByKey(ctx, ws)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, key := range cf.Keys() {
		value, _ := cf.Raw(key)
		path := cf.FieldPath(key)
		def, known := defs[key]
		if !known {
			cf.Errs.Add(path, "is not a custom field of this workspace")
			continue
		}
		if value == nil {
			if allowNull {
				out[key] = nil
			} else {
				cf.Errs.Add(path, "must not be null")
			}
			continue
		}
		if msg := checkFieldValue(def.Type, value); msg != "" {
			cf.Errs.Add(path, "%s", msg)
			continue
		}
		out[key] = value
	}
	return out, nil
}

func checkFieldValue(fieldType string, value any) string {
	switch fieldType {
	case helpdesk.FieldNumber:
		if _, isNumber := value.(json.Number); !isNumber {
			return "must be a number"
		}
	case helpdesk.FieldBoolean:
		if _, isBool := value.(bool); !isBool {
			return "must be a boolean"
		}
	case helpdesk.FieldDate:
		s, isString := value.(string)
		if _, err := time.Parse(time.DateOnly, s); !isString || err != nil {
			return "must be a date (YYYY-MM-DD)"
		}
	default:
		s, isString := value.(string)
		if !isString {
			return "must be a string"
		}
		if len(s) > 10_000 {
			return "must be at most 10000 bytes"
		}
	}
	return ""
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request, p principal) error {
	ctx := r.Context()
	id, err := pathID(r, "ticket")
	if err != nil {
		return err
	}
	if _, err := s.db.GetTicket(ctx, p.WorkspaceID, id); err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var (
		errs validate.Errors
		ch   helpdesk.TicketChange
	)
	obj := validate.NewObject(&errs, "", body)
	if obj.Has("subject") {
		subject := strings.TrimSpace(text(obj, "subject", true, maxSubjectLength))
		ch.Subject = &subject
	}
	if st, ok := obj.String("status", false); ok && obj.OneOf("status", st, helpdesk.Statuses...) {
		ch.Status = &st
	}
	if pr, ok := obj.String("priority", false); ok && obj.OneOf("priority", pr, helpdesk.Priorities...) {
		ch.Priority = &pr
	}
	if obj.Has("assignee") {
		a, err := s.readAssignee(ctx, p.WorkspaceID, obj)
		if err != nil {
			return err
		}
		ch.Assignee = a
	}
	if ch.CustomFields, err = s.readCustomFields(ctx, p.WorkspaceID, obj, true); err != nil {
		return err
	}
	obj.RejectUnknown("id", "created_at", "updated_at", "tags", "contact", "contact_id", "channel_id", "messages")
	if err := errs.Err(); err != nil {
		return err
	}
	t, err := s.db.UpdateTicket(ctx, p.WorkspaceID, id, ch)
	if err != nil {
		return err
	}
	v, err := s.viewTicket(ctx, p.WorkspaceID, t, false)
	if err != nil {
		return err
	}
	return ok(w, v)
}

// readAssignee reads {"type": "user"|"team"|"ai"|"none", "user_id", "team_id"}.
func (s *Server) readAssignee(ctx context.Context, ws int64, obj *validate.Object) (*helpdesk.Assignee, error) {
	ao, given := obj.Object("assignee", true)
	if !given {
		return nil, nil
	}
	a := &helpdesk.Assignee{}
	kind, ok := ao.String("type", true)
	if !ok || !ao.OneOf("type", kind, assigneeTypes...) {
		return nil, nil
	}
	a.Type = kind
	check := func(key string, k param.Kind, required bool) (*string, error) {
		id, ok := ao.String(key, required)
		if !ok {
			return nil, nil
		}
		exists, err := s.db.Exists(ctx, ws, k, id)
		if err != nil {
			return nil, err
		}
		if !exists {
			ao.Errs.Add(ao.FieldPath(key), "no %s with id %q in this workspace", k, id)
		}
		return &id, nil
	}
	var err error
	switch kind {
	case helpdesk.AssigneeUser:
		a.UserID, err = check("user_id", param.KindUser, true)
	case helpdesk.AssigneeTeam:
		a.TeamID, err = check("team_id", param.KindTeam, true)
		if err == nil && ao.Has("user_id") {
			a.UserID, err = check("user_id", param.KindUser, false)
		}
	}
	ao.RejectUnknown("user_id", "team_id")
	return a, err
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "ticket")
	if err != nil {
		return err
	}
	if _, err := s.db.GetTicket(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	m := helpdesk.Message{TicketID: id}
	if d, ok := obj.String("direction", true); ok && obj.OneOf("direction", d, messageDirections...) {
		m.Direction = d
	}
	m.Body = s.messageBody(obj)
	m.SenderName = strings.TrimSpace(text(obj, "sender_name", false, maxNameLength))
	if obj.Has("sender_email") {
		m.SenderEmail, _ = email(obj, "sender_email", false)
	}
	// The Message-ID of the email the message came in as, so that replies
	// thread with it.
	m.EmailMessageID = strings.TrimSpace(text(obj, "email_message_id", false, 998))
	obj.RejectUnknown()
	if err := errs.Err(); err != nil {
		return err
	}
	if m.Direction != helpdesk.DirectionInbound {
		m.AuthorUserID = &p.UserID
	}
	m, err = s.db.AddMessage(r.Context(), p.WorkspaceID, m)
	if err != nil {
		return err
	}
	return created(w, m)
}

func (s *Server) addTicketTags(w http.ResponseWriter, r *http.Request, p principal) error {
	ctx := r.Context()
	id, err := pathID(r, "ticket")
	if err != nil {
		return err
	}
	if _, err := s.db.GetTicket(ctx, p.WorkspaceID, id); err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	var (
		errs validate.Errors
		refs []param.Ref
	)
	obj := &param.Params{Object: validate.NewObject(&errs, "", body), Refs: &refs}
	tags, _ := obj.RefList("tags", param.KindTag, true)
	obj.RejectUnknown()
	if err := errs.Err(); err != nil {
		return err
	}
	problems, err := s.db.CheckRefs(ctx, p.WorkspaceID, refs)
	if err != nil {
		return err
	}
	for _, pr := range problems {
		errs.Add(pr.Ref.Path, "%s", pr.Message)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	if _, err := s.db.ChangeTags(ctx, p.WorkspaceID, id, tags, true); err != nil {
		return err
	}
	t, err := s.db.GetTicket(ctx, p.WorkspaceID, id)
	if err != nil {
		return err
	}
	return ok(w, t)
}

func (s *Server) removeTicketTag(w http.ResponseWriter, r *http.Request, p principal) error {
	ctx := r.Context()
	id, err := pathID(r, "ticket")
	if err != nil {
		return err
	}
	tag, err := pathID(r, "tag")
	if err != nil {
		return err
	}
	if _, err := s.db.GetTag(ctx, p.WorkspaceID, tag); err != nil {
		return err
	}
	if _, err := s.db.ChangeTags(ctx, p.WorkspaceID, id, []string{tag}, false); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) listTicketEvents(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "ticket")
	if err != nil {
		return err
	}
	if _, err := s.db.GetTicket(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	events, err := s.db.ListTicketEvents(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	return ok(w, events)
}
