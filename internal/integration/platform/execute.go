package platform

import (
	"context"
	"fmt"
	"strings"

	"github.com/deskflow/deskflow/internal/connector"
)

// Result is what an action produced.
type Result struct {
	// Status is the HTTP status of the action's (last) request.
	Status int
	// Data is the answer, unwrapped and reduced to the catalog's fields.
	Data any
	// Extra holds handler-specific facts (already_refunded, …).
	Extra map[string]any
}

// Output is the step output: the useful object itself (the refund, the
// issue, the message: {{variables.<saveAs>.id}}), or the platform's error
// body on failure. The facts a handler adds (already_refunded, …) are
// fields of an object output too.
func (r *Result) Output() any {
	m, isObject := r.Data.(map[string]any)
	if !isObject || len(r.Extra) == 0 {
		return r.Data
	}
	out := make(map[string]any, len(m)+len(r.Extra))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range r.Extra {
		out[k] = v
	}
	return out
}

// Execute runs the action a through connector c with params, whose string
// values are already rendered. key is the step's idempotency key, the same
// for every attempt of the step. A failure caused by the params, the
// connector or the platform's answer is an *Error; when the platform
// answered, the Result carries its status and error body too.
func Execute(ctx context.Context, env Env, c *connector.Connector, a *Action, params map[string]any, key string) (*Result, error) {
	if c.Type != a.platform.ID {
		return nil, &Error{Message: fmt.Sprintf("connector %s is a %s connector; %s is an action of %s", c.ID, c.Type, a.ID, strings.Join(Offering(a.ID), " or "))}
	}
	s, err := newSession(a.platform, c, env)
	if err != nil {
		return nil, err
	}
	in, err := prepare(a, params)
	if err != nil {
		return nil, err
	}
	if a.Handler != "" {
		return handlers[a.Handler](ctx, s, in, key)
	}
	r, err := in.request(key)
	if err != nil {
		return nil, err
	}
	res, err := s.do(ctx, r)
	return result(a, res, err)
}

// result turns an answer into a Result: the selected data on success, the
// error body on failure.
func result(a *Action, res *response, err error) (*Result, error) {
	if res == nil {
		return nil, err
	}
	if err != nil {
		return &Result{Status: res.status, Data: res.data}, err
	}
	data := res.data
	if a.GraphQL != nil {
		data = at(data, "data."+a.GraphQL.Result)
		if data == nil && a.GraphQL.Found {
			root, _, _ := strings.Cut(a.GraphQL.Result, ".")
			return &Result{Status: res.status, Data: res.data}, &Error{Status: res.status, Message: fmt.Sprintf("%s has no %s with that id (its answer is null)", a.platform.Name, root)}
		}
	}
	return &Result{Status: res.status, Data: a.Response.apply(data)}, nil
}

// at follows a dotted path of object keys; nil when it leads nowhere.
func at(v any, path string) any {
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

// apply unwraps the root and keeps the fields.
func (r Response) apply(data any) any {
	if r.Root != "" {
		if m, ok := data.(map[string]any); ok {
			if inner, found := m[r.Root]; found {
				data = inner
			}
		}
	}
	if len(r.Fields) == 0 {
		return data
	}
	return pick(data, r.Fields)
}

// pick keeps the dotted paths of v, element by element in arrays; the
// structure is kept, so "customer.email" stays at customer.email.
func pick(v any, paths []string) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pick(e, paths)
		}
		return out
	case map[string]any:
		groups := map[string][]string{}
		var order []string
		for _, p := range paths {
			first, rest, _ := strings.Cut(p, ".")
			if _, seen := groups[first]; !seen {
				order = append(order, first)
			}
			groups[first] = append(groups[first], rest)
		}
		out := make(map[string]any, len(groups))
		for _, first := range order {
			val, ok := x[first]
			if !ok {
				continue
			}
			rests := groups[first]
			whole := false
			for _, r := range rests {
				whole = whole || r == ""
			}
			if whole {
				out[first] = val
			} else {
				out[first] = pick(val, rests)
			}
		}
		return out
	}
	return v
}

// TestConnector runs the platform's test request (a cheap authenticated
// GET, or GraphQL query) with a connector.
func (p *Platform) TestConnector(ctx context.Context, c *connector.Connector, env Env) error {
	s, err := newSession(p, c, env)
	if err != nil {
		return err
	}
	r := request{method: p.Test.Method, path: p.Test.Path, idempotent: true}
	if p.Test.GraphQL != "" {
		r.graphql = true
		if err := r.setBody(map[string]any{"query": p.Test.GraphQL}, "json"); err != nil {
			return err
		}
	}
	_, err = s.do(ctx, r)
	return err
}
