package template

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Escape selects how Render escapes expression output for its destination.
type Escape int

const (
	// Plain emits values as they are (email subjects, plain text, prompts).
	Plain Escape = iota
	// HTML HTML-escapes values (HTML email bodies, HTML notes).
	HTML
	// JSON emits values as JSON string content inside JSON string literals
	// of the template and as JSON values elsewhere (webhook bodies).
	JSON
)

func (e Escape) String() string {
	switch e {
	case Plain:
		return "plain"
	case HTML:
		return "html"
	case JSON:
		return "json"
	default:
		return "Escape(" + strconv.Itoa(int(e)) + ")"
	}
}

// Options controls one Render call.
type Options struct {
	Escape Escape
	// MaxOutput is the largest output in bytes; zero or less means
	// DefaultMaxOutput.
	MaxOutput int
}

// Result is a rendered template.
type Result struct {
	Text string
	// Missing lists, each once and in order of first use, the paths that
	// resolved to nothing and were rendered empty (or as null), i.e. were
	// not rescued by a default filter.
	Missing []string
}

// ErrOutputTooLarge is wrapped by the error Render returns when the output
// would exceed Options.MaxOutput.
var ErrOutputTooLarge = errors.New("template output too large")

// Render renders t against data. A path that resolves to nothing is not an
// error: it renders empty (null as a JSON value) and is listed in
// Result.Missing. Errors are the context's error (wrapped) when ctx is done,
// ErrOutputTooLarge (wrapped), and values that cannot be encoded as JSON.
func (t *Template) Render(ctx context.Context, data map[string]any, opts Options) (Result, error) {
	if t == nil {
		return Result{}, errors.New("template: Render called on a nil *Template")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.Escape < Plain || opts.Escape > JSON {
		return Result{}, fmt.Errorf("template: unknown escape mode %v", opts.Escape)
	}
	limit := opts.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	w := &writer{limit: limit, buf: make([]byte, 0, min(len(t.src)+64, limit))}
	var missing []string
	for _, n := range t.nodes {
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("template: render stopped at offset %d: %w", n.offset, err)
		}
		if n.expr == nil {
			if err := w.str(n.text); err != nil {
				return Result{}, fmt.Errorf("template: rendering text at offset %d: output exceeds %d bytes: %w", n.offset, limit, err)
			}
			continue
		}
		e := n.expr
		v, err := e.eval(data, limit)
		if err == nil {
			if v.missing && !slices.Contains(missing, e.pathStr) {
				missing = append(missing, e.pathStr)
			}
			err = w.value(v, opts.Escape, e.inString)
		}
		if errors.Is(err, ErrOutputTooLarge) {
			return Result{}, fmt.Errorf("template: rendering {{%s}} at offset %d: output exceeds %d bytes: %w", e.pathStr, n.offset, limit, err)
		}
		if err != nil {
			return Result{}, fmt.Errorf("template: rendering {{%s}} at offset %d: %w", e.pathStr, n.offset, err)
		}
	}
	return Result{Text: string(w.buf), Missing: missing}, nil
}

// eval resolves the path and applies the filters.
func (e *expr) eval(data map[string]any, limit int) (value, error) {
	var cur any = data
	v := value{}
	for _, seg := range e.path {
		next, ok := child(cur, seg)
		if !ok {
			v.missing = true
			break
		}
		cur = next
	}
	if !v.missing {
		v.v = cur
	}
	for _, f := range e.filters {
		var err error
		if v, err = f.def.apply(v, f.args, limit); err != nil {
			return value{}, err
		}
	}
	return v, nil
}

