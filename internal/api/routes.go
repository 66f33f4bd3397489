package api

import (
	"context"
	"github.com/deskflow/deskflow/internal/bundle"
	"github.com/deskflow/deskflow/internal/console"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/deskflow/deskflow/internal/businesshours"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/reference"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/workflow"
)

type handlerFunc func(w http.ResponseWriter, r *http.Request, p principal) error

// route is one endpoint; the table also feeds the OpenAPI description.
type route struct {
	method  string
	pattern string
	// id is the operation's operationId: stable, camelCase, the name a
	// generated client gives the call.
	id      string
	access  access
	tag     string
	summary string
	// description, when set, explains what the response's fields mean.
	description string
	// in is the Go type that describes the JSON request body (bodies.go);
	// nil when the route reads none. optionalBody: it may be left out.
	// partial: the body of an update that keeps what it omits, in's with
	// every field optional.
	in           reflect.Type
	optionalBody bool
	partial      bool
	// out is the Go type of the answer's data; nil when the route answers
	// 204 with no body. unwrapped: the answer is out itself, not
	// {"data": out}. contentType is that of every answer of the route
	// when it is not JSON (out is then a string). outAlso are other
	// statuses answered with out, with when.
	out         reflect.Type
	unwrapped   bool
	contentType string
	outAlso     map[int]string
	// status is the success status when it is neither 200 nor 204: 201
	// for the routes that create.
	status int
	// paged: out is a list answered one page at a time (?page, ?per_page),
	// with meta.
	paged bool
	// query are the query parameters besides page and per_page.
	query []queryParam
	// errors are the statuses the route can answer besides those every
	// route of its kind can (openapi.go, responses), with when.
	errors map[int]string
	handle handlerFunc
	public bool
}

// queryParam is one query parameter: a string, one of values when set.
type queryParam struct {
	name, description string
	values            []string
}

// of is the reflect.Type of T, for a route's in and out.
func of[T any]() reflect.Type { return reflect.TypeFor[T]() }

