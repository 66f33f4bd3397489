package engine

import (
	"context"
	"errors"
	"time"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/storage"
)

// helpdeskView adapts storage to what external actions need.
type helpdeskView struct{ db *storage.DB }

var _ action.Helpdesk = helpdeskView{}

func (h helpdeskView) Workspace(ctx context.Context, ws int64) (helpdesk.Workspace, error) {
	return h.db.GetWorkspace(ctx, ws)
}

func (h helpdeskView) EmailThread(ctx context.Context, ws int64, ticketID string, n int) ([]helpdesk.Message, error) {
	return h.db.EmailThread(ctx, ws, ticketID, n)
}

func (h helpdeskView) SentEmail(ctx context.Context, ws int64, ticketID, id string) (helpdesk.Message, bool, error) {
	m, err := h.db.SentEmail(ctx, ws, ticketID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return m, false, nil
	}
	return m, err == nil, err
}

func (h helpdeskView) Contact(ctx context.Context, ws int64, id string) (helpdesk.Contact, error) {
	return h.db.GetContact(ctx, ws, id)
}

func (h helpdeskView) Channel(ctx context.Context, ws int64, id string) (helpdesk.Channel, error) {
	return h.db.GetChannel(ctx, ws, id)
}

func (h helpdeskView) RecordMessage(ctx context.Context, ws int64, m helpdesk.Message, cause helpdesk.Cause) (helpdesk.Message, error) {
	err := h.db.InTx(ctx, func(tx *storage.Tx) error {
		var err error
		m, err = tx.AddMessage(ctx, ws, m, cause)
		return err
	})
	return m, err
}

func (h helpdeskView) AutoRepliesTo(ctx context.Context, ws int64, address string) (int, error) {
	return h.db.AutoRepliesTo(ctx, ws, address, h.db.Now().Add(-time.Hour))
}

func (h helpdeskView) TagTicket(ctx context.Context, ws int64, ticketID, name string, cause helpdesk.Cause) (string, error) {
	var id string
	err := h.db.InTx(ctx, func(tx *storage.Tx) error {
		var err error
		if id, err = tx.TagByName(ctx, ws, name); err != nil {
			return err
		}
		_, err = tx.AddTags(ctx, ws, ticketID, []string{id}, cause)
		return err
	})
	return id, err
}
