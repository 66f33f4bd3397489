package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
)

type handlerFunc func(w http.ResponseWriter, r *http.Request, p principal) error

// route is one endpoint; the table also feeds the OpenAPI description.
type route struct {
	method  string
	pattern string
	access  access
	tag     string
	summary string
	// description, when set, explains what the response's fields mean.
	description string
	handle      handlerFunc
	public      bool
	// paged: the answer is one page of a list (?page, ?per_page); the
	// OpenAPI description assumes so of every GET without path parameters
	// but a few.
	paged bool
}

func (s *Server) registerRoutes() {
	tags := named{s: s, kind: storage.Tags, param: "tag"}
	teams := named{s: s, kind: storage.Teams, param: "team"}
	bodyLimit := "; body at most " + helpdesk.SizeText(s.maxMessageBytes)
	latest := strconv.Itoa(viewMessages)
	s.routes = []route{
		{method: "GET", pattern: "/healthz", tag: "meta", summary: "Liveness: 200 while the process serves HTTP", public: true, handle: s.healthz},
		{method: "GET", pattern: "/readyz", tag: "meta", summary: "Readiness: 200 when the database answers, its schema is current and the engine runs; else 503 with the reason", public: true, handle: s.readyz},
		{method: "GET", pattern: "/metrics", tag: "meta", summary: "Prometheus metrics (with a bearer metrics token when the server has one)", public: true, handle: s.serveMetrics},
		{method: "GET", pattern: "/api/openapi.json", tag: "meta", summary: "This API's OpenAPI 3.1 description", public: true, handle: s.openAPI},
		{method: "GET", pattern: "/api/specs", tag: "meta", summary: "Every trigger, condition and action type with its parameters, the parameters common to every action, connector types, platform actions, template variables and filters", handle: s.specs},

		{method: "GET", pattern: "/api/workspace", tag: "workspace", summary: "The current workspace: name and email signature", handle: s.showWorkspace},
		{method: "PUT", pattern: "/api/workspace", tag: "workspace", access: adminOnly, summary: "Change the workspace's name or email signature (admin)", handle: s.updateWorkspace},
		{method: "GET", pattern: "/api/me", tag: "users", summary: "The calling user and role", handle: s.me},
		{method: "GET", pattern: "/api/users", tag: "users", summary: "List the workspace's users", handle: listing(s.db.ListUsers)},
		{method: "GET", pattern: "/api/users/{user}", tag: "users", summary: "Show a user", handle: showing("user", s.db.GetUser)},

		{method: "GET", pattern: "/api/tags", tag: "tags", summary: "List tags", handle: listing(tags.list)},
		{method: "POST", pattern: "/api/tags", tag: "tags", summary: "Create a tag", handle: tags.create},
		{method: "GET", pattern: "/api/tags/{tag}", tag: "tags", summary: "Show a tag", handle: showing("tag", tags.get)},
		{method: "PUT", pattern: "/api/tags/{tag}", tag: "tags", access: adminOnly, summary: "Rename a tag (admin)", handle: tags.update},
		{method: "DELETE", pattern: "/api/tags/{tag}", tag: "tags", access: adminOnly, summary: "Delete a tag no workflow uses (admin)", handle: tags.delete},

		{method: "GET", pattern: "/api/teams", tag: "teams", summary: "List teams", handle: listing(teams.list)},
		{method: "POST", pattern: "/api/teams", tag: "teams", access: adminOnly, summary: "Create a team (admin)", handle: teams.create},
		{method: "GET", pattern: "/api/teams/{team}", tag: "teams", summary: "Show a team", handle: showing("team", teams.get)},
		{method: "PUT", pattern: "/api/teams/{team}", tag: "teams", access: adminOnly, summary: "Rename a team (admin)", handle: teams.update},
		{method: "DELETE", pattern: "/api/teams/{team}", tag: "teams", access: adminOnly, summary: "Delete a team no workflow uses (admin)", handle: teams.delete},

		{method: "GET", pattern: "/api/channels", tag: "channels", summary: "List channels", handle: listing(s.db.ListChannels)},
		{method: "POST", pattern: "/api/channels", tag: "channels", access: adminOnly, summary: "Create a channel (admin)", handle: s.createChannel},
		{method: "GET", pattern: "/api/channels/{channel}", tag: "channels", summary: "Show a channel", handle: showing("channel", s.db.GetChannel)},
		{method: "PUT", pattern: "/api/channels/{channel}", tag: "channels", access: adminOnly, summary: "Update a channel (admin)", handle: s.updateChannel},
		{method: "DELETE", pattern: "/api/channels/{channel}", tag: "channels", access: adminOnly, summary: "Delete a channel no workflow uses (admin)", handle: s.deleteChannel},

		{method: "GET", pattern: "/api/contacts", tag: "contacts", summary: "List contacts", handle: listing(s.db.ListContacts)},
		{method: "POST", pattern: "/api/contacts", tag: "contacts", summary: "Create a contact", handle: s.createContact},
		{method: "GET", pattern: "/api/contacts/{contact}", tag: "contacts", summary: "Show a contact", handle: showing("contact", s.db.GetContact)},
		{method: "PUT", pattern: "/api/contacts/{contact}", tag: "contacts", summary: "Update a contact", handle: s.updateContact},

		{method: "GET", pattern: "/api/custom-fields", tag: "custom fields", summary: "List custom field definitions", handle: listing(s.db.ListCustomFields)},
		{method: "POST", pattern: "/api/custom-fields", tag: "custom fields", access: adminOnly, summary: "Define a custom field (admin)", handle: s.createCustomField},
		{method: "GET", pattern: "/api/custom-fields/{field}", tag: "custom fields", summary: "Show a custom field definition", handle: showing("field", s.db.GetCustomField)},
		{method: "PUT", pattern: "/api/custom-fields/{field}", tag: "custom fields", access: adminOnly, summary: "Rename a custom field (admin)", handle: s.updateCustomField},
		{method: "DELETE", pattern: "/api/custom-fields/{field}", tag: "custom fields", access: adminOnly, summary: "Delete a custom field definition (admin)", handle: s.deleteCustomField},

		{method: "GET", pattern: "/api/connectors/catalog", tag: "connectors", summary: "Connector types, and the platform actions execute_connector_action can run (with their parameters)", handle: s.connectorCatalog},
		{method: "GET", pattern: "/api/connectors", tag: "connectors", summary: "List connectors (credentials are never returned, only which are set)", handle: listing(s.db.ListConnectors)},
		{method: "POST", pattern: "/api/connectors", tag: "connectors", access: adminOnly, summary: "Create a connector: type, name, settings, write-only credentials (admin)", handle: s.createConnector},
		{method: "GET", pattern: "/api/connectors/{connector}", tag: "connectors", summary: "Show a connector", handle: s.showConnector},
		{method: "PUT", pattern: "/api/connectors/{connector}", tag: "connectors", access: adminOnly, summary: "Update a connector; credentials given are merged key by key, \"\" deletes one (admin)", handle: s.updateConnector},
		{method: "DELETE", pattern: "/api/connectors/{connector}", tag: "connectors", access: adminOnly, summary: "Delete a connector no workflow uses (admin)", handle: s.deleteConnector},
		{method: "POST", pattern: "/api/connectors/{connector}/test", tag: "connectors", access: adminOnly, summary: "Check that a connector works (admin)", handle: s.testConnector},

		{method: "GET", pattern: "/api/saved-replies", tag: "ai", summary: "List saved replies", handle: listing(s.db.ListSavedReplies)},
		{method: "POST", pattern: "/api/saved-replies", tag: "ai", summary: "Create a saved reply: title, body (a template)", handle: s.createSavedReply},
		{method: "GET", pattern: "/api/saved-replies/{reply}", tag: "ai", summary: "Show a saved reply", handle: showing("reply", s.db.GetSavedReply)},
		{method: "PUT", pattern: "/api/saved-replies/{reply}", tag: "ai", summary: "Update a saved reply", handle: s.updateSavedReply},
		{method: "DELETE", pattern: "/api/saved-replies/{reply}", tag: "ai", summary: "Delete a saved reply", handle: s.deleteSavedReply},
		{method: "GET", pattern: "/api/ai-settings", tag: "ai", summary: "The workspace's AI defaults: connector, categories, category field, keywords", handle: s.showAISettings},
		{method: "PUT", pattern: "/api/ai-settings", tag: "ai", access: adminOnly, summary: "Replace the workspace's AI defaults (admin)", handle: s.updateAISettings},

		{method: "GET", pattern: "/api/business-hours", tag: "business hours", summary: "Show the workspace's business hours", handle: s.showBusinessHours},
		{method: "PUT", pattern: "/api/business-hours", tag: "business hours", access: adminOnly, summary: "Replace the workspace's business hours (admin)", handle: s.updateBusinessHours},

		{method: "GET", pattern: "/api/tickets", tag: "tickets", summary: "List tickets, newest first", handle: listing(s.db.ListTickets)},
		{method: "POST", pattern: "/api/tickets", tag: "tickets", summary: "Create a ticket with its first customer message" + bodyLimit, handle: s.createTicket},
		{method: "GET", pattern: "/api/tickets/{ticket}", tag: "tickets", summary: "Show a ticket with its contact and its latest " + latest + " messages",
			description: "`messages` has the ticket's latest " + latest + " messages and notes, oldest first; `messages_total` counts them all and `messages_url` is the list that pages through them. Creating a ticket answers the same view.",
			handle:      s.showTicket},
		{method: "PUT", pattern: "/api/tickets/{ticket}", tag: "tickets", summary: "Update a ticket's subject, status, priority, assignee or custom fields", handle: s.updateTicket},
		{method: "GET", pattern: "/api/tickets/{ticket}/messages", tag: "tickets", summary: "List a ticket's messages and notes, oldest first",
			description: "Oldest first: by `created_at`, then by `id` for messages of the same microsecond.",
			handle:      listingOf("ticket", s.ticketExists, s.db.ListMessages), paged: true},
		{method: "POST", pattern: "/api/tickets/{ticket}/messages", tag: "tickets", summary: "Add an inbound message, an outbound reply or an internal note" + bodyLimit, handle: s.createMessage},
		{method: "POST", pattern: "/api/tickets/{ticket}/tags", tag: "tickets", summary: "Add tags to a ticket", handle: s.addTicketTags},
		{method: "DELETE", pattern: "/api/tickets/{ticket}/tags/{tag}", tag: "tickets", summary: "Remove a tag from a ticket", handle: s.removeTicketTag},
		{method: "GET", pattern: "/api/tickets/{ticket}/events", tag: "tickets", summary: "List the events a ticket's changes emitted", handle: s.listTicketEvents},

		{method: "GET", pattern: "/api/tickets/{ticket}/runs", tag: "runs", summary: "List the workflow runs on a ticket, newest first", handle: s.listTicketRuns, paged: true},
		{method: "GET", pattern: "/api/tickets/{ticket}/timers", tag: "runs", summary: "The ticket's on_no_reply timers that have not fired: workflow, period start, status, due time",
			description: "`status` is `pending`, or `never_due` when the workspace's business hours have no business time within the search horizon (3 years) to compute the due time: then `due_at` is null, `reason` says why, and the workflow does not fire for this waiting period unless the business hours or the workflow change.", handle: s.listTicketTimers},
		{method: "GET", pattern: "/api/tickets/{ticket}/evaluations", tag: "runs", summary: "How every workflow fared against each of the ticket's events (kept 7 days)",
			description: "Per event, `results` has the outcome of each workflow evaluated, in run order, with each condition's result when its conditions were evaluated; `ruled_out` has the ids of the workflows that did not match because a text their conditions require (a subject, body or sender value) does not occur in the event: their conditions were not evaluated one by one.",
			handle:      listingOf("ticket", s.ticketExists, s.db.ListEvaluations), paged: true},
		{method: "GET", pattern: "/api/tickets/{ticket}/workflows", tag: "workflows", summary: "List the enabled manual workflows whose conditions match the ticket", handle: s.listManualWorkflows},
		{method: "GET", pattern: "/api/runs/{run}", tag: "runs", summary: "Show a run: triggering event, condition results, steps", handle: s.showRun},
		{method: "GET", pattern: "/api/approvals", tag: "approvals", summary: "List approvals (?status=pending|approved|rejected|expired) with the step's rendered parameters", handle: s.listApprovals},
		{method: "GET", pattern: "/api/approvals/{approval}", tag: "approvals", summary: "Show an approval", handle: showing("approval", s.db.GetApproval)},
		{method: "POST", pattern: "/api/approvals/{approval}/approve", tag: "approvals", access: adminOnly, summary: "Approve: the path resumes at its step (admin)", handle: s.decide(true)},
		{method: "POST", pattern: "/api/approvals/{approval}/reject", tag: "approvals", access: adminOnly, summary: "Reject: the rest of the path is skipped (admin)", handle: s.decide(false)},

		{method: "GET", pattern: "/api/workflows", tag: "workflows", summary: "List workflows in run order", handle: listing(s.db.ListWorkflows)},
		{method: "POST", pattern: "/api/workflows", tag: "workflows", access: adminOnly, summary: "Create a workflow (admin)", handle: s.createWorkflow},
		{method: "GET", pattern: "/api/workflows/{workflow}", tag: "workflows", summary: "Show a workflow with nested conditions and actions", handle: showing("workflow", s.db.GetWorkflow)},
		{method: "PUT", pattern: "/api/workflows/{workflow}", tag: "workflows", access: adminOnly, summary: "Update a workflow (admin); omitted fields stay, conditions/actions/paths given are replaced whole", handle: s.updateWorkflow},
		{method: "DELETE", pattern: "/api/workflows/{workflow}", tag: "workflows", access: adminOnly, summary: "Delete a workflow (admin)", handle: s.deleteWorkflow},
		{method: "GET", pattern: "/api/workflows/{workflow}/runs", tag: "runs", summary: "List a workflow's runs, newest first", handle: s.listWorkflowRuns, paged: true},
		{method: "POST", pattern: "/api/workflows/{workflow}/runs", tag: "runs", summary: "Run a manual workflow on a ticket: {\"ticket_id\"}", handle: s.runWorkflow},
	}
	for _, rt := range s.routes {
		s.mux.HandleFunc(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allowed := s.methodsOf(r.URL.Path); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Message: "Method not allowed: use " + strings.Join(allowed, " or ") + "."})
			return
		}
		writeJSON(w, http.StatusNotFound, errorBody{Message: "Not found."})
	})
}

