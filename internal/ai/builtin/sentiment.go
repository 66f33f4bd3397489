package builtin

import (
	"math"
	"strings"
	"unicode"

	"github.com/deskflow/deskflow/internal/ai"
)

// Sentiment label thresholds on the score in [-1, 1].
const (
	PositiveThreshold = 0.35  // score >= this: positive
	NegativeThreshold = -0.25 // score <= this: negative
)

// negators flip (and damp) the valence of a lexicon word that follows within
// three words.
var negators = setOf("not", "no", "never", "none", "nobody", "nothing", "neither", "nor",
	"cannot", "cant", "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent",
	"wont", "wouldnt", "shouldnt", "couldnt", "hasnt", "havent", "hadnt", "aint", "without", "hardly")

// boosters raise (positive) or lower (negative) the strength of the lexicon
// word that follows within three words.
var boosters = map[string]float64{
	"very": 0.3, "really": 0.3, "extremely": 0.4, "so": 0.25, "super": 0.3, "totally": 0.3,
	"incredibly": 0.4, "absolutely": 0.4, "completely": 0.3, "utterly": 0.4, "highly": 0.3,
	"truly": 0.3, "especially": 0.2, "particularly": 0.2, "such": 0.2, "too": 0.2,
	"most": 0.2, "beyond": 0.2, "exceptionally": 0.4, "insanely": 0.4, "unbelievably": 0.4,
	"seriously": 0.3, "deeply": 0.3, "hugely": 0.3, "massively": 0.3, "thoroughly": 0.3,
	"slightly": -0.3, "somewhat": -0.3, "barely": -0.3, "kinda": -0.3, "kind": -0.2,
	"sort": -0.2, "bit": -0.3, "little": -0.3, "marginally": -0.3, "partly": -0.3, "fairly": -0.2,
	"rather": -0.1, "pretty": 0.1, "quite": 0.1,
}

// contrasts: the clause after one outweighs the clause before it ("the app
// is nice but it crashes all the time").
var contrasts = setOf("but", "however", "although", "though", "yet")

// signOffs start a closing line whose politeness should not read as
// sentiment ("Thanks, Jane").
var signOffs = setOf("thanks", "thank", "thx", "cheers", "regards", "best", "kind", "sincerely", "many", "warm", "warmly", "ty")

func setOf(ws ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(ws))
	for _, w := range ws {
		m[w] = struct{}{}
	}
	return m
}

// sentiment scores text with the lexicon in data/sentiment.txt:
//
//   - each lexicon word or phrase adds its valence (-3..+3);
//   - a booster or dampener among the three words before it ("very",
//     "slightly") moves it away from or toward zero by its weight;
//   - a negator among the three words before it ("not", "never", "dont")
//     flips it and damps it by 0.6 ("not good" is mildly negative, "not bad"
//     mildly positive);
//   - a word in capitals (in a text that is not all capitals) gains 0.7;
//   - in a sentence with "but", "however" or "although", the words before
//     count half and the words after one and a half;
//   - each exclamation mark (up to three a sentence) strengthens the
//     sentence's sum by 0.3; "??", "?!" or "!?" in a sentence that is not
//     positive subtracts 1 (exasperation);
//   - a phrase of weight 0 ("would like", "looks like") hides its words;
//   - a short closing line that starts with thanks, regards or the like
//     counts a quarter (a polite sign-off is not praise);
//
// The sum s becomes the score s/sqrt(s²+15), in (-1, 1) (the normalization
// of VADER, whose rules these follow), and the label is positive at
// PositiveThreshold or above, negative at NegativeThreshold or below, and
// neutral in between.
func sentiment(text string) ai.Sentiment {
	sents := sentences(text)
	shoutingText := isMostlyCaps(text)
	var total float64
	for si, sent := range sents {
		toks := tokens(sent)
		ws := wordsOf(toks)
		vals := make([]float64, 0, len(toks))
		contrastAt := -1
		for i := 0; i < len(toks); {
			if _, ok := contrasts[toks[i].w]; ok && i > 0 {
				contrastAt = len(vals)
			}
			v, n := sentimentLex.match(ws, i)
			if n == 0 {
				i++
				continue
			}
			if v == 0 {
				// A neutral phrase ("would like") hides its words.
				i += n
				continue
			}
			sign := math.Copysign(1, v)
			for back := 1; back <= 3 && i-back >= 0; back++ {
				if b, ok := boosters[toks[i-back].w]; ok {
					v += sign * b * (1 - 0.05*float64(back-1))
				}
			}
			if toks[i].caps && !shoutingText {
				v += sign * 0.7
			}
			for back := 1; back <= 3 && i-back >= 0; back++ {
				if _, ok := negators[toks[i-back].w]; ok {
					v *= -0.6
					break
				}
			}
			vals = append(vals, v)
			i += n
		}
		var sum float64
		for i, v := range vals {
			if contrastAt >= 0 {
				if i < contrastAt {
					v *= 0.5
				} else {
					v *= 1.5
				}
			}
			sum += v
		}
		if sum != 0 {
			bangs := min(strings.Count(sent, "!"), 3)
			sum += math.Copysign(0.3*float64(bangs), sum)
		}
		if sum <= 0 && (strings.Contains(sent, "??") || strings.Contains(sent, "?!") || strings.Contains(sent, "!?")) {
			sum -= 1 // exasperation
		}
		if si == len(sents)-1 && si > 0 && len(toks) > 0 && len(toks) <= 6 {
			if _, ok := signOffs[toks[0].w]; ok {
				sum *= 0.25
			}
		}
		total += sum
	}
	score := total / math.Sqrt(total*total+15)
	score = math.Round(score*1000) / 1000
	label := "neutral"
	switch {
	case score >= PositiveThreshold:
		label = "positive"
	case score <= NegativeThreshold:
		label = "negative"
	}
	return ai.Sentiment{Label: label, Score: score}
}

