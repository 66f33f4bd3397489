package template

import (
	"fmt"
	"sort"
	"strings"
)

// Field describes what a template may reference below one path segment: any
// sub-path (AnyPath), nothing (Leaf), or a fixed set of named fields
// (Object, Fields). Fields are immutable values; build them with the
// constructors.
type Field struct {
	open   bool
	fields map[string]Field
}

// AnyPath accepts any sub-path below the field (or root), for data whose
// shape is not known in advance: custom fields, workflow variables, arrays.
func AnyPath() Field { return Field{open: true} }

// Leaf accepts no sub-path: the field is a scalar.
func Leaf() Field { return Field{} }

// Object accepts exactly the given fields below the field (or root). The
// map is copied.
func Object(fields map[string]Field) Field {
	f := Field{fields: make(map[string]Field, len(fields))}
	for name, sub := range fields {
		f.fields[name] = sub
	}
	return f
}

// Fields is Object with every named field a Leaf.
func Fields(names ...string) Field {
	f := Field{fields: make(map[string]Field, len(names))}
	for _, name := range names {
		f.fields[name] = Leaf()
	}
	return f
}

// Schema declares the roots that templates may reference and, for each, the
// fields accepted below it. Parse refuses a path that the Schema does not
// accept. A Schema is immutable and safe for concurrent use.
type Schema struct {
	roots Field
}

// NewSchema builds a Schema from its roots. The map is copied.
func NewSchema(roots map[string]Field) *Schema {
	return &Schema{roots: Object(roots)}
}

// Paths lists what templates may reference, sorted: every declared path,
// and root.* below a root or field that accepts any sub-path.
func (s *Schema) Paths() []string {
	var out []string
	var walk func(prefix string, f Field)
	walk = func(prefix string, f Field) {
		switch {
		case f.open:
			out = append(out, prefix+".*")
		case len(f.fields) == 0:
			out = append(out, prefix)
		}
		for _, n := range f.names() {
			walk(strings.TrimPrefix(prefix+"."+n, "."), f.fields[n])
		}
	}
	for _, n := range s.roots.names() {
		walk(n, s.roots.fields[n])
	}
	return out
}

// Roots returns the declared root names, sorted.
func (s *Schema) Roots() []string { return s.roots.names() }

// DefaultSchema is deskflow's schema: the ticket, customer and message that
// triggered the workflow, the ticket's custom fields, and the variables
// produced by earlier workflow steps.
var DefaultSchema = NewSchema(map[string]Field{
	"ticket": Object(map[string]Field{
		"id":          Leaf(),
		"subject":     Leaf(),
		"status":      Leaf(),
		"priority":    Leaf(),
		"channel":     Leaf(),
		"channelType": Leaf(),
		"createdAt":   Leaf(),
		"tags":        AnyPath(),
		"assignee":    AnyPath(),
	}),
	"customer":     Fields("id", "name", "email", "isVip"),
	"message":      Fields("id", "body", "senderName", "senderEmail", "direction", "createdAt"),
	"customFields": AnyPath(),
	"variables":    AnyPath(),
})

func (f Field) names() []string {
	names := make([]string, 0, len(f.fields))
	for n := range f.fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// check reports the first segment of path that s does not accept.
func (s *Schema) check(path []string, offsets []int) *ParseError {
	cur := s.roots
	for i, seg := range path {
		if cur.open {
			return nil
		}
		sub, ok := cur.fields[seg]
		if ok {
			cur = sub
			continue
		}
		var msg string
		switch {
		case i == 0 && len(cur.fields) == 0:
			msg = fmt.Sprintf("unknown root %q; the schema declares no roots", seg)
		case i == 0:
			msg = fmt.Sprintf("unknown root %q; known roots are %s", seg, strings.Join(cur.names(), ", "))
		case len(cur.fields) == 0:
			msg = fmt.Sprintf("%q has no fields, cannot access %q", strings.Join(path[:i], "."), seg)
		default:
			msg = fmt.Sprintf("unknown field %q on %q; known fields are %s", seg, strings.Join(path[:i], "."), strings.Join(cur.names(), ", "))
		}
		return &ParseError{Offset: offsets[i], Message: msg}
	}
	return nil
}
