package mail_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/mail"
)

func parseFile(t *testing.T, name string) (*mail.Message, error) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return mail.Parse(raw, mail.DefaultLimits)
}

// The corpus: replies of the common mail clients, an auto-reply, a bounce,
// other charsets, and hostile shapes. Each is read as well as it can be.
func TestParseCorpus(t *testing.T) {
	for _, c := range []struct {
		file                  string
		from, subject, id     string
		text                  []string // the text contains each
		notText               []string
		inReplyTo, references []string
		automatic             string
		attachments           int
		problems              bool
	}{
		{file: "gmail-reply.eml", from: "ana.lima@gmail.example", subject: "Re: [#01HX7Q3ABC] Order 1042 arrived broken", id: "CAF=abc123@mail.gmail.example",
			text: []string{"refund the shipping? €4.90", "> We are sorry"}, inReplyTo: []string{"run-1-0-0@deskflow"}, references: []string{"first-1@gmail.example", "run-1-0-0@deskflow"}},
		{file: "outlook-html-cp1252.eml", from: "bo.jensen@outlook.example", subject: "Faktura før november", id: "DB7PR01MB@outlook.example",
			text: []string{"Hej,", "Kan I sende den igen? Pris: 100 €", "Med venlig hilsen\nBo"}, notText: []string{"alert", "color:red", "<p>"}},
		{file: "apple-attachment.eml", from: "claire@icloud.example", subject: "Screenshot of the error", id: "8E1F@icloud.example",
			text: []string{"The app shows this when I pay."}, attachments: 1},
		{file: "out-of-office.eml", from: "max@firma.example", id: "ooo-1@firma.example", subject: "Automatische Antwort: Re: [#01HX7Q3ABC] Your request",
			text: []string{"nicht im Büro"}, automatic: "Auto-Submitted: auto-replied", inReplyTo: []string{"run-1-0-0@deskflow"}},
		{file: "bounce-dsn.eml", from: "mailer-daemon@mx.acme.test", id: "dsn-1@mx.acme.test", subject: "Undelivered Mail Returned to Sender",
			text: []string{"could not be delivered"}, automatic: "sent by mailer-daemon", attachments: 1},
		{file: "latin1.eml", from: "jose@correo.example", subject: "Cambio de dirección", id: "latin1@correo.example", text: []string{"Quiero cambiar la dirección de envío."}},
		{file: "malformed-mime.eml", from: "broken@example.test", subject: "broken mime", id: "broken-mime@example.test", text: []string{"The part is never closed"}, problems: true},
		{file: "garbage-8bit.eml", from: "garbage@example.test", id: "garbage@example.test", text: []string{"text"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			m, err := parseFile(t, c.file)
			if err != nil {
				t.Fatal(err)
			}
			if m.From != c.from || (c.subject != "" && m.Subject != c.subject) || m.MessageID != c.id {
				t.Errorf("from %q subject %q id %q", m.From, m.Subject, m.MessageID)
			}
			for _, want := range c.text {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text %q lacks %q", m.Text, want)
				}
			}
			for _, not := range c.notText {
				if strings.Contains(m.Text, not) {
					t.Errorf("text %q holds %q", m.Text, not)
				}
			}
			if !slices.Equal(m.InReplyTo, c.inReplyTo) || !slices.Equal(m.References, c.references) {
				t.Errorf("In-Reply-To %v, References %v", m.InReplyTo, m.References)
			}
			if m.Automatic != c.automatic {
				t.Errorf("automatic %q, want %q", m.Automatic, c.automatic)
			}
			if len(m.Attachments) != c.attachments {
				t.Errorf("%d attachments: %+v", len(m.Attachments), m.Attachments)
			}
			if c.problems && len(m.Problems) == 0 {
				t.Errorf("no problem noted")
			}
			if strings.ContainsRune(m.Text+m.Subject+m.Header, 0) || !isValid(m.Text+m.Subject+m.Header) {
				t.Errorf("text, subject or header is not valid UTF-8 without NUL")
			}
			if !strings.HasPrefix(m.Header, "From:") && !strings.HasPrefix(m.Header, "Return-Path:") {
				t.Errorf("header block %q", m.Header)
			}
		})
	}
	png, _ := parseFile(t, "apple-attachment.eml")
	if a := png.Attachments[0]; a.Name != "error.png" || a.ContentType != "image/png" || a.Size != 70 || len(a.Content) != 70 || a.Omitted {
		t.Errorf("attachment %+v", a)
	}
}

func isValid(s string) bool { return strings.ToValidUTF8(s, "") == s }

