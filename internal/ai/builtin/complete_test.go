package builtin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/ai"
)

var testReplies = []SavedReply{
	{ID: "sr_password", Title: "Password reset", Body: "Hi {{customer.name}}, to reset your password open the login page, click 'Forgot password' and follow the link we email you. The link expires after one hour. If the email doesn't arrive, check your spam folder."},
	{ID: "sr_refund", Title: "Refund timeline", Body: "Hi {{customer.name}}, once your return reaches our warehouse we issue the refund within 5 business days. Refunds go back to the original payment method and can take a further 3-5 days to appear on your statement."},
	{ID: "sr_tracking", Title: "Where is my order", Body: "Hi {{customer.name}}, you can follow your parcel with the tracking number in your shipping confirmation email. Orders ship within 2 business days; delivery usually takes 3-5 days after dispatch."},
	{ID: "sr_card", Title: "Update payment method", Body: "Hi {{customer.name}}, to change the card we charge for your subscription go to Settings > Billing > Payment method and add the new card. The next invoice will use it."},
	{ID: "sr_offline", Title: "Camera offline troubleshooting", Body: "Hi {{customer.name}}, if your camera shows offline, restart it by unplugging it for 10 seconds, make sure it is on a 2.4 GHz Wi-Fi network, and move the router closer if the signal is weak."},
	{ID: "sr_cancel", Title: "Cancel subscription", Body: "Hi {{customer.name}}, you can cancel your plan at any time in Settings > Billing > Cancel subscription. You keep access until the end of the paid period and won't be charged again."},
	{ID: "sr_label", Title: "Return label", Body: "Hi {{customer.name}}, to return an item open Orders, choose the item and click 'Return'. We'll email you a prepaid return label to print and stick on the box."},
	{ID: "sr_feedback", Title: "Thanks for your feedback", Body: "Hi {{customer.name}}, thank you for taking the time to share your feedback and ideas! I've passed your suggestion on to our product team."},
}

func replyProvider() *Provider {
	return New(&sliceSource{replies: testReplies}, Options{})
}

func TestChooseReplyParaphrases(t *testing.T) {
	p := replyProvider()
	cases := []struct{ prompt, want string }{
		{"Reply to the customer: I forgot my login details and can't get into the app. How do I make a new password?", "sr_password"},
		{"Write a short reply to this ticket: When will I get my money back? The refund for the thermostat I sent back hasn't shown up.", "sr_refund"},
		{"Customer asks: where is my package? It hasn't arrived yet and I don't know how to track it.", "sr_tracking"},
		{"Draft a response. My credit card expired, how do I put a different card on my plan?", "sr_card"},
		{"Respond to: the doorbell camera says it is offline in the app since this morning", "sr_offline"},
		{"Answer the customer: how do I cancel my plan? I don't want to be charged next month.", "sr_cancel"},
		{"I need to send this item back, can you email me a label for the box?", "sr_label"},
		{"Reply: I have an idea for the app, a dark mode would be great. Just a suggestion!", "sr_feedback"},
		{"{{ticket.body}} Forgot my password, reset email never came", "sr_password"},
	}
	for _, c := range cases {
		r, score, err := p.ChooseReply(context.Background(), c.prompt)
		if err != nil {
			t.Errorf("%q: %v", c.prompt, err)
			continue
		}
		if r.ID != c.want {
			t.Errorf("%q: chose %s (%.3f), want %s", c.prompt, r.ID, score, c.want)
		}
		if score < ReplyThreshold || score > 1 {
			t.Errorf("%q: score %v out of [%v, 1]", c.prompt, score, ReplyThreshold)
		}
	}
}

