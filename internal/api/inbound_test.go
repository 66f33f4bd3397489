package api_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/deskflow/deskflow/internal/inbound"
)

// receiveEmail imports an email with one attachment on the channel, as
// the IMAP poller or the SMTP receiver would, and returns the message's
// and the attachment's ids.
func (e *env) receiveEmail(token string, ws int64, channelID, text string) (messageID, attachmentID string) {
	e.t.Helper()
	ch, err := e.db.GetChannel(context.Background(), ws, channelID)
	if err != nil {
		e.t.Fatal(err)
	}
	raw := fmt.Sprintf("From: Carla <carla-%d@example.com>\r\nTo: %s\r\nSubject: Invoice\r\nMessage-ID: <invoice-%d@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n%s\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=invoice.pdf\r\n\r\n%%PDF-1.4 invoice\r\n--b--\r\n",
		ws, ch.Settings.Address, ws, text)
	im := &inbound.Importer{DB: e.db}
	res, err := im.Import(context.Background(), ws, ch, []byte(raw))
	if err != nil || res.Outcome != inbound.Imported {
		e.t.Fatalf("import: %+v %v", res, err)
	}
	list := e.must(http.StatusOK, e.call("GET", "/api/messages/"+res.MessageID+"/attachments", token, ws, nil)).list()
	if len(list) != 1 {
		e.t.Fatalf("attachments: %v", list)
	}
	return res.MessageID, list[0].(map[string]any)["id"].(string)
}
