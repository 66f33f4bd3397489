// Package action owns the action types of seed 000 (and assign_ticket of
// seed 003): what each one does, how its parameters are validated at save
// time, and the parameters common to every action (timeout, requireApproval,
// saveAs). Adding a type is one file with its Definition plus one line in
// registry.go.
package action

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/deskflow/deskflow/internal/param"
	"github.com/deskflow/deskflow/internal/spec"
)

// Category groups action types as the seed's tables do.
type Category string

// Categories of seed 000.
const (
	CategoryTicket        Category = "ticket"
	CategoryCommunication Category = "communication"
	CategoryAI            Category = "ai"
	CategoryPlatform      Category = "platform"
)

// Definition describes one action type.
type Definition struct {
	Type        string
	Category    Category
	Description string
	// Params are the type's own parameters (CommonParams are every
	// action's); Check adds the rules of theirs that the spec cannot
	// state.
	Params []spec.Param
	Check  func(p *param.Params, v spec.Values)
	Effect Effect
	// EmitsTagEvent is the event the action emits for each tag of its
	// "tags" parameter (tag.added, tag.removed), for the save-time check
	// that workflows do not start each other in a loop.
	EmitsTagEvent string
	// KeepsTicket marks ticket actions that change no field of the ticket
	// (an internal note), so inline runs need not reload it after them.
	KeepsTicket bool
	// Run performs the action and returns its output (stored in run
	// history and, with saveAs, under variables.<name>).
	Run func(ctx context.Context, x *Exec) (any, error)
}

var registry = map[string]Definition{}

func register(defs ...Definition) {
	for _, d := range defs {
		if _, dup := registry[d.Type]; dup {
			panic(fmt.Sprintf("action: %s registered twice", d.Type))
		}
		registry[d.Type] = d
	}
}

// Lookup returns the definition of an action type.
func Lookup(actionType string) (Definition, bool) {
	d, ok := registry[actionType]
	return d, ok
}

// Types lists the registered action types, sorted.
func Types() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Timeout bounds (seed 000: "Default 30 seconds, configurable via timeout (ms)").
const (
	DefaultTimeout = 30 * time.Second
	MaxTimeout     = 10 * time.Minute
)

// CommonOf reads the common parameters of a stored (valid) action.
func CommonOf(parameters map[string]any) Common {
	c := Common{Timeout: DefaultTimeout}
	if ms, ok := param.WholeNumber(parameters["timeout"]); ok && ms > 0 {
		c.Timeout = time.Duration(ms) * time.Millisecond
	}
	c.RequireApproval, _ = parameters["requireApproval"].(bool)
	c.SaveAs, _ = parameters["saveAs"].(string)
	return c
}

// Common holds the parameters every action accepts.
type Common struct {
	Timeout         time.Duration
	RequireApproval bool
	SaveAs          string
}

// CommonParams are the parameters every action accepts (seed 000's error
// handling and "Saving Action Output").
var CommonParams = []spec.Param{
	{Name: "timeout", Type: spec.Duration, Min: spec.Bound(1), Max: spec.Bound(float64(MaxTimeout.Milliseconds())), Default: DefaultTimeout.Milliseconds(), Example: 10000,
		Description: "How long the step may take, in milliseconds; then it fails and the rest of its path is skipped."},
	{Name: "requireApproval", Type: spec.Boolean, Default: false, Example: true,
		Description: "Pause the path at this step until an admin approves it; rejection or expiry skips the rest of the path."},
	{Name: "saveAs", Type: spec.Identifier, Example: "summary",
		Description: "Save the step's output as {{variables.<name>}} for later steps of the run."},
}

// ValidateParameters checks the common parameters and then the type's own,
// and rejects parameters that neither knows.
func ValidateParameters(d Definition, p *param.Params) Common {
	common := spec.Read(p, CommonParams)
	c := Common{Timeout: DefaultTimeout}
	if ms, ok := common["timeout"].(int64); ok {
		c.Timeout = time.Duration(ms) * time.Millisecond
	}
	c.RequireApproval, _ = common["requireApproval"].(bool)
	c.SaveAs, _ = common.String("saveAs")
	own := spec.Read(p, d.Params)
	if d.Check != nil {
		d.Check(p, own)
	}
	p.RejectUnknown()
	return c
}
