package builtin

import (
	"hash/maphash"
	"math"
	"sort"
	"sync"
)

// modelParams are the classifier's hyper-parameters. The defaults were chosen
// by cross-validation on testdata/tickets.json (see README.md); tests vary
// them.
type modelParams struct {
	subjectWeight    int     // a subject term counts this many times
	keywordWeight    float64 // weight of the keyword vector of a category with no history, in examples
	backgroundWeight float64 // weight of the all-tickets vector of a category with no history, in examples
	temperature      float64 // relative similarities are divided by this before the softmax
}

var defaultParams = modelParams{
	subjectWeight:    2,
	keywordWeight:    3,
	backgroundWeight: 3,
	temperature:      0.07,
}

// classifierTerms gives the terms the classifier sees: words, stemmed, with
// numbers folded to "0", and stop words kept, since inverse document
// frequency already gives them little weight and some of them do tell a
// category ("you", "we", "thanks").
func classifierTerms(s string) []string {
	ws := words(s)
	for i, w := range ws {
		if isNumber(w) {
			ws[i] = "0"
		} else {
			ws[i] = stem(w)
		}
	}
	return ws
}

// docTerms gives the weighted terms of a ticket.
func docTerms(p modelParams, subject, body string) map[string]float64 {
	tf := map[string]float64{}
	for _, t := range classifierTerms(subject) {
		tf[t] += float64(p.subjectWeight)
	}
	for _, t := range classifierTerms(body) {
		tf[t]++
	}
	return tf
}

// centroidModel is a TF-IDF nearest-centroid classifier over a fixed list of
// categories. It is immutable once trained, so safe for concurrent use.
type centroidModel struct {
	params    modelParams
	cats      []string // normalized category names, in request order
	counts    []int    // labelled examples per category
	docs      int      // labelled examples in all
	idf       map[string]float64
	centroids []map[string]float64 // unit vectors
}

// trainModel builds the model for cats (normalized, distinct) from the examples
// whose label is one of them. A ticket is the vector of its terms weighted
// (1+ln tf)·idf, with idf = 1+ln((N+1)/(df+1)) over the N examples, scaled
// to unit length; a category's centroid is the sum of its examples'
// vectors, scaled to unit length.
//
// A category with fewer than minExamples examples is thin: the unit vector
// of its keywords (its name and its keyword list) is added to its sum as if
// it were keywordWeight examples when the category has none, falling
// linearly to 0 examples' worth at minExamples. A category with no history
// at all is thus its keyword list, and one with a little history is pulled
// toward it.
func trainModel(p modelParams, examples []Example, cats []string, keywords map[string][]string, minExamples int) *centroidModel {
	m := &centroidModel{
		params:    p,
		cats:      cats,
		counts:    make([]int, len(cats)),
		idf:       map[string]float64{},
		centroids: make([]map[string]float64, len(cats)),
	}
	index := make(map[string]int, len(cats))
	for i, c := range cats {
		index[c] = i
	}
	type doc struct {
		ci int
		tf map[string]float64
	}
	var docs []doc
	df := map[string]int{}
	for _, ex := range examples {
		ci, ok := index[normLabel(ex.Label)]
		if !ok {
			continue
		}
		m.counts[ci]++
		tf := docTerms(p, ex.Subject, ex.Body)
		for t := range tf {
			df[t]++
		}
		docs = append(docs, doc{ci, tf})
	}
	m.docs = len(docs)
	for t, d := range df {
		m.idf[t] = m.termIDF(d)
	}
	for ci := range m.centroids {
		m.centroids[ci] = map[string]float64{}
	}
	background := map[string]float64{}
	for _, d := range docs {
		for t, w := range m.vector(d.tf) {
			m.centroids[d.ci][t] += w
			background[t] += w
		}
	}
	normalize(background)
	for ci, c := range cats {
		if m.counts[ci] >= minExamples {
			continue
		}
		tf := map[string]float64{}
		for _, kw := range append([]string{c}, keywords[c]...) {
			for _, t := range classifierTerms(kw) {
				tf[t] = 1
			}
		}
		thin := float64(minExamples-m.counts[ci]) / float64(minExamples)
		for t, x := range m.vector(tf) {
			m.centroids[ci][t] += thin * p.keywordWeight * x
		}
		for t, x := range background {
			m.centroids[ci][t] += thin * p.backgroundWeight * x
		}
	}
	for _, c := range m.centroids {
		normalize(c)
	}
	return m
}

func (m *centroidModel) termIDF(df int) float64 {
	return 1 + math.Log(float64(m.docs+1)/float64(df+1))
}

