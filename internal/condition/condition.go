// Package condition owns the condition types of seed 003: what each one
// means, how its parameters are validated at save time, and how it is
// evaluated against a ticket. Adding a type is one file with its Definition
// plus one line in registry.go.
package condition

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

// Facts is what conditions are evaluated against: the ticket and the message
// that the event concerns (for tag and manual events, the ticket's latest
// inbound message). Any pointer may be nil: a condition then does not match,
// it never fails.
type Facts struct {
	Ticket         *helpdesk.Ticket
	Message        *helpdesk.Message
	Contact        *helpdesk.Contact
	Channel        *helpdesk.Channel
	ContactIsNew   bool
	IsFirstMessage bool
	// Variables are the run's saved outputs (saveAs), for the conditions
	// of paths evaluated after the main path.
	Variables map[string]any

	// normalized caches the comparison form of the texts conditions read,
	// computed once per event however many workflows look at them. Facts
	// are therefore not safe for concurrent use.
	normalized [numFields]string
	haveNorm   [numFields]bool
}

// norm returns the comparison form of the text of field which, whose raw
// value is raw.
func (f *Facts) norm(which Field, raw string) string {
	if !f.haveNorm[which] {
		f.normalized[which], f.haveNorm[which] = normalize(raw), true
	}
	return f.normalized[which]
}

// Definition describes one condition type.
type Definition struct {
	Type string
	// Meaning is the exact semantics, published in the API description.
	Meaning string
	// Params are the condition's parameters; Check adds the rules of
	// theirs that the spec cannot state.
	Params   []spec.Param
	Check    func(p *param.Params, v spec.Values)
	Evaluate func(f *Facts, parameters map[string]any) bool
	// require, when set, states the literal that must occur in one text of
	// the facts for Evaluate to be true (see Required); it lives beside
	// Evaluate so the two cannot drift apart.
	require func(parameters map[string]any) Requirement
}

// Validate checks the parameters p holds against the condition's spec and
// its own rules.
func (d Definition) Validate(p *param.Params) {
	v := spec.Read(p, d.Params)
	if d.Check != nil {
		d.Check(p, v)
	}
}

var registry = map[string]Definition{}

func register(defs ...Definition) {
	for _, d := range defs {
		if _, dup := registry[d.Type]; dup {
			panic(fmt.Sprintf("condition: %s registered twice", d.Type))
		}
		registry[d.Type] = d
	}
}

// Lookup returns the definition of a condition type.
func Lookup(conditionType string) (Definition, bool) {
	d, ok := registry[conditionType]
	return d, ok
}

// Types lists the registered condition types, sorted.
func Types() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Result is one condition's outcome, recorded in run history.
type Result struct {
	Type    string `json:"type"`
	Matched bool   `json:"matched"`
}

// Match evaluates conditions with the match type (all or any). No conditions
// always match.
func Match(f *Facts, matchType string, conds []Spec) (bool, []Result) {
	results := make([]Result, len(conds))
	for i, c := range conds {
		d, ok := registry[c.Type]
		results[i] = Result{Type: c.Type, Matched: ok && d.Evaluate(f, c.Parameters)}
	}
	if len(conds) == 0 {
		return true, results
	}
	if matchType == "any" {
		for _, r := range results {
			if r.Matched {
				return true, results
			}
		}
		return false, results
	}
	for _, r := range results {
		if !r.Matched {
			return false, results
		}
	}
	return true, results
}

// Spec is a condition as stored: its type and parameters.
type Spec struct {
	Type       string
	Parameters map[string]any
}

// normalize is the comparison form of text: trimmed and Unicode case-folded
// (so that "ΚΩΔΙΚΟΣ" equals "κωδικος", which lower-casing alone misses).
func normalize(s string) string {
	return strings.Map(foldRune, strings.TrimSpace(s))
}

// foldRune maps a rune to one canonical member of its simple case-folding
// orbit — the lower-case ASCII letter when the orbit has one, else its
// smallest rune — so two strings are equal under strings.EqualFold exactly
// when their mappings are equal, substrings are preserved, and lower-case
// ASCII text maps to itself (no allocation).
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return unicode.ToLower(f)
		}
		least = min(least, f)
	}
	return least
}

func stringParam(parameters map[string]any, key string) string {
	s, _ := parameters[key].(string)
	return s
}
