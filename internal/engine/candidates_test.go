package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/workflow"
)

// factsFunc returns fresh facts (with an empty normalization cache) for the
// same ticket, message, contact and channel, so that the index and the
// linear evaluation do not share what either computed.
type factsFunc func() *condition.Facts

// outcome is what matching one event produced.
type outcome struct {
	results  []run.WorkflowResult
	ruledOut []string
	runs     []*run.Run
}

func linearMatch(e *Engine, wfs []*workflow.Workflow, ev helpdesk.Event, facts *condition.Facts) outcome {
	var o outcome
	for _, wf := range wfs {
		res, r := e.evaluate(wf, ev, facts)
		o.results = append(o.results, res)
		if r != nil {
			o.runs = append(o.runs, r)
		}
	}
	return o
}

func indexMatch(e *Engine, ws int64, trigger string, wfs []*workflow.Workflow, ev helpdesk.Event, facts *condition.Facts) outcome {
	eval := run.Evaluation{Results: []run.WorkflowResult{}}
	runs := e.matchEvent(ws, trigger, wfs, ev, facts, &eval)
	return outcome{results: eval.Results, ruledOut: eval.RuledOut, runs: runs}
}

// sameAsLinear matches ev with the index and linearly and fails unless:
// the same workflows match, in order; every workflow is either evaluated
// (with the very result linear evaluation records) or ruled out, in order;
// and every ruled-out workflow is one that linear evaluation records as
// not matched. It returns how many were ruled out and how many matched.
func sameAsLinear(t testing.TB, e *Engine, ws int64, trigger string, wfs []*workflow.Workflow, ev helpdesk.Event, facts factsFunc) (ruledOut, matched int) {
	t.Helper()
	want := linearMatch(e, wfs, ev, facts())
	got := indexMatch(e, ws, trigger, wfs, ev, facts())
	ids := func(runs []*run.Run) (out []string) {
		for _, r := range runs {
			out = append(out, r.WorkflowName)
		}
		return out
	}
	if g, w := ids(got.runs), ids(want.runs); !slices.Equal(g, w) {
		t.Fatalf("event %s: index runs %v, linear runs %v", describeEvent(ev, facts()), g, w)
	}
	if got.ruledOut == nil {
		t.Fatalf("RuledOut is nil")
	}
	ri, oi := 0, 0
	for i, wf := range wfs {
		lin := want.results[i]
		switch {
		case ri < len(got.results) && got.results[ri].WorkflowID == wf.ID:
			res := got.results[ri]
			ri++
			if (res.RunID == "") != (lin.RunID == "") {
				t.Fatalf("workflow %d (%s): index run id %q, linear %q", i, wf.Name, res.RunID, lin.RunID)
			}
			res.RunID, lin.RunID = "", ""
			if !reflect.DeepEqual(res, lin) {
				t.Fatalf("workflow %d (%s) on %s:\nindex  %+v\nlinear %+v", i, wf.Name, describeEvent(ev, facts()), res, lin)
			}
		case oi < len(got.ruledOut) && got.ruledOut[oi] == wf.ID:
			oi++
			if lin.Outcome != run.OutcomeNotMatched {
				t.Fatalf("workflow %d (%s) %s was ruled out on %s, but linear evaluation records %s %v",
					i, wf.Name, describeWorkflow(wf), describeEvent(ev, facts()), lin.Outcome, lin.Conditions)
			}
		default:
			t.Fatalf("workflow %d (%s) is neither evaluated nor ruled out in order (results %d, ruled out %d)", i, wf.Name, len(got.results), len(got.ruledOut))
		}
	}
	if ri != len(got.results) || oi != len(got.ruledOut) {
		t.Fatalf("%d results and %d ruled out for %d workflows", len(got.results), len(got.ruledOut), len(wfs))
	}
	for i, r := range got.runs {
		if r.ID == "" || !slices.ContainsFunc(got.results, func(res run.WorkflowResult) bool { return res.RunID == r.ID }) {
			t.Fatalf("run %d (%s) has no result naming it", i, r.WorkflowID)
		}
	}
	return len(got.ruledOut), len(got.runs)
}