// No sender: nothing to make a contact of, so the message is rejected
// with its reason.
func TestParseRejectsNoSender(t *testing.T) {
	_, err := parseFile(t, "no-sender.eml")
	var rejected *mail.RejectedError
	if !errors.As(err, &rejected) || !strings.Contains(rejected.Reason, "no sender") {
		t.Fatalf("err = %v", err)
	}
	if _, err := mail.Parse(nil, mail.DefaultLimits); !errors.As(err, &rejected) {
		t.Errorf("empty message: %v", err)
	}
}

// The other automatic senders of RFC 3834 and list mail.
func TestParseAutomatic(t *testing.T) {
	for header, want := range map[string]string{
		"Auto-Submitted: no":               "",
		"Auto-Submitted: auto-generated":   "Auto-Submitted: auto-generated",
		"Precedence: bulk":                 "Precedence: bulk",
		"Precedence: list":                 "Precedence: list",
		"List-Id: <news.acme.test>":        "List-Id (a mailing list)",
		"X-Auto-Response-Suppress: OOF":    "X-Auto-Response-Suppress",
		"X-Mailer: a person's mail client": "",
	} {
		raw := "From: a@example.test\r\nTo: s@acme.test\r\nMessage-ID: <x@example.test>\r\n" + header + "\r\n\r\nhello\r\n"
		m, err := mail.Parse([]byte(raw), mail.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if m.Automatic != want {
			t.Errorf("%s: automatic %q, want %q", header, m.Automatic, want)
		}
	}
	m, _ := mail.Parse([]byte("From: Postmaster@Example.Test\r\n\r\nx"), mail.DefaultLimits)
	if m.Automatic != "sent by postmaster" {
		t.Errorf("postmaster: %q", m.Automatic)
	}
}

// An attachment over the limit is listed with its size, its content not
// kept; nesting a thousand multiparts deep is read up to the part limit;
// a message without Message-ID gets one from its content.
func TestParseLimits(t *testing.T) {
	big := bytes.Repeat([]byte("A"), 3<<20)
	raw := "From: a@example.test\r\nMessage-ID: <big@example.test>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n\r\n" + string(big) + "\r\n--b--\r\n"
	m, err := mail.Parse([]byte(raw), mail.Limits{MaxAttachmentBytes: 1 << 20, MaxParts: 100, MaxTextBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || !m.Attachments[0].Omitted || m.Attachments[0].Content != nil || m.Attachments[0].Size < 3<<20 || m.Text != "see attached" {
		t.Errorf("over the limit: text %q, %+v", m.Text, m.Attachments)
	}

	var nested strings.Builder
	nested.WriteString("From: a@example.test\r\nMessage-ID: <nested@example.test>\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	const depth = 1000
	for i := range depth {
		fmt.Fprintf(&nested, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i, i+1)
	}
	fmt.Fprintf(&nested, "--b%d\r\nContent-Type: text/plain\r\n\r\ndeep\r\n", depth)
	for i := depth; i >= 0; i-- {
		fmt.Fprintf(&nested, "--b%d--\r\n", i)
	}
	m, err = mail.Parse([]byte(nested.String()), mail.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "a@example.test" {
		t.Errorf("nested: %+v", m)
	}

	noID := []byte("From: a@example.test\r\nSubject: hi\r\n\r\nbody\r\n")
	a, _ := mail.Parse(noID, mail.DefaultLimits)
	b, _ := mail.Parse(noID, mail.DefaultLimits)
	if a.MessageID == "" || a.MessageID != b.MessageID || !strings.HasSuffix(a.MessageID, "@deskflow.invalid") {
		t.Errorf("synthesized ids %q, %q", a.MessageID, b.MessageID)
	}
}

// FuzzParse: no input panics, and what is kept is valid UTF-8 without NUL
// (a database column takes it) with a sender and a Message-ID.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		raw, _ := os.ReadFile(name)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := mail.Parse(raw, mail.Limits{MaxAttachmentBytes: 1 << 10, MaxParts: 20, MaxTextBytes: 1 << 12})
		if err != nil {
			var rejected *mail.RejectedError
			if !errors.As(err, &rejected) {
				t.Fatalf("error of another type: %v", err)
			}
			return
		}
		if m.From == "" || m.MessageID == "" {
			t.Fatalf("kept a message without sender or id: %+v", m)
		}
		for _, s := range []string{m.Text, m.Subject, m.Header, m.FromName} {
			if strings.ContainsRune(s, 0) || !isValid(s) {
				t.Fatalf("invalid text %q", s)
			}
		}
	})
}
