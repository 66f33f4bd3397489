package platform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// input is one action's parameters, coerced and placed.
type input struct {
	action *Action
	// values are the coerced values by parameter name, defaults applied.
	values map[string]any
	// path holds the escaped path parameters.
	path map[string]string
	// query is the nested query (form platforms flatten it with brackets).
	query map[string]any
	// body is the body: an object, or a single value for field "$".
	body any
	// variables are a GraphQL action's variables.
	variables map[string]any
}

// prepare coerces rendered params for action a and places them.
func prepare(a *Action, params map[string]any) (*input, error) {
	in := &input{action: a, values: map[string]any{}, path: map[string]string{}, query: map[string]any{}, variables: map[string]any{}}
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if _, ok := a.Param(k); !ok {
			return nil, paramError(k, "is not a parameter of %s %s (known: %s)", a.platform.Name, a.ID, strings.Join(knownParams([]*Action{a}), ", "))
		}
	}
	for _, prm := range a.Params {
		raw, given := params[prm.Name]
		v, err := coerce(prm, raw)
		if err != nil {
			return nil, paramError(prm.Name, "%v", err)
		}
		if v == nil && prm.Default != nil {
			v, _ = coerce(prm, prm.Default)
		}
		if v == nil {
			if prm.Required {
				if given {
					return nil, paramError(prm.Name, "is required, but it is empty (after rendering its template)")
				}
				return nil, paramError(prm.Name, "is required")
			}
			continue
		}
		in.values[prm.Name] = v
	}
	for _, group := range a.AnyOf {
		if !slices.ContainsFunc(group, func(n string) bool { return in.values[n] != nil }) {
			return nil, &Error{Message: fmt.Sprintf("params: one of %s is required (and must not render empty)", strings.Join(group, ", "))}
		}
	}
	if a.Body != nil {
		in.body = deepCopy(a.Body)
	}
	for _, prm := range a.Params {
		v, ok := in.values[prm.Name]
		if !ok {
			continue
		}
		switch prm.In {
		case "path":
			s := scalarString(v)
			if s == "." || s == ".." {
				return nil, paramError(prm.Name, "must not be %q", s)
			}
			in.path[prm.Name] = url.PathEscape(s)
			if prm.CopyTo != "" {
				in.setBody(prm.CopyTo, v)
			}
		case "query":
			setPath(in.query, prm.field(), v)
		case "body":
			in.setBody(prm.field(), format(prm, v))
		case "variables":
			setPath(in.variables, prm.field(), v)
		}
	}
	return in, nil
}

func paramError(name, format string, args ...any) *Error {
	return &Error{Message: "params." + name + " " + fmt.Sprintf(format, args...)}
}

func (in *input) setBody(field string, v any) {
	if field == "$" {
		in.body = v
		return
	}
	m, ok := in.body.(map[string]any)
	if !ok {
		m = map[string]any{}
		in.body = m
	}
	setPath(m, field, v)
}

// setPath sets a dotted path in nested maps.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// format applies a parameter's format to its coerced value.
func format(p Param, v any) any {
	switch p.Format {
	case "adf":
		return adf(v.(string))
	case "csv":
		return strings.Join(v.([]string), ", ")
	case "add_ops":
		items := v.([]string)
		ops := make([]any, len(items))
		for i, s := range items {
			ops[i] = map[string]any{"add": s}
		}
		return ops
	}
	return v
}

var blankLines = regexp.MustCompile(`\n[ \t]*\n`)

// adf turns plain text into an Atlassian Document Format document: blank
// lines separate paragraphs, single newlines are hard breaks.
func adf(text string) map[string]any {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var paragraphs []any
	for _, para := range blankLines.Split(text, -1) {
		var content []any
		for _, line := range strings.Split(strings.Trim(para, "\n"), "\n") {
			if line == "" {
				continue
			}
			if len(content) > 0 {
				content = append(content, map[string]any{"type": "hardBreak"})
			}
			content = append(content, map[string]any{"type": "text", "text": line})
		}
		if len(content) > 0 {
			paragraphs = append(paragraphs, map[string]any{"type": "paragraph", "content": content})
		}
	}
	if paragraphs == nil {
		paragraphs = []any{}
	}
	return map[string]any{"type": "doc", "version": 1, "content": paragraphs}
}

// expand fills a path template with the escaped path parameters.
func (in *input) expand(tmpl string) string {
	return placeholderRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		return in.path[m[1:len(m)-1]]
	})
}

// request builds the action's single request.
func (in *input) request(key string) (request, error) {
	a := in.action
	if a.GraphQL != nil {
		return graphqlRequest(a, a.GraphQL.Document, in.variables, key)
	}
	r := request{method: a.Method, path: in.expand(a.Path), query: url.Values{}, idempotent: a.IsIdempotent()}
	for k, v := range a.Query {
		r.query.Set(k, v)
	}
	encodeQuery(r.query, in.query, a.encoding() == "form")
	if err := r.setBody(in.body, a.encoding()); err != nil {
		return r, err
	}
	r.key = key
	r.graphql = a.GraphQL != nil
	return r, nil
}

// graphqlRequest is the POST of one GraphQL document with its variables;
// the step's key fills the action's key variable.
func graphqlRequest(a *Action, document string, variables map[string]any, key string) (request, error) {
	if k := a.GraphQL.KeyVariable; k != "" && document == a.GraphQL.Document {
		if key == "" {
			return request{}, &Error{Message: a.platform.Name + " " + a.ID + " needs the step's idempotency key"}
		}
		variables[k] = key
	}
	r := request{method: http.MethodPost, path: a.Path, key: key, idempotent: a.IsIdempotent(), graphql: true}
	err := r.setBody(map[string]any{"query": document, "variables": variables}, "json")
	return r, err
}

// setBody encodes body; write methods always send one (an empty JSON
// object at least), GET never, DELETE only when the action has body
// parameters given (GitHub's removal of assignees).
func (r *request) setBody(body any, encoding string) error {
	if m, _ := body.(map[string]any); r.method == http.MethodGet || r.method == http.MethodDelete && len(m) == 0 {
		return nil
	}
	if encoding == "form" {
		form := url.Values{}
		if m, ok := body.(map[string]any); ok {
			flatten(form, "", m)
		}
		r.body = []byte(form.Encode())
		r.contentType = "application/x-www-form-urlencoded"
		return nil
	}
	if body == nil {
		body = map[string]any{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return fmt.Errorf("encode body: %w", err)
	}
	r.body = bytes.TrimRight(buf.Bytes(), "\n")
	r.contentType = "application/json"
	return nil
}

// encodeQuery adds nested query values: bracketed (a[b]=c, a[0]=x) for form
// platforms, arrays comma-joined otherwise.
func encodeQuery(q url.Values, nested map[string]any, brackets bool) {
	if brackets {
		flatten(q, "", nested)
		return
	}
	for k, v := range nested {
		if items, ok := v.([]string); ok {
			q.Set(k, strings.Join(items, ","))
			continue
		}
		q.Set(k, scalarString(v))
	}
}

// flatten writes v in Stripe's bracket notation.
func flatten(out url.Values, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			key := k
			if prefix != "" {
				key = prefix + "[" + k + "]"
			}
			flatten(out, key, e)
		}
	case []any:
		for i, e := range x {
			flatten(out, prefix+"["+strconv.Itoa(i)+"]", e)
		}
	case []string:
		for i, e := range x {
			out.Set(prefix+"["+strconv.Itoa(i)+"]", e)
		}
	case nil:
		// absent
	default:
		out.Set(prefix, scalarString(x))
	}
}

// scalarString is the text form of a scalar value.
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
