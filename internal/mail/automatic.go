package mail

import (
	"strings"

	gomail "github.com/emersion/go-message/mail"
)

// automatic says why a message was sent by a machine, or "" when a person
// wrote it: RFC 3834's Auto-Submitted, the Precedence of bulk mail and
// lists, Microsoft's X-Auto-Response-Suppress, mailing lists (List-Id),
// mailer-daemon and postmaster senders, and delivery status notifications.
// deskflow stores such messages but never answers them, so that it cannot
// loop with an auto-responder.
func automatic(h gomail.Header, from string) string {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return "Auto-Submitted: " + v
	}
	switch v := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); v {
	case "bulk", "junk", "list", "auto_reply":
		return "Precedence: " + v
	}
	if h.Has("X-Auto-Response-Suppress") {
		return "X-Auto-Response-Suppress"
	}
	if h.Has("List-Id") {
		return "List-Id (a mailing list)"
	}
	local, _, _ := strings.Cut(from, "@")
	switch local {
	case "mailer-daemon", "postmaster":
		return "sent by " + local
	}
	if ct, params, err := h.ContentType(); err == nil && ct == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") {
		return "a delivery status notification"
	}
	return ""
}
