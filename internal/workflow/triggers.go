package workflow

import (
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

func init() {
	registerTriggers(
		Trigger{Type: TriggerNewTicket, Events: []string{helpdesk.EventTicketCreated},
			Description: "Runs once when a new ticket is created. Does not run on replies."},
		Trigger{Type: TriggerInboundMessage, Events: []string{helpdesk.EventInboundMessage},
			Description: "Runs on every inbound message, including replies to existing tickets."},
		Trigger{Type: TriggerNoReply, Events: []string{helpdesk.EventNoReplyDue}, Params: noReplyParams, Check: checkNoReply,
			Description: "Runs when a customer message has been waiting for a reply longer than the configured duration. Fires once per waiting period and re-arms when the customer writes in again after a reply. With only_business_hours, minutes and hours pause outside the workspace's business hours and days count business days; without it, days are calendar days."},
		Trigger{Type: TriggerTagAdded, Events: []string{helpdesk.EventTagAdded}, Params: tagScopeParams,
			Description: "Runs when a tag is added to a ticket; optionally only for the tags in `tags`."},
		Trigger{Type: TriggerTagRemoved, Events: []string{helpdesk.EventTagRemoved}, Params: tagScopeParams,
			Description: "Runs when a tag is removed from a ticket; optionally only for the tags in `tags`."},
		Trigger{Type: TriggerManual,
			Description: "Runs when a person starts it on a ticket whose conditions it matches (POST /api/workflows/{workflow}/runs)."},
	)
}

var (
	noReplyParams = []spec.Param{
		{Name: "value", Type: spec.Integer, Required: true, Min: spec.Bound(1), Example: 4,
			Description: "How long the customer's message may wait, in unit; at most 30 days in total."},
		{Name: "unit", Type: spec.Enum, Values: []string{UnitMinutes, UnitHours, UnitDays}, Default: UnitHours, Example: UnitHours,
			Description: "The unit of value."},
		{Name: "only_business_hours", Type: spec.Boolean, Default: false, Example: true,
			Description: "Count only the workspace's business hours (business days for the days unit)."},
	}
	tagScopeParams = []spec.Param{
		{Name: "tags", Type: spec.References, Reference: param.KindTag, Example: []string{"01J9Z8Q4T7B1X2Y3Z4W5V6R7S8"},
			Description: "Fire only for these tags (ids); omit or leave empty for any tag."},
	}
)

// checkNoReply caps the waiting period at the seed's 30 days, whose length
// in the chosen unit the spec cannot state.
func checkNoReply(p *param.Params, v spec.Values) {
	value, ok := v["value"].(int64)
	if !ok {
		return
	}
	unit := UnitHours
	if u, ok := v.String("unit"); ok {
		unit = u
	}
	if most := int64(MaxNoReply / unitLength(unit)); value > most {
		p.Errs.Add(p.FieldPath("value"), "must not exceed 30 days in total (at most %d %s)", most, unit)
	}
}
