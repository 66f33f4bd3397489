package engine

import (
	"cmp"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/deskflow/deskflow/internal/condition"
	"github.com/deskflow/deskflow/internal/helpdesk"
	"github.com/deskflow/deskflow/internal/run"
	"github.com/deskflow/deskflow/internal/workflow"
)

// Matching one event against every enabled workflow costs tens of
// nanoseconds per workflow, too much for workspaces with thousands of them
// (issue 7). Most workflows test text conditions that need a literal in the
// subject, body or sender (condition.Required); the candidate index, built
// once per slice of workflows, finds from the event's texts the few whose
// literals can occur, by their n-grams, and confirms each with
// strings.Contains. Only those, and the workflows it cannot judge, go
// through evaluate; the others are ruled out. A ruled-out workflow is one
// that evaluate would have recorded as not matched, never anything else.

// gramLen is the length in bytes of the grams literals are indexed by;
// shorter literals are indexed by themselves.
const gramLen = 3

// maxCandidateIndexes bounds the engine's cache of indexes (workspaces ×
// triggers); an index is rebuilt on its next event after eviction.
const maxCandidateIndexes = 4096

// matchEvent evaluates ev against the enabled workflows of its trigger in
// order and returns the runs to start; it appends every evaluated
// workflow's outcome to eval.Results and the ids of the workflows the index
// ruled out to eval.RuledOut.
//
// It appends so that a caller can reuse one buffer from event to event
// (eval.RuledOut = buf[:0] once the previous evaluation is saved): with
// thousands of workflows, allocating the ruled-out list is most of the
// cost. workflows should be the slice EnabledWorkflowsCached returns: the
// index is cached per slice, and any other slice costs a rebuild.
func (e *Engine) matchEvent(ws int64, trigger string, workflows []*workflow.Workflow, ev helpdesk.Event, facts *condition.Facts, eval *run.Evaluation) []*run.Run {
	if eval.RuledOut == nil {
		eval.RuledOut = []string{}
	}
	if len(workflows) == 0 || ev.Cause.Depth() >= MaxChainDepth {
		// Every workflow stops before its conditions: nothing to rule out.
		return e.matchEach(workflows, ev, facts, eval)
	}
	var runs []*run.Run
	x := e.candidates.index(ws, trigger, workflows)
	s := scans.Get().(*scan)
	defer scans.Put(s)
	x.candidates(ev, facts, s)
	mark := s.mark
	eval.RuledOut = slices.Grow(eval.RuledOut, len(workflows)-mark.count())
	// The ruled-out ids between two candidates are copied in one append.
	next := 0
	for w, word := range mark {
		for word != 0 {
			i := w<<6 + bits.TrailingZeros64(word)
			word &= word - 1
			eval.RuledOut = append(eval.RuledOut, x.ids[next:i]...)
			next = i + 1
			if r := e.evaluateInto(workflows[i], ev, facts, eval); r != nil {
				runs = append(runs, r)
			}
		}
	}
	eval.RuledOut = append(eval.RuledOut, x.ids[next:]...)
	return runs
}

type candidateKey struct {
	ws      int64
	trigger string
}

// candidateCache holds one index per workspace and trigger, valid for the
// slice of workflows it was built from. The zero value is ready to use.
type candidateCache struct {
	mu      sync.Mutex
	entries map[candidateKey]*candidateIndex
}

