// Package spec describes the parameters of triggers, conditions and actions,
// and the settings of connector types, as data: name, type, whether
// required, default, allowed values and bounds, whether templates are
// allowed, a description and an example. One description drives the
// save-time validation of what it can express (presence, type, allowed
// values, bounds, references, template parsing), the OpenAPI schemas, GET
// /api/specs and the reference documentation; a type's own code adds only
// the rules that need code.
package spec

import (
	"fmt"
	"strconv"

	"github.com/deskflow/deskflow/internal/param"
)

// Type is what a parameter holds.
type Type string

// Parameter types.
const (
	// String is plain text.
	String Type = "string"
	// Template is text that may use {{…}} variables, parsed at save time.
	Template Type = "template"
	// Integer is a whole number, within Min and Max when set.
	Integer Type = "integer"
	// Number is any finite number, within Min and Max when set.
	Number  Type = "number"
	Boolean Type = "boolean"
	// Enum is one of Values.
	Enum Type = "enum"
	// Reference is the id of a workspace object of kind Reference.
	Reference Type = "reference"
	// References is a non-empty list of ids of objects of kind Reference.
	References Type = "reference_list"
	// Strings is a list of non-empty strings.
	Strings Type = "string_list"
	// Templates is an object whose values are templates (or plain numbers
	// and booleans).
	Templates Type = "template_map"
	// Identifier is a name usable in a template path ({{variables.name}}).
	Identifier Type = "identifier"
	// Duration is a length of time in milliseconds, within Min and Max.
	Duration Type = "duration_ms"
	// Object is any JSON object.
	Object Type = "object"
	// TextOrList is text or a list of texts (email recipients).
	TextOrList Type = "text_or_list"
)

// Param describes one parameter.
type Param struct {
	Name     string `json:"name"`
	Type     Type   `json:"type"`
	Required bool   `json:"required"`
	// Default is the value used when the parameter is omitted.
	Default any `json:"default,omitempty"`
	// Values are the allowed values of an Enum.
	Values []string `json:"values,omitempty"`
	// Min and Max bound an Integer, Number or Duration.
	Min *float64 `json:"minimum,omitempty"`
	Max *float64 `json:"maximum,omitempty"`
	// MaxItems bounds the items of a Strings or TextOrList list and the
	// entries of a Templates object: a longer one is one error, its items
	// unread. References have param.MaxRefs.
	MaxItems int `json:"max_items,omitempty"`
	// Reference is the kind of object a Reference or References names.
	Reference param.Kind `json:"reference,omitempty"`
	// ConnectorTypes are the connector types a connector reference
	// accepts (empty: any).
	ConnectorTypes []string `json:"connector_types,omitempty"`
	Description    string   `json:"description"`
	Example        any      `json:"example,omitempty"`
	// Custom parameters are read by the type's own code, because their
	// rule needs code (which connector types an action id allows, what
	// makes an email address); the spec still describes them.
	Custom bool `json:"-"`
	// Templates allow {{…}} in a parameter whose Type is not Template
	// itself (TextOrList, Object).
	Templates bool `json:"-"`
}

// Templated reports whether the parameter's text may use templates.
func (p Param) Templated() bool { return p.Type == Template || p.Type == Templates || p.Templates }

// Bound is a Min or Max.
func Bound(v float64) *float64 { return &v }

// Values are the parameters read by Read: the value of each that was given
// and valid.
type Values map[string]any

// String returns the value of a String, Template, Enum, Reference or
// Identifier parameter ("" when not given or invalid).
func (v Values) String(name string) (string, bool) {
	s, ok := v[name].(string)
	return s, ok
}

// Read validates the parameters that p holds against params: presence,
// type, allowed values, bounds, references (recorded for one existence
// query per kind) and templates. It returns the valid values by name.
func Read(p *param.Params, params []Param) Values {
	out := Values{}
	for _, s := range params {
		if s.Custom {
			continue
		}
		if v, ok := read(p, s); ok {
			out[s.Name] = v
		}
	}
	return out
}

func read(p *param.Params, s Param) (any, bool) {
	switch s.Type {
	case String:
		return p.String(s.Name, s.Required)
	case Template:
		if _, ok := p.Template(s.Name, s.Required); !ok {
			return nil, false
		}
		return p.Values[s.Name], true
	case Integer, Duration:
		n, ok := p.Int(s.Name, s.Required)
		if ok && !s.within(float64(n)) {
			p.Errs.Add(p.FieldPath(s.Name), "%s", s.boundsMessage())
			return nil, false
		}
		return n, ok
	case Number:
		n, ok := p.Number(s.Name, s.Required)
		if ok && !s.within(n) {
			p.Errs.Add(p.FieldPath(s.Name), "%s", s.boundsMessage())
			return nil, false
		}
		return n, ok
	case Boolean:
		return p.Bool(s.Name, s.Required)
	case Enum:
		v, ok := p.String(s.Name, s.Required)
		if ok && !p.OneOf(s.Name, v, s.Values...) {
			return nil, false
		}
		return v, ok
	case Reference:
		return p.Ref(s.Name, s.Reference, s.Required, s.ConnectorTypes...)
	case References:
		return p.RefList(s.Name, s.Reference, s.Required)
	case Strings:
		return p.StringList(s.Name, s.Required, s.ItemLimit(), s.Name)
	case Templates:
		return p.TemplateMap(s.Name, s.Required, s.ItemLimit(), s.Name)
	case Identifier:
		return p.Identifier(s.Name, s.Required)
	case Object:
		o, ok := p.Object.Object(s.Name, s.Required)
		if !ok {
			return nil, false
		}
		return o.Values, true
	}
	panic(fmt.Sprintf("spec: parameter %s has unknown type %q", s.Name, s.Type))
}

// ItemLimit is the most items a list parameter (References, Strings,
// TextOrList) or entries a Templates object takes, and 0 for the other
// types. Every list has one: a list parameter without MaxItems panics.
func (s Param) ItemLimit() int {
	switch s.Type {
	case References:
		return param.MaxRefs
	case Strings, TextOrList, Templates:
		if s.MaxItems <= 0 {
			panic(fmt.Sprintf("spec: list parameter %s has no MaxItems", s.Name))
		}
		return s.MaxItems
	}
	return 0
}

func (s Param) within(n float64) bool {
	return (s.Min == nil || n >= *s.Min) && (s.Max == nil || n <= *s.Max)
}

func (s Param) boundsMessage() string {
	unit := ""
	if s.Type == Duration {
		unit = " milliseconds"
	}
	switch {
	case s.Min != nil && s.Max != nil:
		return fmt.Sprintf("must be between %s and %s%s", number(*s.Min), number(*s.Max), unit)
	case s.Min != nil && *s.Min == 1 && s.Type == Integer:
		return "must be a positive whole number"
	case s.Min != nil:
		return fmt.Sprintf("must be at least %s%s", number(*s.Min), unit)
	default:
		return fmt.Sprintf("must be at most %s%s", number(*s.Max), unit)
	}
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Names lists the parameters' names.
func Names(params []Param) []string {
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = p.Name
	}
	return out
}
