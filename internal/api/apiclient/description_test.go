package apiclient_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/deskflow/deskflow/internal/api"
)

// TestDescriptionIsCurrent: the client was generated from the server's
// description; when it fails, run go generate ./internal/api/apiclient.
func TestDescriptionIsCurrent(t *testing.T) {
	served, err := api.Description()
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, served) {
		t.Errorf("openapi.json is not the server's description: run go generate ./internal/api/apiclient")
	}
}
