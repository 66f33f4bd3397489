package api

import (
	"context"
	"net/http"
	"time"

	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/integration/platform"
	"github.com/deskflow/deskflow/internal/validate"
)

// connectorID reads a UUID path parameter; anything else cannot exist.
func connectorID(r *http.Request) (string, error) {
	id := r.PathValue("connector")
	if !connector.IsID(id) {
		return "", errNotFound
	}
	return id, nil
}

func (s *Server) showConnector(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := connectorID(r)
	if err != nil {
		return err
	}
	c, err := s.db.GetConnector(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	return ok(w, c)
}

func (s *Server) createConnector(w http.ResponseWriter, r *http.Request, p principal) error {
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	in, err := connector.Parse(body, nil)
	if err != nil {
		return err
	}
	c := connector.Connector{ID: connector.NewID(), Type: in.Type, Name: in.Name, Settings: in.Settings}
	saved, err := s.saveConnector(r.Context(), p.WorkspaceID, c, connector.Merge(nil, in.Credentials))
	if err != nil {
		return err
	}
	return created(w, saved)
}

func (s *Server) updateConnector(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := connectorID(r)
	if err != nil {
		return err
	}
	current, err := s.db.GetConnector(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	body, err := readJSON(w, r)
	if err != nil {
		return err
	}
	in, err := connector.Parse(body, &current)
	if err != nil {
		return err
	}
	creds := map[string]string{}
	if len(current.CredentialsSet) > 0 {
		sealed, err := s.db.SealedCredentials(r.Context(), p.WorkspaceID, id)
		if err != nil {
			return err
		}
		if creds, err = s.sealer.Open(id, sealed); err != nil {
			return err
		}
	}
	current.Name, current.Settings = in.Name, in.Settings
	saved, err := s.saveConnector(r.Context(), p.WorkspaceID, current, connector.Merge(creds, in.Credentials))
	if err != nil {
		return err
	}
	return ok(w, saved)
}

// saveConnector seals the credentials (a 422 when the server has no key)
// and stores the connector.
func (s *Server) saveConnector(ctx context.Context, ws int64, c connector.Connector, creds map[string]string) (connector.Connector, error) {
	var sealed []byte
	if len(creds) > 0 {
		var err error
		if sealed, err = s.sealer.Seal(c.ID, creds); err == connector.ErrNoKey {
			return c, validate.Field("credentials", "cannot be stored: the server has no credentials key (%s)", connector.EnvKey)
		} else if err != nil {
			return c, err
		}
	}
	c.CredentialsSet = connector.Keys(creds)
	return s.db.SaveConnector(ctx, ws, c, sealed)
}

func (s *Server) deleteConnector(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := connectorID(r)
	if err != nil {
		return err
	}
	if err := s.db.DeleteConnector(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	return noContent(w)
}

type testResult struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	Duration string `json:"duration"`
}

// testConnector checks that a connector works; a failing check is an
// answer (ok false with the reason), not an API error.
func (s *Server) testConnector(w http.ResponseWriter, r *http.Request, p principal) error {
	id, err := connectorID(r)
	if err != nil {
		return err
	}
	if _, err := s.db.GetConnector(r.Context(), p.WorkspaceID, id); err != nil {
		return err
	}
	svc := s.engine.Services()
	c, err := svc.Connectors.Connector(r.Context(), p.WorkspaceID, id)
	if err != nil {
		return err
	}
	def, _ := connector.Lookup(c.Type)
	if def.Test == nil {
		return validate.Field("connector", "%s connectors cannot be tested", c.Type)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	start := time.Now()
	res := testResult{OK: true}
	if err := def.Test(ctx, c, connector.Env{HTTP: svc.HTTP, CheckURL: svc.CheckURL}); err != nil {
		res = testResult{Error: err.Error()}
	}
	res.Duration = time.Since(start).Round(time.Millisecond).String()
	return ok(w, res)
}

// catalogView is what connectors can be: the connector types, and the
// platform actions that execute_connector_action can run.
type catalogView struct {
	Types     []connectorTypeView     `json:"types"`
	Platforms []platform.PlatformInfo `json:"platforms"`
}

// connectorTypeView is one connector type: the keys of its credentials,
// and whether a connector of it can be tested.
type connectorTypeView struct {
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Credentials []string `json:"credentials"`
	Testable    bool     `json:"testable"`
}

// connectorCatalog lists the connector types and the platform actions that
// execute_connector_action can run.
func (s *Server) connectorCatalog(w http.ResponseWriter, _ *http.Request, _ principal) error {
	types := []connectorTypeView{}
	for _, name := range connector.TypeNames() {
		t, _ := connector.Lookup(name)
		creds := []string{}
		for _, c := range t.Credentials {
			creds = append(creds, c.Key)
		}
		types = append(types, connectorTypeView{Type: name, Description: t.Description, Credentials: creds, Testable: t.Test != nil})
	}
	return ok(w, catalogView{Types: types, Platforms: platform.Catalog()})
}
