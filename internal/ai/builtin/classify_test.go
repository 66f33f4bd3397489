package builtin

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/deskflow/deskflow/internal/ai"
)

func fixtureExamples(ts []fixtureTicket) []Example {
	ex := make([]Example, len(ts))
	for i, tk := range ts {
		ex[i] = Example{Subject: tk.Subject, Body: tk.Body, Label: tk.Category}
	}
	return ex
}

func classify(t testing.TB, p *Provider, subject, body string, cats ...string) ai.Classification {
	t.Helper()
	c, err := p.Classify(context.Background(), ai.ClassifyRequest{Subject: subject, Body: body, Categories: cats})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassifyNeedsCategories(t *testing.T) {
	p := New(nil, Options{})
	for _, cats := range [][]string{nil, {}, {"", "  "}} {
		if _, err := p.Classify(context.Background(), ai.ClassifyRequest{Subject: "x", Categories: cats}); err == nil {
			t.Errorf("categories %q: no error", cats)
		}
	}
}

func TestKeywordFallbackWithoutHistory(t *testing.T) {
	p := New(nil, Options{})
	cases := []struct{ subject, body, want string }{
		{"Charged twice", "There are two charges on my credit card for the same invoice.", "billing"},
		{"Where is my parcel", "The tracking number says my package is still at the courier.", "shipping"},
		{"Can't sign in", "I forgot my password and the reset email never came.", "account"},
		{"Send it back", "I'd like my money back, please send a return label.", "refund"},
		{"App keeps crashing", "The app crashes with an error every time I open it since the update.", "technical"},
		{"An idea", "Just a suggestion: it would be nice to have a dark mode.", "feedback"},
	}
	for _, c := range cases {
		got := classify(t, p, c.subject, c.body, fixtureCategories...)
		if got.Category != c.want || got.Model != ModelKeywords {
			t.Errorf("%q: %s (%s, %.2f), want %s (%s)", c.subject, got.Category, got.Model, got.Confidence, c.want, ModelKeywords)
		}
	}
	// Nothing to go on: a uniform guess, said with low confidence.
	got := classify(t, p, "Hello", "Quick question.", "alpha", "beta", "gamma", "delta")
	if got.Category != "alpha" || got.Confidence != 0.25 {
		t.Errorf("no evidence: %s %.4f, want alpha 0.25 (first category, uniform)", got.Category, got.Confidence)
	}

	// On the whole fixture, keywords alone.
	ts := loadFixture(t)
	correct := 0
	for _, tk := range ts {
		if classify(t, p, tk.Subject, tk.Body, fixtureCategories...).Category == tk.Category {
			correct++
		}
	}
	acc := float64(correct) / float64(len(ts))
	t.Logf("builtin keyword-only accuracy (no history): %.2f (%d/%d tickets)", acc, correct, len(ts))
	if acc < 0.70 {
		t.Errorf("keyword-only accuracy %.3f below the floor 0.70", acc)
	}
}

// TestKeywordFallbackThinHistory trains on the fixture with two categories
// kept thin (0, then 2 examples each, below MinExamples 5) and checks that
// their tickets are still found through keywords without hurting the others.
func TestKeywordFallbackThinHistory(t *testing.T) {
	ts := loadFixture(t)
	thin := map[string]bool{"refund": true, "feedback": true}
	for _, keep := range []int{0, 2} {
		var thinOK, thinN, otherOK, otherN int
		for f := range folds {
			var train []Example
			kept := map[string]int{}
			for i, tk := range ts {
				if i%folds == f || (thin[tk.Category] && kept[tk.Category] >= keep) {
					continue
				}
				kept[tk.Category]++
				train = append(train, Example{Subject: tk.Subject, Body: tk.Body, Label: tk.Category})
			}
			p := New(&sliceSource{examples: train}, Options{})
			for i, tk := range ts {
				if i%folds != f {
					continue
				}
				ok := classify(t, p, tk.Subject, tk.Body, fixtureCategories...).Category == tk.Category
				if thin[tk.Category] {
					thinN++
					if ok {
						thinOK++
					}
				} else {
					otherN++
					if ok {
						otherOK++
					}
				}
			}
		}
		thinAcc, otherAcc := float64(thinOK)/float64(thinN), float64(otherOK)/float64(otherN)
		t.Logf("builtin accuracy with refund and feedback at %d examples: %.2f on their %d tickets, %.2f on the other %d",
			keep, thinAcc, thinN, otherAcc, otherN)
		if thinAcc < 0.60 || otherAcc < 0.85 {
			t.Errorf("thin history (%d examples): accuracy %.3f on thin categories (floor 0.60), %.3f on others (floor 0.85)", keep, thinAcc, otherAcc)
		}
	}
}

func TestCustomKeywordsForNewCategory(t *testing.T) {
	ts := loadFixture(t)
	p := New(&sliceSource{examples: fixtureExamples(ts)}, Options{
		Keywords: map[string][]string{"Warranty": {"warranty", "guarantee period", "repair", "replacement under warranty"}},
	})
	cats := append([]string{"Warranty"}, fixtureCategories...)
	got := classify(t, p, "Is this covered by warranty?", "My thermostat is 14 months old and the screen died. Is it still under warranty and can you repair it?", cats...)
	if got.Category != "Warranty" {
		t.Errorf("got %s (%.2f), want Warranty from its keywords", got.Category, got.Confidence)
	}
	if got.Model != ModelClassifier {
		t.Errorf("model %q, want %q", got.Model, ModelClassifier)
	}
	got = classify(t, p, "Double charge", "I was billed twice this month for my subscription, please check the invoice.", cats...)
	if got.Category != "billing" {
		t.Errorf("got %s, want billing from history", got.Category)
	}
}

func TestClassifyCategoriesCaseInsensitive(t *testing.T) {
	ts := loadFixture(t)
	p := New(&sliceSource{examples: fixtureExamples(ts)}, Options{})
	upper := []string{"Billing", "SHIPPING", " Account ", "Technical", "refund", "FeedBack", "billing"}
	for _, tk := range ts[:40] {
		a := classify(t, p, tk.Subject, tk.Body, fixtureCategories...)
		b := classify(t, p, tk.Subject, tk.Body, upper...)
		if !strings.EqualFold(a.Category, b.Category) || a.Confidence != b.Confidence {
			t.Fatalf("%s: %s %.4f vs %s %.4f", tk.ID, a.Category, a.Confidence, b.Category, b.Confidence)
		}
		if indexOf(upper, b.Category) < 0 && b.Category != "Account" {
			t.Fatalf("%s: category %q is not spelled as requested", tk.ID, b.Category)
		}
	}
	// Labels in history are matched case-insensitively too.
	var shouting []Example
	for _, ex := range fixtureExamples(ts) {
		ex.Label = strings.ToUpper(ex.Label)
		shouting = append(shouting, ex)
	}
	q := New(&sliceSource{examples: shouting}, Options{})
	for _, tk := range ts[:40] {
		a := classify(t, p, tk.Subject, tk.Body, fixtureCategories...)
		b := classify(t, q, tk.Subject, tk.Body, fixtureCategories...)
		if a != b {
			t.Fatalf("%s: %+v vs %+v", tk.ID, a, b)
		}
	}
}

func TestClassifyDeterministicAndConfidence(t *testing.T) {
	ts := loadFixture(t)
	p1 := New(&sliceSource{examples: fixtureExamples(ts)}, Options{})
	p2 := New(&sliceSource{examples: fixtureExamples(ts)}, Options{})
	for _, tk := range ts {
		a := classify(t, p1, tk.Subject, tk.Body, fixtureCategories...)
		b := classify(t, p1, tk.Subject, tk.Body, fixtureCategories...)
		c := classify(t, p2, tk.Subject, tk.Body, fixtureCategories...)
		if a != b || a != c {
			t.Fatalf("%s: not deterministic: %+v / %+v / %+v", tk.ID, a, b, c)
		}
		if a.Confidence <= 0 || a.Confidence > 1 {
			t.Fatalf("%s: confidence %v out of (0, 1]", tk.ID, a.Confidence)
		}
		if a.Sentiment.Score < -1 || a.Sentiment.Score > 1 {
			t.Fatalf("%s: sentiment score %v out of [-1, 1]", tk.ID, a.Sentiment.Score)
		}
		if a.Usage.InputTokens != countWords(tk.Subject)+countWords(tk.Body) || a.Usage.OutputTokens != 1 {
			t.Fatalf("%s: usage %+v", tk.ID, a.Usage)
		}
	}
	// A single category is certain.
	if c := classify(t, p1, "x", "y", "billing"); c.Confidence != 1 || c.Category != "billing" {
		t.Errorf("one category: %+v", c)
	}
}

// TestConfidenceTracksAccuracy checks the calibration claimed in README.md:
// the mean confidence of held-out predictions is within 5 points of their
// accuracy, and confident predictions are more often right than unsure ones.
func TestConfidenceTracksAccuracy(t *testing.T) {
	ts := loadFixture(t)
	preds := crossValidate(t, ts, defaultParams, Options{})
	var sumConf float64
	var correct, hiN, hiOK, loN, loOK int
	for i, tk := range preds {
		ok := tk.Category == ts[i].Category
		sumConf += tk.Confidence
		if ok {
			correct++
		}
		if tk.Confidence >= 0.8 {
			hiN++
			if ok {
				hiOK++
			}
		} else {
			loN++
			if ok {
				loOK++
			}
		}
	}
	meanConf, acc := sumConf/float64(len(ts)), float64(correct)/float64(len(ts))
	t.Logf("builtin classifier mean confidence %.2f, accuracy %.2f; confidence >= 0.8: %d/%d right; below: %d/%d right",
		meanConf, acc, hiOK, hiN, loOK, loN)
	if d := meanConf - acc; d > 0.05 || d < -0.05 {
		t.Errorf("mean confidence %.3f vs accuracy %.3f", meanConf, acc)
	}
	if hiN == 0 || loN == 0 || float64(hiOK)/float64(hiN) <= float64(loOK)/float64(loN) {
		t.Errorf("confidence does not separate right from wrong predictions")
	}
}

func TestModelCache(t *testing.T) {
	ts := loadFixture(t)
	src := &sliceSource{examples: fixtureExamples(ts)}
	p := New(src, Options{})
	for range 3 {
		classify(t, p, "a", "b", fixtureCategories...)
	}
	if n := p.cache.len(); n != 1 {
		t.Fatalf("%d models after repeated calls, want 1", n)
	}
	classify(t, p, "a", "b", "billing", "refund")
	src.examples = append(src.examples[:len(src.examples):len(src.examples)], Example{Subject: "new", Body: "ticket", Label: "billing"})
	classify(t, p, "a", "b", fixtureCategories...)
	if n := p.cache.len(); n != 3 {
		t.Fatalf("%d models, want 3 (other categories, then new history)", n)
	}
	for i := range modelCacheSize + 3 {
		classify(t, p, "a", "b", "billing", strings.Repeat("x", i+1))
	}
	if n := p.cache.len(); n != modelCacheSize {
		t.Fatalf("%d models, want the cache bounded at %d", n, modelCacheSize)
	}
}

func TestClassifyConcurrent(t *testing.T) {
	ts := loadFixture(t)
	p := New(&sliceSource{examples: fixtureExamples(ts)}, Options{})
	want := make([]ai.Classification, 20)
	for i := range want {
		want[i] = classify(t, New(&sliceSource{examples: fixtureExamples(ts)}, Options{}), ts[i].Subject, ts[i].Body, fixtureCategories...)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range want {
				j := (i + g) % len(want)
				c, err := p.Classify(context.Background(), ai.ClassifyRequest{Subject: ts[j].Subject, Body: ts[j].Body, Categories: fixtureCategories})
				if err != nil || c != want[j] {
					t.Errorf("goroutine %d, ticket %d: %+v, %v; want %+v", g, j, c, err, want[j])
				}
			}
		})
	}
	wg.Wait()
}

