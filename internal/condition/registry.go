package condition

import "github.com/deskflow/deskflow/internal/helpdesk"

func channelTypes() []string { return helpdesk.ChannelTypes }

func init() {
	register(
		bodyContains,
		channelIs,
		channelTypeIs,
		contactIsNew,
		doesNotHaveTag,
		fromDomainEquals,
		fromEmailContains,
		fromEmailEquals,
		hasTagCondition,
		isFirstMessage,
		subjectContains,
		subjectEquals,
		variableEquals,
	)
}