func describeEvent(ev helpdesk.Event, f *condition.Facts) string {
	var b strings.Builder
	if f.Ticket != nil {
		fmt.Fprintf(&b, "subject=%q tags=%q ", f.Ticket.Subject, f.Ticket.TagIDs)
	}
	if f.Message != nil {
		fmt.Fprintf(&b, "body=%q sender=%q ", f.Message.Body, f.Message.SenderEmail)
	}
	if f.Contact != nil {
		fmt.Fprintf(&b, "contact=%q ", f.Contact.Email)
	}
	if ev.TagID != nil {
		fmt.Fprintf(&b, "tag=%q ", *ev.TagID)
	}
	fmt.Fprintf(&b, "cause=%q first=%v", ev.Cause.WorkflowIDs, f.IsFirstMessage)
	return b.String()
}

func describeWorkflow(wf *workflow.Workflow) string {
	var parts []string
	for _, c := range wf.Conditions {
		parts = append(parts, fmt.Sprintf("%s(%#v)", c.Type, c.Parameters["value"]))
	}
	return fmt.Sprintf("%s[%s] scope=%v", wf.ConditionMatchType, strings.Join(parts, ", "), wf.TagScope())
}

func cond(typ string, v any) workflow.Condition {
	return workflow.Condition{Type: typ, Parameters: map[string]any{"value": v}}
}

func newWorkflow(name, matchType string, conds ...workflow.Condition) *workflow.Workflow {
	return &workflow.Workflow{
		ID: helpdesk.NewID(), Name: name, TriggerType: workflow.TriggerInboundMessage, ConditionMatchType: matchType, IsEnabled: true,
		Conditions: conds, Actions: []workflow.Action{{Type: "set_priority", Parameters: map[string]any{"priority": "high"}}},
	}
}

func inbound(f *condition.Facts) helpdesk.Event {
	ev := helpdesk.Event{ID: helpdesk.NewID(), Type: helpdesk.EventInboundMessage}
	if f.Ticket != nil {
		ev.TicketID = f.Ticket.ID
	}
	if f.Message != nil {
		ev.MessageID = &f.Message.ID
	}
	return ev
}

// factsOf returns a factsFunc for a subject, body and sender; a nil
// pointer leaves the ticket or message out.
func factsOf(subject, body *string, sender string) factsFunc {
	return func() *condition.Facts {
		f := &condition.Facts{}
		if subject != nil {
			f.Ticket = &helpdesk.Ticket{ID: "tkt_1", Subject: *subject, TagIDs: []string{}}
		}
		if body != nil {
			f.Message = &helpdesk.Message{ID: "msg_1", Body: *body, SenderEmail: sender}
		}
		return f
	}
}

func ptr(s string) *string { return &s }

// vocabulary of texts and values: case and Unicode variants of one another
// (ΚΩΔΙΚΟΣ/κωδικος, ß/ẞ, ſ/s/S, K/k/Kelvin sign), short literals, blanks,
// invalid UTF-8 and email parts, so that many conditions are true.
var vocabulary = []string{
	"refund", "REFUND", "Refund ", "order", "ORDER 42", "kw1", "kw12", "ΚΩΔΙΚΟΣ", "κωδικος", "ς", "ß", "ẞ", "ss", "ſale", "SALE",
	"K", "\u212a", "k", "a", "ab", "é", "É", "e\u0301", "日本", "本", "\xff", "@", "example.com", "EXAMPLE.COM", "b.io",
	"x@b.io", "X@B.IO ", "", " ", "\t\n",
}

func randText(r *rand.Rand, words int) string {
	seps := []string{" ", "", ",", "\n", "@", "."}
	var b strings.Builder
	for i := range r.IntN(words + 1) {
		if i > 0 {
			b.WriteString(seps[r.IntN(len(seps))])
		}
		b.WriteString(vocabulary[r.IntN(len(vocabulary))])
	}
	return b.String()
}