func (s *Server) wrap(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p principal
		if !rt.public {
			var err error
			if p, err = s.authenticate(r.Context(), r, rt.access); err != nil {
				s.fail(w, r, err)
				return
			}
			if ok, wait := s.limiter.allow(p.UserID); !ok {
				tooManyRequests(w, wait)
				return
			}
		}
		if err := rt.handle(w, r, p); err != nil {
			s.fail(w, r, err)
		}
	}
}

// pathID reads a ULID path parameter; anything else cannot exist, so 404.
func pathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if !helpdesk.IsID(id) {
		return "", errNotFound
	}
	return id, nil
}

// showing serves one object of the workspace, by the ULID in path
// parameter param.
func showing[T any](param string, load func(ctx context.Context, ws int64, id string) (T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p principal) error {
		id, err := pathID(r, param)
		if err != nil {
			return err
		}
		item, err := load(r.Context(), p.WorkspaceID, id)
		if err != nil {
			return err
		}
		return ok(w, item)
	}
}

// listing serves a paged list of the workspace's objects from load.
func listing[T any](load func(ctx context.Context, ws int64, page storage.Page) ([]T, int, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p principal) error {
		page, err := pageOf(r)
		if err != nil {
			return err
		}
		items, total, err := load(r.Context(), p.WorkspaceID, page)
		if err != nil {
			return err
		}
		return paged(w, items, page, total)
	}
}