func TestSentimentRules(t *testing.T) {
	cases := []struct {
		text  string
		label string
	}{
		{"The new app is great, I love it!", "positive"},
		{"This is terrible. Worst support ever.", "negative"},
		{"How do I change the email on my account?", "neutral"},
		{"I'm not happy with the service, it's unacceptable.", "negative"},
		{"I would like to update my address.", "neutral"},
		{"Still waiting for my refund?!", "negative"},
		{"The camera works but the app is really frustrating and slow.", "negative"},
		{"My camera stopped working.\nThanks, Jane", "neutral"}, // a sign-off is not praise
	}
	for _, c := range cases {
		if s := sentiment(c.text); s.Label != c.label {
			t.Errorf("%q: %s (%.2f), want %s", c.text, s.Label, s.Score, c.label)
		}
	}
	// Intensifiers strengthen, negations flip, capitals emphasize.
	plain, very := sentiment("The support was good."), sentiment("The support was very good.")
	if very.Score <= plain.Score {
		t.Errorf("very good %.3f <= good %.3f", very.Score, plain.Score)
	}
	if neg := sentiment("The support was not good."); neg.Score >= 0 {
		t.Errorf("not good: %.3f, want negative", neg.Score)
	}
	if s := sentiment("The support was not bad."); s.Score <= 0 {
		t.Errorf("not bad: %.3f, want positive", s.Score)
	}
	if loud := sentiment("The support was GOOD."); loud.Score <= plain.Score {
		t.Errorf("GOOD %.3f <= good %.3f", loud.Score, plain.Score)
	}
}