var randTags = []string{"tag_a", "tag_b", "tag_c"}

func randCondition(r *rand.Rand) workflow.Condition {
	textTypes := []string{"subject_contains", "subject_equals", "body_contains", "from_email_contains", "from_email_equals", "from_domain_equals"}
	if r.IntN(5) > 0 {
		typ := textTypes[r.IntN(len(textTypes))]
		switch r.IntN(20) {
		case 0:
			return cond(typ, 42) // not a string: never true
		case 1:
			return workflow.Condition{Type: typ, Parameters: map[string]any{}}
		}
		return cond(typ, randText(r, 2))
	}
	switch r.IntN(8) {
	case 0:
		return cond("has_tag", randTags[r.IntN(len(randTags))])
	case 1:
		return cond("does_not_have_tag", randTags[r.IntN(len(randTags))])
	case 2:
		return workflow.Condition{Type: "is_first_message", Parameters: map[string]any{}}
	case 3:
		return workflow.Condition{Type: "contact_is_new", Parameters: map[string]any{}}
	case 4:
		return cond("channel_type_is", "email")
	case 5:
		return workflow.Condition{Type: "variable_equals", Parameters: map[string]any{"name": "x", "value": "y"}}
	case 6:
		return cond("no_such_type", "refund")
	}
	return cond("channel_is", "ch_1")
}

func randWorkflows(r *rand.Rand, n int) []*workflow.Workflow {
	matchTypes := []string{workflow.MatchAll, workflow.MatchAny, "", workflow.MatchAny}
	wfs := make([]*workflow.Workflow, n)
	for i := range wfs {
		conds := make([]workflow.Condition, r.IntN(5))
		for j := range conds {
			conds[j] = randCondition(r)
		}
		wfs[i] = newWorkflow(fmt.Sprint("w", i), matchTypes[r.IntN(len(matchTypes))], conds...)
		if r.IntN(6) == 0 {
			var scope []any
			for _, tag := range randTags {
				if r.IntN(2) == 0 {
					scope = append(scope, tag)
				}
			}
			wfs[i].TriggerParameters = map[string]any{"tags": scope}
		}
	}
	return wfs
}

func randEvent(r *rand.Rand, wfs []*workflow.Workflow) (helpdesk.Event, factsFunc) {
	subject, body, sender, contactEmail := randText(r, 3), randText(r, 6), randText(r, 2), randText(r, 2)
	present := r.IntN(16)
	tags := []string{}
	for _, tag := range randTags {
		if r.IntN(2) == 0 {
			tags = append(tags, tag)
		}
	}
	first, isNew := r.IntN(2) == 0, r.IntN(2) == 0
	facts := func() *condition.Facts {
		f := &condition.Facts{IsFirstMessage: first, ContactIsNew: isNew}
		if present&1 != 0 || present == 0 {
			f.Ticket = &helpdesk.Ticket{ID: "tkt_1", Subject: subject, TagIDs: tags}
		}
		if present&2 != 0 {
			f.Message = &helpdesk.Message{ID: "msg_1", Body: body, SenderEmail: sender}
		}
		if present&4 != 0 {
			f.Contact = &helpdesk.Contact{ID: "con_1", Email: contactEmail}
		}
		if present&8 != 0 {
			f.Channel = &helpdesk.Channel{ID: "ch_1", Type: helpdesk.ChannelEmail}
		}
		return f
	}
	ev := inbound(facts())
	if r.IntN(4) == 0 {
		ev.Type = helpdesk.EventTagAdded
		ev.TagID = &randTags[r.IntN(len(randTags))]
	}
	if r.IntN(4) == 0 {
		depth := r.IntN(4)
		if r.IntN(5) == 0 {
			depth = MaxChainDepth + r.IntN(2)
		}
		for range depth {
			ev.Cause.WorkflowIDs = append(ev.Cause.WorkflowIDs, wfs[r.IntN(len(wfs))].ID)
		}
	}
	return ev, facts
}

