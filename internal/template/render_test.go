package template

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func testData() map[string]any {
	return map[string]any{
		"ticket": map[string]any{
			"id":          "T-1001",
			"subject":     "Printer on fire",
			"status":      "open",
			"priority":    "high",
			"channel":     "support@example.com",
			"channelType": "email",
			"createdAt":   "2024-05-01T10:00:00Z",
			"tags":        []any{"urgent", "hardware"},
			"assignee":    map[string]any{"id": json.Number("7"), "name": "Ann"},
		},
		"customer": map[string]any{
			"id":    json.Number("42"),
			"name":  "Ada Lovelace",
			"email": "ada@example.com",
			"isVip": true,
		},
		"message": map[string]any{
			"id":          "m-1",
			"body":        "Hello,\nit is on fire.",
			"senderName":  "Ada",
			"senderEmail": "ada@example.com",
			"direction":   "inbound",
			"createdAt":   "2024-05-01T10:00:01Z",
		},
		"customFields": map[string]any{
			"order_number": "A-100",
			"order-ref":    json.Number("17"),
			"nested":       map[string]any{"x": map[string]any{"y": "deep"}},
		},
		"variables": map[string]any{
			"summary":  "Short summary",
			"refund":   map[string]any{"id": "R-9", "amount": 12.5},
			"items":    []any{map[string]any{"name": "Widget"}, map[string]any{"name": "Gadget"}},
			"count":    3,
			"int64":    int64(-9007199254740993),
			"float":    42.0,
			"ratio":    0.1,
			"big":      1e21,
			"tiny":     1e-7,
			"nan":      math.NaN(),
			"f32":      float32(0.1),
			"nullish":  nil,
			"empty":    "",
			"no":       false,
			"zero":     0,
			"strmap":   map[string]string{"a": "b"},
			"strlist":  []string{"x", "y"},
			"maplist":  []map[string]any{{"k": "v"}},
			"intmap":   map[string]int{"n": 5},
			"intlist":  []int{10, 20},
			"when":     time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
			"mixed":    "MiXeD cAsE",
			"padded":   "  \t padded \n",
			"html":     `<b>"Tom" & 'Jerry'</b>`,
			"unicode":  "héllo wörld",
			"url":      "a b&c=d/é?",
			"numstr":   "0042",
			"emptyobj": map[string]any{},
		},
	}
}

func render(t *testing.T, src string, data map[string]any, opts Options) Result {
	t.Helper()
	tpl, err := Parse(src, DefaultSchema)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	res, err := tpl.Render(context.Background(), data, opts)
	if err != nil {
		t.Fatalf("Render(%q): %v", src, err)
	}
	return res
}

