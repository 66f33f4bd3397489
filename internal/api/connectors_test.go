package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deskflow/deskflow/internal/app"
	"github.com/deskflow/deskflow/internal/connector"
	"github.com/deskflow/deskflow/internal/spec"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestConnectorsAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		c := e.must(201, e.asAdmin("POST", "/api/connectors", map[string]any{
			"type": "webhook", "name": "Signed", "credentials": map[string]any{"signing_secret": secret},
		})).data()
		id := c["id"].(string)
		if !connector.IsID(id) {
			t.Errorf("id %q is not a UUID", id)
		}
		if !reflect.DeepEqual(c["credentials_set"], []any{"signing_secret"}) {
			t.Errorf("credentials_set = %v", c["credentials_set"])
		}
		for _, r := range []response{e.asAdmin("GET", "/api/connectors/"+id, nil), e.asAdmin("GET", "/api/connectors", nil), e.call("GET", "/api/connectors/"+id, e.agentA, e.wsA, nil)} {
			if r.Status != 200 || strings.Contains(r.Raw, "MfKQ9r8") {
				t.Errorf("a read returned the credential or failed: %d %s", r.Status, r.Raw)
			}
		}
		// Update: name changes, credentials kept when not given.
		up := e.must(200, e.asAdmin("PUT", "/api/connectors/"+id, map[string]any{"name": "Renamed"})).data()
		if up["name"] != "Renamed" || !reflect.DeepEqual(up["credentials_set"], []any{"signing_secret"}) {
			t.Errorf("update: %v", up)
		}
		// The credential is usable inside the process, and sealed at rest.
		opened, err := e.node.Engine.Services().Connectors.Connector(t.Context(), e.wsA, id)
		if err != nil || opened.Secret("signing_secret") != secret {
			t.Fatalf("opened credentials: %v %v", opened, err)
		}
		// Validation.
		bad := []struct {
			body map[string]any
			path string
		}{
			{map[string]any{"name": "x"}, "type"},
			{map[string]any{"type": "carrier-pigeon", "name": "x"}, "type"},
			{map[string]any{"type": "webhook"}, "name"},
			{map[string]any{"type": "webhook", "name": "x"}, "credentials.signing_secret"},
			{map[string]any{"type": "webhook", "name": "x", "credentials": map[string]any{"signing_secret": secret, "api_key": "k"}}, "credentials.api_key"},
			{map[string]any{"type": "webhook", "name": "x", "credentials": map[string]any{"signing_secret": 7}}, "credentials.signing_secret"},
		}
		for _, b := range bad {
			r := e.must(422, e.asAdmin("POST", "/api/connectors", b.body))
			if r.fieldErrors()[b.path] == nil {
				t.Errorf("no error at %s: %s", b.path, r.Raw)
			}
		}
		e.must(422, e.asAdmin("PUT", "/api/connectors/"+id, map[string]any{"type": "smtp"}))
		if r := e.call("POST", "/api/connectors", e.agentA, e.wsA, map[string]any{"type": "webhook", "name": "x", "credentials": map[string]any{"signing_secret": secret}}); r.Status != 403 {
			t.Errorf("agent created a connector: %d", r.Status)
		}
		// In use by a workflow: cannot be deleted.
		wf := e.create("/api/workflows", workflowBody("hook", "manual", nil, act("send_webhook", map[string]any{"url": "https://hooks.example.com/x", "connectorId": id})))
		if r := e.asAdmin("DELETE", "/api/connectors/"+id, nil); r.Status != 409 {
			t.Errorf("deleting a used connector: %d", r.Status)
		}
		// A connector of another type is refused by the action.
		e.must(204, e.asAdmin("DELETE", "/api/workflows/"+wf, nil))
		e.must(204, e.asAdmin("DELETE", "/api/connectors/"+id, nil))
		e.must(404, e.asAdmin("GET", "/api/connectors/"+id, nil))
		e.must(404, e.asAdmin("GET", "/api/connectors/not-a-uuid", nil))
		cat := e.must(200, e.asAdmin("GET", "/api/connectors/catalog", nil)).data()
		names := map[string]bool{}
		for _, ty := range cat["types"].([]any) {
			names[ty.(map[string]any)["type"].(string)] = true
		}
		for _, want := range []string{"smtp", "slack", "teams", "webhook", "ai", "shopify", "stripe", "github", "jira"} {
			if !names[want] {
				t.Errorf("catalog lacks connector type %s", want)
			}
		}
		if len(cat["platforms"].([]any)) < 4 {
			t.Errorf("catalog platforms: %v", cat["platforms"])
		}
	})
}

// TestEveryConnectorTypeIsAccepted walks the connector registry: a
// connector of each type made of its settings' examples (and a dummy value
// for every credential) is created, and keeps those settings; GET
// /api/specs lists each type's settings and described credentials.
func TestEveryConnectorTypeIsAccepted(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		served := map[string]map[string]any{}
		for _, ct := range e.must(200, e.asAdmin("GET", "/api/specs", nil)).data()["connector_types"].([]any) {
			served[ct.(map[string]any)["type"].(string)] = ct.(map[string]any)
		}
		x := newExamples(e)
		for _, typ := range connector.TypeNames() {
			def, _ := connector.Lookup(typ)
			var settings, creds []string
			for _, s := range served[typ]["settings"].([]any) {
				settings = append(settings, s.(map[string]any)["name"].(string))
			}
			for _, c := range served[typ]["credentials"].([]any) {
				if c := c.(map[string]any); c["description"] != "" {
					creds = append(creds, c["key"].(string))
				}
			}
			wantCreds := []string{}
			for _, c := range def.Credentials {
				wantCreds = append(wantCreds, c.Key)
			}
			if !slices.Equal(settings, spec.Names(def.Settings)) || !slices.Equal(creds, wantCreds) {
				t.Errorf("GET /api/specs lists %s with settings %v and described credentials %v", typ, settings, creds)
			}

			c := e.must(200, e.asAdmin("GET", "/api/connectors/"+x.connector(typ), nil)).data()
			stored := c["settings"].(map[string]any)
			for _, s := range def.Settings {
				if _, ok := stored[s.Name]; !ok {
					t.Errorf("%s: setting %s is not stored: %v", typ, s.Name, stored)
				}
			}
			if got := len(c["credentials_set"].([]any)); got != len(def.Credentials) {
				t.Errorf("%s: %d credentials stored, want %d", typ, got, len(def.Credentials))
			}
		}
	})
}

