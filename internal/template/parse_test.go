package template

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	data := map[string]any{
		"ticket":       map[string]any{"id": "T-1", "subject": "Help", "tags": []any{"a", "b"}, "assignee": map[string]any{"name": "Ann"}},
		"customer":     map[string]any{"name": "ada"},
		"customFields": map[string]any{"order_number": "A-1", "order-ref": "R-2"},
		"variables":    map[string]any{"items": []any{map[string]any{"name": "Widget"}}},
	}
	tests := []struct {
		name  string
		src   string
		paths []string
		want  string // rendered in Plain mode against data
	}{
		{"empty", "", []string{}, ""},
		{"only text", "plain text", []string{}, "plain text"},
		{"no spaces", "{{ticket.id}}", []string{"ticket.id"}, "T-1"},
		{"spaces", "{{ ticket.id }}", []string{"ticket.id"}, "T-1"},
		{"tabs and newlines", "{{\t\nticket.id\r\n}}", []string{"ticket.id"}, "T-1"},
		{"text around", "Hi {{customer.name}}, your request has been received.", []string{"customer.name"}, "Hi ada, your request has been received."},
		{"adjacent expressions", "{{ticket.id}}{{ticket.subject}}", []string{"ticket.id", "ticket.subject"}, "T-1Help"},
		{"duplicate paths listed once", "{{ticket.id}} {{ ticket.id | upcase }} {{customer.name}}", []string{"ticket.id", "customer.name"}, "T-1 T-1 ada"},
		{"filter chain", `{{ customer.name | default: "there" | upcase }}`, []string{"customer.name"}, "ADA"},
		{"filter no spaces", `{{customer.name|default:"there"|upcase}}`, []string{"customer.name"}, "ADA"},
		{"single quotes", `{{ customer.email | default: 'it\'s "me"' }}`, []string{"customer.email"}, `it's "me"`},
		{"escaped backslash", `{{ customer.email | default: "a\\b\"c" }}`, []string{"customer.email"}, `a\b"c`},
		{"braces inside string argument", `{{ customer.email | default: "}}{{" }}`, []string{"customer.email"}, "}}{{"},
		{"integer argument", "{{ ticket.subject | truncate: 3 }}", []string{"ticket.subject"}, "Hel"},
		{"integer argument no space", "{{ ticket.subject | truncate:3 }}", []string{"ticket.subject"}, "Hel"},
		{"negative integer default", "{{ customer.email | default: -5 }}", []string{"customer.email"}, "-5"},
		{"numeric segment", "{{variables.items.0.name}}", []string{"variables.items.0.name"}, "Widget"},
		{"underscore key", "{{customFields.order_number}}", []string{"customFields.order_number"}, "A-1"},
		{"dash key", "{{customFields.order-ref}}", []string{"customFields.order-ref"}, "R-2"},
		{"open field under fixed root", "{{ticket.tags.1}} {{ticket.assignee.name}}", []string{"ticket.tags.1", "ticket.assignee.name"}, "b Ann"},
		{"root alone", "{{customer}}", []string{"customer"}, `{"name":"ada"}`},
		{"lone closing braces are text", "a }} b {{ticket.id}} }}", []string{"ticket.id"}, "a }} b T-1 }}"},
		{"single braces are text", "{ticket.id} {", []string{}, "{ticket.id} {"},
		{"liquid tags are text", "{% if x %}{{ticket.id}}{% endif %}", []string{"ticket.id"}, "{% if x %}T-1{% endif %}"},
		{"unicode text", "héllo 😀 {{ticket.id}} ü", []string{"ticket.id"}, "héllo 😀 T-1 ü"},
		{"json body", `{"ticketId": "{{ticket.id}}"}`, []string{"ticket.id"}, `{"ticketId": "T-1"}`},
		{"max expressions", strings.Repeat("{{ticket.id}}", MaxExpressions), []string{"ticket.id"}, strings.Repeat("T-1", MaxExpressions)},
		{"max size", strings.Repeat("x", MaxSourceBytes), []string{}, strings.Repeat("x", MaxSourceBytes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.src, DefaultSchema)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.src, err)
			}
			if tpl.Source() != tt.src {
				t.Errorf("Source() = %q, want %q", tpl.Source(), tt.src)
			}
			if got := tpl.Paths(); !reflect.DeepEqual(got, tt.paths) {
				t.Errorf("Paths() = %q, want %q", got, tt.paths)
			}
			res, err := tpl.Render(context.Background(), data, Options{})
			if err != nil {
				t.Fatalf("Render error: %v", err)
			}
			if res.Text != tt.want {
				t.Errorf("Render = %q, want %q", res.Text, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		offset int
		msg    string // substring of Message
	}{
		{"unterminated at end", "Hi {{ticket.id", 3, `unterminated "{{"`},
		{"unterminated single brace", "Hi {{ticket.id }", 3, `unterminated "{{"`},
		{"unterminated bare", "{{", 0, `unterminated "{{"`},
		{"unterminated second", "{{ticket.id}} and {{ customer", 18, `unterminated "{{"`},
		{"unterminated after filter", "x {{ ticket.id | upcase", 2, `unterminated "{{"`},
		{"closing only inside string", `{{ ticket.id | default: "}}" `, 0, `unterminated "{{"`},
		{"empty expression", "{{}}", 0, "empty expression"},
		{"blank expression", "ab{{   }}", 2, "empty expression"},
		{"double dot", "{{ticket..id}}", 9, "bad path"},
		{"trailing dot", "{{ticket.}}", 9, "bad path"},
		{"leading dot", "{{.ticket}}", 2, "bad path"},
		{"path starts with symbol", "{{ $ticket }}", 3, `unexpected character '$'`},
		{"path is a string", `{{ "x" }}`, 3, "expected a path"},
		{"stray character in path", "{{ ticket.id! }}", 12, `unexpected character '!'`},
		{"space inside path", "{{ ticket .id }}", 10, `unexpected character '.'`},
		{"stray word", "{{ ticket.subject upcase }}", 18, `unexpected character 'u', expected "|" or "}}"`},
		{"stray brace", "{{ ticket.subject } }}", 18, `unexpected character '}'`},
		{"triple braces", "{{{ticket.id}}}", 2, `unexpected character '{'`},
		{"invalid utf-8", "{{ ticket.id \xff }}", 13, "unexpected byte 0xff"},
		{"unknown root", "Hi {{ tickets.id }}", 6, `unknown root "tickets"; known roots are customFields, customer, message, ticket, variables`},
		{"unknown field", "{{ ticket.subjct }}", 10, `unknown field "subjct" on "ticket"; known fields are assignee, channel`},
		{"unknown customer field", "{{ customer.phone }}", 12, `unknown field "phone" on "customer"`},
		{"index into fixed root", "{{ message.0 }}", 11, `unknown field "0" on "message"`},
		{"path below leaf", "{{ ticket.subject.length }}", 18, `"ticket.subject" has no fields, cannot access "length"`},
		{"unknown filter", "{{ customer.name | upcse }}", 19, `unknown filter "upcse"; known filters are capitalize, default, downcase, strip, truncate, upcase, url_encode`},
		{"missing filter name", "{{ customer.name | }}", 19, "expected a filter name"},
		{"double pipe", "{{ customer.name || upcase }}", 18, "expected a filter name"},
		{"filter name is a number", "{{ customer.name | 5 }}", 19, `unknown filter "5"`},
		{"filter name with symbol", "{{ customer.name | $up }}", 19, `unexpected character '$', expected a filter name`},
		{"truncate without argument", "{{ customer.name | truncate }}", 19, `filter "truncate" takes 1 argument, got 0`},
		{"truncate two arguments", "{{ customer.name | truncate: 5, 6 }}", 19, `filter "truncate" takes 1 argument, got 2`},
		{"upcase with argument", `{{ customer.name | upcase: "x" }}`, 19, `filter "upcase" takes no arguments, got 1`},
		{"default without argument", "{{ customer.name | default }}", 19, `filter "default" takes 1 argument, got 0`},
		{"colon without argument", "{{ customer.name | default: }}", 28, "expected a filter argument"},
		{"trailing comma", `{{ customer.name | default: "a", }}`, 33, "expected a filter argument"},
		{"truncate string argument", `{{ customer.name | truncate: "5" }}`, 29, `filter "truncate" expects an integer argument, got a string`},
		{"truncate zero", "{{ customer.name | truncate: 0 }}", 29, "at least 1"},
		{"truncate negative", "{{ customer.name | truncate: -2 }}", 29, "at least 1"},
		{"integer out of range", "{{ customer.name | truncate: 99999999999999999999 }}", 29, "out of range"},
		{"minus without digits", "{{ customer.name | default: - }}", 28, `expected digits after "-"`},
		{"bare word argument", "{{ customer.name | default: there }}", 28, "unexpected character 't', expected a filter argument"},
		{"unterminated string argument", `{{ customer.name | default: "there }}`, 28, "unterminated string literal"},
		{"invalid escape", `{{ customer.name | default: "a\nb" }}`, 30, "invalid escape"},
		{"two arguments without comma", `{{ customer.name | default: "x" "y" }}`, 32, `unexpected character '"'`},
		{"error in second expression", "{{ticket.id}} {{ticket.nope}}", 23, `unknown field "nope"`},
		{"too long", strings.Repeat("x", MaxSourceBytes+1), MaxSourceBytes, "more than the limit of 65536 bytes"},
		{"too many expressions", strings.Repeat("{{ticket.id}}", MaxExpressions+1), MaxExpressions * len("{{ticket.id}}"), "too many expressions (the limit is 1000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.src, DefaultSchema)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tt.src, tpl)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ParseError", err, err)
			}
			if pe.Offset != tt.offset {
				t.Errorf("Offset = %d, want %d (message %q)", pe.Offset, tt.offset, pe.Message)
			}
			if !strings.Contains(pe.Message, tt.msg) {
				t.Errorf("Message = %q, want it to contain %q", pe.Message, tt.msg)
			}
			if want := "offset " + strconv.Itoa(tt.offset) + ":"; !strings.Contains(err.Error(), want) {
				t.Errorf("Error() = %q, want it to contain %q", err.Error(), want)
			}
		})
	}
}

