package action

import (
	"context"
	"maps"
	"strings"
	"time"

	"github.com/deskflow/deskflow/internal/integration/teams"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

var sendTeamsMessage = Definition{
	Type:        "send_teams_message",
	Effect:      EffectExternal,
	Run:         runTeams,
	Category:    CategoryCommunication,
	Description: "Post message (a template) to a Microsoft Teams channel (teamId, channelId) through a Teams connector.",
	Params: []spec.Param{
		{Name: "connectorId", Type: spec.Reference, Reference: param.KindConnector, Required: true, ConnectorTypes: []string{teams.Type},
			Example: "3f2c6c1e-9a4b-4d3e-8f7a-2b1c0d9e8f7a", Description: "A teams connector."},
		{Name: "teamId", Type: spec.String, Required: true, Example: "b5b9a3c4-1d2e-4f5a-9b8c-7d6e5f4a3b2c",
			Description: "The team's id in Microsoft Teams."},
		{Name: "channelId", Type: spec.String, Required: true, Example: "19:abc123@thread.tacv2",
			Description: "The channel's id in the team."},
		{Name: "message", Type: spec.Template, Required: true, Example: "Ticket escalated: {{ticket.subject}}",
			Description: "The message's text."},
	},
}

// teamsSleep, when set (by tests), replaces the Graph client's waits
// between attempts.
var teamsSleep func(ctx context.Context, d time.Duration) error

// tokenSaveTimeout bounds persisting refreshed tokens, which happens even
// when the step's own time is up: a rotated refresh token must not be lost.
const tokenSaveTimeout = 10 * time.Second

// runTeams posts the rendered message, as HTML-escaped text with line
// breaks, to the channel through Microsoft Graph, refreshing the
// connector's delegated access token when needed.
func runTeams(ctx context.Context, x *Exec) (any, error) {
	c, err := x.Connector(ctx, "connectorId", teams.Type)
	if err != nil {
		return nil, err
	}
	teamID := strings.TrimSpace(x.String("teamId"))
	channelID := strings.TrimSpace(x.String("channelId"))
	x.record("teamId", teamID)
	x.record("channelId", channelID)
	if teamID == "" || channelID == "" {
		return nil, Failf("teamId and channelId are required")
	}
	text, err := x.Text(ctx, "message")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, Failf("message: rendered empty, and Teams does not post empty messages")
	}
	// Every credential seen, for redaction: refreshes add new tokens.
	secrets := maps.Clone(c.Credentials)
	client, err := teams.New(c, x.Services.HTTP)
	if err != nil {
		return nil, integrationError(err, secrets)
	}
	client.Sleep = teamsSleep
	client.Save = func(ctx context.Context, creds map[string]string) error {
		for k, v := range creds {
			secrets["new_"+k] = v
		}
		saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenSaveTimeout)
		defer cancel()
		return x.Services.Connectors.UpdateCredentials(saveCtx, x.WorkspaceID, c.ID, creds)
	}
	if err := client.CheckURLs(x.Services.CheckURL); err != nil {
		return nil, integrationError(err, secrets)
	}
	msg, err := client.SendChannelMessage(ctx, teamID, channelID, teams.TextToHTML(text))
	if err != nil {
		return nil, integrationError(err, secrets)
	}
	return map[string]any{"id": msg.ID, "webUrl": msg.WebURL}, nil
}
