package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
)

// Decode parses JSON into generic values (objects as map[string]any, numbers
// as json.Number) so that each field can be checked and reported by path.
// Strings and object keys come without NUL characters (see StripNUL).
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	if mayHoldNUL(data) {
		v = StripNULTree(v)
	}
	return v, nil
}

// Object reads the fields of one JSON object, recording an error under the
// field's path for every missing or wrongly typed value. Fields that were
// never read can be reported as unknown with RejectUnknown.
type Object struct {
	Path   string
	Values map[string]any
	Errs   *Errors
	read   map[string]bool
}

// NewObject wraps value, which must be a JSON object (or absent: nil gives an
// empty object). A value of another type records an error at path.
func NewObject(errs *Errors, path string, value any) *Object {
	o := &Object{Path: path, Errs: errs, read: map[string]bool{}}
	switch v := value.(type) {
	case map[string]any:
		o.Values = v
	case nil:
		o.Values = map[string]any{}
	default:
		errs.Add(pathOr(path), "must be an object")
		o.Values = map[string]any{}
	}
	return o
}

func pathOr(p string) string {
	if p == "" {
		return "body"
	}
	return p
}

// FieldPath is the full path of key inside this object.
func (o *Object) FieldPath(key string) string { return Join(o.Path, key) }

// Has reports whether key is present (even as null).
func (o *Object) Has(key string) bool {
	_, ok := o.Values[key]
	return ok
}

// Raw returns the value of key and marks it as read.
func (o *Object) Raw(key string) (any, bool) {
	o.read[key] = true
	v, ok := o.Values[key]
	return v, ok
}

// present returns the value of key, treating JSON null as absent.
func (o *Object) present(key string) (any, bool) {
	v, ok := o.Raw(key)
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

// String reads a string field. A required field that is missing, null or
// blank is an error.
func (o *Object) String(key string, required bool) (string, bool) {
	v, ok := o.present(key)
	if !ok {
		if required {
			o.Errs.Add(o.FieldPath(key), "is required")
		}
		return "", false
	}
	s, isString := v.(string)
	if !isString {
		o.Errs.Add(o.FieldPath(key), "must be a string")
		return "", false
	}
	if required && isBlank(s) {
		o.Errs.Add(o.FieldPath(key), "must not be empty")
		return "", false
	}
	return s, true
}

func isBlank(s string) bool {
	return len(bytes.TrimSpace([]byte(s))) == 0
}

// Bool reads a boolean field.
func (o *Object) Bool(key string, required bool) (bool, bool) {
	v, ok := o.present(key)
	if !ok {
		if required {
			o.Errs.Add(o.FieldPath(key), "is required")
		}
		return false, false
	}
	b, isBool := v.(bool)
	if !isBool {
		o.Errs.Add(o.FieldPath(key), "must be a boolean")
		return false, false
	}
	return b, true
}

// Int reads a whole-number field.
func (o *Object) Int(key string, required bool) (int64, bool) {
	v, ok := o.present(key)
	if !ok {
		if required {
			o.Errs.Add(o.FieldPath(key), "is required")
		}
		return 0, false
	}
	n, isNum := v.(json.Number)
	if !isNum {
		o.Errs.Add(o.FieldPath(key), "must be an integer")
		return 0, false
	}
	i, err := n.Int64()
	if err != nil {
		o.Errs.Add(o.FieldPath(key), "must be an integer")
		return 0, false
	}
	return i, true
}

// Number reads a numeric field.
func (o *Object) Number(key string, required bool) (float64, bool) {
	v, ok := o.present(key)
	if !ok {
		if required {
			o.Errs.Add(o.FieldPath(key), "is required")
		}
		return 0, false
	}
	n, isNum := v.(json.Number)
	if !isNum {
		o.Errs.Add(o.FieldPath(key), "must be a number")
		return 0, false
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		o.Errs.Add(o.FieldPath(key), "must be a finite number")
		return 0, false
	}
	return f, true
}

// Array reads an array field of at most max items, called noun in the
// error ("must have at most 50 conditions"): a longer one is an error, and
// none of its items is read, so that no request's work grows with a list
// it is refused for.
func (o *Object) Array(key string, required bool, max int, noun string) ([]any, bool) {
	v, ok := o.present(key)
	if !ok {
		if required {
			o.Errs.Add(o.FieldPath(key), "is required")
		}
		return nil, false
	}
	a, isArray := v.([]any)
	if !isArray {
		o.Errs.Add(o.FieldPath(key), "must be an array")
		return nil, false
	}
	if len(a) > max {
		o.Errs.Add(o.FieldPath(key), "must have at most %d %s", max, noun)
		return nil, false
	}
	return a, true
}

// StringList reads an array of at most max non-empty strings (see Array).
// A wrong item is reported at its index, once per distinct value: a value
// repeated is reported where it first occurs.
func (o *Object) StringList(key string, required bool, max int, noun string) ([]string, bool) {
	items, ok := o.Array(key, required, max, noun)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(items))
	valid := true
	var reported Seen
	for i, item := range items {
		s, isString := item.(string)
		if !isString || isBlank(s) {
			if reported.First(item) {
				o.Errs.Add(Index(o.FieldPath(key), i), "must be a non-empty string")
			}
			valid = false
			continue
		}
		out = append(out, s)
	}
	return out, valid
}

