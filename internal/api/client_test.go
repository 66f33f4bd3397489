package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/deskflow/deskflow/internal/api/apiclient"
)

// TestGeneratedClient: the client generated from the OpenAPI description
// (internal/api/apiclient) works against a live server: it creates a
// workflow and a ticket, reads the run the new ticket started and finds
// the workflow's note on the ticket. Its traffic is checked against the
// description like every test's.
func TestGeneratedClient(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		c, err := apiclient.NewClientWithResponses(e.srv.URL, apiclient.WithHTTPClient(e.client()),
			apiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
				req.Header.Set("Authorization", "Bearer "+e.adminA)
				return nil
			}))
		if err != nil {
			t.Fatal(err)
		}
		ws := apiclient.WorkspaceId(e.wsA)

		var note apiclient.Action
		if err := note.FromActionAddInternalNote(apiclient.ActionAddInternalNote{
			Type:       "add_internal_note",
			Parameters: apiclient.ActionParametersAddInternalNote{Content: "Seen: {{ticket.subject}}"},
		}); err != nil {
			t.Fatal(err)
		}
		var step apiclient.ActionInput
		if err := step.FromAction(note); err != nil {
			t.Fatal(err)
		}
		wf, err := c.CreateWorkflowWithResponse(ctx, &apiclient.CreateWorkflowParams{XWorkspaceId: ws}, apiclient.WorkflowInput{
			Name:        "Note new tickets",
			TriggerType: apiclient.WorkflowInputTriggerTypeOnNewTicket,
			Actions:     &[]apiclient.ActionInput{step},
		})
		if err != nil || wf.JSON201 == nil {
			t.Fatalf("create the workflow: %s", failure(wf, err))
		}
		workflow := wf.JSON201.Data
		if workflow.TriggerType != apiclient.WorkflowTriggerTypeOnNewTicket || len(workflow.Actions) != 1 || !workflow.IsEnabled {
			t.Fatalf("the created workflow: %+v", workflow)
		}
		if a, err := workflow.Actions[0].AsActionAddInternalNote(); err != nil || a.Parameters.Content != "Seen: {{ticket.subject}}" {
			t.Errorf("the workflow's action: %+v %v", a, err)
		}

		tk, err := c.CreateTicketWithResponse(ctx, &apiclient.CreateTicketParams{XWorkspaceId: ws}, apiclient.TicketInput{
			Subject: "Refund",
			Body:    "Where is my refund?",
			Contact: apiclient.TicketContact{Email: "ann@example.com"},
		})
		if err != nil || tk.JSON201 == nil {
			t.Fatalf("create the ticket: %s", failure(tk, err))
		}
		ticket := tk.JSON201.Data
		if ticket.Status != "open" || ticket.Contact == nil || ticket.Contact.Email != "ann@example.com" {
			t.Errorf("the created ticket: status %q, contact %+v", ticket.Status, ticket.Contact)
		}

		var ran apiclient.Run
		e.eventually("the workflow's run succeeds", func() bool {
			runs, err := c.ListTicketRunsWithResponse(ctx, ticket.Id, &apiclient.ListTicketRunsParams{XWorkspaceId: ws})
			if err != nil || runs.JSON200 == nil {
				t.Fatalf("list the ticket's runs: %s", failure(runs, err))
			}
			for _, r := range runs.JSON200.Data {
				if r.WorkflowId == workflow.Id && r.Status == "succeeded" {
					ran = r
					return true
				}
			}
			return false
		})
		if len(ran.Steps) != 1 || ran.Steps[0].ActionType != "add_internal_note" || ran.Event == nil || ran.Event.Type != "ticket.created" {
			t.Errorf("the run: steps %+v, event %+v", ran.Steps, ran.Event)
		}

		got, err := c.GetTicketWithResponse(ctx, ticket.Id, &apiclient.GetTicketParams{XWorkspaceId: ws})
		if err != nil || got.JSON200 == nil || got.JSON200.Data.Messages == nil {
			t.Fatalf("get the ticket: %s", failure(got, err))
		}
		var noted bool
		for _, m := range *got.JSON200.Data.Messages {
			noted = noted || m.Direction == "note" && m.Body == "Seen: Refund" && m.WorkflowRunId != nil && *m.WorkflowRunId == ran.Id
		}
		if !noted {
			t.Errorf("no note of the run among the ticket's messages: %+v", *got.JSON200.Data.Messages)
		}
	})
}

// failure says why a generated client's call did not answer as expected.
func failure(r interface {
	StatusCode() int
	GetBody() []byte
}, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d %s", r.StatusCode(), r.GetBody())
}
