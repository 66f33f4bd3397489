package builtin

import (
	"math"
	"regexp"
	"sort"
)

// ReplyThreshold is the least similarity (see ChooseReply) at which a saved
// reply answers a prompt. Below it Complete returns ai.ErrNeedsLLM.
const ReplyThreshold = 0.10

// instructionTerms are the words of a prompt that say what to do rather than
// what about ("Write a short, friendly reply to the customer: ..."); they
// are not matched against saved replies.
var instructionTerms = stemSet("write", "draft", "compose", "generate", "create", "reply", "replies",
	"respond", "response", "answer", "customer", "customers", "ticket", "message", "email",
	"following", "below", "above", "agent", "short", "brief", "friendly", "polite", "professional",
	"concise", "tone", "saved", "template", "using", "use", "based", "say", "tell", "let", "know",
	"suggest", "suggested", "appropriate", "helpful", "text", "user", "wrote", "writes", "asks", "asked", "says")

// llmOnlyCues in the instruction of a prompt mark tasks that retrieval and
// extraction cannot do at all; such prompts get ai.ErrNeedsLLM whatever the
// saved replies say.
var llmOnlyCues = []string{"poem", "poetry", "haiku", "limerick", "essay", "joke", "song", "lyrics",
	"translate", "translation", "rewrite", "rephrase", "paraphrase", "proofread", "brainstorm", "slogan"}

func stemSet(ws ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(ws))
	for _, w := range ws {
		for _, t := range terms(w) {
			m[t] = struct{}{}
		}
		m[stem(w)] = struct{}{}
	}
	return m
}

// templateExpr matches deskflow template expressions, which are not words
// of a reply.
var templateExpr = regexp.MustCompile(`\{\{[^}]*\}\}`)

// replyIndex is a TF-IDF index of saved replies.
type replyIndex struct {
	replies []SavedReply
	vecs    []map[string]float64 // unit vectors
	idf     map[string]float64
	n       int
}

// newReplyIndex indexes the title (whose terms count twice) and the body
// (without template expressions) of each reply. A term's weight is
// (1+ln tf)·idf, idf = ln(1 + (N-df+0.5)/(df+0.5)) over the N replies (the
// BM25 idf, which stays positive when a term is in every reply).
func newReplyIndex(replies []SavedReply) *replyIndex {
	ix := &replyIndex{replies: replies, idf: map[string]float64{}, n: len(replies)}
	tfs := make([]map[string]float64, len(replies))
	df := map[string]int{}
	for i, r := range replies {
		tf := map[string]float64{}
		for _, t := range terms(r.Title) {
			tf[t] += 2
		}
		for _, t := range terms(templateExpr.ReplaceAllString(r.Body, " ")) {
			tf[t]++
		}
		for t := range tf {
			df[t]++
		}
		tfs[i] = tf
	}
	for t, d := range df {
		ix.idf[t] = ix.termIDF(d)
	}
	ix.vecs = make([]map[string]float64, len(replies))
	for i, tf := range tfs {
		ix.vecs[i] = unit(tf, ix.idf)
	}
	return ix
}

func (ix *replyIndex) termIDF(df int) float64 {
	return math.Log(1 + (float64(ix.n)-float64(df)+0.5)/(float64(df)+0.5))
}

func unit(tf map[string]float64, idf map[string]float64) map[string]float64 {
	v := make(map[string]float64, len(tf))
	var norm float64
	for t, n := range tf {
		w := (1 + math.Log(n)) * idf[t]
		v[t] = w
		norm += w * w
	}
	norm = math.Sqrt(norm)
	for t := range v {
		if norm > 0 {
			v[t] /= norm
		}
	}
	return v
}

// rankedReply is a saved reply with its similarity to a query.
type rankedReply struct {
	i     int
	score float64
}

// rank scores every reply against query by cosine similarity, best first
// (ties in the replies' order). Query terms that no reply has weigh as
// much as the rarest terms (df 0), so that a prompt mostly about something
// else scores low.
func (ix *replyIndex) rank(query string) []rankedReply {
	tf := map[string]float64{}
	for _, t := range terms(templateExpr.ReplaceAllString(query, " ")) {
		if _, skip := instructionTerms[t]; skip {
			continue
		}
		tf[t]++
	}
	idf := make(map[string]float64, len(tf))
	for t := range tf {
		if w, ok := ix.idf[t]; ok {
			idf[t] = w
		} else {
			idf[t] = ix.termIDF(0)
		}
	}
	q := unit(tf, idf)
	out := make([]rankedReply, len(ix.replies))
	for i, v := range ix.vecs {
		var dot float64
		for t, w := range q {
			dot += w * v[t]
		}
		out[i] = rankedReply{i, dot}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].score > out[b].score })
	return out
}
