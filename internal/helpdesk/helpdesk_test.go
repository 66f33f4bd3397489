package helpdesk

import "testing"

func TestInboundTextHasNoNUL(t *testing.T) {
	if got := InboundText("Re: re\x00fund\x00"); got != "Re: refund" {
		t.Errorf("InboundText = %q", got)
	}
}
