package action

import "context"

// unavailable is the Run of an action type whose delivery is not built yet:
// saving such a workflow works, and running the step fails with a clear
// error instead of pretending to succeed.
func unavailable(what string) func(context.Context, *Exec) (any, error) {
	return func(context.Context, *Exec) (any, error) {
		return nil, Failf("this action needs %s, which this version of deskflow does not have yet", what)
	}
}
