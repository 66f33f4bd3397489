package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/riverqueue/river"

	"github.com/deskflow/deskflow/internal/action"
	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/metrics"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/storage"
	"github.com/deskflow/deskflow/internal/workflow"
)

// processEvent matches an event against the enabled workflows of its
// trigger, in order (position, then creation), records every workflow's
// outcome, and starts the runs of the matching ones, in tx: the event
// processor's transaction, which also takes the event off the queue, so an
// event is processed exactly once.
func (e *Engine) processEvent(ctx context.Context, tx *storage.Tx, ws int64, eventID string) error {
	ev, err := tx.Event(ctx, ws, eventID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load event %s: %w", eventID, err)
	}
	facts, err := tx.Facts(ctx, ws, ev.TicketID, ev.MessageID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // the ticket is gone
	}
	if err != nil {
		return fmt.Errorf("load facts of event %s: %w", eventID, err)
	}
	eval := run.Evaluation{EventID: ev.ID, TicketID: ev.TicketID, EventType: ev.Type, CreatedAt: e.Now(), Results: []run.WorkflowResult{}, RuledOut: []string{}}
	trigger := workflow.TriggerOf(ev.Type)
	var workflows []*workflow.Workflow
	if ev.Type == helpdesk.EventNoReplyDue && ev.WorkflowID != nil {
		var blocked *run.WorkflowResult
		workflows, blocked, err = e.noReplyGate(ctx, tx, ws, ev, facts.Ticket)
		if blocked != nil {
			blocked.Conditions = []condition.Result{}
			eval.Results = append(eval.Results, *blocked)
		}
	} else {
		workflows, err = tx.EnabledWorkflowsCached(ctx, ws, trigger)
	}
	if err != nil {
		return fmt.Errorf("load workflows for event %s: %w", eventID, err)
	}
	runs, err := e.withinBudget(ctx, tx, ws, ev, e.matchWorkflows(ws, trigger, workflows, ev, facts, &eval), &eval)
	if err != nil {
		return fmt.Errorf("charge the chain of event %s: %w", eventID, err)
	}
	// Conditions saw the ticket as the event left it; runs see the changes
	// of the runs before them.
	live := &liveFacts{facts: *facts}
	for _, r := range runs {
		if err := e.startRun(ctx, tx, ws, r, live); err != nil {
			return fmt.Errorf("start run of workflow %s for event %s: %w", r.WorkflowID, eventID, err)
		}
	}
	if err := tx.SaveEvaluation(ctx, ws, eval); err != nil {
		return fmt.Errorf("save evaluation of event %s: %w", eventID, err)
	}
	tx.AfterCommit(func() { metrics.EventLag.WithLabelValues().Observe(e.Now().Sub(ev.CreatedAt).Seconds()) })
	return nil
}

// indexFrom is the number of enabled workflows of a trigger from which the
// candidate index is used. Below it every workflow is evaluated, which
// costs little and records every condition's result; above it, workflows
// the index rules out are recorded by id only.
const indexFrom = 32

// matchWorkflows evaluates ev against workflows in order and returns the
// runs to start, recording each workflow's outcome in eval.
func (e *Engine) matchWorkflows(ws int64, trigger string, workflows []*workflow.Workflow, ev helpdesk.Event, facts *condition.Facts, eval *run.Evaluation) []*run.Run {
	if len(workflows) >= indexFrom {
		return e.matchEvent(ws, trigger, workflows, ev, facts, eval)
	}
	return e.matchEach(workflows, ev, facts, eval)
}

// matchEach evaluates every workflow in order, recording each outcome in
// eval, and returns the runs to start.
func (e *Engine) matchEach(workflows []*workflow.Workflow, ev helpdesk.Event, facts *condition.Facts, eval *run.Evaluation) []*run.Run {
	var runs []*run.Run
	for _, wf := range workflows {
		if r := e.evaluateInto(wf, ev, facts, eval); r != nil {
			runs = append(runs, r)
		}
	}
	return runs
}

// evaluateInto evaluates wf, records its outcome in eval, and returns the
// run to start when it matches.
func (e *Engine) evaluateInto(wf *workflow.Workflow, ev helpdesk.Event, facts *condition.Facts, eval *run.Evaluation) *run.Run {
	result, r := e.evaluate(wf, ev, facts)
	eval.Results = append(eval.Results, result)
	return r
}