func TestRenderPlain(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    string
		missing []string
	}{
		{"ticket", "{{ticket.id}} {{ticket.subject}} {{ticket.status}} {{ticket.priority}} {{ticket.channel}} {{ticket.channelType}} {{ticket.createdAt}}",
			"T-1001 Printer on fire open high support@example.com email 2024-05-01T10:00:00Z", nil},
		{"customer", "{{customer.id}} {{customer.name}} {{customer.email}} {{customer.isVip}}", "42 Ada Lovelace ada@example.com true", nil},
		{"message", "{{message.id}}|{{message.body}}|{{message.senderName}}|{{message.senderEmail}}|{{message.direction}}|{{message.createdAt}}",
			"m-1|Hello,\nit is on fire.|Ada|ada@example.com|inbound|2024-05-01T10:00:01Z", nil},
		{"custom fields", "{{customFields.order_number}} {{customFields.order-ref}} {{customFields.nested.x.y}}", "A-100 17 deep", nil},
		{"variables", "{{variables.summary}}", "Short summary", nil},
		{"nested variables", "{{variables.refund.id}} {{variables.refund.amount}}", "R-9 12.5", nil},
		{"array index", "{{ticket.tags.0}},{{ticket.tags.1}}", "urgent,hardware", nil},
		{"array of objects", "{{variables.items.0.name}} and {{variables.items.1.name}}", "Widget and Gadget", nil},
		{"whole array", "{{ticket.tags}}", `["urgent","hardware"]`, nil},
		{"whole object", "{{variables.refund}}", `{"amount":12.5,"id":"R-9"}`, nil},
		{"object not html escaped", "{{variables.html | default: 1}} {{variables.strmap}}", `<b>"Tom" & 'Jerry'</b> {"a":"b"}`, nil},
		{"empty object", "{{variables.emptyobj}}", "{}", nil},
		{"assignee", "{{ticket.assignee.name}} {{ticket.assignee.id}}", "Ann 7", nil},
		{"booleans", "{{customer.isVip}} {{variables.no}}", "true false", nil},
		{"numbers", "{{variables.count}} {{variables.int64}} {{variables.float}} {{variables.ratio}} {{variables.big}} {{variables.tiny}} {{variables.f32}} {{variables.zero}}",
			"3 -9007199254740993 42 0.1 1e+21 1e-7 0.1 0", nil},
		{"nan", "{{variables.nan}}", "NaN", nil},
		{"null renders empty and is not missing", "[{{variables.nullish}}]", "[]", nil},
		{"map[string]string", "{{variables.strmap.a}}", "b", nil},
		{"[]string", "{{variables.strlist.1}}", "y", nil},
		{"[]map[string]any", "{{variables.maplist.0.k}}", "v", nil},
		{"reflected map and slice", "{{variables.intmap.n}} {{variables.intlist.1}} {{variables.intlist}}", "5 20 [10,20]", nil},
		{"json string value unquoted", "{{variables.when}}", "2024-05-01T10:00:00Z", nil},
		{"absent key", "[{{variables.nope}}]", "[]", []string{"variables.nope"}},
		{"index out of range", "[{{ticket.tags.2}}]", "[]", []string{"ticket.tags.2"}},
		{"non-canonical index", "[{{ticket.tags.01}}]", "[]", []string{"ticket.tags.01"}},
		{"key on array", "[{{ticket.tags.first}}]", "[]", []string{"ticket.tags.first"}},
		{"traversal into string", "[{{customFields.order_number.x}}]", "[]", []string{"customFields.order_number.x"}},
		{"traversal into null", "[{{variables.nullish.x}}]", "[]", []string{"variables.nullish.x"}},
		{"traversal into number", "[{{variables.count.x}}]", "[]", []string{"variables.count.x"}},
		{"missing listed once in order", "{{variables.b}}{{variables.a}}{{variables.b}}", "", []string{"variables.b", "variables.a"}},
		{"default rescues missing", `{{variables.nope | default: "x"}}`, "x", nil},
		{"text filter keeps missing", `[{{variables.nope | upcase}}]`, "[]", []string{"variables.nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := render(t, tt.src, testData(), Options{Escape: Plain})
			if res.Text != tt.want {
				t.Errorf("Text = %q, want %q", res.Text, tt.want)
			}
			if !reflect.DeepEqual(res.Missing, tt.missing) {
				t.Errorf("Missing = %q, want %q", res.Missing, tt.missing)
			}
		})
	}
}

func TestRenderAbsentRoot(t *testing.T) {
	for _, data := range []map[string]any{nil, {}, {"customer": nil}, {"customer": "x"}} {
		res := render(t, "Hi {{customer.name}}!", data, Options{})
		if res.Text != "Hi !" || !reflect.DeepEqual(res.Missing, []string{"customer.name"}) {
			t.Errorf("data %v: got %q %q", data, res.Text, res.Missing)
		}
	}
}