// listingOf serves a paged list of what belongs to the workspace's object
// named by path parameter param (404 when exists finds no such object).
func listingOf[T any](param string, exists func(ctx context.Context, ws int64, id string) error, load func(ctx context.Context, ws int64, id string, page storage.Page) ([]T, int, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p principal) error {
		id, err := pathID(r, param)
		if err != nil {
			return err
		}
		if err := exists(r.Context(), p.WorkspaceID, id); err != nil {
			return err
		}
		return listing(func(ctx context.Context, ws int64, page storage.Page) ([]T, int, error) {
			return load(ctx, ws, id, page)
		})(w, r, p)
	}
}

// methodsOf lists, sorted, the methods of the routes whose pattern matches
// path: a request with another method is answered 405 with them in Allow.
func (s *Server) methodsOf(path string) []string {
	var out []string
	for _, rt := range s.routes {
		if patternMatches(rt.pattern, path) && !slices.Contains(out, rt.method) {
			out = append(out, rt.method)
		}
	}
	slices.Sort(out)
	return out
}

// patternMatches reports whether path has the route pattern's segments, a
// {name} segment matching any one non-empty segment.
func patternMatches(pattern, path string) bool {
	want, have := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(want) != len(have) {
		return false
	}
	for i, seg := range want {
		if strings.HasPrefix(seg, "{") {
			if have[i] == "" {
				return false
			}
		} else if seg != have[i] {
			return false
		}
	}
	return true
}
