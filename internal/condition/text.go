package condition

import (
	"strings"

	"github.com/deskflow/deskflow/internal/param"
)

// textCondition builds a condition that compares one text of the facts with
// the parameter `value`, case-insensitively and ignoring surrounding space.
func textCondition(conditionType string, which int, meaning string, text func(*Facts) (string, bool), compare func(have, want string) bool) Definition {
	return Definition{
		Type:    conditionType,
		Meaning: meaning,
		Validate: func(p *param.Params) {
			p.String("value", true)
		},
		Evaluate: func(f *Facts, parameters map[string]any) bool {
			have, ok := text(f)
			if !ok {
				return false
			}
			want := normalize(stringParam(parameters, "value"))
			return want != "" && compare(f.norm(which, have), want)
		},
	}
}

func contains(have, want string) bool { return strings.Contains(have, want) }
func equals(have, want string) bool   { return have == want }

func subject(f *Facts) (string, bool) {
	if f.Ticket == nil {
		return "", false
	}
	return f.Ticket.Subject, true
}

func body(f *Facts) (string, bool) {
	if f.Message == nil {
		return "", false
	}
	return f.Message.Body, true
}

// senderEmail is the email of the message's sender, else the ticket's contact.
func senderEmail(f *Facts) (string, bool) {
	if f.Message != nil && strings.TrimSpace(f.Message.SenderEmail) != "" {
		return f.Message.SenderEmail, true
	}
	if f.Contact != nil && f.Contact.Email != "" {
		return f.Contact.Email, true
	}
	return "", false
}

func senderDomain(f *Facts) (string, bool) {
	email, ok := senderEmail(f)
	if !ok {
		return "", false
	}
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return "", false
	}
	return email[at+1:], true
}

var (
	subjectContains = textCondition("subject_contains", textSubject,
		"The ticket's subject contains `value` (case-insensitive, surrounding whitespace ignored).",
		subject, contains)
	subjectEquals = textCondition("subject_equals", textSubject,
		"The ticket's subject equals `value` (case-insensitive, surrounding whitespace ignored).",
		subject, equals)
	bodyContains = textCondition("body_contains", textBody,
		"The body of the message that fired the workflow contains `value` (case-insensitive). For tag and manual triggers, the ticket's latest customer message.",
		body, contains)
	fromEmailContains = textCondition("from_email_contains", textSender,
		"The sender's email address contains `value` (case-insensitive). The sender is the message's sender, else the ticket's contact.",
		senderEmail, contains)
	fromEmailEquals = textCondition("from_email_equals", textSender,
		"The sender's email address equals `value` (case-insensitive).",
		senderEmail, equals)
	fromDomainEquals = Definition{
		Type:    "from_domain_equals",
		Meaning: "The domain of the sender's email address (after the last @) equals `value` (case-insensitive; a leading @ in `value` is ignored).",
		Validate: func(p *param.Params) {
			p.String("value", true)
		},
		Evaluate: func(f *Facts, parameters map[string]any) bool {
			have, ok := senderDomain(f)
			want := strings.TrimPrefix(normalize(stringParam(parameters, "value")), "@")
			return ok && want != "" && f.norm(textDomain, have) == want
		},
	}
)
