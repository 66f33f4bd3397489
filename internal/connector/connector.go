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
	"slices"
	"sort"
	"time"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
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
	Key         string `json:"key"`
	Required    bool   `json:"required"`
	Description string `json:"description"`
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
	// Settings are the specs of the settings object's keys; ReadSettings
	// checks what they state (presence, type, allowed values, bounds).
	// Settings hold plain values: no templates, no references.
	Settings []spec.Param
	// StoreDefaults makes ReadSettings write the Default of every setting
	// that is omitted (or null) into the settings, so that the stored
	// settings are explicit; without it the defaults apply when the
	// connector is used.
	StoreDefaults bool
	// Check adds the rules of the settings that the specs cannot state,
	// and normalizes: a normalized value is written back into o.Values. v
	// holds the settings that the specs found valid (and the defaults
	// written).
	Check       func(o *validate.Object, v spec.Values)
	Credentials []Credential
	// Test checks that the connector works (authenticates, reaches the
	// service); nil means it cannot be tested.
	Test func(ctx context.Context, c *Connector, env Env) error
}

// ReadSettings validates the settings object o against the type's specs,
// writes the omitted settings' defaults when the type stores them, and
// runs Check. Unknown keys are left to the caller (o.RejectUnknown).
func (t Type) ReadSettings(o *validate.Object) {
	v := spec.Read(&param.Params{Object: o, Refs: &[]param.Ref{}}, t.Settings)
	if t.StoreDefaults {
		for _, s := range t.Settings {
			if given, present := o.Values[s.Name]; s.Default == nil || present && given != nil {
				continue
			}
			o.Raw(s.Name) // marks the key as read: it is no unknown key
			o.Values[s.Name] = s.Default
			v[s.Name] = s.Default
		}
	}
	if t.Check != nil {
		t.Check(o, v)
	}
}

// plainSettings are the parameter types a setting may have: values that
// need neither a template schema nor a reference check.
var plainSettings = []spec.Type{spec.String, spec.Integer, spec.Number, spec.Boolean, spec.Enum, spec.Strings, spec.Object}

var types = map[string]Type{}

// Register adds a connector type; packages that implement integrations
// register theirs.
func Register(t Type) {
	if _, dup := types[t.Name]; dup {
		panic("connector: type registered twice: " + t.Name)
	}
	for _, s := range t.Settings {
		if !slices.Contains(plainSettings, s.Type) {
			panic(fmt.Sprintf("connector: setting %s of %s has type %s; settings are %v", s.Name, t.Name, s.Type, plainSettings))
		}
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