// evaluate decides whether wf runs for ev; it returns the recorded outcome
// and, when it matches, the run to start.
func (e *Engine) evaluate(wf *workflow.Workflow, ev helpdesk.Event, facts *condition.Facts) (run.WorkflowResult, *run.Run) {
	res := run.WorkflowResult{WorkflowID: wf.ID, Name: wf.Name, Conditions: noResults}
	if ev.TagID != nil && !inScope(wf.TagScope(), *ev.TagID) {
		res.Outcome, res.Detail = run.OutcomeOutOfScope, "the tag is not one of the trigger's tags"
		return res, nil
	}
	if slices.Contains(ev.Cause.WorkflowIDs, wf.ID) {
		res.Outcome, res.Detail = run.OutcomeLoop, "this workflow already ran in the chain of runs that caused the event"
		return res, nil
	}
	if ev.Cause.Depth() >= MaxChainDepth {
		res.Outcome, res.Detail = run.OutcomeDepthLimit, fmt.Sprintf("the chain of workflow runs that caused the event reached depth %d", MaxChainDepth)
		return res, nil
	}
	matched, results := condition.Match(facts, wf.ConditionMatchType, specs(wf.Conditions))
	res.Conditions = results
	if !matched {
		res.Outcome = run.OutcomeNotMatched
		return res, nil
	}
	r := e.newRun(wf, ev, facts, results)
	res.Outcome, res.RunID = run.OutcomeMatched, r.ID
	return res, r
}

// noResults is the recorded condition list of a workflow not evaluated.
var noResults = []condition.Result{}

func inScope(scope []string, tag string) bool {
	return len(scope) == 0 || slices.Contains(scope, tag)
}

func specs(conds []workflow.Condition) []condition.Spec {
	out := make([]condition.Spec, len(conds))
	for i, c := range conds {
		out[i] = condition.Spec{Type: c.Type, Parameters: c.Parameters}
	}
	return out
}

// newRun builds a run of a matching workflow: the main path always, and
// each path whose own conditions pass, each with its pending steps.
func (e *Engine) newRun(wf *workflow.Workflow, ev helpdesk.Event, facts *condition.Facts, results []condition.Result) *run.Run {
	now := e.Now()
	r := &run.Run{
		ID: helpdesk.NewID(), WorkflowID: wf.ID, WorkflowName: wf.Name, WorkflowVersion: wf.Version, TicketID: ev.TicketID,
		EventID: ev.ID, EventType: ev.Type, Status: run.StatusRunning,
		Match:     run.Match{ConditionMatchType: wf.ConditionMatchType, Matched: true, Conditions: results, Paths: []run.PathMatch{}},
		CreatedAt: now, UpdatedAt: now,
	}
	r.Cause = helpdesk.Cause{WorkflowIDs: append(slices.Clone(ev.Cause.WorkflowIDs), wf.ID), RunID: r.ID, Origin: chainOrigin(ev)}
	r.Paths = append(r.Paths, run.PathDefinition{Name: "main", Actions: wf.Actions})
	waiting := false
	for i, p := range wf.Paths {
		if readsVariables(p.Conditions) {
			// Evaluated once the main path has saved its outputs.
			waiting = true
			r.Match.Paths = append(r.Match.Paths, run.PathMatch{Index: i + 1, Name: p.Name, ConditionMatchType: p.ConditionMatchType, Conditions: []condition.Result{}, Waiting: true})
			r.Paths = append(r.Paths, run.PathDefinition{Name: p.Name, Actions: p.Actions, ConditionMatchType: p.ConditionMatchType, Conditions: p.Conditions})
			continue
		}
		matched, pathResults := condition.Match(facts, p.ConditionMatchType, specs(p.Conditions))
		r.Match.Paths = append(r.Match.Paths, run.PathMatch{Index: i + 1, Name: p.Name, Matched: matched, ConditionMatchType: p.ConditionMatchType, Conditions: pathResults})
		actions := p.Actions
		if !matched {
			actions = nil
		}
		r.Paths = append(r.Paths, run.PathDefinition{Name: p.Name, Actions: actions})
	}
	for pi, p := range r.Paths {
		if pi > 0 && r.Match.Paths[pi-1].Waiting {
			continue
		}
		r.Steps = append(r.Steps, stepsOf(r.ID, pi, p.Actions)...)
	}
	if len(r.Steps) == 0 && !waiting {
		r.Status, r.FinishedAt = run.StatusSucceeded, &now
	}
	return r
}

func readsVariables(conds []workflow.Condition) bool {
	for _, c := range conds {
		if condition.ReadsVariables(c.Type) {
			return true
		}
	}
	return false
}

func stepsOf(runID string, path int, actions []workflow.Action) []run.Step {
	out := make([]run.Step, 0, len(actions))
	for ai, a := range actions {
		out = append(out, run.Step{
			RunID: runID, Path: path, Position: ai, ActionType: a.Type, Label: a.Label,
			Status: run.StepPending, SaveAs: action.CommonOf(a.Parameters).SaveAs,
		})
	}
	return out
}

