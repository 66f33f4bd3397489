package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestErrorsAndMessage(t *testing.T) {
	var errs Errors
	if errs.Err() != nil || !errs.Empty() {
		t.Fatal("empty errors are not nil")
	}
	errs.Add("name", "is required")
	single, _ := As(errs.Err())
	if single.Message() != "name is required" {
		t.Errorf("message %q", single.Message())
	}
	errs.Add("conditions.0.type", "is not a condition type")
	errs.Add("name", "is too long")
	ve, ok := As(fmt.Errorf("wrapped: %w", errs.Err()))
	if !ok {
		t.Fatal("As does not unwrap")
	}
	if ve.Message() != "conditions.0.type is not a condition type (and 2 more errors)" {
		t.Errorf("message %q", ve.Message())
	}
	if !reflect.DeepEqual(ve.Fields["name"], []string{"is required", "is too long"}) {
		t.Errorf("fields %v", ve.Fields)
	}
	var merged Errors
	merged.Merge("actions.1", Field("parameters.url", "bad %s", "url"))
	if !merged.Has("actions.1.parameters.url") {
		t.Errorf("merge: %v", merged.Err())
	}
	if Join("a", "", "b") != "a.b" || Index("x", 3) != "x.3" {
		t.Errorf("paths")
	}
	if _, ok := As(errors.New("plain")); ok {
		t.Errorf("a plain error is a validation error")
	}
}

func TestObjectReaders(t *testing.T) {
	body, err := Decode([]byte(`{"s": "x", "blank": " ", "n": 3, "f": 1.5, "big": 1e400, "b": true, "list": ["a", 2, ""], "obj": {"k": "v"}, "null": null, "extra": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	var errs Errors
	o := NewObject(&errs, "p", body)
	if s, ok := o.String("s", true); !ok || s != "x" {
		t.Errorf("string")
	}
	o.String("blank", true)
	o.String("n", false)
	if n, ok := o.Int("n", true); !ok || n != 3 {
		t.Errorf("int")
	}
	o.Int("f", false)
	if f, ok := o.Number("f", false); !ok || f != 1.5 {
		t.Errorf("number")
	}
	o.Number("big", false)
	if b, ok := o.Bool("b", true); !ok || !b {
		t.Errorf("bool")
	}
	o.StringList("list", false, 10, "items")
	if inner, ok := o.Object("obj", true); !ok || inner.Values["k"] != "v" {
		t.Errorf("object")
	}
	if _, ok := o.String("null", true); ok {
		t.Errorf("null accepted as a required string")
	}
	o.String("missing", true)
	o.RejectUnknown()
	ve, _ := As(errs.Err())
	want := []string{"p.big", "p.blank", "p.extra", "p.f", "p.list.1", "p.list.2", "p.missing", "p.n", "p.null"}
	for _, path := range want {
		if _, ok := ve.Fields[path]; !ok {
			t.Errorf("no error at %s: %v", path, ve.Fields)
		}
	}
	if len(ve.Fields) != len(want) {
		t.Errorf("errors at %v, want exactly %v", ve.Fields, want)
	}
	if _, err := Decode([]byte(`{} {}`)); err == nil {
		t.Errorf("trailing data accepted")
	}
	var into struct{ N any }
	if err := DecodeInto([]byte(`{"N": 12345678901234567890}`), &into); err != nil || into.N.(json.Number).String() != "12345678901234567890" {
		t.Errorf("numbers are not kept exactly: %v %v", into.N, err)
	}
}

// Past MaxErrors, errors are counted, not listed: the answer stays small
// and its message still says how many there were.
func TestErrorsAreCapped(t *testing.T) {
	var errs Errors
	for i := 0; i < 3*MaxErrors; i++ {
		errs.Add(Index("tags", i), "no tag %d", i)
	}
	ve, _ := As(errs.Err())
	listed := 0
	for _, msgs := range ve.Fields {
		listed += len(msgs)
	}
	if listed != MaxErrors || ve.Dropped != 2*MaxErrors {
		t.Errorf("%d listed and %d dropped, want %d and %d", listed, ve.Dropped, MaxErrors, 2*MaxErrors)
	}
	if _, ok := ve.Fields[Index("tags", MaxErrors-1)]; !ok {
		t.Errorf("the first %d errors are not the ones listed", MaxErrors)
	}
	want := "tags.0 no tag 0 (and 299 more errors; only the first 100 are listed)"
	if got := ve.Message(); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	var merged Errors
	merged.Add("name", "is required")
	merged.Merge("actions.0", ve)
	if mv, _ := As(merged.Err()); mv.Dropped != 2*MaxErrors+1 || len(mv.Fields) != MaxErrors {
		t.Errorf("merge: %d fields, %d dropped", len(mv.Fields), mv.Dropped)
	}
}

// A list longer than its maximum is one error and none of its items is
// read; a wrong value repeated is reported once, where it first occurs.
func TestListsAreBoundedAndReportEachWrongValueOnce(t *testing.T) {
	body, err := Decode([]byte(`{"long": ["a", "b", "c"], "list": ["a", "", 7, "", 7, true, {}, {}, "b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var errs Errors
	o := NewObject(&errs, "", body)
	if _, ok := o.StringList("long", false, 2, "tags"); ok {
		t.Errorf("a list over its maximum was accepted")
	}
	if got, ok := o.StringList("list", false, 9, "items"); ok || !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("list = %v, %v", got, ok)
	}
	ve, _ := As(errs.Err())
	want := map[string][]string{
		"long":   {"must have at most 2 tags"},
		"list.1": {"must be a non-empty string"},
		"list.2": {"must be a non-empty string"},
		"list.5": {"must be a non-empty string"},
		"list.6": {"must be a non-empty string"},
		"list.7": {"must be a non-empty string"},
	}
	if !reflect.DeepEqual(ve.Fields, want) {
		t.Errorf("errors %v, want %v", ve.Fields, want)
	}
	if keys := o.Keys(); !reflect.DeepEqual(keys, []string{"list", "long"}) {
		t.Errorf("keys %v", keys)
	}
}