func wordsOf(toks []token) []string {
	ws := make([]string, len(toks))
	for i, t := range toks {
		ws[i] = t.w
	}
	return ws
}

func isMostlyCaps(s string) bool {
	var upper, lower int
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			upper++
		case unicode.IsLower(r):
			lower++
		}
	}
	return upper > 0 && upper >= 2*lower
}

// Urgency thresholds on the urgency points (see urgency).
const (
	urgencyHighAt   = 3.0
	urgencyMediumAt = 1.5
)

// urgency rates a ticket low, medium or high from:
//
//   - the cues of data/urgency.txt ("urgent", "asap", "outage", "cannot log
//     in", "locked out", "losing money", "charged twice", "suspended",
//     "offline", "cant"...), each adding its weight, twice in the subject; a cue after a negator ("not urgent"
//     excepted, which is a calming cue) is ignored; calming cues ("no rush",
//     "whenever you can") subtract;
//   - exclamation marks: +0.5 for two in the text, +1 for three or more;
//   - shouting: +1 when two or more words of three letters or more are in
//     capitals (in a text that is not all capitals);
//   - sentiment: +0.5 at a score of NegativeThreshold or below, +1 at -0.7
//     or below, -1 at PositiveThreshold or above (thanks are not urgent).
//
// The points give high at 3 or more, medium at 1.5 or more, otherwise low.
func urgency(subject, body string, s ai.Sentiment) string {
	points := urgencyCues(subject)*2 + urgencyCues(body)
	text := subject + "\n" + body
	switch bangs := strings.Count(text, "!"); {
	case bangs >= 3:
		points++
	case bangs == 2:
		points += 0.5
	}
	if !isMostlyCaps(text) {
		shouts := 0
		for _, t := range tokens(text) {
			if t.caps && !isAcronym(t.w) {
				shouts++
			}
		}
		if shouts >= 2 {
			points++
		}
	}
	switch {
	case s.Score <= -0.7:
		points++
	case s.Score <= NegativeThreshold:
		points += 0.5
	case s.Score >= PositiveThreshold:
		points--
	}
	switch {
	case points >= urgencyHighAt:
		return ai.UrgencyHigh
	case points >= urgencyMediumAt:
		return ai.UrgencyMedium
	}
	return ai.UrgencyLow
}

// isAcronym tells common capitalized abbreviations, which are not shouting.
func isAcronym(w string) bool {
	switch w {
	case "api", "app", "usb", "sso", "vat", "pdf", "csv", "url", "dhl", "ups", "usps", "sms", "faq", "eta", "ios", "rma", "sku", "usa", "eur", "usd", "gbp", "ceo", "cto", "http", "https", "dns", "ssl", "tls", "saml", "json", "xml", "otp", "asap", "fyi", "imo", "lol", "tbh", "wtf":
		return true
	}
	return false
}

func urgencyCues(text string) float64 {
	ws := words(text)
	var points float64
	for i := 0; i < len(ws); {
		v, n := urgencyLex.match(ws, i)
		if n == 0 {
			i++
			continue
		}
		negated := false
		for back := 1; back <= 2 && i-back >= 0; back++ {
			if _, ok := negators[ws[i-back]]; ok {
				negated = true
			}
		}
		if !negated || v < 0 {
			points += v
		}
		i += n
	}
	return points
}