// startRun stores a new run; paths of ticket actions run right here in the
// caller's transaction, the others get one job each.
func (e *Engine) startRun(ctx context.Context, tx *storage.Tx, ws int64, r *run.Run, facts *liveFacts) error {
	trigger := triggerLabel(r.EventType)
	tx.AfterCommit(func() { metrics.RunsStarted.WithLabelValues(trigger).Inc() })
	if fullyInline(r) {
		return e.runWhole(ctx, tx, ws, r, facts)
	}
	created, err := tx.CreateRun(ctx, ws, r)
	if err != nil || !created {
		return err
	}
	if r.FinishedAt != nil {
		return e.setFinished(ctx, tx, ws, r.ID, r.EventType, r.Status, r.FinishedAt)
	}
	inlined, queued, waiting := false, false, false
	for pi, p := range r.Paths {
		if pi > 0 && r.Match.Paths[pi-1].Waiting {
			waiting = true
			continue
		}
		if len(p.Actions) == 0 {
			continue
		}
		if inlinable(r, pi) {
			if err := e.runInline(ctx, tx, ws, r, pi, facts); err != nil {
				return err
			}
			inlined = true
			continue
		}
		queued = true
		if err := e.enqueuePath(ctx, tx, ws, r, pi, "start"); err != nil {
			return err
		}
	}
	switch {
	case inlined && !queued && !waiting:
		// Every step ran here: the run is done, its steps are in memory.
		now := e.Now()
		return e.setFinished(ctx, tx, ws, r.ID, r.EventType, statusOf(r.Steps), &now)
	case inlined || len(r.Paths[run.MainPath].Actions) == 0:
		return e.settleTx(ctx, tx, ws, r.ID)
	}
	return nil
}

// startWaitingPaths evaluates the conditions of paths that read variables
// once the main path is done, and starts those that match.
func (e *Engine) startWaitingPaths(ctx context.Context, tx *storage.Tx, ws int64, r *run.Run) error {
	var waiting []int
	for i, pm := range r.Match.Paths {
		if pm.Waiting {
			waiting = append(waiting, i)
		}
	}
	if len(waiting) == 0 {
		return nil
	}
	for _, s := range r.Steps {
		if s.Path == run.MainPath && !run.StepFinal(s.Status) {
			return nil
		}
	}
	ev, err := tx.Event(ctx, ws, r.EventID)
	if err != nil {
		return err
	}
	facts, err := tx.Facts(ctx, ws, r.TicketID, ev.MessageID)
	if err != nil {
		return err
	}
	facts.Variables = rawVariables(r)
	for _, i := range waiting {
		def := r.Paths[i+1]
		matched, results := condition.Match(facts, def.ConditionMatchType, specs(def.Conditions))
		r.Match.Paths[i].Waiting, r.Match.Paths[i].Matched, r.Match.Paths[i].Conditions = false, matched, results
		if !matched || len(def.Actions) == 0 {
			continue
		}
		steps := stepsOf(r.ID, i+1, def.Actions)
		if err := tx.AddSteps(ctx, ws, r.ID, steps); err != nil {
			return err
		}
		r.Steps = append(r.Steps, steps...)
		if err := e.enqueuePath(ctx, tx, ws, r, i+1, "after main path"); err != nil {
			return err
		}
	}
	return tx.SaveRunMatch(ctx, ws, r.ID, r.Match)
}

// enqueuePath queues the job that drives path pi of r. A workspace with a
// backlog of events gets its jobs behind those of the others (a lower
// priority), so that its backlog of paths does not delay theirs.
func (e *Engine) enqueuePath(ctx context.Context, tx *storage.Tx, ws int64, r *run.Run, pi int, reason string) error {
	priority := river.PriorityDefault
	if e.queues.isBusy(ws) {
		priority = busyPriority
	}
	if err := e.queue.InsertTx(ctx, tx.Driver(), pathJob(ws, r, pi, reason), &river.InsertOpts{Priority: priority}); err != nil {
		return err
	}
	tx.AfterCommit(e.queue.Nudge)
	return nil
}

// busyPriority is the job priority of workspaces with a backlog (River
// works lower numbers first).
const busyPriority = river.PriorityDefault + 1

// pathJob is the job that drives path pi of r, bounded by its steps'
// timeouts.
func pathJob(ws int64, r *run.Run, pi int, reason string) runPathArgs {
	total := jobMargin
	for _, a := range r.Paths[pi].Actions {
		total += action.CommonOf(a.Parameters).Timeout
	}
	return runPathArgs{WorkspaceID: ws, RunID: r.ID, Path: pi, Reason: reason, TimeoutMS: total.Milliseconds()}
}