// Seen remembers the decoded JSON values met so far, so that a list's
// repeated values are handled once. The zero value is ready to use.
type Seen struct{ values map[any]bool }

// First reports whether v is met for the first time. Objects and arrays,
// which cannot be compared cheaply, are always new.
func (s *Seen) First(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	if s.values[v] {
		return false
	}
	if s.values == nil {
		s.values = map[any]bool{}
	}
	s.values[v] = true
	return true
}

// Object reads a nested object field; a missing field gives an empty object
// (or an error when required).
func (o *Object) Object(key string, required bool) (*Object, bool) {
	v, ok := o.present(key)
	if !ok {
		if required {
			o.Errs.Add(o.FieldPath(key), "is required")
		}
		return NewObject(o.Errs, o.FieldPath(key), nil), false
	}
	if _, isObj := v.(map[string]any); !isObj {
		o.Errs.Add(o.FieldPath(key), "must be an object")
		return NewObject(&Errors{}, o.FieldPath(key), nil), false
	}
	return NewObject(o.Errs, o.FieldPath(key), v), true
}

// OneOf checks that value is one of allowed, recording an error otherwise.
func (o *Object) OneOf(key, value string, allowed ...string) bool {
	for _, a := range allowed {
		if value == a {
			return true
		}
	}
	o.Errs.Add(o.FieldPath(key), "must be one of: %s", joinQuoted(allowed))
	return false
}

// Keys lists the object's keys, sorted: reading them in this order makes
// which errors are listed, when there are more than MaxErrors, the same
// from one request to the next.
func (o *Object) Keys() []string { return slices.Sorted(maps.Keys(o.Values)) }

// UnknownKeys lists, sorted, the keys that no reader asked for.
func (o *Object) UnknownKeys(ignored ...string) []string {
	skip := map[string]bool{}
	for _, k := range ignored {
		skip[k] = true
	}
	var keys []string
	for _, k := range o.Keys() {
		if !o.read[k] && !skip[k] {
			keys = append(keys, k)
		}
	}
	return keys
}

// RejectUnknown records an error for every key that no reader asked for.
func (o *Object) RejectUnknown(ignored ...string) {
	for _, k := range o.UnknownKeys(ignored...) {
		o.Errs.Add(o.FieldPath(k), "is not a known field")
	}
}

func joinQuoted(items []string) string {
	var b bytes.Buffer
	for i, s := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// DecodeInto decodes JSON into a typed value keeping numbers as json.Number
// wherever the target is an interface.
func DecodeInto(data []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(into)
}
