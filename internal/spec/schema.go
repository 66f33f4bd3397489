package spec

// Schema is the JSON Schema (2020-12, as OpenAPI 3.1 uses) of one
// parameter.
func (p Param) Schema() map[string]any {
	s := map[string]any{}
	switch p.Type {
	case String, Template:
		s["type"] = "string"
	case Identifier:
		s["type"], s["pattern"] = "string", "^[A-Za-z_][A-Za-z0-9_]{0,63}$"
	case Integer, Duration:
		s["type"] = "integer"
	case Number:
		s["type"] = "number"
	case Boolean:
		s["type"] = "boolean"
	case Enum:
		s["type"], s["enum"] = "string", p.Values
	case Reference:
		s["type"] = "string"
	case References, Strings:
		s["type"], s["items"], s["maxItems"] = "array", map[string]any{"type": "string", "minLength": 1}, p.ItemLimit()
		if p.Required {
			s["minItems"] = 1
		}
	case Templates:
		s["type"] = "object"
		s["additionalProperties"] = map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}, map[string]any{"type": "boolean"}}}
		s["maxProperties"] = p.ItemLimit()
	case Object:
		s["type"] = "object"
	case TextOrList:
		s["oneOf"] = []any{map[string]any{"type": "string"}, map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "maxItems": p.ItemLimit()}}
	}
	if !p.Required {
		// null stands for an omitted parameter.
		if oneOf, ok := s["oneOf"].([]any); ok {
			s["oneOf"] = append(oneOf, map[string]any{"type": "null"})
		} else {
			s["type"] = []any{s["type"], "null"}
		}
		if enum, ok := s["enum"].([]string); ok {
			values := make([]any, 0, len(enum)+1)
			for _, v := range enum {
				values = append(values, v)
			}
			s["enum"] = append(values, nil)
		}
	}
	if p.Min != nil {
		s["minimum"] = *p.Min
	}
	if p.Max != nil {
		s["maximum"] = *p.Max
	}
	if p.Default != nil {
		s["default"] = p.Default
	}
	if p.Example != nil {
		s["examples"] = []any{p.Example}
	}
	if p.Description != "" {
		s["description"] = p.Description
	}
	return s
}

// ObjectSchema is the JSON Schema of a parameters object: the parameters
// as properties, the required ones required, no others.
func ObjectSchema(params []Param) map[string]any {
	props := map[string]any{}
	required := []string{}
	for _, p := range params {
		props[p.Name] = p.Schema()
		if p.Required {
			required = append(required, p.Name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}
