package builtin

import (
	"math"
	"testing"
)

// naiveBayes is the alternative the README compares the TF-IDF centroid
// classifier with: multinomial naive Bayes with Laplace smoothing (alpha 1)
// over the same terms (subject counted twice) but without stop words, and
// with priors from the label counts. On the fixture it is a few points less
// accurate than the centroid classifier, whichever tokenization is used.
type naiveBayes struct {
	prior   []float64
	logProb []map[string]float64
	unseen  []float64 // log probability of a vocabulary term a category never had
	vocab   map[string]bool
}

func nbTerms(subject, body string) []string {
	st := terms(subject)
	return append(append(st, st...), terms(body)...)
}

func newNaiveBayes(examples []Example, cats []string) *naiveBayes {
	index := map[string]int{}
	for i, c := range cats {
		index[c] = i
	}
	nb := &naiveBayes{prior: make([]float64, len(cats)), vocab: map[string]bool{}}
	counts := make([]map[string]float64, len(cats))
	for i := range counts {
		counts[i] = map[string]float64{}
	}
	for _, ex := range examples {
		ci, ok := index[normLabel(ex.Label)]
		if !ok {
			continue
		}
		nb.prior[ci]++
		for _, t := range nbTerms(ex.Subject, ex.Body) {
			counts[ci][t]++
			nb.vocab[t] = true
		}
	}
	v := float64(len(nb.vocab))
	var n float64
	for _, p := range nb.prior {
		n += p
	}
	for ci, cc := range counts {
		nb.prior[ci] = math.Log((nb.prior[ci] + 1) / (n + float64(len(cats))))
		var total float64
		for _, x := range cc {
			total += x
		}
		lp := map[string]float64{}
		for t, x := range cc {
			lp[t] = math.Log((x + 1) / (total + v))
		}
		nb.logProb = append(nb.logProb, lp)
		nb.unseen = append(nb.unseen, math.Log(1/(total+v)))
	}
	return nb
}

func (nb *naiveBayes) classify(subject, body string) int {
	s := append([]float64(nil), nb.prior...)
	for _, t := range nbTerms(subject, body) {
		if !nb.vocab[t] {
			continue
		}
		for ci := range s {
			if lp, ok := nb.logProb[ci][t]; ok {
				s[ci] += lp
			} else {
				s[ci] += nb.unseen[ci]
			}
		}
	}
	best := 0
	for i := range s {
		if s[i] > s[best] {
			best = i
		}
	}
	return best
}

// TestNaiveBayesBaseline measures naive Bayes with the same folds as
// TestClassifierAccuracy, for the comparison in README.md.
func TestNaiveBayesBaseline(t *testing.T) {
	ts := loadFixture(t)
	correct := 0
	for f := range folds {
		var train []Example
		for i, tk := range ts {
			if i%folds != f {
				train = append(train, Example{Subject: tk.Subject, Body: tk.Body, Label: tk.Category})
			}
		}
		nb := newNaiveBayes(train, fixtureCategories)
		for i, tk := range ts {
			if i%folds == f && fixtureCategories[nb.classify(tk.Subject, tk.Body)] == tk.Category {
				correct++
			}
		}
	}
	t.Logf("naive Bayes accuracy: %.2f (%d/%d held-out tickets, %d-fold cross-validation)",
		float64(correct)/float64(len(ts)), correct, len(ts), folds)
}
