// Package connector owns configured integrations: their types (what
// settings and credentials each needs, and how to test one), the Connector
// object, and the sealing of credentials at rest (AES-256-GCM with a key from
// the environment). Credentials are write-only: they enter through the API,
// are stored sealed, are opened only to call the integration, and are never
// returned, logged or rendered.
package connector

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/deskflow/deskflow/internal/validate"
)

// Connector is a configured integration of a workspace.
type Connector struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Name     string         `json:"name"`
	Settings map[string]any `json:"settings"`
	// CredentialsSet names the credentials that are stored, never their
	// values.
	CredentialsSet []string  `json:"credentials_set"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Credentials are the opened secrets, inside the process only.
	Credentials map[string]string `json:"-"`
}

// Setting returns a string setting.
func (c *Connector) Setting(key string) string {
	s, _ := c.Settings[key].(string)
	return s
}

// Secret returns a credential.
func (c *Connector) Secret(key string) string { return c.Credentials[key] }

// Credential describes one credential of a type.
type Credential struct {
	Key      string
	Required bool
}

// Env is what a connector test may use.
type Env struct {
	// HTTP is the guarded outbound client.
	HTTP *http.Client
	// CheckURL refuses URLs that can never be reached.
	CheckURL func(string) error
}

// Type describes one kind of connector.
type Type struct {
	Name        string
	Description string
	// Settings validates and normalizes the settings object.
	Settings    func(o *validate.Object)
	Credentials []Credential
	// Test checks that the connector works (authenticates, reaches the
	// service); nil means it cannot be tested.
	Test func(ctx context.Context, c *Connector, env Env) error
}

var types = map[string]Type{}

// Register adds a connector type; packages that implement integrations
// register theirs.
func Register(t Type) {
	if _, dup := types[t.Name]; dup {
		panic("connector: type registered twice: " + t.Name)
	}
	types[t.Name] = t
}

// Lookup returns a connector type.
func Lookup(name string) (Type, bool) {
	t, ok := types[name]
	return t, ok
}

// TypeNames lists the registered types, sorted.
func TypeNames() []string {
	out := make([]string, 0, len(types))
	for n := range types {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// NewID returns a random (version 4) UUID, the id form of the seeds'
// connectorId.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// IsID reports whether s looks like a UUID.
func IsID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F'):
			return false
		}
	}
	return true
}
