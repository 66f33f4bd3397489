// Package template owns deskflow's one template language: the small
// "{{ path | filter: arg }}" syntax that every workflow action uses to render
// its text parameters (reply bodies, webhook bodies, AI prompts, ...). It
// parses and checks templates at save time against a Schema of known data
// roots and fields, and renders them against JSON-like data with the escaping
// that the destination needs (Plain, HTML, or context-aware JSON).
//
// The language never executes code and always runs in time linear in the size
// of the source plus the output: there are no tags, loops, conditionals,
// function calls or includes, only substitutions.
//
// # Syntax
//
// A template is literal text with expressions in double braces:
//
//	Hi {{ customer.name | default: "there" | capitalize }}, ticket {{ticket.id}} is open.
//
// Spaces (and tabs and newlines) are optional inside the braces. An
// expression is a dotted path followed by zero or more filters, each
// introduced by "|". A filter's arguments follow a ":" and are separated by
// ",". An argument is a string literal in double or single quotes (a
// backslash escapes the quote characters and the backslash itself; no other
// escapes exist) or a decimal integer, optionally negative.
//
// A path is one or more segments separated by "."; a segment is made of ASCII
// letters, digits, "_" and "-" (so custom-field keys like order_number or
// order-number work). A segment made of digits indexes into an array
// ("variables.items.0.name"); on an object it is an ordinary key. The first
// segment is the root and must be declared by the Schema given to Parse; a
// root (or field) is either open, accepting any sub-path, or has a fixed set
// of fields, so that typos are refused at save time. See DefaultSchema for
// the roots deskflow provides; other packages build their own Schema with
// NewSchema from AnyPath, Leaf, Object and Fields.
//
// A lone "}}" outside an expression is literal text, and so is "{% ... %}".
// There is no way to write a literal "{{": every "{{" starts an expression.
//
// # Filters
//
//   - default: "x" – the argument when the value is missing, null or the empty
//     string; otherwise the value unchanged. The argument may also be an
//     integer, giving a number (useful outside strings in JSON bodies).
//     A value rescued by default is not reported in Result.Missing.
//   - upcase – the text in upper case.
//   - downcase – the text in lower case.
//   - capitalize – the first character in upper case and the rest in lower
//     case, as in Liquid ("mY tItle" gives "My title").
//   - strip – the text without leading and trailing white space.
//   - truncate: N – at most N characters (runes), N >= 1. When the text is cut
//     and N > 3, it ends with "..." and the three dots count within N; when
//     N <= 3 the text is simply cut to N characters.
//   - url_encode – the text escaped for a URL query component (space gives
//     "+").
//
// The text filters (all but default) apply to the text form of the value
// (see Rendering); a missing or null value passes through them unchanged, so
// "{{ x | upcase | default: "N/A" }}" works.
//
// # Rendering
//
// Data is generic JSON-like values: map[string]any, map[string]string, []any,
// []string, string, bool, json.Number, Go integer and float types and nil
// (other maps with string keys and slices are traversed by reflection, and
// other leaf values are rendered as their JSON encoding). A path that
// resolves to nothing (absent key, index out of range, traversal into a
// scalar) is not an error: it renders as empty text, or null as a JSON value,
// and is listed in Result.Missing. Text forms: strings as they are, booleans
// as true or false, numbers in shortest form, null as empty text, objects and
// arrays as compact JSON with sorted keys (NaN and infinities inside them as
// null; nesting deeper than 200 levels, e.g. a cyclic value, is an error).
//
// The Escape option chooses how expression output (never the literal text)
// is escaped:
//
//   - Plain: as is.
//   - HTML: HTML-escaped (& < > ' ").
//   - JSON: depends on where the expression sits in the surrounding literal
//     text, which Parse scans once for JSON string literals (tracking quotes
//     and backslash escapes). Inside a string, the text form is emitted as
//     JSON string content (quotes, backslashes, control characters,
//     U+2028/U+2029 and invalid UTF-8 escaped; no surrounding quotes), so
//     {"s": "{{ticket.subject}}"} stays valid JSON whatever the subject.
//     Outside a string, the value is emitted as a JSON value (true, 42,
//     "text", objects and arrays as JSON, missing or null as null), so
//     {"vip": {{customer.isVip}}} is valid JSON.
//
// # Limits
//
// A source is at most MaxSourceBytes bytes with at most MaxExpressions
// expressions, otherwise Parse fails. Rendering fails with an error wrapping
// ErrOutputTooLarge as soon as the output would exceed Options.MaxOutput
// (DefaultMaxOutput when zero), and stops with the context's error when the
// context is done (checked before each literal and expression).
package template
