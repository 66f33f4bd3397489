// Package builtin is deskflow's built-in AI provider: offline, deterministic
// and the default, so that a fresh install runs AI workflows with no API key
// and no network. It does only what it can do honestly with statistics over
// the workspace's own data:
//
//   - Classify (classify_ticket) scores a ticket against the requested
//     categories with a TF-IDF nearest-centroid model trained on the
//     workspace's past tickets (labelled by a tag or a category custom field,
//     see Source). Categories with thin history (fewer than
//     Options.MinExamples labelled tickets) fall back on keyword lists. The
//     sentiment is lexicon based and the urgency rule based.
//   - Complete (generate_ai_response) either writes an extractive summary,
//     when the prompt asks for one, or answers with the saved reply that
//     best matches the prompt by TF-IDF retrieval. Any other prompt ("Write a
//     poem about the sea", or a question no saved reply covers) fails with an
//     error wrapping ai.ErrNeedsLLM.
//
// Results depend only on the inputs (the request, the examples and saved
// replies that the Source returns, and the Options): no randomness, no
// clock, no network. Accuracy on the labelled fixture that ships with the
// tests is in README.md.
package builtin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/deskflow/deskflow/internal/ai"
)

// Model names reported in results.
const (
	// ModelClassifier: TF-IDF nearest centroid over past tickets (with
	// keywords for thin categories), lexicon sentiment, rule urgency.
	ModelClassifier = "builtin-tfidf-1"
	// ModelKeywords: Classify with no labelled history for any requested
	// category, so keywords only.
	ModelKeywords = "builtin-keywords-1"
	// ModelSummary: extractive summary.
	ModelSummary = "builtin-extractive-1"
	// ModelRetrieval: a saved reply chosen by TF-IDF retrieval.
	ModelRetrieval = "builtin-retrieval-1"
)

// Example is a past ticket with its label: a tag name or the value of a
// category custom field. A ticket with several labels may be given as
// several examples. Labels are matched to the requested categories
// case-insensitively; examples whose label is not requested are ignored.
type Example struct {
	Subject string
	Body    string
	Label   string
}

// SavedReply is one of the workspace's saved replies (/api/saved-replies).
// Body is the raw template text, which may contain deskflow template
// expressions such as {{customer.name}}.
type SavedReply struct {
	ID    string
	Title string
	Body  string
}

// Source gives the provider a workspace's data. It is called on every
// Classify (Examples) and Complete (SavedReplies); an implementation should
// bound what it returns (for example the most recent few thousand labelled
// tickets) and may cache. The provider keeps the model trained from the
// examples while they do not change (keyed by a hash of them), so the cost
// of a repeated call is fetching and hashing, not training.
type Source interface {
	Examples(ctx context.Context) ([]Example, error)
	SavedReplies(ctx context.Context) ([]SavedReply, error)
}

// Options tune the provider.
type Options struct {
	// Keywords maps a category (case-insensitive) to its keywords or key
	// phrases, for categories with thin history. A category missing here
	// uses DefaultKeywords' list when there is one; a category's own name
	// always counts as one of its keywords.
	Keywords map[string][]string
	// MinExamples is how many labelled examples a category needs before the
	// trained model is trusted for it alone; below that its keywords are
	// blended in, the more the fewer examples. Default 5.
	MinExamples int
}

// Provider is the built-in provider. It is safe for concurrent use.
type Provider struct {
	src      Source
	keywords map[string][]string // by normalized category
	minEx    int
	params   modelParams
	cache    *modelCache
}

var _ ai.Provider = (*Provider)(nil)

// New returns the built-in provider reading the workspace's data from src (a
// nil src has no examples and no saved replies).
func New(src Source, opts Options) *Provider {
	kw := DefaultKeywords()
	for c, list := range opts.Keywords {
		kw[normLabel(c)] = append([]string(nil), list...)
	}
	minEx := opts.MinExamples
	if minEx <= 0 {
		minEx = 5
	}
	return &Provider{src: src, keywords: kw, minEx: minEx, params: defaultParams, cache: newModelCache()}
}

// Name is "builtin".
func (p *Provider) Name() string { return "builtin" }

// Classify picks one of req.Categories for the ticket: the one whose
// centroid is most similar to it (see trainModel). Confidence is the
// probability of that category under a softmax of the cosine similarities
// relative to the best, at a temperature fitted on the fixture so that
// confidence tracks accuracy (see README.md); it is in (0, 1]. Ties go to
// the category listed first. The category is returned as spelled in the request.
// Usage counts the words of subject and body in, and of the category out.
func (p *Provider) Classify(ctx context.Context, req ai.ClassifyRequest) (ai.Classification, error) {
	var cats, display []string
	seen := map[string]bool{}
	for _, c := range req.Categories {
		n := normLabel(c)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		cats = append(cats, n)
		display = append(display, strings.TrimSpace(c))
	}
	if len(cats) == 0 {
		return ai.Classification{}, errors.New("builtin: classify_ticket needs at least one category to choose from")
	}
	examples, err := p.examples(ctx)
	if err != nil {
		return ai.Classification{}, err
	}
	m := p.model(examples, cats)
	probs := m.probabilities(req.Subject, req.Body)
	best := 0
	for i, pr := range probs {
		if pr > probs[best] {
			best = i
		}
	}
	model := ModelClassifier
	if !m.hasHistory() {
		model = ModelKeywords
	}
	s := sentiment(req.Subject + "\n" + req.Body)
	return ai.Classification{
		Category:   display[best],
		Confidence: roundConfidence(probs[best]),
		Sentiment:  s,
		Urgency:    urgency(req.Subject, req.Body, s),
		Model:      model,
		Usage: ai.Usage{
			InputTokens:  countWords(req.Subject) + countWords(req.Body),
			OutputTokens: countWords(display[best]),
		},
	}, nil
}

