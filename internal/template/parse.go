package template

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on templates.
const (
	// MaxSourceBytes is the largest template source Parse accepts.
	MaxSourceBytes = 64 << 10
	// MaxExpressions is the largest number of {{ }} expressions in a template.
	MaxExpressions = 1000
	// DefaultMaxOutput is the output limit when Options.MaxOutput is zero.
	DefaultMaxOutput = 1 << 20
)

// ParseError is a malformed template: Offset is the 0-based byte offset in
// the source where the problem was found, Message says what is wrong in
// words fit to show the person who wrote the template.
type ParseError struct {
	Offset  int
	Message string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("template: at offset %d: %s", e.Offset, e.Message)
}

// Template is a parsed and checked template. It is immutable and safe for
// concurrent use by multiple goroutines.
type Template struct {
	src   string
	nodes []node
	paths []string
}

// node is literal text (expr == nil) or one expression.
type node struct {
	offset int // of the literal text, or of the expression's "{{"
	text   string
	expr   *expr
}

type expr struct {
	path     []string
	pathStr  string
	filters  []filterCall
	inString bool // inside a JSON string literal of the surrounding text
}

type filterCall struct {
	def  *filterDef
	args []arg
}

// arg is a filter argument: a string literal, or an integer when isInt.
type arg struct {
	str   string
	num   int
	isInt bool
}

// Source returns the template's source text.
func (t *Template) Source() string { return t.src }

// Paths returns every path the template references, such as
// "variables.summary" or "ticket.tags.0", each once, in order of first use.
// Callers use it to check that referenced variables are produced by earlier
// steps. The slice is a copy.
func (t *Template) Paths() []string {
	out := make([]string, len(t.paths))
	copy(out, t.paths)
	return out
}

// Parse parses src and checks every path against schema (DefaultSchema when
// nil). The error, if any, is a *ParseError.
func Parse(src string, schema *Schema) (*Template, error) {
	if schema == nil {
		schema = DefaultSchema
	}
	if len(src) > MaxSourceBytes {
		return nil, &ParseError{
			Offset:  MaxSourceBytes,
			Message: fmt.Sprintf("template is %d bytes long, more than the limit of %d bytes", len(src), MaxSourceBytes),
		}
	}
	p := &parser{src: src, schema: schema}
	t := &Template{src: src}
	var js jsonScanner
	seen := map[string]bool{}
	pos, count := 0, 0
	for {
		i := strings.Index(src[pos:], "{{")
		if i < 0 {
			break
		}
		start := pos + i
		if start > pos {
			t.nodes = append(t.nodes, node{offset: pos, text: src[pos:start]})
			js.scan(src[pos:start])
		}
		count++
		if count > MaxExpressions {
			return nil, &ParseError{Offset: start, Message: fmt.Sprintf("too many expressions (the limit is %d)", MaxExpressions)}
		}
		e, end, err := p.expression(start)
		if err != nil {
			return nil, err
		}
		e.inString = js.inString
		t.nodes = append(t.nodes, node{offset: start, expr: e})
		if !seen[e.pathStr] {
			seen[e.pathStr] = true
			t.paths = append(t.paths, e.pathStr)
		}
		pos = end
	}
	if pos < len(src) {
		t.nodes = append(t.nodes, node{offset: pos, text: src[pos:]})
	}
	return t, nil
}

// jsonScanner tracks whether literal text leaves off inside a JSON string
// literal. Expressions do not change its state: inside a string they emit
// escaped string content, outside a string a complete JSON value.
type jsonScanner struct {
	inString bool
	escaped  bool // the previous byte was a backslash inside a string
}

func (s *jsonScanner) scan(text string) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case !s.inString:
			s.inString = c == '"'
		case s.escaped:
			s.escaped = false
		case c == '\\':
			s.escaped = true
		case c == '"':
			s.inString = false
		}
	}
}

type parser struct {
	src    string
	schema *Schema
	start  int // offset of the current expression's "{{"
}

func (p *parser) errorf(offset int, format string, args ...any) *ParseError {
	return &ParseError{Offset: offset, Message: fmt.Sprintf(format, args...)}
}

func (p *parser) unterminated() *ParseError {
	return p.errorf(p.start, `unterminated "{{": missing "}}"`)
}

// unexpected describes the character at i (which must be < len(src)).
func (p *parser) unexpected(i int, want string) *ParseError {
	r, _ := utf8.DecodeRuneInString(p.src[i:])
	if r == utf8.RuneError {
		return p.errorf(i, "unexpected byte %#x, expected %s", p.src[i], want)
	}
	return p.errorf(i, "unexpected character %q, expected %s", r, want)
}

