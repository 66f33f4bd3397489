package template

import "encoding/json"

// TextValue is an object that renders as its Text when a template uses it
// whole, while its Fields stay reachable below it: an AI answer saved as
// "draft" is {{variables.draft}} (the text) and {{variables.draft.model}}.
type TextValue struct {
	Text   string
	Fields map[string]any
}

// MarshalJSON encodes the value as its text, so that it renders as the text
// in every escape mode.
func (v TextValue) MarshalJSON() ([]byte, error) { return json.Marshal(v.Text) }