// index returns the index of wfs. The storage cache hands out the same
// slice while a trigger's workflows are unchanged and a new one after any
// change, so the slice's identity tells whether the cached index is
// current.
func (c *candidateCache) index(ws int64, trigger string, wfs []*workflow.Workflow) *candidateIndex {
	key := candidateKey{ws, trigger}
	c.mu.Lock()
	x := c.entries[key]
	c.mu.Unlock()
	if x != nil && x.builtFor(wfs) {
		return x
	}
	// Built outside the lock: other triggers' events need not wait. Two
	// events racing here build twice; either index is right.
	x = buildCandidateIndex(wfs)
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[candidateKey]*candidateIndex{}
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= maxCandidateIndexes {
		for k := range c.entries { // an arbitrary victim
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = x
	c.mu.Unlock()
	return x
}

// candidateIndex finds, for one slice of workflows, those an event must be
// evaluated against. It is immutable once built and shared by concurrent
// events.
type candidateIndex struct {
	// workflows is the slice the index was built for; holding it keeps its
	// array alive, so no other slice can start at the same address.
	workflows []*workflow.Workflow
	ids       []string
	// always are the workflows whose conditions need no literal.
	always bitset
	lists  []gramList // sorted by key, hence grouped by field
	byKey  map[uint32]int32
	fields [condition.NumFields]fieldLists
	// byID orders positions by workflow id, to find the workflows an
	// event's causal chain names (the loop rule) without a scan.
	byID []int32
	// scoped are the workflows with a tag scope, which a tag event outside
	// it reaches as out of scope, whatever their conditions.
	scoped []scopedWorkflow
}

// fieldLists are the lists of one field: lists[lo:hi].
type fieldLists struct {
	lo, hi int32
	// lens has bit n-1 set when some gram of the field is n bytes long.
	lens     uint8
	postings int32
}

// gramList is every literal indexed under one gram.
type gramList struct {
	key      uint32
	postings []posting
}

// posting is a literal whose presence in the field's text makes workflow
// wf a candidate.
type posting struct {
	wf      int32
	literal string
}

type scopedWorkflow struct {
	wf   int32
	tags []string
}

func (x *candidateIndex) builtFor(wfs []*workflow.Workflow) bool {
	return len(x.workflows) == len(wfs) && (len(wfs) == 0 || &x.workflows[0] == &wfs[0])
}

// gramKey packs a field and a gram of 1 to 3 bytes into one map key.
func gramKey(field condition.Field, g string) uint32 {
	k := uint32(field)<<26 | uint32(len(g))<<24
	for i := 0; i < len(g); i++ {
		k |= uint32(g[i]) << (8 * (len(g) - 1 - i))
	}
	return k
}

// guard is what a workflow's conditions need from the event's texts.
type guard int

const (
	unguarded guard = iota // no literal needed: always evaluated
	guarded                // every literal of reqs must occur (all), or one of them (any)
	never                  // the conditions are never all true / never any true
)

// guardOf reads what wf's conditions need. For all (the default), every
// condition holds, so any one literal is necessary: all are returned and
// the index picks one. For any, a literal is necessary only if every
// condition has one; conditions that are never true drop out.
func guardOf(wf *workflow.Workflow) (guard, []condition.Requirement) {
	if len(wf.Conditions) == 0 {
		return unguarded, nil // no conditions always match
	}
	matchAny := wf.ConditionMatchType == workflow.MatchAny
	var reqs []condition.Requirement
	for _, c := range wf.Conditions {
		r, ok := condition.Required(condition.Spec{Type: c.Type, Parameters: c.Parameters})
		switch {
		case !ok && matchAny:
			return unguarded, nil
		case !ok:
			continue
		case r.Never() && matchAny:
			continue
		case r.Never():
			return never, nil
		}
		reqs = append(reqs, r)
	}
	switch {
	case len(reqs) > 0:
		return guarded, reqs
	case matchAny:
		return never, nil
	}
	return unguarded, nil
}

// grams calls yield with the key of each gram a literal is indexed by.
func grams(r condition.Requirement, yield func(key uint32)) {
	if len(r.Literal) < gramLen {
		yield(gramKey(r.Field, r.Literal))
		return
	}
	for i := 0; i+gramLen <= len(r.Literal); i++ {
		yield(gramKey(r.Field, r.Literal[i:i+gramLen]))
	}
}

// choice is a literal and the gram chosen to index it.
type choice struct {
	req  condition.Requirement
	key  uint32
	freq int
}

// better reports whether a is more selective than b: a full gram rather
// than a short literal (which is common in any text), then the gram fewer
// literals share, then the longer literal (fewer false candidates).
func (a choice) better(b choice) bool {
	if as, bs := len(a.req.Literal) < gramLen, len(b.req.Literal) < gramLen; as != bs {
		return bs
	}
	if a.freq != b.freq {
		return a.freq < b.freq
	}
	return len(a.req.Literal) > len(b.req.Literal)
}

func buildCandidateIndex(wfs []*workflow.Workflow) *candidateIndex {
	n := len(wfs)
	x := &candidateIndex{
		workflows: wfs,
		ids:       make([]string, n),
		always:    newBitset(n),
		byID:      make([]int32, n),
		byKey:     map[uint32]int32{},
	}
	type pending struct {
		wf       int32
		matchAny bool
		reqs     []condition.Requirement
	}
	var todo []pending
	freq := map[uint32]int{}
	for i, wf := range wfs {
		x.ids[i], x.byID[i] = wf.ID, int32(i)
		if tags := wf.TagScope(); len(tags) > 0 {
			x.scoped = append(x.scoped, scopedWorkflow{wf: int32(i), tags: tags})
		}
		g, reqs := guardOf(wf)
		switch g {
		case unguarded:
			x.always.set(int32(i))
		case guarded:
			todo = append(todo, pending{int32(i), wf.ConditionMatchType == workflow.MatchAny, reqs})
			for _, r := range reqs {
				grams(r, func(k uint32) { freq[k]++ })
			}
		}
		// never: no posting, so the workflow is ruled out unless its scope
		// or the loop rule decide first.
	}
	slices.SortStableFunc(x.byID, func(a, b int32) int { return strings.Compare(x.ids[a], x.ids[b]) })

	best := func(r condition.Requirement) choice {
		c := choice{req: r, freq: -1}
		grams(r, func(k uint32) {
			if f := freq[k]; c.freq < 0 || f < c.freq {
				c.key, c.freq = k, f
			}
		})
		return c
	}
	postings := map[uint32][]posting{}
	for _, p := range todo {
		if p.matchAny {
			for _, r := range p.reqs {
				c := best(r)
				postings[c.key] = append(postings[c.key], posting{p.wf, r.Literal})
			}
			continue
		}
		c := best(p.reqs[0])
		for _, r := range p.reqs[1:] {
			if o := best(r); o.better(c) {
				c = o
			}
		}
		postings[c.key] = append(postings[c.key], posting{p.wf, c.req.Literal})
	}

	x.lists = make([]gramList, 0, len(postings))
	for k, ps := range postings {
		x.lists = append(x.lists, gramList{key: k, postings: ps})
	}
	slices.SortFunc(x.lists, func(a, b gramList) int { return cmp.Compare(a.key, b.key) })
	for i := range x.fields {
		x.fields[i] = fieldLists{lo: -1}
	}
	for id, l := range x.lists {
		x.byKey[l.key] = int32(id)
		fl := &x.fields[l.key>>26]
		if fl.lo < 0 {
			fl.lo = int32(id)
		}
		fl.hi = int32(id) + 1
		fl.postings += int32(len(l.postings))
		fl.lens |= 1 << (l.key>>24&3 - 1)
	}
	for i := range x.fields {
		if x.fields[i].lo < 0 {
			x.fields[i] = fieldLists{}
		}
	}
	return x
}

// candidates marks in s.mark the positions of the workflows to evaluate
// for ev: those needing no literal, those with a literal present in the
// event's texts, and those the tag scope or the loop rule stop before
// their conditions (evaluate records those outcomes).
func (x *candidateIndex) candidates(ev helpdesk.Event, facts *condition.Facts, s *scan) {
	s.mark = sized(s.mark, len(x.always))
	copy(s.mark, x.always)
	s.visitedReady = false
	for field := range condition.NumFields {
		fl := x.fields[field]
		if fl.lo == fl.hi {
			continue
		}
		text, ok := facts.Text(condition.Field(field))
		if !ok {
			continue // every text condition on the field is false
		}
		x.scanField(s, condition.Field(field), fl, text)
	}
	if ev.TagID != nil {
		for _, sw := range x.scoped {
			if !slices.Contains(sw.tags, *ev.TagID) {
				s.mark.set(sw.wf)
			}
		}
	}
	for _, id := range ev.Cause.WorkflowIDs {
		i, _ := slices.BinarySearchFunc(x.byID, id, func(p int32, id string) int { return strings.Compare(x.ids[p], id) })
		for ; i < len(x.byID) && x.ids[x.byID[i]] == id; i++ {
			s.mark.set(x.byID[i])
		}
	}
}

// scan is one event's scratch space. It is pooled: events are frequent,
// and its sets are sized by the trigger's workflows.
type scan struct {
	mark         bitset // the candidates
	visited      bitset // lists already checked (lookup route)
	visitedReady bool   // visited is sized and cleared for this event
	filter       bitset // hashed grams of one text (hashed route)
}

var scans = sync.Pool{New: func() any { return new(scan) }}

// sized returns b resized to words words, all clear.
func sized(b bitset, words int) bitset {
	if cap(b) < words {
		return make(bitset, words)
	}
	b = b[:words]
	clear(b)
	return b
}

// Ways of finding the candidates of one field.
const (
	routeVerify = iota // few literals: test each with strings.Contains
	routeLookup        // short text: look each of its grams up in the map
	routeHashed        // long text: hash its grams into a bit set, test each list's key there
)

// filterBits is the size of the hashed gram set of a long text: 8 KiB.
const filterBits = 1 << 16

func filterHash(key uint32) uint32 { return (key * 0x9E3779B1) >> 16 }

// route picks the cheapest way for a field with lists fl and a text of n
// bytes, by rough costs in nanoseconds: a strings.Contains, a map lookup
// per gram, a bit per gram plus a bit test per list.
func route(fl fieldLists, n int) int {
	g := bits.OnesCount8(fl.lens)
	verify := int(fl.postings) * (16 + n/16)
	lookup := n * g * 12
	hashed := n*g*2 + int(fl.hi-fl.lo)*2 + 300
	switch {
	case verify <= lookup && verify <= hashed:
		return routeVerify
	case lookup <= hashed:
		return routeLookup
	}
	return routeHashed
}

// scanField marks the workflows with a literal present in text.
func (x *candidateIndex) scanField(s *scan, field condition.Field, fl fieldLists, text string) {
	x.scanFieldBy(route(fl, len(text)), s, field, fl, text)
}

// scanFieldBy is scanField by a given route; all routes mark the same.
func (x *candidateIndex) scanFieldBy(how int, s *scan, field condition.Field, fl fieldLists, text string) {
	switch how {
	case routeVerify:
		for id := fl.lo; id < fl.hi; id++ {
			x.verify(id, text, s.mark)
		}
	case routeLookup:
		if !s.visitedReady {
			s.visited, s.visitedReady = sized(s.visited, (len(x.lists)+63)/64), true
		}
		for i := 0; i < len(text); i++ { // every byte: grams may start inside a rune
			for n := 1; n <= gramLen && i+n <= len(text); n++ {
				if fl.lens&(1<<(n-1)) == 0 {
					continue
				}
				id, ok := x.byKey[gramKey(field, text[i:i+n])]
				if !ok || s.visited.has(id) {
					continue
				}
				s.visited.set(id)
				x.verify(id, text, s.mark)
			}
		}
	case routeHashed:
		s.filter = sized(s.filter, filterBits/64)
		for i := 0; i < len(text); i++ {
			for n := 1; n <= gramLen && i+n <= len(text); n++ {
				if fl.lens&(1<<(n-1)) != 0 {
					s.filter.set(int32(filterHash(gramKey(field, text[i:i+n]))))
				}
			}
		}
		for id := fl.lo; id < fl.hi; id++ {
			if s.filter.has(int32(filterHash(x.lists[id].key))) {
				x.verify(id, text, s.mark)
			}
		}
	}
}

// verify marks the workflows of list id whose literal text contains: the
// gram was only a hint.
func (x *candidateIndex) verify(id int32, text string, mark bitset) {
	for _, p := range x.lists[id].postings {
		if !mark.has(p.wf) && strings.Contains(text, p.literal) {
			mark.set(p.wf)
		}
	}
}

// bitset is a set of small non-negative integers.
type bitset []uint64

func newBitset(n int) bitset      { return make(bitset, (n+63)/64) }
func (b bitset) set(i int32)      { b[i>>6] |= 1 << (i & 63) }
func (b bitset) has(i int32) bool { return b[i>>6]&(1<<(i&63)) != 0 }
func (b bitset) count() (n int) {
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}
