package validate

import (
	"bytes"
	"slices"
	"strings"
)

// NUL characters (U+0000) are removed from all text deskflow takes in:
// PostgreSQL cannot store them in text columns, SQLite can, and the two
// back ends must behave alike. Removing them keeps a message that happens
// to carry one (a broken mail client, a binary paste) instead of refusing
// it. Request bodies lose them as they are decoded (Decode), the outputs
// that steps save (saveAs) as they are recorded, and storage removes any
// that is left from its string arguments.

// StripNUL returns s without its NUL characters; s itself when it has none.
func StripNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// StripNULTree removes NUL characters from every string and object key of
// a decoded JSON value (map[string]any, []any, []string, string), changing
// maps and slices in place, and returns it. When two keys of an object
// become the same, the one that had no NUL is kept, else the first in
// sorted order. Values of other types are returned as they are.
func StripNULTree(v any) any {
	switch x := v.(type) {
	case string:
		return StripNUL(x)
	case []any:
		for i, e := range x {
			x[i] = StripNULTree(e)
		}
	case []string:
		for i, e := range x {
			x[i] = StripNUL(e)
		}
	case map[string]any:
		var renamed []string
		for k, e := range x {
			x[k] = StripNULTree(e)
			if strings.IndexByte(k, 0) >= 0 {
				renamed = append(renamed, k)
			}
		}
		slices.Sort(renamed)
		for _, k := range renamed {
			e := x[k]
			delete(x, k)
			if _, taken := x[StripNUL(k)]; !taken {
				x[StripNUL(k)] = e
			}
		}
	}
	return v
}

// escapedNUL is how a NUL appears in JSON text: raw control characters are
// not allowed there.
var escapedNUL = []byte(`\u0000`)

// mayHoldNUL reports whether decoding data can give a string with a NUL, so
// that Decode walks the decoded value only then.
func mayHoldNUL(data []byte) bool {
	return bytes.Contains(data, escapedNUL)
}
