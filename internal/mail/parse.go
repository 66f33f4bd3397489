// Package mail reads the emails that customers send to an email channel:
// one RFC 5322 message (MIME, charsets, encoded headers) becomes a typed
// message — sender, threading ids, subject, a readable text body, its
// attachments — with a note of what could not be read, and says whether it
// was sent by a machine (RFC 3834: auto-replies, bounces, lists), which
// deskflow never answers. Parsing is go-message's; this package decides
// what deskflow keeps.
package mail

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	_ "github.com/emersion/go-message/charset" // registers the charsets of golang.org/x/text
	gomail "github.com/emersion/go-message/mail"
)

// Limits bound what one message may cost.
type Limits struct {
	// MaxAttachmentBytes is the largest attachment whose content is kept;
	// larger ones are listed with their name, type and size only.
	MaxAttachmentBytes int64
	// MaxParts bounds the MIME parts read (a message nested a thousand
	// levels deep is read up to there).
	MaxParts int
	// MaxTextBytes bounds the text body kept.
	MaxTextBytes int
}

// DefaultLimits are the limits of a channel that sets none.
var DefaultLimits = Limits{MaxAttachmentBytes: 10 << 20, MaxParts: 100, MaxTextBytes: 256 << 10}

// Message is what deskflow keeps of an email.
type Message struct {
	// MessageID is the Message-ID without angle brackets; a message
	// without one gets "sha256-<digest>@deskflow.invalid" from its
	// content, so that a second delivery is still recognised.
	MessageID  string
	InReplyTo  []string
	References []string
	FromName   string
	From       string // the sender's address, lower case
	To, Cc     []string
	Subject    string
	Date       time.Time
	// Text is the body as text: the text/plain part, else the HTML part
	// reduced to readable text.
	Text        string
	Attachments []Attachment
	// Header is the raw header block, as received.
	Header string
	// Automatic says why the message was sent by a machine ("" when a
	// person wrote it).
	Automatic string
	// Problems lists what could not be read.
	Problems []string
}

// Attachment is a file of a message; Content is nil when it was over the
// size limit (Omitted).
type Attachment struct {
	Name        string
	ContentType string
	Size        int64
	Content     []byte
	Omitted     bool
}

// RejectedError is a message deskflow cannot import at all; Reason says
// why.
type RejectedError struct{ Reason string }

func (e *RejectedError) Error() string { return "rejected: " + e.Reason }

// Parse reads one message. It returns a *RejectedError for a message that
// cannot become a ticket message (no header, no sender); anything else
// that is wrong is listed in Problems and the rest is kept.
func Parse(raw []byte, limits Limits) (*Message, error) {
	m := &Message{Header: headerBlock(raw)}
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if r == nil {
		return nil, &RejectedError{Reason: fmt.Sprintf("unreadable message: %v", err)}
	}
	if err != nil {
		m.problem("charset or encoding: %v", err)
	}
	h := r.Header
	m.readHeader(h, raw)
	if m.From == "" {
		return nil, &RejectedError{Reason: "the message has no sender address (From)"}
	}
	m.Automatic = automatic(h, m.From)
	m.readBody(r, limits)
	return m, nil
}

func (m *Message) problem(format string, args ...any) {
	if len(m.Problems) < 20 {
		m.Problems = append(m.Problems, fmt.Sprintf(format, args...))
	}
}

func (m *Message) readHeader(h gomail.Header, raw []byte) {
	if id, err := h.MessageID(); err == nil && id != "" {
		m.MessageID = id
	} else {
		sum := sha256.Sum256(raw)
		m.MessageID = "sha256-" + hex.EncodeToString(sum[:16]) + "@deskflow.invalid"
		if err != nil {
			m.problem("Message-ID: %v", err)
		} else {
			m.problem("no Message-ID")
		}
	}
	m.InReplyTo = idList(m, h, "In-Reply-To")
	m.References = idList(m, h, "References")
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		m.From, m.FromName = strings.ToLower(from[0].Address), validText(from[0].Name)
	} else if err != nil {
		m.problem("From: %v", err)
	}
	for _, f := range []struct {
		name string
		into *[]string
	}{{"To", &m.To}, {"Cc", &m.Cc}} {
		list, err := h.AddressList(f.name)
		if err != nil {
			m.problem("%s: %v", f.name, err)
		}
		for _, a := range list {
			*f.into = append(*f.into, strings.ToLower(a.Address))
		}
	}
	subject, err := h.Subject()
	if err != nil {
		m.problem("Subject: %v", err)
		subject = h.Get("Subject")
	}
	m.Subject = strings.Join(strings.Fields(validText(subject)), " ")
	if d, err := h.Date(); err == nil {
		m.Date = d
	}
}

