package condition

import (
	"strings"

	"github.com/deskflow/deskflow/internal/spec"
)

// textCondition builds a condition that compares one text of the facts with
// the parameter `value`, case-insensitively and ignoring surrounding space.
// Both comparisons imply that the value occurs in the text, which is what
// lets the engine skip such conditions when the event lacks it.
func textCondition(conditionType string, field Field, meaning string, compare func(have, want string) bool) Definition {
	wanted := func(parameters map[string]any) string { return normalize(stringParam(parameters, "value")) }
	return Definition{
		Type:    conditionType,
		Meaning: meaning,
		Params:  []spec.Param{textValue},
		Evaluate: func(f *Facts, parameters map[string]any) bool {
			have, ok := f.Text(field)
			if !ok {
				return false
			}
			want := wanted(parameters)
			return want != "" && compare(have, want)
		},
		require: func(parameters map[string]any) Requirement {
			return Requirement{Field: field, Literal: wanted(parameters)}
		},
	}
}

// textValue is the text a text condition compares with.
var textValue = spec.Param{Name: "value", Type: spec.String, Required: true, Example: "unsubscribe",
	Description: "The text to compare with."}

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
	subjectContains = textCondition("subject_contains", FieldSubject,
		"The ticket's subject contains `value` (case-insensitive, surrounding whitespace ignored).",
		contains)
	subjectEquals = textCondition("subject_equals", FieldSubject,
		"The ticket's subject equals `value` (case-insensitive, surrounding whitespace ignored).",
		equals)
	bodyContains = textCondition("body_contains", FieldBody,
		"The body of the message that fired the workflow contains `value` (case-insensitive). For tag and manual triggers, the ticket's latest customer message.",
		contains)
	fromEmailContains = textCondition("from_email_contains", FieldSender,
		"The sender's email address contains `value` (case-insensitive). The sender is the message's sender, else the ticket's contact.",
		contains)
	fromEmailEquals = textCondition("from_email_equals", FieldSender,
		"The sender's email address equals `value` (case-insensitive).",
		equals)
	fromDomainEquals = Definition{
		Type:    "from_domain_equals",
		Meaning: "The domain of the sender's email address (after the last @) equals `value` (case-insensitive; a leading @ in `value` is ignored).",
		Params: []spec.Param{{Name: "value", Type: spec.String, Required: true, Example: "example.com",
			Description: "The domain to compare with."}},
		Evaluate: func(f *Facts, parameters map[string]any) bool {
			have, ok := f.Text(FieldSenderDomain)
			want := wantedDomain(parameters)
			return ok && want != "" && have == want
		},
		require: func(parameters map[string]any) Requirement {
			return Requirement{Field: FieldSenderDomain, Literal: wantedDomain(parameters)}
		},
	}
)

func wantedDomain(parameters map[string]any) string {
	return strings.TrimPrefix(normalize(stringParam(parameters, "value")), "@")
}
