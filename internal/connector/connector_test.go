package connector

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/deskflow/deskflow/internal/spec"
	"github.com/deskflow/deskflow/internal/validate"
)

// checked is what demo's Check was given.
var checked spec.Values

// demo has a required setting, a bounded one, a stored default and a
// Check that normalizes.
var demo = Type{
	Name: "demo",
	Settings: []spec.Param{
		{Name: "host", Type: spec.String, Required: true, Example: "a.example", Description: "host"},
		{Name: "port", Type: spec.Integer, Min: spec.Bound(1), Max: spec.Bound(65535), Example: 443, Description: "port"},
		{Name: "mode", Type: spec.Enum, Values: []string{"fast", "safe"}, Default: "safe", Example: "fast", Description: "mode"},
	},
	StoreDefaults: true,
	Check: func(o *validate.Object, v spec.Values) {
		checked = v
		if h, ok := v.String("host"); ok {
			o.Values["host"] = h + "."
		}
	},
}

func readSettings(t Type, settings map[string]any) (map[string]any, map[string][]string) {
	var errs validate.Errors
	o := validate.NewObject(&errs, "settings", settings)
	t.ReadSettings(o)
	o.RejectUnknown()
	if ve, ok := validate.As(errs.Err()); ok {
		return o.Values, ve.Fields
	}
	return o.Values, nil
}

func TestReadSettings(t *testing.T) {
	got, errs := readSettings(demo, map[string]any{"host": "a.example", "port": json.Number("443"), "mode": nil})
	if errs != nil || !reflect.DeepEqual(got, map[string]any{"host": "a.example.", "port": json.Number("443"), "mode": "safe"}) {
		t.Errorf("valid settings: %v %v", got, errs)
	}
	if !reflect.DeepEqual(checked, spec.Values{"host": "a.example", "port": int64(443), "mode": "safe"}) {
		t.Errorf("Check was given %v", checked)
	}
	_, errs = readSettings(demo, map[string]any{"port": json.Number("0"), "mode": "slow", "colour": "red"})
	want := map[string][]string{
		"settings.host":   {"is required"},
		"settings.port":   {"must be between 1 and 65535"},
		"settings.mode":   {"must be one of: fast, safe"},
		"settings.colour": {"is not a known field"},
	}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("errors %v, want %v", errs, want)
	}
	// Without StoreDefaults the default is not written.
	kept := demo
	kept.StoreDefaults = false
	kept.Check = nil
	if got, errs := readSettings(kept, map[string]any{"host": "h"}); errs != nil || !reflect.DeepEqual(got, map[string]any{"host": "h"}) {
		t.Errorf("defaults not stored: %v %v", got, errs)
	}
}

func TestRegisterRefusesSettingsThatNeedAWorkflow(t *testing.T) {
	for _, typ := range []spec.Type{spec.Template, spec.Reference, spec.Templates} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("a %s setting was registered", typ)
				}
			}()
			Register(Type{Name: "bad-" + string(typ), Settings: []spec.Param{{Name: "s", Type: typ}}})
		}()
	}
}