// roundConfidence keeps 4 decimals, and never 0.
func roundConfidence(p float64) float64 {
	r := float64(int64(p*10000+0.5)) / 10000
	if r <= 0 {
		return 0.0001
	}
	return r
}

func (p *Provider) examples(ctx context.Context) ([]Example, error) {
	if p.src == nil {
		return nil, nil
	}
	ex, err := p.src.Examples(ctx)
	if err != nil {
		return nil, fmt.Errorf("builtin: loading past tickets: %w", err)
	}
	return ex, nil
}

func (p *Provider) model(examples []Example, cats []string) *centroidModel {
	key := p.cache.key(p.params, examples, cats, p.minEx)
	return p.cache.get(key, func() *centroidModel {
		return trainModel(p.params, examples, cats, p.keywords, p.minEx)
	})
}

// Complete serves two kinds of prompt:
//
//   - a request for a summary (see summaryRequest: "summarize", "summarise",
//     "summary", "tl;dr" or "recap" in the instruction at the start or the
//     end of the prompt, or anywhere in the system prompt): an extractive
//     summary of the text (see summarize), bounded by req.MaxTokens words
//     when set and by "in N sentences" or "in N words" in the instruction;
//     the model is ModelSummary;
//   - anything else: the body of the saved reply chosen by ChooseReply, raw:
//     template expressions such as {{customer.name}} are left for the caller
//     to render; the model is ModelRetrieval.
//
// A prompt whose instruction asks for a creative or rewriting task (poem,
// story, translate, rewrite...), or that no saved reply matches with a
// similarity of ReplyThreshold or more, fails with an error wrapping
// ai.ErrNeedsLLM. req.Model and req.Temperature are ignored (the result
// names the model that ran). Usage counts the words of the system prompt
// and prompt in, and of the text out.
func (p *Provider) Complete(ctx context.Context, req ai.Request) (ai.Completion, error) {
	in := countWords(req.System) + countWords(req.Prompt)
	if needsLLM(req.System, req.Prompt) {
		return ai.Completion{}, fmt.Errorf("builtin: the prompt asks for writing that needs a language model: %w", ai.ErrNeedsLLM)
	}
	if text, lim, ok := summaryRequest(req.System, req.Prompt); ok {
		if req.MaxTokens > 0 && (lim.words == 0 || req.MaxTokens < lim.words) {
			lim.words = req.MaxTokens
		}
		out := summarize(text, lim)
		if out == "" {
			return ai.Completion{}, errors.New("builtin: the prompt asks for a summary but has no text to summarize")
		}
		return ai.Completion{Text: out, Model: ModelSummary, Usage: ai.Usage{InputTokens: in, OutputTokens: countWords(out)}}, nil
	}
	r, _, err := p.ChooseReply(ctx, req.Prompt)
	if err != nil {
		return ai.Completion{}, err
	}
	return ai.Completion{Text: r.Body, Model: ModelRetrieval, Usage: ai.Usage{InputTokens: in, OutputTokens: countWords(r.Body)}}, nil
}

// needsLLM reports an instruction for a task only a language model can do.
func needsLLM(system, prompt string) bool {
	head, _ := splitInstruction(prompt)
	_, tail := splitLastInstruction(prompt)
	return hasCue(system, llmOnlyCues) || hasCue(head, llmOnlyCues) || hasCue(tail, llmOnlyCues)
}

// ChooseReply ranks the saved replies against prompt and returns the best
// with its similarity in [0, 1]: the cosine between TF-IDF vectors of the
// prompt (without instruction words such as "write", "reply", "customer")
// and of the reply's title (counting twice) and body (without template
// expressions). The reply's Body is raw: render it as a template before
// sending it. When there are no saved replies, or the best similarity is
// below ReplyThreshold, the error wraps ai.ErrNeedsLLM and names the best
// candidate. Ties go to the reply listed first.
func (p *Provider) ChooseReply(ctx context.Context, prompt string) (SavedReply, float64, error) {
	var replies []SavedReply
	if p.src != nil {
		var err error
		if replies, err = p.src.SavedReplies(ctx); err != nil {
			return SavedReply{}, 0, fmt.Errorf("builtin: loading saved replies: %w", err)
		}
	}
	if len(replies) == 0 {
		return SavedReply{}, 0, fmt.Errorf("builtin: the workspace has no saved replies to answer from: %w", ai.ErrNeedsLLM)
	}
	ranked := newReplyIndex(replies).rank(prompt)
	best := ranked[0]
	score := float64(int64(best.score*10000+0.5)) / 10000
	if best.score < ReplyThreshold {
		return SavedReply{}, score, fmt.Errorf("builtin: no saved reply matches this prompt (closest: %q, similarity %.2f, needs %.2f): %w",
			replies[best.i].Title, best.score, ReplyThreshold, ai.ErrNeedsLLM)
	}
	return replies[best.i], score, nil
}