func TestSchema(t *testing.T) {
	schema := NewSchema(map[string]Field{
		"order": Object(map[string]Field{
			"id":       Leaf(),
			"customer": Fields("name", "email"),
			"lines":    AnyPath(),
		}),
		"env": AnyPath(),
	})
	if got, want := schema.Roots(), []string{"env", "order"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Roots() = %q, want %q", got, want)
	}
	valid := []string{
		"{{order}}", "{{order.id}}", "{{order.customer}}", "{{order.customer.name}}",
		"{{order.lines}}", "{{order.lines.0.sku}}", "{{env.a.b.c.0}}", "{{env}}",
	}
	for _, src := range valid {
		if _, err := Parse(src, schema); err != nil {
			t.Errorf("Parse(%q) error: %v", src, err)
		}
	}
	invalid := []struct {
		src    string
		offset int
		msg    string
	}{
		{"{{ticket.id}}", 2, `unknown root "ticket"; known roots are env, order`},
		{"{{order.total}}", 8, `unknown field "total" on "order"; known fields are customer, id, lines`},
		{"{{order.customer.phone}}", 17, `unknown field "phone" on "order.customer"; known fields are email, name`},
		{"{{order.customer.name.first}}", 22, `"order.customer.name" has no fields, cannot access "first"`},
		{"{{order.id.x}}", 11, `"order.id" has no fields, cannot access "x"`},
	}
	for _, tt := range invalid {
		_, err := Parse(tt.src, schema)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error = %v, want *ParseError", tt.src, err)
			continue
		}
		if pe.Offset != tt.offset || pe.Message != tt.msg {
			t.Errorf("Parse(%q) = (%d, %q), want (%d, %q)", tt.src, pe.Offset, pe.Message, tt.offset, tt.msg)
		}
	}

	// Object copies its map: later changes do not affect the schema.
	fields := map[string]Field{"a": Leaf()}
	s2 := NewSchema(map[string]Field{"r": Object(fields)})
	fields["b"] = Leaf()
	if _, err := Parse("{{r.b}}", s2); err == nil {
		t.Error("schema changed after its field map was modified")
	}

	// An empty schema refuses every root with a clear message.
	_, err := Parse("{{x}}", NewSchema(nil))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Message != `unknown root "x"; the schema declares no roots` {
		t.Errorf("empty schema error = %v", err)
	}

	// A nil schema means DefaultSchema.
	if _, err := Parse("{{ticket.subject}}", nil); err != nil {
		t.Errorf("nil schema: %v", err)
	}
	if _, err := Parse("{{order.id}}", nil); err == nil {
		t.Error("nil schema accepted a root that DefaultSchema does not declare")
	}
}

func TestDefaultSchemaFields(t *testing.T) {
	roots := map[string][]string{
		"ticket":   {"id", "subject", "status", "priority", "channel", "channelType", "createdAt", "tags", "assignee"},
		"customer": {"id", "name", "email", "isVip"},
		"message":  {"id", "body", "senderName", "senderEmail", "direction", "createdAt"},
	}
	for root, fields := range roots {
		for _, f := range fields {
			if _, err := Parse("{{"+root+"."+f+"}}", DefaultSchema); err != nil {
				t.Errorf("%s.%s: %v", root, f, err)
			}
		}
	}
	for _, src := range []string{"{{customFields.any_key.nested.0}}", "{{variables.refund.id}}", "{{ticket.tags.0}}", "{{ticket.assignee.email}}"} {
		if _, err := Parse(src, DefaultSchema); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}

func TestPathsIsACopy(t *testing.T) {
	tpl, err := Parse("{{ticket.id}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := tpl.Paths()
	p[0] = "changed"
	if got := tpl.Paths()[0]; got != "ticket.id" {
		t.Errorf("Paths()[0] = %q after modifying a returned slice", got)
	}
}
