package action

// Connector types that communication actions accept.
const (
	ConnectorSMTP    = "smtp"
	ConnectorSlack   = "slack"
	ConnectorTeams   = "teams"
	ConnectorWebhook = "webhook"
)