// TestCandidatesMatchLinear: over random workflows and events, the index
// changes nothing but which non-matching workflows are evaluated.
func TestCandidatesMatchLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	e := &Engine{now: time.Now}
	ruledOut, matched, evaluated := 0, 0, 0
	for round := range 40 {
		wfs := randWorkflows(r, 1+r.IntN(300))
		for range 50 {
			ev, facts := randEvent(r, wfs)
			ro, m := sameAsLinear(t, e, int64(round%3), workflow.TriggerInboundMessage, wfs, ev, facts)
			sameByEveryRoute(t, e.candidates.index(int64(round%3), workflow.TriggerInboundMessage, wfs), facts())
			ruledOut, matched, evaluated = ruledOut+ro, matched+m, evaluated+len(wfs)-ro
		}
	}
	t.Logf("%d ruled out, %d evaluated, %d matched", ruledOut, evaluated, matched)
	// Guard against a generator that never exercises the index.
	if ruledOut < 10000 || matched < 10000 || evaluated-matched < 10000 {
		t.Errorf("weak test: %d ruled out, %d evaluated, %d matched", ruledOut, evaluated, matched)
	}
}

// outcomeOf returns the evaluated outcome of workflow id, or "ruled out".
func (o outcome) outcomeOf(id string) string {
	for _, res := range o.results {
		if res.WorkflowID == id {
			return res.Outcome
		}
	}
	if slices.Contains(o.ruledOut, id) {
		return "ruled out"
	}
	return "missing"
}