func idList(m *Message, h gomail.Header, name string) []string {
	ids, err := h.MsgIDList(name)
	if err != nil {
		m.problem("%s: %v", name, err)
	}
	if len(ids) > 100 {
		ids = ids[len(ids)-100:]
	}
	return ids
}

func (m *Message) readBody(r *gomail.Reader, limits Limits) {
	var plain, html string
	for parts := 0; ; parts++ {
		if parts == limits.MaxParts {
			m.problem("more than %d MIME parts: the rest was not read", limits.MaxParts)
			return
		}
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if p == nil {
			m.problem("MIME structure: %v", err)
			break
		}
		if err != nil {
			m.problem("part: %v", err)
		}
		switch h := p.Header.(type) {
		case *gomail.InlineHeader:
			ct, _, _ := h.ContentType()
			body, err := readLimited(p.Body, int64(limits.MaxTextBytes))
			if err != nil {
				m.problem("%s part: %v", ct, err)
			}
			switch {
			case ct == "text/html" && html == "":
				html = validText(string(body))
			case (ct == "text/plain" || ct == "") && plain == "":
				plain = validText(string(body))
			}
		case *gomail.AttachmentHeader:
			m.readAttachment(h, p.Body, limits)
		}
	}
	switch {
	case strings.TrimSpace(plain) != "":
		m.Text = plain
	case html != "":
		m.Text = HTMLText(html)
	}
	m.Text = strings.TrimSpace(strings.ReplaceAll(m.Text, "\r\n", "\n"))
}

func (m *Message) readAttachment(h *gomail.AttachmentHeader, body io.Reader, limits Limits) {
	name, err := h.Filename()
	if err != nil {
		m.problem("attachment name: %v", err)
	}
	ct, _, _ := h.ContentType()
	a := Attachment{Name: validText(name), ContentType: ct}
	if a.Name == "" {
		a.Name = "attachment"
	}
	content, err := readLimited(body, limits.MaxAttachmentBytes)
	a.Size = int64(len(content))
	if errors.Is(err, errTooLarge) {
		// Count the rest (and the byte that told) without keeping it.
		n, _ := io.Copy(io.Discard, body)
		a.Size += n + 1
		a.Omitted = true
		m.problem("attachment %q is %d bytes, over the limit of %d: its content was not kept", a.Name, a.Size, limits.MaxAttachmentBytes)
	} else if err != nil {
		m.problem("attachment %q: %v", a.Name, err)
	}
	if !a.Omitted {
		a.Content = content
	}
	m.Attachments = append(m.Attachments, a)
}

var errTooLarge = errors.New("over the limit")

// readLimited reads at most limit bytes; errTooLarge when there is more.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(b)) > limit {
		return b[:limit], errTooLarge
	}
	return b, err
}

// validText replaces invalid UTF-8 and NUL bytes, which no database column
// takes.
func validText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}

// headerBlock is the raw header of a message, up to the first empty line
// (at most 64 KiB), as valid UTF-8.
func headerBlock(raw []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	var b strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimRight(line, "\r") == "" || b.Len()+len(line) > 64<<10 {
			break
		}
		b.WriteString(strings.TrimRight(line, "\r"))
		b.WriteByte('\n')
	}
	s := b.String()
	if !utf8.ValidString(s) {
		s = validText(s)
	}
	return strings.ReplaceAll(s, "\x00", "")
}
