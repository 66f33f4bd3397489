package builtin

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/deskflow/deskflow/internal/ai"
)

// fixtureTicket is one labelled ticket of testdata/tickets.json. The
// fixture is 252 helpdesk tickets of a smart-home company, written by hand:
// 42 for each of six categories, with a sentiment and an urgency label each;
// 41 of them (16%) are marked ambiguous, meaning that another category would
// be a defensible label too (a duplicate charge to be refunded: billing or
// refund?).
type fixtureTicket struct {
	ID        string `json:"id"`
	Subject   string `json:"subject"`
	Body      string `json:"body"`
	Category  string `json:"category"`
	Sentiment string `json:"sentiment"`
	Urgency   string `json:"urgency"`
	Ambiguous bool   `json:"ambiguous"`
}

var fixtureCategories = []string{"billing", "shipping", "account", "technical", "refund", "feedback"}

func loadFixture(t testing.TB) []fixtureTicket {
	t.Helper()
	b, err := os.ReadFile("testdata/tickets.json")
	if err != nil {
		t.Fatal(err)
	}
	var ts []fixtureTicket
	if err := json.Unmarshal(b, &ts); err != nil {
		t.Fatal(err)
	}
	return ts
}

// sliceSource is a Source over fixed slices.
type sliceSource struct {
	examples []Example
	replies  []SavedReply
	err      error
}

func (s *sliceSource) Examples(context.Context) ([]Example, error) { return s.examples, s.err }
func (s *sliceSource) SavedReplies(context.Context) ([]SavedReply, error) {
	return s.replies, s.err
}

const folds = 5

// crossValidate classifies every fixture ticket with a provider trained, through
// the Source interface, on the tickets of the other folds (ticket i is in
// fold i mod 5), and returns the predictions in fixture order.
func crossValidate(t testing.TB, ts []fixtureTicket, params modelParams, opts Options) []ai.Classification {
	t.Helper()
	out := make([]ai.Classification, len(ts))
	for f := range folds {
		var train []Example
		for i, tk := range ts {
			if i%folds != f {
				train = append(train, Example{Subject: tk.Subject, Body: tk.Body, Label: tk.Category})
			}
		}
		p := New(&sliceSource{examples: train}, opts)
		p.params = params
		for i, tk := range ts {
			if i%folds != f {
				continue
			}
			c, err := p.Classify(context.Background(), ai.ClassifyRequest{Subject: tk.Subject, Body: tk.Body, Categories: fixtureCategories})
			if err != nil {
				t.Fatal(err)
			}
			out[i] = c
		}
	}
	return out
}

// Measured with the shipped parameters (see README.md); the floors sit a few
// points below.
const (
	classifierFloor = 0.83
	sentimentFloor  = 0.77
	urgencyFloor    = 0.67
)

func TestClassifierAccuracy(t *testing.T) {
	ts := loadFixture(t)
	if len(ts) < 200 {
		t.Fatalf("fixture has %d tickets, want at least 200", len(ts))
	}
	preds := crossValidate(t, ts, defaultParams, Options{})
	var correct, amb, ambCorrect int
	confusion := map[[2]string]int{}
	for i, tk := range ts {
		ok := preds[i].Category == tk.Category
		if ok {
			correct++
		} else {
			confusion[[2]string{tk.Category, preds[i].Category}]++
		}
		if tk.Ambiguous {
			amb++
			if ok {
				ambCorrect++
			}
		}
		if preds[i].Model != ModelClassifier {
			t.Errorf("%s: model %q, want %q", tk.ID, preds[i].Model, ModelClassifier)
		}
	}
	acc := float64(correct) / float64(len(ts))
	t.Logf("builtin classifier accuracy: %.2f (%d/%d held-out tickets)", acc, correct, len(ts))
	t.Logf("(%d-fold cross-validation: ticket i is held out in fold i mod %d)", folds, folds)
	t.Logf("builtin classifier accuracy on ambiguous tickets: %.2f (%d/%d); on the others: %.2f (%d/%d)",
		float64(ambCorrect)/float64(amb), ambCorrect, amb,
		float64(correct-ambCorrect)/float64(len(ts)-amb), correct-ambCorrect, len(ts)-amb)
	if testing.Verbose() {
		for k, n := range confusion {
			t.Logf("  %s classified as %s: %d", k[0], k[1], n)
		}
	}
	if acc < classifierFloor {
		t.Errorf("classifier accuracy %.3f below the floor %.2f", acc, classifierFloor)
	}
}

func TestSentimentAccuracy(t *testing.T) {
	ts := loadFixture(t)
	var correct int
	for _, tk := range ts {
		s := sentiment(tk.Subject + "\n" + tk.Body)
		if s.Label == tk.Sentiment {
			correct++
		} else if testing.Verbose() {
			t.Logf("  %s %q: %s (%.2f), labelled %s", tk.ID, tk.Subject, s.Label, s.Score, tk.Sentiment)
		}
	}
	acc := float64(correct) / float64(len(ts))
	t.Logf("builtin sentiment accuracy: %.2f (%d/%d tickets)", acc, correct, len(ts))
	if acc < sentimentFloor {
		t.Errorf("sentiment accuracy %.3f below the floor %.2f", acc, sentimentFloor)
	}
}

func TestUrgencyAccuracy(t *testing.T) {
	ts := loadFixture(t)
	var correct, high, highFound, low int
	for _, tk := range ts {
		u := urgency(tk.Subject, tk.Body, sentiment(tk.Subject+"\n"+tk.Body))
		if u == tk.Urgency {
			correct++
		}
		if tk.Urgency == ai.UrgencyLow {
			low++
		}
		if tk.Urgency == ai.UrgencyHigh {
			high++
			if u == ai.UrgencyHigh {
				highFound++
			}
		}
	}
	acc := float64(correct) / float64(len(ts))
	t.Logf("builtin urgency accuracy: %.2f (%d/%d tickets; always answering low would score %.2f); high found: %d/%d",
		acc, correct, len(ts), float64(low)/float64(len(ts)), highFound, high)
	if acc < urgencyFloor {
		t.Errorf("urgency accuracy %.3f below the floor %.2f", acc, urgencyFloor)
	}
}
