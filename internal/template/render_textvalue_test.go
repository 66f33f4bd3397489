package template

import (
	"context"
	"testing"
)

func TestTextValue(t *testing.T) {
	data := map[string]any{"variables": map[string]any{
		"draft": TextValue{Text: `Hello "Ann"`, Fields: map[string]any{"text": `Hello "Ann"`, "model": "m1", "usage": map[string]any{"output_tokens": 3}}},
	}}
	cases := []struct {
		src  string
		esc  Escape
		want string
	}{
		{"{{variables.draft}}", Plain, `Hello "Ann"`},
		{"{{variables.draft.text}}", Plain, `Hello "Ann"`},
		{"{{variables.draft.model}}/{{variables.draft.usage.output_tokens}}", Plain, "m1/3"},
		{`{"d": "{{variables.draft}}"}`, JSON, `{"d": "Hello \"Ann\""}`},
		{`{"d": {{variables.draft}}}`, JSON, `{"d": "Hello \"Ann\""}`},
		{"{{variables.draft}}", HTML, "Hello &#34;Ann&#34;"},
	}
	for _, c := range cases {
		tpl, err := Parse(c.src, DefaultSchema)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tpl.Render(context.Background(), data, Options{Escape: c.esc})
		if err != nil {
			t.Fatal(err)
		}
		if res.Text != c.want {
			t.Errorf("%s: %q, want %q", c.src, res.Text, c.want)
		}
	}
}