func TestCompleteNeedsLLM(t *testing.T) {
	p := replyProvider()
	for _, prompt := range []string{
		"Write a poem about the sea",
		"What is the capital of France?",
		"Explain quantum computing in simple terms.",
		"Translate the following reply into Spanish: you can cancel your plan at any time.",
		"Rewrite this reply in a friendlier tone: your return label is attached.",
		"Tell me a joke about printers",
		"Draft a cover letter for a senior accountant position",
	} {
		c, err := p.Complete(context.Background(), ai.Request{Prompt: prompt})
		if !errors.Is(err, ai.ErrNeedsLLM) {
			t.Errorf("%q: got %q, %v; want an error wrapping ErrNeedsLLM", prompt, c.Text, err)
			continue
		}
		if !strings.Contains(err.Error(), "LLM provider") {
			t.Errorf("%q: error %q does not say an LLM provider is needed", prompt, err)
		}
	}
	// No saved replies at all.
	_, err := New(nil, Options{}).Complete(context.Background(), ai.Request{Prompt: "How do I reset my password?"})
	if !errors.Is(err, ai.ErrNeedsLLM) {
		t.Errorf("no saved replies: %v, want ErrNeedsLLM", err)
	}
}

func TestCompleteReturnsRawReply(t *testing.T) {
	p := replyProvider()
	c, err := p.Complete(context.Background(), ai.Request{
		System: "You are a helpful support agent.",
		Prompt: "Reply to the customer: how can I reset my password?",
		Model:  "gpt-4o", Temperature: new(0.7),
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Text != testReplies[0].Body {
		t.Errorf("text %q, want the raw saved reply body", c.Text)
	}
	if !strings.Contains(c.Text, "{{customer.name}}") {
		t.Error("template expressions should be left for the caller to render")
	}
	if c.Model != ModelRetrieval {
		t.Errorf("model %q, want %q", c.Model, ModelRetrieval)
	}
	if want := countWords("You are a helpful support agent.") + countWords("Reply to the customer: how can I reset my password?"); c.Usage.InputTokens != want {
		t.Errorf("input words %d, want %d", c.Usage.InputTokens, want)
	}
	if c.Usage.OutputTokens != countWords(testReplies[0].Body) {
		t.Errorf("output words %d, want %d", c.Usage.OutputTokens, countWords(testReplies[0].Body))
	}
}

func TestSourceErrors(t *testing.T) {
	boom := errors.New("db down")
	p := New(&sliceSource{err: boom}, Options{})
	if _, err := p.Complete(context.Background(), ai.Request{Prompt: "How do I reset my password?"}); !errors.Is(err, boom) {
		t.Errorf("Complete: %v, want the source's error", err)
	}
	if _, err := p.Classify(context.Background(), ai.ClassifyRequest{Body: "x", Categories: []string{"a"}}); !errors.Is(err, boom) {
		t.Errorf("Classify: %v, want the source's error", err)
	}
}

const longTicket = `Hi team,
Our office has 14 Nestly cameras on the business plan. Since the firmware update on Monday, four of the cameras go offline every night around 2am. They come back online by themselves at about 3am, but the recordings for that hour are lost. We checked the network and the router logs show no problems at that time. The cameras that go offline are all the outdoor model. Our insurance requires continuous recording, so the missing hour is a real problem for us. Could you check whether the firmware update changed anything for the outdoor cameras?
Thanks,
Dana`

func TestSummarize(t *testing.T) {
	p := New(nil, Options{})
	sents := sentences(longTicket)
	for _, tc := range []struct {
		name     string
		req      ai.Request
		maxWords int
		maxSents int
	}{
		{"prefix", ai.Request{Prompt: "Summarize this ticket:\n" + longTicket}, 0, 3},
		{"british spelling, in two sentences", ai.Request{Prompt: "Please summarise the following in 2 sentences: " + longTicket}, 0, 2},
		{"max tokens", ai.Request{Prompt: "Summary: " + longTicket, MaxTokens: 40}, 40, 3},
		{"instruction last", ai.Request{Prompt: longTicket + "\n\nTL;DR"}, 0, 3},
		{"system prompt", ai.Request{System: "Summarize the customer's message for the agent.", Prompt: longTicket}, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := p.Complete(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if c.Model != ModelSummary {
				t.Errorf("model %q, want %q", c.Model, ModelSummary)
			}
			// Every sentence of the summary is a sentence of the text, in order.
			last := -1
			got := sentences(c.Text)
			for _, s := range got {
				i := indexOf(sents, s)
				if i < 0 {
					t.Fatalf("summary sentence %q is not in the text", s)
				}
				if i <= last {
					t.Fatalf("summary sentences out of order: %q", c.Text)
				}
				last = i
			}
			if len(got) == 0 || len(got) > tc.maxSents {
				t.Errorf("%d sentences, want 1..%d: %q", len(got), tc.maxSents, c.Text)
			}
			if tc.maxWords > 0 && countWords(c.Text) > tc.maxWords {
				t.Errorf("%d words, want at most %d", countWords(c.Text), tc.maxWords)
			}
			if strings.Contains(c.Text, "Hi team") || strings.Contains(c.Text, "Dana") {
				t.Errorf("summary keeps the greeting or signature: %q", c.Text)
			}
			if c.Usage.OutputTokens != countWords(c.Text) || c.Usage.InputTokens != countWords(tc.req.System)+countWords(tc.req.Prompt) {
				t.Errorf("usage %+v", c.Usage)
			}
			t.Logf("%s", c.Text)
		})
	}
}

func TestSummarizeBoundCutsLongSentence(t *testing.T) {
	text := "This single sentence goes on and on about the camera, the router, the firmware, the recordings and the insurance without ever stopping."
	c, err := New(nil, Options{}).Complete(context.Background(), ai.Request{Prompt: "Summarize: " + text, MaxTokens: 5})
	if err != nil {
		t.Fatal(err)
	}
	if countWords(c.Text) != 5 || !strings.HasPrefix(text, strings.TrimSuffix(c.Text, "…")) {
		t.Errorf("got %q, want the first five words of the sentence", c.Text)
	}
}

func TestSummarizeWithoutDelimiter(t *testing.T) {
	// A template such as "Summarize {{ticket.body}}" renders without a
	// delimiter: the text starts right after the cue.
	c, err := New(nil, Options{}).Complete(context.Background(), ai.Request{Prompt: "Summarize I ordered the outdoor camera last week. It arrived with a cracked lens. I want a replacement camera."})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Text, "I ordered the outdoor camera last week.") {
		t.Errorf("got %q, want the first sentence of the text (after the cue) kept", c.Text)
	}
	// "Summarize this ticket." is only an instruction.
	c, err = New(nil, Options{}).Complete(context.Background(), ai.Request{Prompt: "Summarize this ticket. The hub is offline. It has been offline since Monday."})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.Text, "Summarize") {
		t.Errorf("got %q, the instruction is not part of the text", c.Text)
	}
}

func TestSummarizeNothing(t *testing.T) {
	_, err := New(nil, Options{}).Complete(context.Background(), ai.Request{Prompt: "Summarize:"})
	if err == nil || errors.Is(err, ai.ErrNeedsLLM) {
		t.Errorf("got %v, want a plain error about the missing text", err)
	}
}

func TestSummaryCueInTicketTextIsNotAnInstruction(t *testing.T) {
	// The word "summary" in the middle of the ticket does not make the
	// prompt a summary request: it is answered from saved replies.
	prompt := "Reply to the customer: I reset my password but the account summary page still shows my old email. Also I forgot my new password already, how do I reset it?"
	c, err := replyProvider().Complete(context.Background(), ai.Request{Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	if c.Model != ModelRetrieval {
		t.Errorf("model %q, want %q", c.Model, ModelRetrieval)
	}
}

func TestSentences(t *testing.T) {
	got := sentences("Hi! I ordered e.g. two cams, i.e. the outdoor ones. Order no. 5 arrived?? Yes.\nNew line here")
	want := []string{"Hi!", "I ordered e.g. two cams, i.e. the outdoor ones.", "Order no. 5 arrived??", "Yes.", "New line here"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