// vector weights term frequencies by (1+ln tf)·idf and scales the result to
// unit length. A term no example has gets the idf of df 0.
func (m *centroidModel) vector(tf map[string]float64) map[string]float64 {
	v := make(map[string]float64, len(tf))
	for t, n := range tf {
		idf, ok := m.idf[t]
		if !ok {
			idf = m.termIDF(0)
		}
		v[t] = (1 + math.Log(n)) * idf
	}
	normalize(v)
	return v
}

func normalize(v map[string]float64) {
	// Sum in a fixed order so that results do not depend on map iteration.
	keys := make([]string, 0, len(v))
	for t := range v {
		keys = append(keys, t)
	}
	sort.Strings(keys)
	var n float64
	for _, t := range keys {
		n += v[t] * v[t]
	}
	if n == 0 {
		return
	}
	n = math.Sqrt(n)
	for t := range v {
		v[t] /= n
	}
}

// similarities gives the cosine similarity of the ticket with each
// category's centroid, in [0, 1].
func (m *centroidModel) similarities(subject, body string) []float64 {
	q := m.vector(docTerms(m.params, subject, body))
	keys := make([]string, 0, len(q))
	for t := range q {
		keys = append(keys, t)
	}
	sort.Strings(keys)
	out := make([]float64, len(m.centroids))
	for ci, c := range m.centroids {
		var dot float64
		for _, t := range keys {
			dot += q[t] * c[t]
		}
		out[ci] = dot
	}
	return out
}

// probabilities gives the model's distribution over its categories for the
// ticket: a softmax of the similarities, each divided by the best one (so
// that the spread does not depend on how long tickets are or how many
// examples there were) and by the temperature. When the ticket shares no
// term with any category, the distribution is uniform.
func (m *centroidModel) probabilities(subject, body string) []float64 {
	sims := m.similarities(subject, body)
	var top float64
	for _, s := range sims {
		top = max(top, s)
	}
	if top > 0 {
		for i := range sims {
			sims[i] /= top
		}
	}
	return softmax(sims, m.params.temperature)
}

// softmax turns scores into a distribution: a softmax of the scores divided
// by the temperature.
func softmax(scores []float64, temperature float64) []float64 {
	best := math.Inf(-1)
	for _, s := range scores {
		best = max(best, s)
	}
	out := make([]float64, len(scores))
	var sum float64
	for i, s := range scores {
		out[i] = math.Exp((s - best) / temperature)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

func (m *centroidModel) hasHistory() bool { return m.docs > 0 }

// modelCache keeps the most recently used trained models, keyed by a hash of
// the examples, the categories and the hyper-parameters, so that repeated
// classifications against unchanged history do not retrain.
type modelCache struct {
	seed maphash.Seed
	mu   sync.Mutex
	keys []uint64 // most recently used last
	m    map[uint64]*centroidModel
}

const modelCacheSize = 8

func newModelCache() *modelCache {
	return &modelCache{seed: maphash.MakeSeed(), m: make(map[uint64]*centroidModel)}
}

func (c *modelCache) key(p modelParams, examples []Example, cats []string, minExamples int) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, cat := range cats {
		h.WriteString(cat)
		h.WriteByte(0)
	}
	h.WriteByte(1)
	for _, ex := range examples {
		h.WriteString(ex.Label)
		h.WriteByte(0)
		h.WriteString(ex.Subject)
		h.WriteByte(0)
		h.WriteString(ex.Body)
		h.WriteByte(0)
	}
	for _, f := range []float64{float64(p.subjectWeight), p.keywordWeight, p.backgroundWeight, p.temperature, float64(minExamples)} {
		bits := math.Float64bits(f)
		for i := range 8 {
			h.WriteByte(byte(bits >> (8 * i)))
		}
	}
	return h.Sum64()
}

// get returns the cached model for key or builds one with build. Two
// goroutines that miss together may both build; the models are equal and
// the first stored wins.
func (c *modelCache) get(key uint64, build func() *centroidModel) *centroidModel {
	c.mu.Lock()
	if m, ok := c.m[key]; ok {
		c.touch(key)
		c.mu.Unlock()
		return m
	}
	c.mu.Unlock()
	m := build()
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[key]; ok {
		c.touch(key)
		return old
	}
	c.m[key] = m
	c.keys = append(c.keys, key)
	if len(c.keys) > modelCacheSize {
		delete(c.m, c.keys[0])
		c.keys = c.keys[1:]
	}
	return m
}

func (c *modelCache) touch(key uint64) {
	for i, k := range c.keys {
		if k == key {
			copy(c.keys[i:], c.keys[i+1:])
			c.keys[len(c.keys)-1] = key
			return
		}
	}
}

// len reports how many models are cached.
func (c *modelCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
