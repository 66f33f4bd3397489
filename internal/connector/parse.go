package connector

import (
	"sort"
	"strings"

	"github.com/deskflow/deskflow/internal/validate"
)

// Input is a validated create or update of a connector.
type Input struct {
	Type     string
	Name     string
	Settings map[string]any
	// Credentials given in the request (only the keys sent: an update
	// keeps the others).
	Credentials map[string]string
}

// Parse validates a POST /api/connectors body, or a PUT body when current
// is set (type fixed, omitted fields kept, credentials merged key by key; an
// empty string deletes a credential).
func Parse(body any, current *Connector) (Input, error) {
	return parse(body, current, true)
}

// ParseDefinition validates a connector as an automation bundle describes
// it: type, name and settings. Credentials are not part of it (they are set
// through the API), so none is required and a credentials key is refused.
func ParseDefinition(body any, current *Connector) (Input, error) {
	return parse(body, current, false)
}

func parse(body any, current *Connector, withCredentials bool) (Input, error) {
	var errs validate.Errors
	obj := validate.NewObject(&errs, "", body)
	in := Input{Credentials: map[string]string{}}
	if current != nil {
		in.Type, in.Name, in.Settings = current.Type, current.Name, current.Settings
		if t, given := obj.String("type", false); given && t != current.Type {
			errs.Add("type", "cannot be changed; create a new connector")
		}
	} else if t, ok := obj.String("type", true); ok {
		in.Type = t
	}
	def, known := Lookup(in.Type)
	if in.Type != "" && !known {
		errs.Add("type", "must be one of: %s", strings.Join(TypeNames(), ", "))
	}
	if current == nil || obj.Has("name") {
		if name, ok := obj.String("name", true); ok {
			in.Name = strings.TrimSpace(name)
			if len(in.Name) > 100 {
				errs.Add("name", "must be at most 100 characters")
			}
		}
	}
	if current == nil || obj.Has("settings") {
		settings, _ := obj.Object("settings", false)
		if known {
			def.ReadSettings(settings)
		}
		settings.RejectUnknown()
		in.Settings = settings.Values
	}
	if obj.Has("credentials") && !withCredentials {
		obj.Raw("credentials")
		errs.Add("credentials", "cannot be in a bundle: set credentials through the API (PUT /api/connectors/{id})")
	} else if obj.Has("credentials") {
		creds, _ := obj.Object("credentials", false)
		allowed := map[string]bool{}
		for _, c := range def.Credentials {
			allowed[c.Key] = true
		}
		for _, k := range creds.Keys() {
			v, ok := creds.String(k, false)
			if !allowed[k] {
				errs.Add(creds.FieldPath(k), "is not a credential of %s connectors", in.Type)
				continue
			}
			if ok || creds.Values[k] == "" {
				in.Credentials[k] = v
			}
		}
	}
	obj.RejectUnknown("id", "created_at", "updated_at", "credentials_set")
	if known && withCredentials {
		have := map[string]bool{}
		if current != nil {
			for _, k := range current.CredentialsSet {
				have[k] = true
			}
		}
		for k, v := range in.Credentials {
			have[k] = v != ""
		}
		for _, c := range def.Credentials {
			if c.Required && !have[c.Key] {
				errs.Add("credentials."+c.Key, "is required for %s connectors", in.Type)
			}
		}
	}
	return in, errs.Err()
}

// Merge applies given credentials over current ones; an empty value
// deletes the key.
func Merge(current, given map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range current {
		out[k] = v
	}
	for k, v := range given {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// Keys lists credential keys, sorted.
func Keys(creds map[string]string) []string {
	out := make([]string, 0, len(creds))
	for k := range creds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
