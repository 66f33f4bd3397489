package condition_test

import (
	"testing"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
)

func BenchmarkMatch(b *testing.B) {
	f := &condition.Facts{
		Ticket:         &helpdesk.Ticket{ID: "01J9ZTICKET0000000000000000", Subject: "Re: Refund request for order #48213 (charged twice)", Status: helpdesk.StatusOpen, TagIDs: []string{"01J9ZTAGBILLING000000000000", "01J9ZTAGVIP0000000000000000", "01J9ZTAGEU00000000000000000"}},
		Message:        &helpdesk.Message{ID: "01J9ZMESSAGE000000000000000", Direction: helpdesk.DirectionInbound, Body: "Hello,\n\nI was charged twice for my last order. Could you please refund the duplicate payment?\n\nThanks,\nAlice", SenderEmail: "Alice.Smith@Example.com"},
		Contact:        &helpdesk.Contact{ID: "01J9ZCONTACT000000000000000", Email: "alice.smith@example.com"},
		Channel:        &helpdesk.Channel{ID: "01J9ZCHANNEL000000000000000", Type: helpdesk.ChannelEmail},
		IsFirstMessage: true,
	}
	specs := []condition.Spec{
		{Type: "subject_contains", Parameters: map[string]any{"value": "refund"}},
		{Type: "body_contains", Parameters: map[string]any{"value": "Charged Twice"}},
		{Type: "from_domain_equals", Parameters: map[string]any{"value": "@example.com"}},
		{Type: "has_tag", Parameters: map[string]any{"value": "01J9ZTAGVIP0000000000000000"}},
		{Type: "channel_type_is", Parameters: map[string]any{"value": "email"}},
	}
	if ok, results := condition.Match(f, "all", specs); !ok || len(results) != len(specs) {
		b.Fatalf("Match = %v, %v; want true with %d results", ok, results, len(specs))
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := condition.Match(f, "all", specs); !ok {
			b.Fatal("Match = false")
		}
	}
}
