// Package param reads and checks the parameters of one condition or action:
// typed fields with their paths (through validate), template fields parsed
// at save time, and references to other workspace objects (tags, teams,
// users, channels, connectors) collected so the caller can check that they
// exist in the workspace with one query per kind.
package param

import (
	"encoding/json"
	"math"
	"regexp"

	"github.com/deskflow/deskflow/internal/template"
	"github.com/deskflow/deskflow/internal/validate"
)

// Kind is the kind of workspace object a parameter refers to.
type Kind string

// Kinds of reference.
const (
	KindTag       Kind = "tag"
	KindTeam      Kind = "team"
	KindUser      Kind = "user"
	KindChannel   Kind = "channel"
	KindConnector Kind = "connector"
)

// Ref is one reference to check: the object of Kind with ID must exist in
// the workspace, or Path gets an error. For connectors, ConnectorTypes (when
// set) lists the connector types the parameter accepts.
type Ref struct {
	Path           string
	Kind           Kind
	ID             string
	ConnectorTypes []string
}

// Params reads one parameters object.
type Params struct {
	*validate.Object
	Refs   *[]Ref
	Schema *template.Schema
	// CheckURL refuses URLs that can never be called (SSRF guard at save
	// time); nil skips the check.
	CheckURL func(raw string) error
}

// New wraps the parameters value found at path.
func New(errs *validate.Errors, path string, value any, refs *[]Ref, schema *template.Schema) *Params {
	return &Params{Object: validate.NewObject(errs, path, value), Refs: refs, Schema: schema}
}

// Template reads a string field that is a template and checks that it
// parses: a malformed template or an unknown variable root is a field error.
func (p *Params) Template(key string, required bool) (*template.Template, bool) {
	src, ok := p.String(key, required)
	if !ok {
		return nil, false
	}
	return p.parseTemplate(p.FieldPath(key), src)
}

// ParseTemplate parses src with the parameters' template schema.
func (p *Params) ParseTemplate(src string) (*template.Template, error) {
	return template.Parse(src, p.Schema)
}

func (p *Params) parseTemplate(path, src string) (*template.Template, bool) {
	t, err := p.ParseTemplate(src)
	if err != nil {
		p.Errs.Add(path, "invalid template: %s", err.Error())
		return nil, false
	}
	return t, true
}

// TemplateMap reads an object of at most max entries (called noun in the
// error) whose values are all templates (headers).
func (p *Params) TemplateMap(key string, required bool, max int, noun string) (map[string]*template.Template, bool) {
	obj, ok := p.Object.Object(key, required)
	if !ok {
		return nil, false
	}
	if len(obj.Values) > max {
		p.Errs.Add(obj.Path, "must have at most %d %s", max, noun)
		return nil, false
	}
	out := map[string]*template.Template{}
	valid := true
	for _, k := range obj.Keys() {
		v, _ := obj.Raw(k)
		s, isString := v.(string)
		if !isString {
			if isScalar(v) {
				continue // numbers and booleans are passed as they are
			}
			p.Errs.Add(obj.FieldPath(k), "must be a string, number or boolean")
			valid = false
			continue
		}
		t, ok := p.parseTemplate(obj.FieldPath(k), s)
		if !ok {
			valid = false
			continue
		}
		out[k] = t
	}
	return out, valid
}

func isScalar(v any) bool {
	switch v.(type) {
	case bool, float64, int, int64:
		return true
	}
	_, isNumber := v.(interface{ Int64() (int64, error) })
	return isNumber
}

// Ref records that the string field key names an object of kind.
func (p *Params) Ref(key string, kind Kind, required bool, connectorTypes ...string) (string, bool) {
	id, ok := p.String(key, required)
	if !ok {
		return "", false
	}
	p.AddRef(p.FieldPath(key), kind, id, connectorTypes...)
	return id, true
}

// AddRef records a reference found at path.
func (p *Params) AddRef(path string, kind Kind, id string, connectorTypes ...string) {
	*p.Refs = append(*p.Refs, Ref{Path: path, Kind: kind, ID: id, ConnectorTypes: connectorTypes})
}

// MaxRefs bounds a list of references (the tags of add_tags, of a tag
// trigger, of a request adding tags to a ticket).
const MaxRefs = 100

// RefList records that key is a non-empty array of at most MaxRefs ids of
// objects of kind. An id listed twice is recorded once, at its first index,
// and returned once.
func (p *Params) RefList(key string, kind Kind, required bool) ([]string, bool) {
	ids, ok := p.StringList(key, required, MaxRefs, string(kind)+"s")
	if !ok {
		return nil, false
	}
	if required && len(ids) == 0 {
		p.Errs.Add(p.FieldPath(key), "must not be empty")
		return nil, false
	}
	out := make([]string, 0, len(ids))
	var seen validate.Seen
	for i, id := range ids {
		if seen.First(id) {
			p.AddRef(validate.Index(p.FieldPath(key), i), kind, id)
			out = append(out, id)
		}
	}
	return out, true
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Identifier reads a name usable as a template path segment (saveAs).
func (p *Params) Identifier(key string, required bool) (string, bool) {
	s, ok := p.String(key, required)
	if !ok {
		return "", false
	}
	if !identifier.MatchString(s) {
		p.Errs.Add(p.FieldPath(key), "must start with a letter or _ and contain only letters, digits and _ (at most 64)")
		return "", false
	}
	return s, true
}

// WholeNumber reads a whole number from a decoded JSON value (json.Number
// when decoded with UseNumber, float64 or int otherwise).
func WholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}
