package validate

import (
	"reflect"
	"testing"
)

func TestStripNUL(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "abc", "\x00": "", "a\x00b\x00\x00c": "abc"} {
		if got := StripNUL(in); got != want {
			t.Errorf("StripNUL(%q) = %q, want %q", in, got, want)
		}
	}
	tree := StripNULTree(map[string]any{
		"a\x00b": "x\x00", "ab": 1, // the key without NUL is kept
		"\x00c": 2, "c\x00": 3, // the first in sorted order is kept
		"list": []any{"y\x00", map[string]any{"k\x00": []string{"z\x00"}}, 4.5},
	})
	want := map[string]any{"ab": 1, "c": 2, "list": []any{"y", map[string]any{"k": []string{"z"}}, 4.5}}
	if !reflect.DeepEqual(tree, want) {
		t.Errorf("StripNULTree = %#v, want %#v", tree, want)
	}
}

// Request bodies are decoded without NUL, in keys and values, and a
// backslash before "u0000" is not taken for one.
func TestDecodeRemovesNUL(t *testing.T) {
	v, err := Decode([]byte(`{"na\u0000me": ["\u0000x"], "path": "C:\\u0000"}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"name": []any{"x"}, "path": `C:\u0000`}; !reflect.DeepEqual(v, want) {
		t.Errorf("decoded %#v, want %#v", v, want)
	}
}
