package platformfake

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// The fakes answer from the platforms' published data (Stripe's fixtures,
// the descriptions' own examples) and their own state. Those examples
// often omit properties the description's response schema requires, or
// hold null where the schema does not allow it; complete fills such gaps
// from the schema before the answer is checked, so that the answer
// validates: a required property missing gets a value of its schema (its
// example, default, first enum value, or one of its type), and a null the
// schema does not allow is dropped (or, when required, replaced so), a
// property where the schema allows no other is dropped, a discriminator
// the example lacks is set, text the fake echoes from a form takes the
// number or boolean type the schema gives it, and a time whose offset
// lacks its colon (Jira's +0000) gets it. A value of another type, an
// enum or pattern not met are left as they are, and fail the check.

// responseSchema is the JSON schema of the description's response to an
// operation with that status (or its default response).
func responseSchema(route *routers.Route, status int) *openapi3.Schema {
	ref := route.Operation.Responses.Status(status)
	if ref == nil {
		ref = route.Operation.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return nil
	}
	for mediaType, content := range ref.Value.Content {
		if strings.Contains(mediaType, "json") && content.Schema != nil {
			return content.Schema.Value
		}
	}
	return nil
}

// completeAnswer returns a success answer completed against the schema it
// is checked against; error answers, which the fakes write themselves,
// and other answers are returned as they are.
func completeAnswer(c answerCheck, status int, body []byte) []byte {
	schema := c.schema
	if schema == nil || c.refusal || status < 200 || status > 299 || len(bytes.TrimSpace(body)) == 0 {
		return body
	}
	if c.list {
		schema = &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: openapi3.NewSchemaRef("", c.schema)}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return body
	}
	out, err := json.Marshal(complete(schema, v, 0))
	if err != nil {
		return body
	}
	return append(out, '\n')
}

const completeDepth = 16

func complete(s *openapi3.Schema, v any, depth int) any {
	if s == nil || depth > completeDepth {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		for _, sub := range s.AllOf {
			x, _ = complete(sub.Value, x, depth+1).(map[string]any)
		}
		if alt := objectAlternative(s, x); alt != nil {
			x, _ = complete(alt, x, depth+1).(map[string]any)
		}
		if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has && len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) == 0 {
			for name := range x {
				if s.Properties[name] == nil {
					delete(x, name)
				}
			}
		}
		for _, name := range s.Required {
			if _, has := x[name]; !has {
				if p := s.Properties[name]; p != nil && p.Value != nil {
					x[name] = synthesize(p.Value, depth+1)
				}
			}
		}
		for name, val := range x {
			p := s.Properties[name]
			if p == nil {
				p = s.AdditionalProperties.Schema
			}
			if p == nil || p.Value == nil {
				continue
			}
			if val == nil && !nullable(p.Value) {
				if slices.Contains(s.Required, name) {
					x[name] = synthesize(p.Value, depth+1)
				} else {
					delete(x, name)
				}
				continue
			}
			x[name] = complete(p.Value, val, depth+1)
		}
		return x
	case []any:
		if s.Items != nil && s.Items.Value != nil {
			for i := range x {
				x[i] = complete(s.Items.Value, x[i], depth+1)
			}
		}
		return x
	case string:
		switch {
		case s.Type.Is("integer"), s.Type.Is("number"):
			if n := json.Number(x); n.String() != "" {
				if _, err := n.Float64(); err == nil {
					return n
				}
			}
		case s.Type.Is("boolean") && (x == "true" || x == "false"):
			return x == "true"
		case s.Format == "date-time" && offsetWithoutColon.MatchString(x):
			return x[:len(x)-2] + ":" + x[len(x)-2:]
		}
	}
	return v
}

var offsetWithoutColon = regexp.MustCompile(`T.*[+-]\d{4}$`)

// objectAlternative is the anyOf/oneOf alternative an object answer is
// read against: the one its discriminator names, else the first object
// alternative.
func objectAlternative(s *openapi3.Schema, x map[string]any) *openapi3.Schema {
	alts := append(append(openapi3.SchemaRefs{}, s.OneOf...), s.AnyOf...)
	if len(alts) == 0 {
		return nil
	}
	if d := s.Discriminator; d != nil {
		if _, has := x[d.PropertyName]; !has && len(d.Mapping) > 0 {
			keys := make([]string, 0, len(d.Mapping))
			for k := range d.Mapping {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			x[d.PropertyName] = keys[0]
		}
		if ref, ok := d.Mapping[str(x[d.PropertyName])]; ok {
			for _, a := range alts {
				if a.Ref == ref.Ref {
					return a.Value
				}
			}
		}
	}
	for _, a := range alts {
		if a.Value != nil && a.Value.Type.Is("object") {
			return a.Value
		}
	}
	return nil
}

func nullable(s *openapi3.Schema) bool {
	if s.Nullable || s.Type.Includes("null") {
		return true
	}
	for _, alt := range append(append(openapi3.SchemaRefs{}, s.AnyOf...), s.OneOf...) {
		if alt.Value != nil && nullable(alt.Value) {
			return true
		}
	}
	return false
}

// synthesize is a value the schema accepts. An example or default is
// copied: the answer is completed further, and the schema is shared.
func synthesize(s *openapi3.Schema, depth int) any {
	switch {
	case s.Example != nil:
		return copyJSON(s.Example)
	case s.Default != nil:
		return copyJSON(s.Default)
	case len(s.Enum) > 0:
		return s.Enum[0]
	}
	for _, alts := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		if len(alts) > 0 && alts[0].Value != nil && s.Type == nil {
			return synthesize(alts[0].Value, depth+1)
		}
	}
	switch {
	case s.Type.Is("object") || s.Type == nil && len(s.Properties) > 0:
		out := map[string]any{}
		if depth < completeDepth {
			for _, name := range s.Required {
				if p := s.Properties[name]; p != nil && p.Value != nil {
					out[name] = synthesize(p.Value, depth+1)
				}
			}
		}
		return out
	case s.Type.Is("array"):
		return []any{}
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 0
	case s.Type.Is("boolean"):
		return false
	case s.Type.Is("string"):
		switch s.Format {
		case "date-time":
			return "2026-12-04T10:00:00Z"
		case "date":
			return "2026-12-04"
		case "uri", "url":
			return "https://example.com/"
		case "email":
			return "someone@example.com"
		}
		return ""
	}
	if nullable(s) {
		return nil
	}
	return ""
}

func copyJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&out) != nil {
		return nil
	}
	return out
}
