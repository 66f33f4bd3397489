// Package validate collects user-input errors by field path, so that every
// layer can report exactly which field is wrong and the HTTP API can answer
// 422 with {"message", "errors": {"conditions.0.type": [...]}} without
// inspecting error strings.
package validate

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Error is a user error: the request was understood but some fields are
// invalid. It is distinct from internal errors so that callers can map it to
// 422 with errors.As.
type Error struct {
	Fields map[string][]string
	// Dropped counts the errors found beyond MaxErrors, which Fields does
	// not list.
	Dropped int
}

func (e *Error) Error() string {
	paths := e.paths()
	parts := make([]string, 0, len(paths))
	for _, p := range paths {
		parts = append(parts, p+": "+strings.Join(e.Fields[p], "; "))
	}
	msg := "validation failed: " + strings.Join(parts, ", ")
	if e.Dropped > 0 {
		msg += fmt.Sprintf(" (and %d more)", e.Dropped)
	}
	return msg
}

func (e *Error) paths() []string { return slices.Sorted(maps.Keys(e.Fields)) }

// Message is the one-line summary shown as "message" in a 422 body: the
// first error (by path order) plus a count of the others, as users read it,
// including those left out of the list.
func (e *Error) Message() string {
	paths := e.paths()
	if len(paths) == 0 {
		return "The given data was invalid."
	}
	first := paths[0] + " " + e.Fields[paths[0]][0]
	listed := 0
	for _, p := range paths {
		listed += len(e.Fields[p])
	}
	more := listed - 1 + e.Dropped
	switch {
	case more == 0:
		return first
	case e.Dropped == 0:
		return fmt.Sprintf("%s (and %d more error%s)", first, more, plural(more))
	}
	return fmt.Sprintf("%s (and %d more error%s; only the first %d are listed)", first, more, plural(more), listed)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// As reports whether err is (or wraps) a validation Error.
func As(err error) (*Error, bool) {
	var ve *Error
	if errors.As(err, &ve) {
		return ve, true
	}
	return nil, false
}

// Field returns an Error for a single field.
func Field(path, format string, args ...any) *Error {
	return &Error{Fields: map[string][]string{path: {fmt.Sprintf(format, args...)}}}
}

// MaxErrors caps the errors one request lists, so that the answer stays
// small whatever the request holds: past it, errors are only counted.
const MaxErrors = 100

// Errors accumulates field errors, at most MaxErrors of them; further ones
// are counted (Error.Dropped). The zero value is ready to use.
type Errors struct {
	fields  map[string][]string
	listed  int
	dropped int
}

// Add records a message for the field at path.
func (e *Errors) Add(path, format string, args ...any) {
	if e.listed >= MaxErrors {
		e.dropped++
		return
	}
	if e.fields == nil {
		e.fields = make(map[string][]string)
	}
	e.fields[path] = append(e.fields[path], fmt.Sprintf(format, args...))
	e.listed++
}

// Merge adds every field of other, each path prefixed with prefix.
func (e *Errors) Merge(prefix string, other *Error) {
	if other == nil {
		return
	}
	for _, p := range other.paths() {
		for _, m := range other.Fields[p] {
			e.Add(Join(prefix, p), "%s", m)
		}
	}
	e.dropped += other.Dropped
}

// Has reports whether the field at path already has an error.
func (e *Errors) Has(path string) bool {
	_, ok := e.fields[path]
	return ok
}

// Empty reports whether no error has been recorded.
func (e *Errors) Empty() bool { return len(e.fields) == 0 }

// Err returns nil when nothing was recorded, otherwise an *Error.
func (e *Errors) Err() error {
	if e.Empty() {
		return nil
	}
	return &Error{Fields: e.fields, Dropped: e.dropped}
}

// Join builds a field path: Join("actions.0", "parameters") is
// "actions.0.parameters"; an empty side is dropped.
func Join(parts ...string) string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

// Index builds the path of an array element: Index("conditions", 0) is
// "conditions.0".
func Index(path string, i int) string {
	return Join(path, strconv.Itoa(i))
}