func TestCandidatesCases(t *testing.T) {
	const ruled = "ruled out"
	type want map[int]string // workflow position → outcome
	cases := []struct {
		name  string
		wfs   []*workflow.Workflow
		facts factsFunc
		tweak func(ev *helpdesk.Event, wfs []*workflow.Workflow)
		want  want
	}{
		{
			name: "any with a condition without literal is always evaluated",
			wfs: []*workflow.Workflow{
				newWorkflow("any", workflow.MatchAny, cond("body_contains", "zzz"), workflow.Condition{Type: "is_first_message"}),
				newWorkflow("any literals", workflow.MatchAny, cond("body_contains", "zzz"), cond("subject_contains", "yyy")),
				newWorkflow("all", workflow.MatchAll, cond("body_contains", "zzz"), workflow.Condition{Type: "is_first_message"}),
			},
			facts: factsOf(ptr("subject"), ptr("hello"), "a@b.io"),
			want:  want{0: run.OutcomeNotMatched, 1: ruled, 2: ruled},
		},
		{
			name: "blank values",
			wfs: []*workflow.Workflow{
				newWorkflow("all blank", workflow.MatchAll, cond("body_contains", "hello"), cond("subject_contains", "  ")),
				newWorkflow("any blank and present", workflow.MatchAny, cond("body_contains", "  "), cond("body_contains", "HELLO")),
				newWorkflow("any all blank", workflow.MatchAny, cond("body_contains", " "), cond("subject_equals", 7)),
				newWorkflow("no conditions, any", workflow.MatchAny),
				newWorkflow("no conditions, all", workflow.MatchAll),
			},
			facts: factsOf(ptr("subject"), ptr("hello"), "a@b.io"),
			want:  want{0: ruled, 1: run.OutcomeMatched, 2: ruled, 3: run.OutcomeMatched, 4: run.OutcomeMatched},
		},
		{
			name: "tag scope decides before the index",
			wfs: func() []*workflow.Workflow {
				out := newWorkflow("out of scope", workflow.MatchAll, cond("body_contains", "zzz"))
				out.TriggerParameters = map[string]any{"tags": []any{"tag_a"}}
				in := newWorkflow("in scope", workflow.MatchAll, cond("body_contains", "zzz"))
				in.TriggerParameters = map[string]any{"tags": []any{"tag_b", "tag_a"}}
				never := newWorkflow("out of scope, never", workflow.MatchAll, cond("body_contains", ""))
				never.TriggerParameters = map[string]any{"tags": []any{"tag_c"}}
				return []*workflow.Workflow{out, in, newWorkflow("unscoped", workflow.MatchAll, cond("body_contains", "zzz")), never}
			}(),
			facts: factsOf(ptr("subject"), ptr("hello"), ""),
			tweak: func(ev *helpdesk.Event, _ []*workflow.Workflow) {
				ev.Type, ev.TagID = helpdesk.EventTagAdded, ptr("tag_b")
			},
			want: want{0: run.OutcomeOutOfScope, 1: ruled, 2: ruled, 3: run.OutcomeOutOfScope},
		},
		{
			name: "loop rule decides before the index",
			wfs: []*workflow.Workflow{
				newWorkflow("ran before", workflow.MatchAll, cond("body_contains", "zzz")),
				newWorkflow("did not", workflow.MatchAll, cond("body_contains", "zzz")),
			},
			facts: factsOf(ptr("subject"), ptr("hello"), ""),
			tweak: func(ev *helpdesk.Event, wfs []*workflow.Workflow) {
				ev.Cause.WorkflowIDs = []string{"wf_other", wfs[0].ID}
			},
			want: want{0: run.OutcomeLoop, 1: ruled},
		},
		{
			name: "depth limit applies to all",
			wfs: []*workflow.Workflow{
				newWorkflow("absent", workflow.MatchAll, cond("body_contains", "zzz")),
				newWorkflow("present", workflow.MatchAll, cond("body_contains", "hello")),
			},
			facts: factsOf(ptr("subject"), ptr("hello"), ""),
			tweak: func(ev *helpdesk.Event, _ []*workflow.Workflow) {
				for i := range MaxChainDepth {
					ev.Cause.WorkflowIDs = append(ev.Cause.WorkflowIDs, fmt.Sprint("wf_", i))
				}
			},
			want: want{0: run.OutcomeDepthLimit, 1: run.OutcomeDepthLimit},
		},
		{
			name: "nil message",
			wfs: []*workflow.Workflow{
				newWorkflow("body", workflow.MatchAll, cond("body_contains", "x")),
				newWorkflow("body or subject", workflow.MatchAny, cond("body_contains", "x"), cond("subject_contains", "Y")),
				newWorkflow("sender", workflow.MatchAll, cond("from_email_contains", "@")),
			},
			facts: factsOf(ptr("xyz"), nil, ""),
			want:  want{0: ruled, 1: run.OutcomeMatched, 2: ruled},
		},
		{
			name: "short literals",
			wfs: []*workflow.Workflow{
				newWorkflow("a", workflow.MatchAll, cond("body_contains", "A")),
				newWorkflow("é", workflow.MatchAll, cond("body_contains", "É")),
				newWorkflow("ab", workflow.MatchAll, cond("body_contains", "ab")),
				newWorkflow("z", workflow.MatchAll, cond("body_contains", "z")),
				newWorkflow("日", workflow.MatchAll, cond("subject_contains", "日")),
				newWorkflow("ς", workflow.MatchAll, cond("subject_contains", "Σ")),
				newWorkflow("q", workflow.MatchAll, cond("subject_contains", "q")),
			},
			facts: factsOf(ptr("日本 ΟΔΟΣ"), ptr("é...ab"), ""),
			want:  want{0: run.OutcomeMatched, 1: run.OutcomeMatched, 2: run.OutcomeMatched, 3: ruled, 4: run.OutcomeMatched, 5: run.OutcomeMatched, 6: ruled},
		},
		{
			name: "literal spanning the whole text",
			wfs: []*workflow.Workflow{
				newWorkflow("subject equals", workflow.MatchAll, cond("subject_equals", " WHERE is my order? ")),
				newWorkflow("body contains", workflow.MatchAll, cond("body_contains", "κωδικος")),
				newWorkflow("longer than the text", workflow.MatchAll, cond("body_contains", "κωδικος!")),
				newWorkflow("domain", workflow.MatchAll, cond("from_domain_equals", "@EXAMPLE.com")),
				newWorkflow("email equals", workflow.MatchAll, cond("from_email_equals", "al@example.COM")),
				newWorkflow("domain, not the email", workflow.MatchAll, cond("from_domain_equals", "al@example.com")),
			},
			facts: factsOf(ptr("Where is my order?"), ptr("ΚΩΔΙΚΟΣ"), " Al@Example.com"),
			want:  want{0: run.OutcomeMatched, 1: run.OutcomeMatched, 2: ruled, 3: run.OutcomeMatched, 4: run.OutcomeMatched, 5: ruled},
		},
		{
			name: "every gram present, the literal absent",
			wfs: []*workflow.Workflow{
				newWorkflow("abcd", workflow.MatchAll, cond("body_contains", "abcd")),
				newWorkflow("abcd in the subject", workflow.MatchAny, cond("subject_contains", "abcd"), cond("body_contains", "xbcdx")),
				newWorkflow("bcd", workflow.MatchAll, cond("body_contains", "bcd")),
			},
			facts: factsOf(ptr("bcd abc"), ptr("abc-bcd"), ""),
			want:  want{0: ruled, 1: ruled, 2: run.OutcomeMatched},
		},
		{
			name: "all picks one literal; the others are still evaluated",
			wfs: []*workflow.Workflow{
				newWorkflow("one absent", workflow.MatchAll, cond("body_contains", "hello"), cond("subject_contains", "absent")),
				newWorkflow("both present", workflow.MatchAll, cond("body_contains", "hello"), cond("subject_contains", "subj")),
				newWorkflow("present but tag", workflow.MatchAll, cond("body_contains", "hello"), cond("has_tag", "tag_a")),
			},
			facts: factsOf(ptr("subject"), ptr("hello"), ""),
			want:  want{0: "", 1: run.OutcomeMatched, 2: run.OutcomeNotMatched}, // "": either
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := &Engine{now: time.Now}
			ev := inbound(c.facts())
			if c.tweak != nil {
				c.tweak(&ev, c.wfs)
			}
			sameAsLinear(t, e, 1, workflow.TriggerInboundMessage, c.wfs, ev, c.facts)
			got := indexMatch(e, 1, workflow.TriggerInboundMessage, c.wfs, ev, c.facts())
			for i, w := range c.want {
				if o := got.outcomeOf(c.wfs[i].ID); w != "" && o != w {
					t.Errorf("%s: %s, want %s", c.wfs[i].Name, o, w)
				}
			}
		})
	}
}

