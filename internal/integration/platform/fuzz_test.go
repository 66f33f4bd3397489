package platform

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzPrepare gives an action's parameters as arbitrary JSON: preparing
// the request never panics, refuses with a *platform.Error naming the
// parameter, and a Shopify id it accepts is a gid of the parameter's type.
func FuzzPrepare(f *testing.F) {
	f.Add(uint16(0), `{"orderId": "450789469"}`)
	f.Add(uint16(3), `{"orderId": "gid://shopify/Order/1", "reason": "customer"}`)
	f.Add(uint16(200), `{"customerId": "cus_1", "amount": 1.5, "metadata": {"a": "b"}}`)
	f.Add(uint16(17), `{"tags": "a, b,,c", "id": 0}`)
	var all []*Action
	for _, id := range IDs() {
		p, _ := Lookup(id)
		all = append(all, p.Actions...)
	}
	f.Fuzz(func(t *testing.T, pick uint16, raw string) {
		var params map[string]any
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&params) != nil {
			return
		}
		a := all[int(pick)%len(all)]
		in, err := prepare(a, params)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || !strings.HasPrefix(pe.Message, "params") {
				t.Fatalf("%s: error %v is not a parameter error", a.ID, err)
			}
			return
		}
		for _, p := range a.Params {
			if v, ok := in.values[p.Name].(string); ok && p.GID != "" && !strings.HasPrefix(v, "gid://shopify/"+p.GID+"/") {
				t.Fatalf("%s.%s accepted %q", a.ID, p.Name, v)
			}
		}
		if _, err := in.request("key"); err != nil {
			t.Fatalf("%s: request: %v", a.ID, err)
		}
	})
}