// child returns the value under key seg of an object, or at index seg of an
// array.
func child(cur any, seg string) (any, bool) {
	switch c := cur.(type) {
	case map[string]any:
		v, ok := c[seg]
		return v, ok
	case map[string]string:
		v, ok := c[seg]
		return v, ok
	case []any:
		if i, ok := index(seg, len(c)); ok {
			return c[i], true
		}
		return nil, false
	case []string:
		if i, ok := index(seg, len(c)); ok {
			return c[i], true
		}
		return nil, false
	case []map[string]any:
		if i, ok := index(seg, len(c)); ok {
			return c[i], true
		}
		return nil, false
	case TextValue:
		v, ok := c.Fields[seg]
		return v, ok
	case nil, string, bool, json.Number, float64, int, int64:
		return nil, false
	}
	rv := reflect.ValueOf(cur)
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, false
		}
		v := rv.MapIndex(reflect.ValueOf(seg).Convert(rv.Type().Key()))
		if !v.IsValid() || !v.CanInterface() {
			return nil, false
		}
		return v.Interface(), true
	case reflect.Slice, reflect.Array:
		i, ok := index(seg, rv.Len())
		if !ok || !rv.Index(i).CanInterface() {
			return nil, false
		}
		return rv.Index(i).Interface(), true
	}
	return nil, false
}

// index parses seg as a canonical array index below n.
func index(seg string, n int) (int, bool) {
	if len(seg) == 0 || len(seg) > 1 && seg[0] == '0' {
		return 0, false
	}
	i, err := strconv.Atoi(seg)
	if err != nil || i < 0 || i >= n || seg[0] == '+' || seg[0] == '-' {
		return 0, false
	}
	return i, true
}

// maxDepth bounds the nesting of objects and arrays that Render encodes, so
// that a cyclic value fails instead of recursing without end.
const maxDepth = 200

var errTooDeep = fmt.Errorf("value nested more than %d levels deep (a cyclic value?)", maxDepth)

// text is the text form of a value; the JSON form of objects and arrays may
// not exceed limit bytes.
func text(v any, limit int) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		return string(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return formatFloat(x, 64), nil
	case float32:
		return formatFloat(float64(x), 32), nil
	}
	w := &writer{limit: limit}
	if err := w.json(v, 0); err != nil {
		return "", err
	}
	if len(w.buf) > 0 && w.buf[0] == '"' {
		// A value whose JSON form is a string (a named string type, a
		// time.Time): its text is the string.
		var s string
		if json.Unmarshal(w.buf, &s) == nil {
			return s, nil
		}
	}
	return string(w.buf), nil
}

// formatFloat formats f in shortest form as encoding/json does; NaN and
// infinities, which JSON cannot represent, as strconv does.
func formatFloat(f float64, bits int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, bits)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
		bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}

// validNumber reports whether n is a JSON number.
func validNumber(n json.Number) bool {
	s := string(n)
	if s == "" || s[0] != '-' && (s[0] < '0' || s[0] > '9') || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return false
	}
	return json.Valid([]byte(s))
}

// writer accumulates output up to limit bytes.
type writer struct {
	buf   []byte
	limit int
}

func (w *writer) str(s string) error {
	if len(s) > w.limit-len(w.buf) {
		return ErrOutputTooLarge
	}
	w.buf = append(w.buf, s...)
	return nil
}

// value writes an expression's value escaped for mode; inString tells
// whether it sits inside a JSON string literal.
func (w *writer) value(v value, mode Escape, inString bool) error {
	if mode == JSON && !inString {
		return w.json(v.v, 0)
	}
	s, err := text(v.v, w.limit-len(w.buf))
	if err != nil {
		return err
	}
	switch mode {
	case HTML:
		return w.html(s)
	case JSON:
		return w.jsonString(s)
	default:
		return w.str(s)
	}
}

func (w *writer) html(s string) error {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\'':
			esc = "&#39;"
		case '"':
			esc = "&#34;"
		default:
			continue
		}
		if err := w.str(s[last:i]); err != nil {
			return err
		}
		if err := w.str(esc); err != nil {
			return err
		}
		last = i + 1
	}
	return w.str(s[last:])
}

const hexDigits = "0123456789abcdef"

