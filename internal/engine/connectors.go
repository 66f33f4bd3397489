package engine

import (
	"context"
	"errors"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/metrics"
	"github.com/deskflow/deskflow/internal/storage"
)

// vault gives actions connectors with their credentials opened.
type vault struct {
	db     *storage.DB
	sealer *connector.Sealer
}

var (
	_ action.ConnectorSource  = (*vault)(nil)
	_ action.ConnectorsOfType = (*vault)(nil)
)

func (v *vault) Connector(ctx context.Context, ws int64, id string) (*connector.Connector, error) {
	c, err := v.db.GetConnector(ctx, ws, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, action.Failf("connector %s does not exist (any more) in this workspace", id)
	}
	if err != nil {
		return nil, err
	}
	sealed, err := v.db.SealedCredentials(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	if c.Credentials, err = v.sealer.Open(c.ID, sealed); err != nil {
		return nil, err
	}
	metrics.SetConnectorType(ctx, c.Type)
	return &c, nil
}

func (v *vault) UpdateCredentials(ctx context.Context, ws int64, id string, creds map[string]string) error {
	c, err := v.Connector(ctx, ws, id)
	if err != nil {
		return err
	}
	merged := connector.Merge(c.Credentials, creds)
	sealed, err := v.sealer.Seal(c.ID, merged)
	if err != nil {
		return err
	}
	c.CredentialsSet = connector.Keys(merged)
	_, err = v.db.SaveConnector(ctx, ws, *c, sealed)
	return err
}

// ConnectorsOfType returns the workspace's connectors of a type with their
// credentials (send_reply uses the only smtp connector when none is named).
func (v *vault) ConnectorsOfType(ctx context.Context, ws int64, connectorType string) ([]*connector.Connector, error) {
	ids, err := v.db.ConnectorIDsOfType(ctx, ws, connectorType)
	if err != nil {
		return nil, err
	}
	out := make([]*connector.Connector, 0, len(ids))
	for _, id := range ids {
		c, err := v.Connector(ctx, ws, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