// The index is built once per slice and rebuilt when the trigger's slice
// changes (the storage cache hands out a new one after any change).
func TestCandidateCache(t *testing.T) {
	var c candidateCache
	wfs := []*workflow.Workflow{
		newWorkflow("a", workflow.MatchAll, cond("body_contains", "alpha")),
		newWorkflow("b", workflow.MatchAll, cond("body_contains", "beta")),
	}
	x := c.index(1, workflow.TriggerInboundMessage, wfs)
	if c.index(1, workflow.TriggerInboundMessage, wfs) != x {
		t.Fatal("the index of an unchanged slice was rebuilt")
	}
	if c.index(2, workflow.TriggerInboundMessage, wfs) == x || c.index(1, workflow.TriggerNewTicket, wfs) == x {
		t.Fatal("workspaces or triggers share an index")
	}
	if c.index(1, workflow.TriggerInboundMessage, wfs) != x {
		t.Fatal("another key replaced the index")
	}
	if c.index(1, workflow.TriggerInboundMessage, wfs[:1]) == x {
		t.Fatal("a shorter slice of the same array got the old index")
	}
	changed := slices.Clone(wfs)
	changed[1] = newWorkflow("b2", workflow.MatchAll, cond("body_contains", "gamma"))
	y := c.index(1, workflow.TriggerInboundMessage, changed)
	if y == x || !y.builtFor(changed) {
		t.Fatal("a new slice got the old index")
	}

	// matchEvent sees the new workflows.
	e := &Engine{now: time.Now}
	facts := factsOf(ptr("s"), ptr("gamma ray"), "")
	ev := inbound(facts())
	for _, w := range [][]*workflow.Workflow{wfs, changed, wfs} {
		sameAsLinear(t, e, 1, workflow.TriggerInboundMessage, w, ev, facts)
	}
	if got := indexMatch(e, 1, workflow.TriggerInboundMessage, changed, ev, facts()); len(got.runs) != 1 || got.runs[0].WorkflowID != changed[1].ID {
		t.Fatalf("runs %v, want b2's", got.runs)
	}

	// The cache is bounded.
	for i := range maxCandidateIndexes + 10 {
		c.index(int64(i), workflow.TriggerInboundMessage, wfs)
	}
	if n := len(c.entries); n > maxCandidateIndexes {
		t.Fatalf("%d cached indexes, bound %d", n, maxCandidateIndexes)
	}
}

