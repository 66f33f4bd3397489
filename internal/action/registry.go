package action

func init() {
	register(
		setStatus,
		setPriority,
		assignTo,
		assignTicket,
		addTags,
		removeTags,
		addInternalNote,
		sendReply,
		sendEmail,
		sendSlackMessage,
		sendTeamsMessage,
		sendWebhook,
		generateAIResponse,
		classifyTicket,
		executeConnectorAction,
	)
}