// jsonString writes s as the content of a JSON string literal: quotes,
// backslashes, control characters and U+2028/U+2029 escaped, invalid UTF-8
// replaced by U+FFFD.
func (w *writer) jsonString(s string) error {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		size := 1
		switch {
		case c == '"':
			esc = `\"`
		case c == '\\':
			esc = `\\`
		case c == '\n':
			esc = `\n`
		case c == '\r':
			esc = `\r`
		case c == '\t':
			esc = `\t`
		case c < 0x20:
			esc = string([]byte{'\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf]})
		case c < utf8.RuneSelf:
			i++
			continue
		default:
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				esc = `\ufffd`
			case r == '\u2028':
				esc = `\u2028`
			case r == '\u2029':
				esc = `\u2029`
			default:
				i += size
				continue
			}
		}
		if err := w.str(s[last:i]); err != nil {
			return err
		}
		if err := w.str(esc); err != nil {
			return err
		}
		i += size
		last = i
	}
	return w.str(s[last:])
}

func (w *writer) quoted(s string) error {
	if err := w.str(`"`); err != nil {
		return err
	}
	if err := w.jsonString(s); err != nil {
		return err
	}
	return w.str(`"`)
}

// json writes v as compact JSON, object keys sorted; nil, NaN and infinities
// are null. It checks the limit as it goes, so a large or cyclic value fails
// early.
func (w *writer) json(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		return w.str("null")
	case string:
		return w.quoted(x)
	case bool:
		return w.str(strconv.FormatBool(x))
	case json.Number:
		if validNumber(x) {
			return w.str(string(x))
		}
		return w.quoted(string(x))
	case int:
		return w.str(strconv.Itoa(x))
	case int64:
		return w.str(strconv.FormatInt(x, 10))
	case float64:
		return w.float(x, 64)
	case float32:
		return w.float(float64(x), 32)
	}
	if depth >= maxDepth {
		return errTooDeep
	}
	switch x := v.(type) {
	case map[string]any:
		return w.object(sortedKeys(x), func(k string) any { return x[k] }, depth)
	case map[string]string:
		return w.object(sortedKeys(x), func(k string) any { return x[k] }, depth)
	case []any:
		return w.array(len(x), func(i int) any { return x[i] }, depth)
	case []string:
		return w.array(len(x), func(i int) any { return x[i] }, depth)
	case []map[string]any:
		return w.array(len(x), func(i int) any { return x[i] }, depth)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String && !implementsMarshaler(rv.Type()) {
			keys := make([]string, 0, rv.Len())
			byName := make(map[string]reflect.Value, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				keys = append(keys, it.Key().String())
				byName[it.Key().String()] = it.Value()
			}
			sort.Strings(keys)
			return w.object(keys, func(k string) any { return byName[k].Interface() }, depth)
		}
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() != reflect.Uint8 && !implementsMarshaler(rv.Type()) {
			if rv.Kind() == reflect.Slice && rv.IsNil() {
				return w.str("null")
			}
			return w.array(rv.Len(), func(i int) any { return rv.Index(i).Interface() }, depth)
		}
	}
	// Anything else (other number types, structs, time.Time, []byte, ...)
	// as encoding/json encodes it.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("cannot encode value of type %T: %w", v, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if len(b) > w.limit-len(w.buf) {
		return ErrOutputTooLarge
	}
	w.buf = append(w.buf, b...)
	return nil
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// implementsMarshaler reports whether t encodes itself, so must be left to
// encoding/json.
func implementsMarshaler(t reflect.Type) bool {
	return t.Implements(marshalerType) || t.Implements(textMarshalerType)
}

func (w *writer) float(f float64, bits int) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return w.str("null")
	}
	return w.str(formatFloat(f, bits))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (w *writer) object(keys []string, get func(string) any, depth int) error {
	if err := w.str("{"); err != nil {
		return err
	}
	for i, k := range keys {
		if i > 0 {
			if err := w.str(","); err != nil {
				return err
			}
		}
		if err := w.quoted(k); err != nil {
			return err
		}
		if err := w.str(":"); err != nil {
			return err
		}
		if err := w.json(get(k), depth+1); err != nil {
			return err
		}
	}
	return w.str("}")
}

func (w *writer) array(n int, get func(int) any, depth int) error {
	if err := w.str("["); err != nil {
		return err
	}
	for i := range n {
		if i > 0 {
			if err := w.str(","); err != nil {
				return err
			}
		}
		if err := w.json(get(i), depth+1); err != nil {
			return err
		}
	}
	return w.str("]")
}