// Every way of finding a field's candidates (testing each literal, map
// lookups for short texts, a hashed set for long ones) finds the same.
func TestCandidatesRoutes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	e := &Engine{now: time.Now}
	many := randWorkflows(r, 200)
	for i := range 100 {
		many = append(many, newWorkflow(fmt.Sprint("kw", i), workflow.MatchAll, cond("body_contains", fmt.Sprintf("kw%d ", i))))
	}
	few := append(randWorkflows(r, 6), many[len(many)-3:]...)
	var routes [3]int
	for _, wfs := range [][]*workflow.Workflow{many, few} {
		x := e.candidates.index(1, workflow.TriggerInboundMessage, wfs)
		for _, size := range []int{0, 10, 50, 300, 5000} {
			for range 20 {
				body := randText(r, 3)
				for len(body) < size {
					body += randText(r, 3) + fmt.Sprintf(" kw%d ", r.IntN(120))
				}
				routes[route(x.fields[condition.FieldBody], len(normalizeForTest(body)))]++
				facts := factsOf(ptr(randText(r, 3)), &body, "x@b.io")
				sameAsLinear(t, e, 1, workflow.TriggerInboundMessage, wfs, inbound(facts()), facts)
			}
		}
	}
	if slices.Contains(routes[:], 0) {
		t.Fatalf("routes taken (verify, lookup, hashed): %v; want each", routes)
	}
}

func normalizeForTest(s string) string {
	text, _ := (&condition.Facts{Message: &helpdesk.Message{Body: s}}).Text(condition.FieldBody)
	return text
}

