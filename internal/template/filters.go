package template

import (
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// value is an expression's value while filters apply: missing is set when
// the path resolved to nothing and no filter has supplied a value since.
type value struct {
	v       any
	missing bool
}

type argKind int

const (
	argString argKind = iota
	argInt
	argStringOrInt
)

type filterDef struct {
	// usage and description are the filter's documentation.
	usage, description string
	args               []argKind
	// check validates the arguments at parse time, returning the index of
	// the bad argument and a message, or "" when they are fine.
	check func(args []arg) (int, string)
	apply func(in value, args []arg, limit int) (value, error)
}

var filters = map[string]*filterDef{
	"default": {
		usage: `{{ customer.name | default: "there" }}`, description: "The argument when the value is missing or empty.",
		args:  []argKind{argStringOrInt},
		apply: applyDefault,
	},
	"upcase":     textFilter(strings.ToUpper, `{{ ticket.status | upcase }}`, "Upper case."),
	"downcase":   textFilter(strings.ToLower, `{{ customer.email | downcase }}`, "Lower case."),
	"capitalize": textFilter(capitalize, `{{ customer.name | capitalize }}`, "The first letter in upper case."),
	"strip":      textFilter(strings.TrimSpace, `{{ message.body | strip }}`, "Without surrounding white space."),
	"url_encode": textFilter(url.QueryEscape, `{{ customer.email | url_encode }}`, "Escaped for a URL's query."),
	"truncate": {
		usage: `{{ message.body | truncate: 100 }}`, description: "At most that many characters, the last three \"...\" when cut.",
		args: []argKind{argInt},
		check: func(args []arg) (int, string) {
			if args[0].num < 1 {
				return 0, "the length must be at least 1"
			}
			return 0, ""
		},
		apply: func(in value, args []arg, limit int) (value, error) {
			n := args[0].num
			return mapText(in, limit, func(s string) string { return truncate(s, n) })
		},
	},
}

// FilterDoc documents one filter.
type FilterDoc struct {
	Name        string `json:"name"`
	Usage       string `json:"usage"`
	Description string `json:"description"`
}

// Filters documents the filters, sorted by name.
func Filters() []FilterDoc {
	out := make([]FilterDoc, 0, len(filters))
	for _, n := range filterNames() {
		out = append(out, FilterDoc{Name: n, Usage: filters[n].usage, Description: filters[n].description})
	}
	return out
}

func filterNames() []string {
	names := make([]string, 0, len(filters))
	for n := range filters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func applyDefault(in value, args []arg, _ int) (value, error) {
	if !in.missing && in.v != nil {
		if s, ok := in.v.(string); !ok || s != "" {
			return in, nil
		}
	}
	if args[0].isInt {
		return value{v: args[0].num}, nil
	}
	return value{v: args[0].str}, nil
}

// textFilter is a filter without arguments that maps the value's text form.
func textFilter(f func(string) string, usage, description string) *filterDef {
	return &filterDef{usage: usage, description: description,
		apply: func(in value, _ []arg, limit int) (value, error) { return mapText(in, limit, f) }}
}

// mapText applies f to the text form of in; missing and null pass through.
// limit bounds the JSON text of objects and arrays.
func mapText(in value, limit int, f func(string) string) (value, error) {
	if in.missing || in.v == nil {
		return in, nil
	}
	s, err := text(in.v, limit)
	if err != nil {
		return value{}, err
	}
	return value{v: f(s)}, nil
}

// capitalize upper-cases the first rune and lower-cases the rest, as
// Liquid's capitalize does.
func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	first := s[:size]
	if r != utf8.RuneError || size > 1 {
		first = string(unicode.ToTitle(r))
	}
	return first + strings.ToLower(s[size:])
}

// truncate cuts s to at most n runes (n >= 1), ending in "..." within the n
// when it cuts and n > 3.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	keep, ellipsis := n, ""
	if n > 3 {
		keep, ellipsis = n-3, "..."
	}
	i := 0
	for k := 0; k < keep; k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + ellipsis
}