func TestUrgencyRules(t *testing.T) {
	cases := []struct{ subject, body, want string }{
		{"URGENT: site is down", "Our whole team is blocked, nobody can log in. Please fix asap!!!", ai.UrgencyHigh},
		{"Locked out", "I'm locked out of my account and can't log in.", ai.UrgencyHigh},
		{"Invoice question", "I think I was charged twice this month, can you check?", ai.UrgencyMedium},
		{"Question about invoices", "Where can I download past invoices? No rush.", ai.UrgencyLow},
		{"Feature request", "It would be nice to have a dark mode.", ai.UrgencyLow},
		{"Not urgent", "Just wondering if you ship to Canada.", ai.UrgencyLow},
		{"Account compromised", "Someone logged into my account from another country, that wasn't me.", ai.UrgencyHigh},
	}
	for _, c := range cases {
		s := sentiment(c.subject + "\n" + c.body)
		if got := urgency(c.subject, c.body, s); got != c.want {
			t.Errorf("%q: %s, want %s", c.subject, got, c.want)
		}
	}
}

func TestDataFiles(t *testing.T) {
	for _, name := range []string{"data/sentiment.txt", "data/urgency.txt"} {
		lines, err := dataLines(name)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, l := range lines {
			f := strings.Fields(l)
			key := strings.Join(words(strings.Join(f[:len(f)-1], " ")), " ")
			if seen[key] {
				t.Errorf("%s: %q listed twice", name, key)
			}
			seen[key] = true
		}
	}
	if len(sentimentLex.entries) < 300 {
		t.Errorf("sentiment lexicon has %d entries", len(sentimentLex.entries))
	}
	kw := DefaultKeywords()
	kw["billing"][0] = "changed"
	if DefaultKeywords()["billing"][0] == "changed" {
		t.Error("DefaultKeywords returns shared slices")
	}
}

func BenchmarkClassify(b *testing.B) {
	ts := loadFixture(b)
	p := New(&sliceSource{examples: fixtureExamples(ts)}, Options{})
	req := ai.ClassifyRequest{Subject: ts[0].Subject, Body: ts[0].Body, Categories: fixtureCategories}
	if _, err := p.Classify(context.Background(), req); err != nil { // train once
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Classify(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrain(b *testing.B) {
	ts := loadFixture(b)
	ex := fixtureExamples(ts)
	b.ReportAllocs()
	for b.Loop() {
		trainModel(defaultParams, ex, fixtureCategories, builtinKwords, 5)
	}
}