// FuzzCandidates compares the index with linear evaluation on workflows
// built from one fuzzed literal (whole, halves, cut inside a rune) over
// fuzzed texts.
func FuzzCandidates(f *testing.F) {
	f.Add("Where is my order?", "Hello, order kw3 and kw7 did not arrive", "a@example.com", "kw3 ", uint8(0))
	f.Add("ΞΕΧΑΣΑ ΤΟΝ ΚΩΔΙΚΟΣ", "ſale ended", "X@B.io", "κωδικος", uint8(1))
	f.Add("Straße", "STRAẞE", "", "ß", uint8(2))
	f.Add("ab", "é", "@", "É", uint8(3))
	f.Add(" x ", "\xff\xfe", "a@b@c", "\xff", uint8(4))
	f.Add("bcd abc", "abc-bcd", "al@example.com", "abcd", uint8(21))
	f.Fuzz(func(t *testing.T, subject, body, sender, literal string, shape uint8) {
		for _, s := range []*string{&subject, &body, &sender, &literal} {
			if len(*s) > 64 {
				*s = (*s)[:64]
			}
		}
		half := len(literal) / 2
		var wfs []*workflow.Workflow
		for _, typ := range []string{"subject_contains", "subject_equals", "body_contains", "from_email_contains", "from_email_equals", "from_domain_equals"} {
			wfs = append(wfs,
				newWorkflow(typ, workflow.MatchAll, cond(typ, literal)),
				newWorkflow(typ+" halves", workflow.MatchAll, cond(typ, literal[:half]), cond("body_contains", literal[half:])),
				newWorkflow(typ+" or", workflow.MatchAny, cond(typ, literal[half:]), cond("subject_contains", literal[:half])),
				newWorkflow(typ+" cut", workflow.MatchAll, cond(typ, literal[min(1, len(literal)):])))
		}
		wfs = append(wfs,
			newWorkflow("or first message", workflow.MatchAny, cond("body_contains", literal), workflow.Condition{Type: "is_first_message"}),
			newWorkflow("none", workflow.MatchAll))
		scoped := newWorkflow("scoped", workflow.MatchAll, cond("body_contains", literal))
		scoped.TriggerParameters = map[string]any{"tags": []any{"tag_a"}}
		wfs = append(wfs, scoped)

		facts := func() *condition.Facts {
			fs := &condition.Facts{IsFirstMessage: shape&1 != 0}
			if shape&2 == 0 {
				fs.Ticket = &helpdesk.Ticket{ID: "tkt_1", Subject: subject, TagIDs: []string{}}
			}
			if shape&4 == 0 {
				fs.Message = &helpdesk.Message{ID: "msg_1", Body: body, SenderEmail: sender}
			}
			if shape&8 != 0 {
				fs.Contact = &helpdesk.Contact{ID: "con_1", Email: sender}
			}
			return fs
		}
		ev := inbound(facts())
		if shape&16 != 0 {
			ev.TagID = ptr("tag_b")
		}
		if shape&32 != 0 {
			ev.Cause.WorkflowIDs = []string{wfs[int(shape)%len(wfs)].ID}
		}
		sameAsLinear(t, &Engine{now: time.Now}, 1, workflow.TriggerInboundMessage, wfs, ev, facts)
		sameByEveryRoute(t, buildCandidateIndex(wfs), facts())
	})
}

// sameByEveryRoute fails unless the three ways of scanning a field mark the
// same workflows, for each field of the facts.
func sameByEveryRoute(t *testing.T, x *candidateIndex, facts *condition.Facts) {
	t.Helper()
	for field := range condition.NumFields {
		fl := x.fields[field]
		text, ok := facts.Text(condition.Field(field))
		if !ok || fl.lo == fl.hi {
			continue
		}
		var marks [3]bitset
		for how := range marks {
			s := &scan{mark: newBitset(len(x.ids))}
			x.scanFieldBy(how, s, condition.Field(field), fl, text)
			marks[how] = s.mark
		}
		if !slices.Equal(marks[0], marks[1]) || !slices.Equal(marks[0], marks[2]) {
			t.Fatalf("field %d text %q: verify marks %b, lookup %b, hashed %b", field, text, marks[0], marks[1], marks[2])
		}
	}
}

// Events of several workers share the engine's indexes and scratch pool.
func TestCandidatesConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	e := &Engine{now: time.Now}
	slicesOf := [][]*workflow.Workflow{randWorkflows(r, 100), randWorkflows(r, 300), randWorkflows(r, 5)}
	type job struct {
		wfs   []*workflow.Workflow
		ev    helpdesk.Event
		facts factsFunc
	}
	var jobs []job
	for i := range 200 {
		wfs := slicesOf[i%len(slicesOf)]
		ev, facts := randEvent(r, wfs)
		jobs = append(jobs, job{wfs, ev, facts})
	}
	for w := range 4 {
		t.Run(fmt.Sprint("worker", w), func(t *testing.T) {
			t.Parallel()
			for i := w; i < len(jobs); i += 4 {
				j := jobs[i]
				// One key for all: the slices replace one another.
				sameAsLinear(t, e, 1, workflow.TriggerInboundMessage, j.wfs, j.ev, j.facts)
			}
		})
	}
}