func (s *Server) registerRoutes() {
	tags := named{s: s, kind: storage.Tags, param: "tag"}
	teams := named{s: s, kind: storage.Teams, param: "team"}
	bodyLimit := "; body at most " + helpdesk.SizeText(s.maxMessageBytes)
	latest := strconv.Itoa(viewMessages)
	inUse := func(kind string) map[int]string {
		return map[int]string{http.StatusConflict: "A workflow uses the " + kind + ": the message names it."}
	}
	decided := map[int]string{http.StatusConflict: "The approval was decided already, or it has expired (its path was ended)."}
	s.routes = []route{
		{method: "GET", pattern: "/healthz", id: "checkLiveness", tag: "meta", summary: "Liveness: 200 while the process serves HTTP", out: of[health](), unwrapped: true, public: true, handle: s.healthz},
		{method: "GET", pattern: "/readyz", id: "checkReadiness", tag: "meta", summary: "Readiness: 200 when the database answers, its schema is current and the engine runs; else 503 with the reason", out: of[health](), unwrapped: true,
			outAlso: map[int]string{http.StatusServiceUnavailable: "Not ready: reason says why."}, public: true, handle: s.readyz},
		{method: "GET", pattern: "/metrics", id: "getMetrics", tag: "meta", summary: "Prometheus metrics (with a bearer metrics token when the server has one)", out: of[string](), unwrapped: true, contentType: "text/plain",
			errors: map[int]string{http.StatusUnauthorized: "The server has a metrics token, and the request did not send it as Authorization: Bearer <metrics token>."}, public: true, handle: s.serveMetrics},
		{method: "GET", pattern: "/api/openapi.json", id: "getOpenAPI", tag: "meta", summary: "This API's OpenAPI 3.1 description", out: of[document](), unwrapped: true, public: true, handle: s.openAPI},
		{method: "GET", pattern: "/api/specs", id: "getSpecs", tag: "meta", summary: "Every trigger, condition and action type with its parameters, the parameters common to every action, connector types, platform actions, template variables and filters", out: of[reference.Document](), handle: s.specs},

		{method: "POST", pattern: "/api/session", id: "signIn", tag: "users", summary: "Sign in to the console with an email and a password: a session cookie (HttpOnly, SameSite=Lax, 12 hours)", in: of[sessionInput](), out: of[sessionView](),
			errors: map[int]string{http.StatusUnauthorized: "The email or the password is wrong.", http.StatusTooManyRequests: "Too many attempts for this email or from this address: Retry-After says when to try again."}, public: true, handle: s.signIn},
		{method: "GET", pattern: "/api/session", id: "getSession", tag: "users", summary: "Who is signed in (by session cookie or token) and the workspaces they belong to, with their role in each", out: of[sessionView](),
			errors: map[int]string{http.StatusUnauthorized: "Nobody is signed in."}, public: true, handle: s.showSession},
		{method: "DELETE", pattern: "/api/session", id: "signOut", tag: "users", summary: "Sign out: the session ends and its cookie is cleared", public: true, handle: s.signOut},
		{method: "PUT", pattern: "/api/me", id: "updateMe", tag: "users", summary: "Change your name, email or password", in: of[profileInput](), partial: true, out: of[helpdesk.User](), handle: s.updateMe},
		{method: "POST", pattern: "/api/invitations", id: "inviteUser", tag: "users", access: adminOnly, summary: "Add a person to the workspace with a role, and make the one-time link that signs them in (admin)", in: of[invitationInput](), out: of[invitation](), status: http.StatusCreated,
			errors: map[int]string{http.StatusConflict: "The person is a member of the workspace already."}, handle: s.invite},
		{method: "PUT", pattern: "/api/users/{user}", id: "setUserRole", tag: "users", access: adminOnly, summary: "Change a member's role (admin)", in: of[roleInput](), out: of[helpdesk.User](), handle: s.setRole},
		{method: "GET", pattern: "/api/workspace", id: "getWorkspace", tag: "workspace", summary: "The current workspace: name and email signature", out: of[helpdesk.Workspace](), handle: s.showWorkspace},
		{method: "PUT", pattern: "/api/workspace", id: "updateWorkspace", tag: "workspace", access: adminOnly, summary: "Change the workspace's name or email signature (admin)", in: of[workspaceInput](), out: of[helpdesk.Workspace](), handle: s.updateWorkspace},
		{method: "GET", pattern: "/api/me", id: "getMe", tag: "users", summary: "The calling user and role", out: of[helpdesk.User](), handle: s.me},
		{method: "GET", pattern: "/api/users", id: "listUsers", tag: "users", summary: "List the workspace's users", out: of[[]helpdesk.User](), paged: true, handle: listing(s.db.ListUsers)},
		{method: "GET", pattern: "/api/users/{user}", id: "getUser", tag: "users", summary: "Show a user", out: of[helpdesk.User](), handle: showing("user", s.db.GetUser)},

		{method: "GET", pattern: "/api/tags", id: "listTags", tag: "tags", summary: "List tags", out: of[[]helpdesk.Tag](), paged: true, handle: listing(tags.list)},
		{method: "POST", pattern: "/api/tags", id: "createTag", tag: "tags", summary: "Create a tag", in: of[nameInput](), out: of[helpdesk.Tag](), status: http.StatusCreated, handle: tags.create},
		{method: "GET", pattern: "/api/tags/{tag}", id: "getTag", tag: "tags", summary: "Show a tag", out: of[helpdesk.Tag](), handle: showing("tag", tags.get)},
		{method: "PUT", pattern: "/api/tags/{tag}", id: "updateTag", tag: "tags", access: adminOnly, summary: "Rename a tag (admin)", in: of[nameInput](), out: of[helpdesk.Tag](), handle: tags.update},
		{method: "DELETE", pattern: "/api/tags/{tag}", id: "deleteTag", tag: "tags", access: adminOnly, summary: "Delete a tag no workflow uses (admin)", errors: inUse("tag"), handle: tags.delete},

		{method: "GET", pattern: "/api/teams", id: "listTeams", tag: "teams", summary: "List teams", out: of[[]helpdesk.Team](), paged: true, handle: listing(teams.list)},
		{method: "POST", pattern: "/api/teams", id: "createTeam", tag: "teams", access: adminOnly, summary: "Create a team (admin)", in: of[nameInput](), out: of[helpdesk.Team](), status: http.StatusCreated, handle: teams.create},
		{method: "GET", pattern: "/api/teams/{team}", id: "getTeam", tag: "teams", summary: "Show a team", out: of[helpdesk.Team](), handle: showing("team", teams.get)},
		{method: "PUT", pattern: "/api/teams/{team}", id: "updateTeam", tag: "teams", access: adminOnly, summary: "Rename a team (admin)", in: of[nameInput](), out: of[helpdesk.Team](), handle: teams.update},
		{method: "DELETE", pattern: "/api/teams/{team}", id: "deleteTeam", tag: "teams", access: adminOnly, summary: "Delete a team no workflow uses (admin)", errors: inUse("team"), handle: teams.delete},

		{method: "GET", pattern: "/api/channels", id: "listChannels", tag: "channels", summary: "List channels", out: of[[]helpdesk.Channel](), paged: true, handle: listing(s.db.ListChannels)},
		{method: "POST", pattern: "/api/channels", id: "createChannel", tag: "channels", access: adminOnly, summary: "Create a channel (admin)", in: of[channelInput](), out: of[helpdesk.Channel](), status: http.StatusCreated, handle: s.createChannel},
		{method: "GET", pattern: "/api/channels/{channel}", id: "getChannel", tag: "channels", summary: "Show a channel", out: of[helpdesk.Channel](), handle: showing("channel", s.db.GetChannel)},
		{method: "PUT", pattern: "/api/channels/{channel}", id: "updateChannel", tag: "channels", access: adminOnly, summary: "Update a channel (admin)", in: of[channelInput](), partial: true, out: of[helpdesk.Channel](), handle: s.updateChannel},
		{method: "GET", pattern: "/api/channels/{channel}/status", id: "getChannelStatus", tag: "channels", summary: "How an email channel's mail intake fares: last poll of its mailbox, last error, emails imported, duplicates dropped, emails that failed", out: of[helpdesk.ChannelStatus](), handle: s.channelStatus},
		{method: "GET", pattern: "/api/messages/{message}/source", id: "getMessageSource", tag: "tickets", summary: "The email a message came in as: its raw header, why it is automatic, what could not be read", out: of[storage.MessageSource](), handle: showing("message", s.db.MessageSource)},
		{method: "GET", pattern: "/api/messages/{message}/attachments", id: "listMessageAttachments", tag: "tickets", summary: "The files that came with an email message", out: of[[]helpdesk.Attachment](), handle: s.messageAttachments},
		{method: "GET", pattern: "/api/attachments/{attachment}", id: "downloadAttachment", tag: "tickets", summary: "Download an attachment's content, as received", out: of[string](), unwrapped: true, contentType: "application/octet-stream",
			errors: map[int]string{http.StatusConflict: "The attachment was over the size limit: only its name, type and size were kept."}, handle: s.downloadAttachment},
		{method: "DELETE", pattern: "/api/channels/{channel}", id: "deleteChannel", tag: "channels", access: adminOnly, summary: "Delete a channel no workflow uses (admin)", errors: inUse("channel"), handle: s.deleteChannel},

		{method: "GET", pattern: "/api/contacts", id: "listContacts", tag: "contacts", summary: "List contacts", out: of[[]helpdesk.Contact](), paged: true, handle: listing(s.db.ListContacts)},
		{method: "POST", pattern: "/api/contacts", id: "createContact", tag: "contacts", summary: "Create a contact", in: of[contactInput](), out: of[helpdesk.Contact](), status: http.StatusCreated, handle: s.createContact},
		{method: "GET", pattern: "/api/contacts/{contact}", id: "getContact", tag: "contacts", summary: "Show a contact", out: of[helpdesk.Contact](), handle: showing("contact", s.db.GetContact)},
		{method: "PUT", pattern: "/api/contacts/{contact}", id: "updateContact", tag: "contacts", summary: "Update a contact", in: of[contactInput](), partial: true, out: of[helpdesk.Contact](), handle: s.updateContact},

		{method: "GET", pattern: "/api/custom-fields", id: "listCustomFields", tag: "custom fields", summary: "List custom field definitions", out: of[[]helpdesk.CustomField](), paged: true, handle: listing(s.db.ListCustomFields)},
		{method: "POST", pattern: "/api/custom-fields", id: "createCustomField", tag: "custom fields", access: adminOnly, summary: "Define a custom field (admin)", in: of[customFieldInput](), out: of[helpdesk.CustomField](), status: http.StatusCreated, handle: s.createCustomField},
		{method: "GET", pattern: "/api/custom-fields/{field}", id: "getCustomField", tag: "custom fields", summary: "Show a custom field definition", out: of[helpdesk.CustomField](), handle: showing("field", s.db.GetCustomField)},
		{method: "PUT", pattern: "/api/custom-fields/{field}", id: "updateCustomField", tag: "custom fields", access: adminOnly, summary: "Rename a custom field (admin)", in: of[customFieldUpdate](), out: of[helpdesk.CustomField](), handle: s.updateCustomField},
		{method: "DELETE", pattern: "/api/custom-fields/{field}", id: "deleteCustomField", tag: "custom fields", access: adminOnly, summary: "Delete a custom field definition (admin)", handle: s.deleteCustomField},

		{method: "GET", pattern: "/api/connectors/catalog", id: "getConnectorCatalog", tag: "connectors", summary: "Connector types, and the platform actions execute_connector_action can run (with their parameters)", out: of[catalogView](), handle: s.connectorCatalog},
		{method: "GET", pattern: "/api/connectors", id: "listConnectors", tag: "connectors", summary: "List connectors (credentials are never returned, only which are set)", out: of[[]connector.Connector](), paged: true, handle: listing(s.db.ListConnectors)},
		{method: "POST", pattern: "/api/connectors", id: "createConnector", tag: "connectors", access: adminOnly, summary: "Create a connector: type, name, settings, write-only credentials (admin)", in: of[connectorInput](), out: of[connector.Connector](), status: http.StatusCreated, handle: s.createConnector},
		{method: "GET", pattern: "/api/connectors/{connector}", id: "getConnector", tag: "connectors", summary: "Show a connector", out: of[connector.Connector](), handle: s.showConnector},
		{method: "PUT", pattern: "/api/connectors/{connector}", id: "updateConnector", tag: "connectors", access: adminOnly, summary: "Update a connector; credentials given are merged key by key, \"\" deletes one (admin)", in: of[connectorInput](), partial: true, out: of[connector.Connector](), handle: s.updateConnector},
		{method: "DELETE", pattern: "/api/connectors/{connector}", id: "deleteConnector", tag: "connectors", access: adminOnly, summary: "Delete a connector no workflow uses (admin)", errors: inUse("connector"), handle: s.deleteConnector},
		{method: "POST", pattern: "/api/connectors/{connector}/test", id: "testConnector", tag: "connectors", access: adminOnly, summary: "Check that a connector works (admin); a failing check is an answer (ok false with the reason)", out: of[testResult](),
			errors: map[int]string{http.StatusUnprocessableEntity: "The connector's type cannot be tested."}, handle: s.testConnector},

		{method: "GET", pattern: "/api/saved-replies", id: "listSavedReplies", tag: "ai", summary: "List saved replies", out: of[[]helpdesk.SavedReply](), paged: true, handle: listing(s.db.ListSavedReplies)},
		{method: "POST", pattern: "/api/saved-replies", id: "createSavedReply", tag: "ai", summary: "Create a saved reply: title, body (a template)", in: of[savedReplyInput](), out: of[helpdesk.SavedReply](), status: http.StatusCreated, handle: s.createSavedReply},
		{method: "GET", pattern: "/api/saved-replies/{reply}", id: "getSavedReply", tag: "ai", summary: "Show a saved reply", out: of[helpdesk.SavedReply](), handle: showing("reply", s.db.GetSavedReply)},
		{method: "PUT", pattern: "/api/saved-replies/{reply}", id: "updateSavedReply", tag: "ai", summary: "Update a saved reply", in: of[savedReplyInput](), partial: true, out: of[helpdesk.SavedReply](), handle: s.updateSavedReply},
		{method: "DELETE", pattern: "/api/saved-replies/{reply}", id: "deleteSavedReply", tag: "ai", summary: "Delete a saved reply", handle: s.deleteSavedReply},
		{method: "GET", pattern: "/api/ai-settings", id: "getAISettings", tag: "ai", summary: "The workspace's AI defaults: connector, categories, category field, keywords", out: of[helpdesk.AISettings](), handle: s.showAISettings},
		{method: "PUT", pattern: "/api/ai-settings", id: "updateAISettings", tag: "ai", access: adminOnly, summary: "Replace the workspace's AI defaults (admin)", in: of[aiSettingsInput](), out: of[helpdesk.AISettings](), handle: s.updateAISettings},

		{method: "GET", pattern: "/api/business-hours", id: "getBusinessHours", tag: "business hours", summary: "Show the workspace's business hours", out: of[businesshours.Schedule](), handle: s.showBusinessHours},
		{method: "GET", pattern: "/api/business-hours/due", id: "previewBusinessHoursDue", tag: "business hours", summary: "When a customer message received now would be due after value unit, in the workspace's business hours (or in calendar time with only_business_hours=false)", out: of[duePreview](),
			query: []queryParam{{name: "value", description: "The wait: a whole number (default 4)."}, {name: "unit", description: "Its unit (default hours).", values: []string{"minutes", "hours", "days"}}, {name: "only_business_hours", description: "false: count calendar time; true (the default): business time.", values: []string{"true", "false"}}}, handle: s.previewDue},
		{method: "PUT", pattern: "/api/business-hours", id: "updateBusinessHours", tag: "business hours", access: adminOnly, summary: "Replace the workspace's business hours (admin)", in: of[businessHoursInput](), out: of[businesshours.Schedule](), handle: s.updateBusinessHours},

		{method: "GET", pattern: "/api/tickets", id: "listTickets", tag: "tickets", summary: "List tickets, newest first", out: of[[]helpdesk.Ticket](), paged: true, handle: listing(s.db.ListTickets)},
		{method: "POST", pattern: "/api/tickets", id: "createTicket", tag: "tickets", summary: "Create a ticket with its first customer message" + bodyLimit, in: of[ticketInput](), out: of[ticketView](), status: http.StatusCreated, handle: s.createTicket},
		{method: "GET", pattern: "/api/tickets/{ticket}", id: "getTicket", tag: "tickets", summary: "Show a ticket with its contact and its latest " + latest + " messages",
			description: "`messages` has the ticket's latest " + latest + " messages and notes, oldest first; `messages_total` counts them all and `messages_url` is the list that pages through them. Creating a ticket answers the same view.",
			out:         of[ticketView](), handle: s.showTicket},
		{method: "PUT", pattern: "/api/tickets/{ticket}", id: "updateTicket", tag: "tickets", summary: "Update a ticket's subject, status, priority, assignee or custom fields; the answer is the ticket with its contact, without messages", in: of[ticketUpdate](), out: of[ticketView](), handle: s.updateTicket},
		{method: "GET", pattern: "/api/tickets/{ticket}/messages", id: "listTicketMessages", tag: "tickets", summary: "List a ticket's messages and notes, oldest first",
			description: "Oldest first: by `created_at`, then by `id` for messages of the same microsecond.",
			out:         of[[]helpdesk.Message](), paged: true, handle: listingOf("ticket", s.ticketExists, s.db.ListMessages)},
		{method: "POST", pattern: "/api/tickets/{ticket}/messages", id: "createTicketMessage", tag: "tickets", summary: "Add an inbound message, an outbound reply or an internal note" + bodyLimit, in: of[messageInput](), out: of[helpdesk.Message](), status: http.StatusCreated, handle: s.createMessage},
		{method: "POST", pattern: "/api/tickets/{ticket}/tags", id: "addTicketTags", tag: "tickets", summary: "Add tags to a ticket", in: of[ticketTagsInput](), out: of[helpdesk.Ticket](), handle: s.addTicketTags},
		{method: "DELETE", pattern: "/api/tickets/{ticket}/tags/{tag}", id: "removeTicketTag", tag: "tickets", summary: "Remove a tag from a ticket", handle: s.removeTicketTag},
		{method: "GET", pattern: "/api/tickets/{ticket}/events", id: "listTicketEvents", tag: "tickets", summary: "List the events a ticket's changes emitted", out: of[[]helpdesk.Event](), handle: s.listTicketEvents},

		{method: "GET", pattern: "/api/tickets/{ticket}/runs", id: "listTicketRuns", tag: "runs", summary: "List the workflow runs on a ticket, newest first", out: of[[]runView](), paged: true, handle: s.listTicketRuns},
		{method: "GET", pattern: "/api/tickets/{ticket}/timers", id: "listTicketTimers", tag: "runs", summary: "The ticket's on_no_reply timers that have not fired: workflow, period start, status, due time",
			description: "`status` is `pending`, or `never_due` when the workspace's business hours have no business time within the search horizon (3 years) to compute the due time: then `due_at` is null, `reason` says why, and the workflow does not fire for this waiting period unless the business hours or the workflow change.",
			out:         of[[]storage.Timer](), handle: s.listTicketTimers},
		{method: "GET", pattern: "/api/tickets/{ticket}/evaluations", id: "listTicketEvaluations", tag: "runs", summary: "How every workflow fared against each of the ticket's events (kept 7 days)",
			description: "Per event, `results` has the outcome of each workflow evaluated, in run order, with each condition's result when its conditions were evaluated; `ruled_out` has the ids of the workflows that did not match because a text their conditions require (a subject, body or sender value) does not occur in the event: their conditions were not evaluated one by one.",
			out:         of[[]run.Evaluation](), paged: true, handle: listingOf("ticket", s.ticketExists, s.db.ListEvaluations)},
		{method: "GET", pattern: "/api/tickets/{ticket}/workflows", id: "listTicketManualWorkflows", tag: "workflows", summary: "List the enabled manual workflows whose conditions match the ticket", out: of[[]*workflow.Workflow](), handle: s.listManualWorkflows},
		{method: "POST", pattern: "/api/runs/{run}/replay", id: "replayRun", tag: "runs", access: adminOnly, summary: "Run a failed run again from its failed steps, on the definition it started with; succeeded steps are not repeated (admin)", out: of[runView](),
			errors: map[int]string{http.StatusConflict: "The run did not fail, or ran inline and kept no definition."}, handle: s.replayRun},
		{method: "GET", pattern: "/api/runs/{run}", id: "getRun", tag: "runs", summary: "Show a run: triggering event, condition results, steps", out: of[runView](), handle: s.showRun},
		{method: "GET", pattern: "/api/approvals", id: "listApprovals", tag: "approvals", summary: "List approvals with the step's rendered parameters, oldest first", out: of[[]run.Approval](), paged: true,
			query: []queryParam{{name: "status", description: "Only the approvals of this status.", values: approvalStatuses}}, handle: s.listApprovals},
		{method: "GET", pattern: "/api/approvals/{approval}", id: "getApproval", tag: "approvals", summary: "Show an approval", out: of[run.Approval](), handle: showing("approval", s.db.GetApproval)},
		{method: "POST", pattern: "/api/approvals/{approval}/approve", id: "approve", tag: "approvals", access: adminOnly, summary: "Approve: the path resumes at its step (admin)", in: of[decisionInput](), optionalBody: true, out: of[run.Approval](), errors: decided, handle: s.decide(true)},
		{method: "POST", pattern: "/api/approvals/{approval}/reject", id: "reject", tag: "approvals", access: adminOnly, summary: "Reject: the rest of the path is skipped (admin)", in: of[decisionInput](), optionalBody: true, out: of[run.Approval](), errors: decided, handle: s.decide(false)},

		{method: "GET", pattern: "/api/workflows", id: "listWorkflows", tag: "workflows", summary: "List workflows in run order", out: of[[]*workflow.Workflow](), paged: true, handle: listing(s.db.ListWorkflows)},
		{method: "POST", pattern: "/api/workflows", id: "createWorkflow", tag: "workflows", access: adminOnly, summary: "Create a workflow (admin)", in: of[workflowInput](), out: of[*workflow.Workflow](), status: http.StatusCreated, handle: s.createWorkflow},
		{method: "GET", pattern: "/api/workflows/{workflow}", id: "getWorkflow", tag: "workflows", summary: "Show a workflow with nested conditions and actions", out: of[*workflow.Workflow](), handle: showing("workflow", s.db.GetWorkflow)},
		{method: "PUT", pattern: "/api/workflows/{workflow}", id: "updateWorkflow", tag: "workflows", access: adminOnly, summary: "Update a workflow (admin); omitted fields stay, conditions/actions/paths given are replaced whole", in: of[workflowUpdate](), out: of[*workflow.Workflow](), handle: s.updateWorkflow},
		{method: "DELETE", pattern: "/api/workflows/{workflow}", id: "deleteWorkflow", tag: "workflows", access: adminOnly, summary: "Delete a workflow (admin)", handle: s.deleteWorkflow},
		{method: "POST", pattern: "/api/workflows/dry-run", id: "dryRunDraftWorkflow", tag: "workflows", access: adminOnly, summary: "Try a draft workflow (not saved) on one ticket or the recent ones: what would match and what each step would do, rendered; nothing is written or sent (admin)", in: of[dryRunInput](), out: of[dryRunAnswer](), handle: s.dryRunDraft},
		{method: "POST", pattern: "/api/workflows/{workflow}/dry-run", id: "dryRunWorkflow", tag: "workflows", access: adminOnly, summary: "Try a saved workflow, or one of its versions, on one ticket or the recent ones; nothing is written or sent (admin)", in: of[dryRunInput](), out: of[dryRunAnswer](), handle: s.dryRunSaved},
		{method: "GET", pattern: "/api/workflows/{workflow}/versions", id: "listWorkflowVersions", tag: "workflows", summary: "List a workflow's versions, newest first: every save that changed its definition (enabling, disabling and moving it make none)", out: of[[]storage.Version](), paged: true, handle: s.listVersions},
		{method: "GET", pattern: "/api/workflows/{workflow}/versions/{version}", id: "getWorkflowVersion", tag: "workflows", summary: "Show one version of a workflow with its whole definition", out: of[storage.Version](), handle: s.getVersion},
		{method: "GET", pattern: "/api/workflows/{workflow}/versions/{version}/diff", id: "diffWorkflowVersion", tag: "workflows", summary: "What changed from version ?from (default: the one before) to this one, by path: trigger, conditions, actions, parameters",
			out: of[versionDiff](), query: []queryParam{{name: "from", description: "The version to compare with (default: the one before)."}}, handle: s.diffVersion},
		{method: "POST", pattern: "/api/workflows/{workflow}/versions/{version}/restore", id: "restoreWorkflowVersion", tag: "workflows", access: adminOnly, summary: "Make a version's definition the workflow's again: a new version equal to it (admin)", out: of[*workflow.Workflow](), handle: s.restoreVersion},
		{method: "GET", pattern: "/api/export", id: "exportAutomation", tag: "workflows", access: adminOnly, summary: "The workspace's automation as a bundle: workflows, tags, teams, business hours, saved replies and connectors (without credentials), naming objects by name instead of id (admin)",
			out: of[*bundle.Bundle](), errors: map[int]string{http.StatusConflict: "Two objects of a kind share a name, or there are too many to export: the message says which."}, handle: s.exportBundle},
		{method: "POST", pattern: "/api/import", id: "importAutomation", tag: "workflows", access: adminOnly, summary: "Make the workspace's automation match a bundle: the plan (create, update, delete per object), applied all or nothing unless dry_run (admin)",
			description: "Objects are matched by name (saved replies by title). A kind the bundle leaves out is not touched; with `prune=true`, objects of a kind it lists that it does not hold are deleted. Applying the same bundle twice changes nothing and makes no workflow version. Errors name the bundle's paths: `workflows[3].actions[1].parameters.url`.",
			in:          of[bundleInput](), out: of[importAnswer](),
			query: []queryParam{{name: "dry_run", description: "true: answer the plan without applying it.", values: []string{"true", "false"}}, {name: "prune", description: "true: delete the objects of the kinds the bundle lists that it does not hold.", values: []string{"true", "false"}}},
			errors: map[int]string{http.StatusConflict: "An object to delete is still used by a workflow the bundle keeps.",
				http.StatusInternalServerError: "The apply failed in the database: none of it was applied."}, handle: s.importBundle},
		{method: "GET", pattern: "/api/workflows/{workflow}/runs", id: "listWorkflowRuns", tag: "runs", summary: "List a workflow's runs, newest first", out: of[[]runView](), paged: true, handle: s.listWorkflowRuns},
		{method: "POST", pattern: "/api/workflows/{workflow}/runs", id: "runWorkflow", tag: "runs", summary: "Run a manual workflow on a ticket", in: of[runInput](), out: of[runView](), status: http.StatusCreated, handle: s.runWorkflow},
	}
	for _, rt := range s.routes {
		s.mux.HandleFunc(rt.method+" "+rt.pattern, s.wrap(rt))
	}
	ui := console.Handler()
	s.mux.Handle("GET /{$}", ui)
	s.mux.Handle("GET /assets/", ui)
	s.mux.HandleFunc("GET /sign-in/{secret}", s.useSignInLink)
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