// TestNoPlaintextSecretsAtRest: after storing connector credentials and
// using API tokens, neither the SQLite file (a dump of the database) nor the
// logs contain a credential or a token in plaintext.
func TestNoPlaintextSecretsAtRest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "deskflow.db")
	var logs bytes.Buffer
	e := newEnv(t, "sqlite:"+path)
	e.config.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.restart(func() {})
	e.must(201, e.asAdmin("POST", "/api/connectors", map[string]any{"type": "webhook", "name": "s", "credentials": map[string]any{"signing_secret": secret}}))
	e.must(422, e.asAdmin("POST", "/api/connectors", map[string]any{"type": "webhook", "credentials": map[string]any{"signing_secret": secret}}))
	e.asAdmin("GET", "/api/nothing", nil)
	stopNode(e.node)
	e.db.Close()
	var dump []byte
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err == nil {
			dump = append(dump, b...)
		}
	}
	if len(dump) == 0 {
		t.Fatal("no database file")
	}
	for name, value := range map[string]string{"signing secret": "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "admin token": e.adminA, "agent token": e.agentA} {
		if bytes.Contains(dump, []byte(value)) {
			t.Errorf("the database contains the %s in plaintext", name)
		}
		if strings.Contains(logs.String(), value) {
			t.Errorf("the logs contain the %s", name)
		}
	}
	if logs.Len() == 0 {
		t.Errorf("nothing was logged; the check proves nothing")
	}
}

// TestCredentialsNeedTheKey: without a key, credentials cannot be stored,
// and a database that holds some refuses to start without the key they
// were sealed with, or with another key, which the refusal never shows.
func TestCredentialsNeedTheKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.must(201, e.asAdmin("POST", "/api/connectors", map[string]any{"type": "webhook", "name": "s", "credentials": map[string]any{"signing_secret": secret}}))
		start := func(key []byte) error {
			cfg := e.config
			cfg.SecretKey = key
			cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			_, err := app.New(cfg)
			return err
		}
		if err := start(nil); err == nil || !strings.Contains(err.Error(), connector.EnvKey+" is not set") {
			t.Errorf("started without the key: %v", err)
		}
		other := []byte("another key, 32 bytes long......")
		refusesWrongKey := func(when string) {
			t.Helper()
			err := start(other)
			if !errors.Is(err, connector.ErrWrongKey) || !strings.Contains(err.Error(), "DESKFLOW_SECRET_KEY does not open the credentials stored in this database: it is not the key they were sealed with") {
				t.Fatalf("%s: started with another key: %v", when, err)
			}
			for _, shown := range []string{string(other), base64.StdEncoding.EncodeToString(other), hex.EncodeToString(other), string(testKey)} {
				if strings.Contains(err.Error(), shown) {
					t.Errorf("%s: the refusal shows a key: %v", when, err)
				}
			}
		}
		refusesWrongKey("with the key check")
		if err := start(testKey); err != nil {
			t.Fatalf("the right key: %v", err)
		}
		// A database whose credentials predate the key check: the key is
		// tried on them, and the right key stores the check.
		if _, err := e.rawDB().Exec(`DELETE FROM key_check`); err != nil {
			t.Fatal(err)
		}
		refusesWrongKey("without a key check")
		if _, ok, err := e.db.KeyCheck(t.Context()); err != nil || ok {
			t.Fatalf("a refused key stored a key check: %v %v", ok, err)
		}
		if err := start(testKey); err != nil {
			t.Fatalf("the right key without a key check: %v", err)
		}
		if _, ok, err := e.db.KeyCheck(t.Context()); err != nil || !ok {
			t.Fatalf("the right key stored no key check: %v %v", ok, err)
		}
		refusesWrongKey("with the key check stored again")
	})
}

// TestKeyCheckWithoutCredentials: the key check is written at the first
// start with a key; while no credentials are stored the key may change
// (the check is replaced), and no key is needed.
func TestKeyCheckWithoutCredentials(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		check, ok, err := e.db.KeyCheck(t.Context())
		if err != nil || !ok {
			t.Fatalf("no key check after a start with a key: %v %v", ok, err)
		}
		first, _ := connector.NewSealer(testKey)
		if err := first.OpenKeyCheck(check); err != nil {
			t.Fatalf("the key check: %v", err)
		}
		other := []byte("another key, 32 bytes long......")
		for _, key := range [][]byte{nil, other} {
			cfg := e.config
			cfg.SecretKey = key
			if _, err := app.New(cfg); err != nil {
				t.Fatalf("a database without credentials refused key %q: %v", key, err)
			}
		}
		check, _, err = e.db.KeyCheck(t.Context())
		second, _ := connector.NewSealer(other)
		if err != nil || second.OpenKeyCheck(check) != nil {
			t.Fatalf("the key check was not replaced for the new key: %v", err)
		}
	})
}
