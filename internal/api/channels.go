package api

import (
	"mime"
	"net"
	"net/http"
	"net/mail"
	"slices"
	"strings"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/validate"
)

// imapPassword is the one credential of an email channel.
const imapPassword = "imap_password"

// readChannel reads a channel body: name, type, an email channel's
// settings (address, IMAP mailbox) and its write-only credentials (nil
// when the body sends none).
func readChannel(w http.ResponseWriter, r *http.Request, current *helpdesk.Channel) (helpdesk.Channel, map[string]string, error) {
	body, err := readJSON(w, r)
	if err != nil {
		return helpdesk.Channel{}, nil, err
	}
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	c := helpdesk.Channel{CredentialsSet: []string{}}
	if current != nil {
		c = *current
	}
	if current == nil || obj.Has("name") {
		c.Name = requiredName(obj, "name")
	}
	if current == nil || obj.Has("type") {
		if t, ok := obj.String("type", true); ok && obj.OneOf("type", t, helpdesk.ChannelTypes...) {
			c.Type = t
		}
	}
	// An email channel without an address receives no mail: its tickets
	// come through the API.
	if settings, ok := obj.Object("settings", false); ok {
		c.Settings = readChannelSettings(settings)
	}
	var creds map[string]string
	if o, ok := obj.Object("credentials", false); ok {
		creds = map[string]string{}
		if pw, ok := o.String(imapPassword, false); ok {
			creds[imapPassword] = pw
		}
		o.RejectUnknown()
	}
	if c.Settings.IMAP != nil && c.Settings.Address == "" {
		errs.Add("settings.address", "is required with an IMAP mailbox: the address its mail is sent to")
	}
	if c.Settings.IMAP != nil && !slices.Contains(c.CredentialsSet, imapPassword) && creds[imapPassword] == "" {
		errs.Add("credentials.imap_password", "is required for an IMAP mailbox")
	}
	if c.Type != helpdesk.ChannelEmail && (c.Settings.Address != "" || c.Settings.IMAP != nil) {
		errs.Add("settings", "only email channels have settings")
	}
	obj.RejectUnknown(append(readOnly, "credentials_set")...)
	return c, creds, errs.Err()
}

func readChannelSettings(o *validate.Object) helpdesk.ChannelSettings {
	var s helpdesk.ChannelSettings
	if a, ok := o.String("address", false); ok {
		if addr, err := mail.ParseAddress(a); err != nil || addr.Name != "" || len(a) > 254 {
			o.Errs.Add(o.FieldPath("address"), "is not an email address")
		} else {
			s.Address = strings.ToLower(addr.Address)
		}
	}
	if imap, ok := o.Object("imap", false); ok {
		s.IMAP = readIMAP(imap)
	}
	o.RejectUnknown()
	return s
}

func readIMAP(o *validate.Object) *helpdesk.IMAPSettings {
	m := &helpdesk.IMAPSettings{TLS: helpdesk.TLSImplicit, Folder: "INBOX", PollSeconds: 60}
	m.Host, _ = o.String("host", true)
	m.Host = strings.TrimSpace(m.Host)
	if tls, ok := o.String("tls", false); ok && o.OneOf("tls", tls, helpdesk.TLSImplicit, helpdesk.TLSStartTLS, helpdesk.TLSNone) {
		m.TLS = tls
	}
	m.Port = 993
	if m.TLS != helpdesk.TLSImplicit {
		m.Port = 143
	}
	if port, ok := o.Int("port", false); ok {
		if port < 1 || port > 65535 {
			o.Errs.Add(o.FieldPath("port"), "must be between 1 and 65535")
		}
		m.Port = int(port)
	}
	if m.TLS == helpdesk.TLSNone && !loopbackHost(m.Host) {
		o.Errs.Add(o.FieldPath("tls"), "none (no encryption) is allowed only to a loopback host: the password would cross the network in clear")
	}
	m.Username, _ = o.String("username", true)
	if folder, ok := o.String("folder", false); ok && strings.TrimSpace(folder) != "" {
		m.Folder = folder
	}
	if f, ok := o.String("processed_folder", false); ok {
		m.ProcessedFolder = strings.TrimSpace(f)
	}
	if secs, ok := o.Int("poll_seconds", false); ok {
		if secs < 5 || secs > 3600 {
			o.Errs.Add(o.FieldPath("poll_seconds"), "must be between 5 and 3600")
		}
		m.PollSeconds = int(secs)
	}
	o.RejectUnknown()
	return m
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// saveChannel seals the credentials, if any, bound to the channel's id,
// and stores the channel.
func (s *Server) saveChannel(r *http.Request, ws int64, c helpdesk.Channel, creds map[string]string) (helpdesk.Channel, error) {
	if c.ID == "" {
		c.ID = helpdesk.NewID()
	}
	var sealed []byte
	if len(creds) > 0 {
		var err error
		if sealed, err = s.sealer.Seal(channelBinding(c.ID), creds); err == connector.ErrNoKey {
			return c, validate.Field("credentials", "cannot be stored: the server has no credentials key (DESKFLOW_SECRET_KEY)")
		} else if err != nil {
			return c, err
		}
		c.CredentialsSet = slices.Sorted(func(yield func(string) bool) {
			for k := range creds {
				if !yield(k) {
					return
				}
			}
		})
	}
	return s.db.SaveChannel(r.Context(), ws, c, sealed)
}

// channelBinding binds sealed channel credentials to their channel.
func channelBinding(id string) string { return "channel:" + id }

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request, p principal) error {
	c, creds, err := readChannel(w, r, nil)
	if err != nil {
		return err
	}
	if c, err = s.saveChannel(r, p.WorkspaceID, c, creds); err != nil {
		return err
	}
	return created(w, c)
}

func (s *Server) updateChannel(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "channel")
	if err != nil {
		return err
	}
	current, err := s.db.GetChannel(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	c, creds, err := readChannel(w, r, &current)
	if err != nil {
		return err
	}
	if c, err = s.saveChannel(r, p.WorkspaceID, c, creds); err != nil {
		return err
	}
	return ok(w, c)
}

func (s *Server) channelStatus(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "channel")
	if err != nil {
		return err
	}
	if _, err := s.db.GetChannel(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	st, err := s.db.ChannelStatus(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	return ok(w, st)
}

func (s *Server) messageAttachments(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "message")
	if err != nil {
		return err
	}
	if _, err := s.db.GetMessage(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	list, err := s.db.Attachments(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	return ok(w, list)
}

// downloadAttachment answers an attachment's content as it came, as a
// download (never rendered inline: it is the customer's file).
func (s *Server) downloadAttachment(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := pathID(r, "attachment")
	if err != nil {
		return err
	}
	a, content, err := s.db.AttachmentContent(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	if a.Omitted {
		return &storage.ConflictError{Message: "the attachment was over the size limit: only its name, type and size were kept"}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(content)
	return err
}
