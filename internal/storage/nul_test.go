package storage_test

import (
	"context"
	"testing"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/storage/storagetest"
)

// Text with NUL characters, which PostgreSQL refuses (SQLSTATE 22021) and
// SQLite stores, is written and looked up without them on both back ends,
// whatever the way it reached storage.
func TestStorageRemovesNUL(t *testing.T) {
	for _, b := range storagetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, wsID := storagetest.Open(t, b.URL(t))
			tag, err := db.CreateNamed(ctx, storage.Tags, wsID, "Bil\x00ling")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := db.GetNamed(ctx, storage.Tags, wsID, tag.ID); err != nil || got.Name != "Billing" {
				t.Errorf("tag %q, %v", got.Name, err)
			}
			tk, err := db.CreateTicket(ctx, wsID, storage.NewTicket{Subject: "Re\x00fund", Body: "\x00Body\x00", ContactEmail: "ann@example.com", ContactName: "A\x00nn"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.AddMessage(ctx, wsID, helpdesk.Message{TicketID: tk.ID, Direction: helpdesk.DirectionInbound, Body: "Hel\x00lo", SenderName: "E\x00ve", SenderEmail: "eve@example.com", EmailMessageID: "<a\x00@example.com>"}); err != nil {
				t.Fatal(err)
			}
			got, err := db.GetTicket(ctx, wsID, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Subject != "Refund" {
				t.Errorf("subject %q", got.Subject)
			}
			msgs, _, err := db.ListMessages(ctx, wsID, tk.ID, storage.Page{Number: 1, Size: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 2 || msgs[0].Body != "Body" || msgs[1].Body != "Hello" || msgs[1].SenderName != "Eve" || msgs[1].EmailMessageID != "<a@example.com>" {
				t.Errorf("messages %+v", msgs)
			}
			if c, err := db.GetContact(ctx, wsID, *got.ContactID); err != nil || c.Name != "Ann" {
				t.Errorf("contact %q, %v", c.Name, err)
			}
			// Lookups with NUL in their arguments answer, rather than fail.
			if found, err := db.GetNamed(ctx, storage.Tags, wsID, tag.ID[:3]+"\x00"+tag.ID[3:]); err != nil || found.ID != tag.ID {
				t.Errorf("tag by an id with a NUL: %+v, %v", found, err)
			}
			if _, err := db.CheckRefs(ctx, wsID, []param.Ref{{Path: "b", Kind: param.KindChannel, ID: "web\x00"}}); err != nil {
				t.Errorf("check refs: %v", err)
			}
		})
	}
}
