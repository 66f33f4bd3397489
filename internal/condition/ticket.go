package condition

import (
	"slices"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

// tagValue is the tag that tag conditions look for.
var tagValue = spec.Param{Name: "value", Type: spec.Reference, Reference: param.KindTag, Required: true,
	Example: "01J9Z8Q4T7B1X2Y3Z4W5V6R7S8", Description: "The tag's id."}

func hasTag(f *Facts, parameters map[string]any) bool {
	return f.Ticket != nil && slices.Contains(f.Ticket.TagIDs, stringParam(parameters, "value"))
}

var (
	hasTagCondition = Definition{
		Type:     "has_tag",
		Meaning:  "The ticket has the tag whose id is `value`.",
		Params:   []spec.Param{tagValue},
		Evaluate: hasTag,
	}
	doesNotHaveTag = Definition{
		Type:    "does_not_have_tag",
		Meaning: "The ticket does not have the tag whose id is `value`.",
		Params:  []spec.Param{tagValue},
		Evaluate: func(f *Facts, parameters map[string]any) bool {
			return f.Ticket != nil && !hasTag(f, parameters)
		},
	}
	channelIs = Definition{
		Type:    "channel_is",
		Meaning: "The ticket came in through the channel whose id is `value`.",
		Params: []spec.Param{{Name: "value", Type: spec.Reference, Reference: param.KindChannel, Required: true,
			Example: "01J9Z8Q4T7B1X2Y3Z4W5V6R7W1", Description: "The channel's id."}},
		Evaluate: func(f *Facts, parameters map[string]any) bool {
			return f.Channel != nil && f.Channel.ID == stringParam(parameters, "value")
		},
	}
	channelTypeIs = Definition{
		Type:    "channel_type_is",
		Meaning: "The ticket's channel is of type `value` (email, chat, sms, api, phone, web).",
		Params: []spec.Param{{Name: "value", Type: spec.Enum, Values: channelTypes(), Required: true,
			Example: "email", Description: "The channel type."}},
		Evaluate: func(f *Facts, parameters map[string]any) bool {
			return f.Channel != nil && f.Channel.Type == stringParam(parameters, "value")
		},
	}
	contactIsNew = Definition{
		Type:     "contact_is_new",
		Meaning:  "The ticket's contact was created by this ticket: it has no earlier ticket in the workspace.",
		Evaluate: func(f *Facts, _ map[string]any) bool { return f.ContactIsNew },
	}
	isFirstMessage = Definition{
		Type:     "is_first_message",
		Meaning:  "The message that fired the workflow is the ticket's first customer message.",
		Evaluate: func(f *Facts, _ map[string]any) bool { return f.IsFirstMessage },
	}
)