func (p *parser) skipSpace(i int) int {
	for i < len(p.src) {
		switch p.src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func isSegmentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// expression parses the expression whose "{{" is at start and returns it with
// the offset just past its "}}".
func (p *parser) expression(start int) (*expr, int, error) {
	p.start = start
	src := p.src
	if !strings.Contains(src[start+2:], "}}") {
		return nil, 0, p.unterminated()
	}
	i := p.skipSpace(start + 2)
	if strings.HasPrefix(src[i:], "}}") {
		return nil, 0, p.errorf(start, "empty expression: expected a path such as ticket.id between {{ and }}")
	}
	e := &expr{}
	var offsets []int
	for {
		segStart := i
		for i < len(src) && isSegmentByte(src[i]) {
			i++
		}
		if i == segStart {
			switch {
			case i >= len(src):
				return nil, 0, p.unterminated()
			case len(e.path) == 0 && src[i] == '.':
				return nil, 0, p.errorf(i, `bad path: a path cannot start with "."`)
			case len(e.path) == 0:
				return nil, 0, p.unexpected(i, "a path such as ticket.id")
			default:
				return nil, 0, p.errorf(i, `bad path: expected a field name after "."`)
			}
		}
		e.path = append(e.path, src[segStart:i])
		offsets = append(offsets, segStart)
		if i < len(src) && src[i] == '.' {
			i++
			continue
		}
		break
	}
	e.pathStr = strings.Join(e.path, ".")
	if err := p.schema.check(e.path, offsets); err != nil {
		return nil, 0, err
	}
	for {
		i = p.skipSpace(i)
		switch {
		case i >= len(src):
			return nil, 0, p.unterminated()
		case strings.HasPrefix(src[i:], "}}"):
			return e, i + 2, nil
		case src[i] == '|':
			f, next, err := p.filter(i + 1)
			if err != nil {
				return nil, 0, err
			}
			e.filters = append(e.filters, f)
			i = next
		default:
			return nil, 0, p.unexpected(i, `"|" or "}}"`)
		}
	}
}

// filter parses "name" or "name: arg, ..." starting just after the "|".
func (p *parser) filter(i int) (filterCall, int, error) {
	src := p.src
	i = p.skipSpace(i)
	nameStart := i
	for i < len(src) && isNameByte(src[i]) {
		i++
	}
	if i == nameStart {
		if i >= len(src) {
			return filterCall{}, 0, p.unterminated()
		}
		return filterCall{}, 0, p.unexpected(i, `a filter name after "|"`)
	}
	name := src[nameStart:i]
	def, ok := filters[name]
	if !ok {
		return filterCall{}, 0, p.errorf(nameStart, "unknown filter %q; known filters are %s", name, strings.Join(filterNames(), ", "))
	}
	f := filterCall{def: def}
	var argOffsets []int
	i = p.skipSpace(i)
	if i < len(src) && src[i] == ':' {
		i++
		for {
			i = p.skipSpace(i)
			a, next, err := p.arg(i)
			if err != nil {
				return filterCall{}, 0, err
			}
			f.args = append(f.args, a)
			argOffsets = append(argOffsets, i)
			i = p.skipSpace(next)
			if i < len(src) && src[i] == ',' {
				i++
				continue
			}
			break
		}
	}
	if len(f.args) != len(def.args) {
		return filterCall{}, 0, p.errorf(nameStart, "filter %q takes %s, got %d", name, plural(len(def.args), "argument"), len(f.args))
	}
	for k, a := range f.args {
		switch want := def.args[k]; {
		case want == argInt && !a.isInt:
			return filterCall{}, 0, p.errorf(argOffsets[k], "filter %q expects an integer argument, got a string", name)
		case want == argString && a.isInt:
			return filterCall{}, 0, p.errorf(argOffsets[k], "filter %q expects a string argument, got an integer", name)
		}
	}
	if def.check != nil {
		if k, msg := def.check(f.args); msg != "" {
			return filterCall{}, 0, p.errorf(argOffsets[k], "filter %q: %s", name, msg)
		}
	}
	return f, i, nil
}

// arg parses a string literal or an integer at i.
func (p *parser) arg(i int) (arg, int, error) {
	src := p.src
	if i >= len(src) {
		return arg{}, 0, p.unterminated()
	}
	switch c := src[i]; {
	case c == '"' || c == '\'':
		var b strings.Builder
		for j := i + 1; j < len(src); j++ {
			switch src[j] {
			case c:
				return arg{str: b.String()}, j + 1, nil
			case '\\':
				if j+1 < len(src) && (src[j+1] == '"' || src[j+1] == '\'' || src[j+1] == '\\') {
					b.WriteByte(src[j+1])
					j++
					continue
				}
				return arg{}, 0, p.errorf(j, `invalid escape in string literal: only \", \' and \\ are allowed`)
			default:
				b.WriteByte(src[j])
			}
		}
		return arg{}, 0, p.errorf(i, "unterminated string literal")
	case c == '-' || c >= '0' && c <= '9':
		j := i
		if c == '-' {
			j++
		}
		digits := j
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
		if j == digits {
			return arg{}, 0, p.errorf(i, `expected digits after "-"`)
		}
		n, err := strconv.Atoi(src[i:j])
		if err != nil {
			return arg{}, 0, p.errorf(i, "integer %s is out of range", src[i:j])
		}
		return arg{num: n, isInt: true}, j, nil
	default:
		return arg{}, 0, p.unexpected(i, "a filter argument (a quoted string or an integer)")
	}
}

func plural(n int, word string) string {
	switch n {
	case 0:
		return "no " + word + "s"
	case 1:
		return "1 " + word
	default:
		return strconv.Itoa(n) + " " + word + "s"
	}
}