func TestFilters(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{`{{variables.nope | default: "there"}}`, "there"},
		{`{{variables.nullish | default: "there"}}`, "there"},
		{`{{variables.empty | default: "there"}}`, "there"},
		{`{{variables.summary | default: "there"}}`, "Short summary"},
		{`{{variables.no | default: "there"}}`, "false"},
		{`{{variables.zero | default: "there"}}`, "0"},
		{`{{variables.emptyobj | default: "there"}}`, "{}"},
		{`{{variables.nope | default: 5}}`, "5"},
		{`{{variables.nope | default: ""}}`, ""},
		{`{{variables.nope | default: "a" | default: "b"}}`, "a"},
		{`{{variables.unicode | upcase}}`, "HÉLLO WÖRLD"},
		{`{{variables.mixed | downcase}}`, "mixed case"},
		{`{{variables.mixed | capitalize}}`, "Mixed case"},
		{`{{variables.unicode | capitalize}}`, "Héllo wörld"},
		{`{{variables.empty | capitalize}}`, ""},
		{`{{variables.padded | strip}}`, "padded"},
		{`{{ticket.subject | truncate: 15}}`, "Printer on fire"},
		{`{{ticket.subject | truncate: 100}}`, "Printer on fire"},
		{`{{ticket.subject | truncate: 14}}`, "Printer on ..."},
		{`{{ticket.subject | truncate: 4}}`, "P..."},
		{`{{ticket.subject | truncate: 3}}`, "Pri"},
		{`{{ticket.subject | truncate: 1}}`, "P"},
		{`{{variables.unicode | truncate: 6}}`, "hél..."},
		{`{{variables.unicode | truncate: 2}}`, "hé"},
		{`{{variables.url | url_encode}}`, "a+b%26c%3Dd%2F%C3%A9%3F"},
		{`{{customer.isVip | upcase}}`, "TRUE"},
		{`{{variables.count | truncate: 1}}`, "3"},
		{`{{ticket.tags | upcase}}`, `["URGENT","HARDWARE"]`},
		{`{{variables.nullish | upcase | default: "N/A"}}`, "N/A"},
		{`{{variables.padded | strip | upcase | truncate: 4}}`, "P..."},
		{`{{customer.name | default: "there" | downcase | capitalize}}`, "Ada lovelace"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			if got := render(t, tt.src, testData(), Options{}).Text; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderHTML(t *testing.T) {
	src := `<p title="x">{{variables.html}}</p><i>{{customer.name}}</i>{{ticket.tags}}`
	want := `<p title="x">&lt;b&gt;&#34;Tom&#34; &amp; &#39;Jerry&#39;&lt;/b&gt;</p><i>Ada Lovelace</i>[&#34;urgent&#34;,&#34;hardware&#34;]`
	if got := render(t, src, testData(), Options{Escape: HTML}).Text; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

var trickyStrings = []string{
	"",
	"plain",
	`say "hi"`,
	`back\slash`,
	`trailing backslash\`,
	`\"`,
	"new\nline\r\ttab",
	"ctrl \x00\x01\x1f\x7f",
	"unicode ünï 中文 😀",
	"separators \u2028 \u2029",
	"</script><!-- & -->",
	`{{ customer.name }}`,
	`{"nested": "json"}`,
}

func TestRenderJSONInsideStrings(t *testing.T) {
	src := `{"s": "{{ticket.subject}}", "k": "pre {{ticket.subject}} post", "{{ticket.subject}}": "key", "esc": "a\"b{{ticket.subject}}\\"}`
	for _, subject := range trickyStrings {
		data := testData()
		data["ticket"].(map[string]any)["subject"] = subject
		res := render(t, src, data, Options{Escape: JSON})
		if !json.Valid([]byte(res.Text)) {
			t.Errorf("subject %q: invalid JSON %q", subject, res.Text)
			continue
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(res.Text), &got); err != nil {
			t.Fatalf("subject %q: %v", subject, err)
		}
		want := map[string]string{
			"s":     subject,
			"k":     "pre " + subject + " post",
			subject: "key",
			"esc":   `a"b` + subject + `\`,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("subject %q: decoded %q, want %q", subject, got, want)
		}
	}
}

func TestRenderJSONEscapes(t *testing.T) {
	data := testData()
	data["ticket"].(map[string]any)["subject"] = "\"\\\n\x01\u2028<\xff"
	got := render(t, `"{{ticket.subject}}"`, data, Options{Escape: JSON}).Text
	want := `"\"\\\n\u0001\u2028<\ufffd"`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestRenderJSONValues(t *testing.T) {
	src := `{
	"vip": {{customer.isVip}},
	"id": {{customer.id}},
	"name": {{customer.name}},
	"tags": {{ticket.tags}},
	"missing": {{variables.nope}},
	"null": {{variables.nullish}},
	"ratio": {{variables.ratio}},
	"nan": {{variables.nan}},
	"assignee": {{ticket.assignee}},
	"count": {{variables.nope | default: 0}},
	"label": {{variables.nope | default: "none"}},
	"upper": {{customer.isVip | upcase}},
	"when": {{variables.when}},
	"list": [{{variables.count}}, {{variables.float}}, {{variables.int64}}],
	"inString": "{{customer.isVip}} {{variables.nope}} {{ticket.tags}}"
}`
	res := render(t, src, testData(), Options{Escape: JSON})
	if !json.Valid([]byte(res.Text)) {
		t.Fatalf("invalid JSON:\n%s", res.Text)
	}
	var got map[string]any
	dec := json.NewDecoder(strings.NewReader(res.Text))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"vip":      true,
		"id":       json.Number("42"),
		"name":     "Ada Lovelace",
		"tags":     []any{"urgent", "hardware"},
		"missing":  nil,
		"null":     nil,
		"ratio":    json.Number("0.1"),
		"nan":      nil,
		"assignee": map[string]any{"id": json.Number("7"), "name": "Ann"},
		"count":    json.Number("0"),
		"label":    "none",
		"upper":    "TRUE",
		"when":     "2024-05-01T10:00:00Z",
		"list":     []any{json.Number("3"), json.Number("42"), json.Number("-9007199254740993")},
		"inString": `true  ["urgent","hardware"]`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%#v\nwant\n%#v", got, want)
	}
	if want := []string{"variables.nope"}; !reflect.DeepEqual(res.Missing, want) {
		t.Errorf("Missing = %q, want %q", res.Missing, want)
	}
}

func TestRenderJSONStringValueOutsideString(t *testing.T) {
	for _, subject := range trickyStrings {
		data := testData()
		data["ticket"].(map[string]any)["subject"] = subject
		res := render(t, `{"s": {{ticket.subject}}}`, data, Options{Escape: JSON})
		var got map[string]string
		if err := json.Unmarshal([]byte(res.Text), &got); err != nil {
			t.Errorf("subject %q: %v in %q", subject, err, res.Text)
			continue
		}
		if got["s"] != subject {
			t.Errorf("decoded %q, want %q", got["s"], subject)
		}
	}
}

func TestRenderJSONInvalidNumber(t *testing.T) {
	data := map[string]any{"variables": map[string]any{"n": json.Number("1e"), "ok": json.Number("-0.5e+3")}}
	got := render(t, `[{{variables.n}}, {{variables.ok}}]`, data, Options{Escape: JSON}).Text
	if got != `["1e", -0.5e+3]` {
		t.Errorf("got %s", got)
	}
}

func TestJSONContext(t *testing.T) {
	tests := []struct {
		src  string
		want []bool // inString per expression
	}{
		{`{{ticket.id}}`, []bool{false}},
		{`"{{ticket.id}}"`, []bool{true}},
		{`{"a": "{{ticket.id}}", "b": {{ticket.id}}}`, []bool{true, false}},
		{`{"a": "x\"{{ticket.id}}"}`, []bool{true}},
		{`{"a": "x\\", "b": {{ticket.id}}}`, []bool{false}},
		{`"{{ticket.id}}{{ticket.subject}}" {{ticket.status}}`, []bool{true, true, false}},
		{`"a\\\"{{ticket.id}}"`, []bool{true}},
		{`'{{ticket.id}}'`, []bool{false}},
	}
	for _, tt := range tests {
		tpl, err := Parse(tt.src, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []bool
		for _, n := range tpl.nodes {
			if n.expr != nil {
				got = append(got, n.expr.inString)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: inString = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func TestOutputLimit(t *testing.T) {
	data := testData() // ticket.subject is "Printer on fire", 15 bytes
	tests := []struct {
		name  string
		src   string
		opts  Options
		limit int
		fail  bool
	}{
		{"exactly at limit", "[{{ticket.subject}}]", Options{MaxOutput: 17}, 17, false},
		{"value over limit", "[{{ticket.subject}}]", Options{MaxOutput: 16}, 16, true},
		{"literal over limit", "0123456789", Options{MaxOutput: 9}, 9, true},
		{"escaping counts", "{{variables.html}}", Options{MaxOutput: 30, Escape: HTML}, 30, true},
		{"json value counts", "{{ticket.tags}}", Options{MaxOutput: 10, Escape: JSON}, 10, true},
		{"json string counts", `"{{ticket.subject}}"`, Options{MaxOutput: 16, Escape: JSON}, 16, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.src, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := tpl.Render(context.Background(), data, tt.opts)
			if !tt.fail {
				if err != nil || len(res.Text) > tt.limit {
					t.Fatalf("Render = %q, %v", res.Text, err)
				}
				return
			}
			if !errors.Is(err, ErrOutputTooLarge) {
				t.Fatalf("err = %v, want ErrOutputTooLarge", err)
			}
			if !strings.Contains(err.Error(), "offset") || res.Text != "" {
				t.Errorf("err = %v, text %q: want context and no text", err, res.Text)
			}
		})
	}

	// The default limit is 1 MiB.
	big := strings.Repeat("x", DefaultMaxOutput)
	tpl, _ := Parse("{{variables.big}}{{variables.more}}", nil)
	data = map[string]any{"variables": map[string]any{"big": big, "more": ""}}
	if _, err := tpl.Render(context.Background(), data, Options{}); err != nil {
		t.Errorf("1 MiB output: %v", err)
	}
	data["variables"].(map[string]any)["more"] = "y"
	_, err := tpl.Render(context.Background(), data, Options{})
	if !errors.Is(err, ErrOutputTooLarge) || !strings.Contains(err.Error(), "{{variables.more}}") {
		t.Errorf("1 MiB + 1 output: err = %v", err)
	}
}

func TestOutputLimitCheckedWhileWriting(t *testing.T) {
	// A value far larger than the limit fails without the output growing
	// past the limit.
	tpl, _ := Parse(`"{{variables.big}}"`, nil)
	data := map[string]any{"variables": map[string]any{"big": strings.Repeat("\n", 1<<20)}}
	w := &writer{limit: 100}
	v, _ := tpl.nodes[1].expr.eval(data, 100)
	if err := w.value(v, JSON, true); !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if len(w.buf) > 100 {
		t.Errorf("buffer grew to %d bytes past the limit", len(w.buf))
	}
}

func TestRenderContext(t *testing.T) {
	tpl, err := Parse("Hi {{customer.name}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tpl.Render(ctx, testData(), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := tpl.Render(ctx, testData(), Options{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: err = %v", err)
	}
}

func TestRenderErrors(t *testing.T) {
	tpl, err := Parse("x {{variables.ch}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"variables": map[string]any{"ch": make(chan int)}}
	for _, mode := range []Escape{Plain, HTML, JSON} {
		_, err := tpl.Render(context.Background(), data, Options{Escape: mode})
		if err == nil || !strings.Contains(err.Error(), "{{variables.ch}} at offset 2") || !strings.Contains(err.Error(), "chan int") {
			t.Errorf("%v: err = %v", mode, err)
		}
	}
	if _, err := tpl.Render(context.Background(), data, Options{Escape: Escape(7)}); err == nil {
		t.Error("unknown escape mode accepted")
	}
	var nilTpl *Template
	if _, err := nilTpl.Render(context.Background(), nil, Options{}); err == nil {
		t.Error("nil template rendered")
	}
}

func TestEscapeString(t *testing.T) {
	for e, want := range map[Escape]string{Plain: "plain", HTML: "html", JSON: "json", Escape(9): "Escape(9)"} {
		if e.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(e), e.String(), want)
		}
	}
}

func TestConcurrentRender(t *testing.T) {
	tpl, err := Parse(`{"name": "{{customer.name | upcase}}", "vip": {{customer.isVip}}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := testData()
	want := `{"name": "ADA LOVELACE", "vip": true}`
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 100 {
				res, err := tpl.Render(context.Background(), data, Options{Escape: JSON})
				if err != nil || res.Text != want {
					t.Errorf("got %q, %v", res.Text, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkRender(b *testing.B) {
	tpl, err := Parse(`{"text": "Hi {{ customer.name | default: "there" }}, ticket {{ticket.id}} about \"{{ ticket.subject | truncate: 40 }}\" has been received."}`, nil)
	if err != nil {
		b.Fatal(err)
	}
	data := testData()
	for _, mode := range []Escape{Plain, JSON} {
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tpl.Render(context.Background(), data, Options{Escape: mode}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type status string

func TestEncodeValues(t *testing.T) {
	cyclic := map[string]any{"a": 1}
	cyclic["self"] = cyclic
	wide := map[string]any{}
	for _, k := range []string{"a", "b", "c", "d"} {
		wide[k] = wide
	}
	list := []any{nil}
	list[0] = list
	tests := []struct {
		name  string
		value any
		plain string // text form; "" with err set when an error is expected
		json  string // JSON value form
		err   string
	}{
		{"nan inside object", map[string]any{"x": math.NaN(), "y": math.Inf(-1)}, `{"x":null,"y":null}`, `{"x":null,"y":null}`, ""},
		{"sorted keys", map[string]any{"b": 1, "a": []any{true, nil, "s"}}, `{"a":[true,null,"s"],"b":1}`, `{"a":[true,null,"s"],"b":1}`, ""},
		{"html not escaped", []any{"<&>", "\u2028"}, `["<&>","\u2028"]`, `["<&>","\u2028"]`, ""},
		{"named string", status("open"), "open", `"open"`, ""},
		{"uint and int8", []any{uint64(18446744073709551615), int8(-8)}, "[18446744073709551615,-8]", "[18446744073709551615,-8]", ""},
		{"bytes as base64", []byte("hi"), "aGk=", `"aGk="`, ""},
		{"struct", struct {
			A int `json:"a"`
		}{1}, `{"a":1}`, `{"a":1}`, ""},
		{"map with int keys", map[int]string{2: "b", 1: "a"}, `{"1":"a","2":"b"}`, `{"1":"a","2":"b"}`, ""},
		{"nil slice", []int(nil), "null", "null", ""},
		{"map of named strings", map[status]status{"k": "v"}, `{"k":"v"}`, `{"k":"v"}`, ""},
		{"cyclic map", cyclic, "", "", "nested more than 200 levels"},
		{"wide cyclic map", wide, "", "", "nested more than 200 levels"},
		{"large object", map[string]any{"s": strings.Repeat("x", 5000)}, "", "", "output too large"},
		{"cyclic slice", list, "", "", "nested more than 200 levels"},
		{"channel", make(chan int), "", "", "cannot encode value of type chan int"},
		{"func inside map", map[string]any{"f": func() {}}, "", "", "cannot encode value of type func()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := map[string]any{"variables": map[string]any{"v": tt.value}}
			tpl, err := Parse("{{variables.v}}", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				mode Escape
				want string
			}{{Plain, tt.plain}, {JSON, tt.json}} {
				res, err := tpl.Render(context.Background(), data, Options{Escape: c.mode, MaxOutput: 4096})
				if tt.err != "" {
					if err == nil || !strings.Contains(err.Error(), tt.err) {
						t.Errorf("%v: err = %v, want %q", c.mode, err, tt.err)
					}
					continue
				}
				if err != nil || res.Text != c.want {
					t.Errorf("%v: got %q, %v; want %q", c.mode, res.Text, err, c.want)
				}
			}
		})
	}
}
