package builtin

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviations end with a period that does not end a sentence.
var abbreviations = setOf("e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "vs", "approx", "no", "st", "inc", "ltd", "co", "jr", "sr", "a.m", "p.m")

// sentences splits text into trimmed sentences: at a line break, and after
// ".", "!", "?" or "…" (with any closing quotes or brackets) followed by
// white space, except after a known abbreviation or a single letter.
func sentences(text string) []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		start := 0
		for i := 0; i < len(line); {
			r, n := utf8.DecodeRuneInString(line[i:])
			i += n
			if r != '.' && r != '!' && r != '?' && r != '…' {
				continue
			}
			j := i
			for j < len(line) && strings.IndexByte(".!?\"')]", line[j]) >= 0 {
				j++
			}
			if j < len(line) && line[j] != ' ' && line[j] != '\t' {
				continue
			}
			if r == '.' && isAbbreviation(line[start:i-1]) {
				continue
			}
			add(line[start:j])
			start = j
			i = j
		}
		add(line[start:])
	}
	return out
}

func isAbbreviation(before string) bool {
	f := strings.Fields(before)
	if len(f) == 0 {
		return false
	}
	last := strings.ToLower(strings.TrimLeft(f[len(f)-1], "(\"'"))
	if _, ok := abbreviations[last]; ok {
		return true
	}
	r, _ := utf8.DecodeRuneInString(last)
	return utf8.RuneCountInString(last) == 1 && unicode.IsLetter(r)
}

// summaryLimits bound an extractive summary.
type summaryLimits struct {
	sentences int // at most this many sentences; 0: chosen from the text's length
	words     int // at most this many words; 0: no bound
}

// summarize returns an extractive summary of text: whole sentences of the
// text, in their original order, chosen by score. A sentence scores the sum
// of the frequencies of its terms in the whole text (each relative to the
// most frequent term) divided by the square root of its term count, so that
// sentences dense in the text's recurring words win without favouring long
// ones; the first sentence gets a 25% bonus (tickets tend to lead with their
// point) and sentences with fewer than three terms ("Hi team,", "Thanks!")
// are only taken when nothing else is left. Without a sentence bound the
// summary has ceil(n/3) sentences, at most 3, of the text's n. With a word
// bound, sentences are taken best first while they fit; if even the best
// does not fit it is cut to the bound and ends with "…".
func summarize(text string, lim summaryLimits) string {
	sents := sentences(text)
	if len(sents) == 0 {
		return ""
	}
	want := lim.sentences
	if want <= 0 {
		want = min(3, (len(sents)+2)/3)
	}
	freq := map[string]float64{}
	sentTerms := make([][]string, len(sents))
	for i, s := range sents {
		sentTerms[i] = terms(s)
		for _, t := range sentTerms[i] {
			freq[t]++
		}
	}
	var top float64
	for _, f := range freq {
		top = max(top, f)
	}
	type scored struct {
		i     int
		score float64
	}
	ranked := make([]scored, len(sents))
	for i, ts := range sentTerms {
		var s float64
		seen := map[string]bool{}
		for _, t := range ts {
			if !seen[t] {
				seen[t] = true
				s += freq[t] / top
			}
		}
		if len(ts) > 0 {
			s /= math.Sqrt(float64(len(ts)))
		}
		if i == 0 {
			s *= 1.25
		}
		if len(ts) < 3 {
			s -= 100 // only when nothing else is left
		}
		ranked[i] = scored{i, s}
	}
	sort.SliceStable(ranked, func(a, b int) bool { return ranked[a].score > ranked[b].score })

	var chosen []int
	used := 0
	for _, r := range ranked {
		if len(chosen) == want {
			break
		}
		n := countWords(sents[r.i])
		if lim.words > 0 && used+n > lim.words {
			if len(chosen) == 0 {
				return strings.Join(strings.Fields(sents[r.i])[:lim.words], " ") + "…"
			}
			continue
		}
		chosen = append(chosen, r.i)
		used += n
	}
	sort.Ints(chosen)
	parts := make([]string, len(chosen))
	for k, i := range chosen {
		parts[k] = sents[i]
	}
	return strings.Join(parts, " ")
}

// summaryCues are the words that ask for a summary.
var summaryCues = []string{"summarize", "summarise", "summarization", "summarisation", "summary", "summaries", "tl;dr", "tldr", "recap"}

// summaryRequest finds a request for a summary: a cue in the first or the
// last part of the prompt (the instruction, before the first ":", line break
// or sentence end, or after the last), or anywhere in the system prompt. It
// returns the text to summarize: what follows the instruction, or what
// precedes it when the instruction comes last ("... \n\nTL;DR"), or the
// whole prompt when the system prompt asks; and limits read from the
// instruction ("in 2 sentences", "in 50 words", "one sentence").
func summaryRequest(system, prompt string) (text string, lim summaryLimits, ok bool) {
	if hasCue(system, summaryCues) {
		return prompt, limitsFrom(system), true
	}
	head, rest := splitInstruction(prompt)
	if hasCue(head, summaryCues) {
		if after := afterCue(head, summaryCues); !strings.HasSuffix(strings.TrimSpace(head), ":") && !onlyInstructionWords(after) {
			// "Summarize I ordered a camera. It arrived broken.": no
			// delimiter, the text starts right after the cue.
			rest = after + rest
		}
		return rest, limitsFrom(head), true
	}
	body, tail := splitLastInstruction(prompt)
	if hasCue(tail, summaryCues) {
		return body, limitsFrom(tail), true
	}
	return "", summaryLimits{}, false
}

// splitInstruction cuts prompt after its first ":", line break or sentence
// end.
func splitInstruction(prompt string) (head, rest string) {
	p := strings.TrimSpace(prompt)
	cut := len(p)
	if i := strings.IndexAny(p, ":\n"); i >= 0 {
		cut = i + 1
	}
	if s := sentences(p); len(s) > 0 {
		if i := strings.Index(p, s[0]); i >= 0 && i+len(s[0]) < cut {
			cut = i + len(s[0])
		}
	}
	return p[:cut], p[cut:]
}

// splitLastInstruction cuts prompt before its last line or sentence.
func splitLastInstruction(prompt string) (body, tail string) {
	p := strings.TrimSpace(prompt)
	s := sentences(p)
	if len(s) < 2 {
		return "", p
	}
	last := s[len(s)-1]
	i := strings.LastIndex(p, last)
	return p[:i], p[i:]
}

// hasCue reports whether text has one of cues as a whole word.
func hasCue(text string, cues []string) bool {
	_, ok := cueIndex(text, cues)
	return ok
}

func afterCue(text string, cues []string) string {
	i, ok := cueIndex(text, cues)
	if !ok {
		return ""
	}
	rest := text[i:]
	if j := strings.IndexFunc(rest, unicode.IsSpace); j >= 0 {
		return rest[j:]
	}
	return ""
}

// cueIndex finds the first cue in text as a whole word (case-insensitive).
func cueIndex(text string, cues []string) (int, bool) {
	lower := strings.ToLower(text)
	best := -1
	for _, c := range cues {
		for from := 0; ; {
			i := strings.Index(lower[from:], c)
			if i < 0 {
				break
			}
			i += from
			end := i + len(c)
			if isBoundary(lower, i-1) && isBoundary(lower, end) {
				if best < 0 || i < best {
					best = i
				}
				break
			}
			from = i + 1
		}
	}
	return best, best >= 0
}

func isBoundary(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	c := s[i]
	return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80)
}

// instructionFiller are the words an instruction to summarize is made of
// besides its cue ("Summarize this ticket briefly in two sentences").
var instructionFiller = setOf("this", "that", "the", "following", "below", "above", "ticket", "tickets",
	"message", "messages", "conversation", "thread", "email", "customer", "customers",
	"request", "text", "please", "briefly", "shortly", "for", "me", "us", "agent", "in",
	"a", "an", "of", "few", "short", "brief", "sentence", "sentences", "word", "words", "bullet",
	"bullets", "points", "and", "it", "its", "their", "his", "her", "issue", "problem", "up", "to", "at", "most", "max", "maximum")

// onlyInstructionWords reports whether s is made of instruction filler and
// numbers only.
func onlyInstructionWords(s string) bool {
	for _, w := range words(s) {
		if _, ok := instructionFiller[w]; !ok && !isNumber(w) {
			if _, ok := numberWords[w]; !ok {
				return false
			}
		}
	}
	return true
}

var numberWords = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a": 1, "single": 1}

// limitsFrom reads "N sentences" and "N words" (N in digits or a small
// number word) from an instruction.
func limitsFrom(instr string) summaryLimits {
	var lim summaryLimits
	ws := words(instr)
	for i := 1; i < len(ws); i++ {
		n, err := strconv.Atoi(ws[i-1])
		if err != nil {
			var ok bool
			if n, ok = numberWords[ws[i-1]]; !ok {
				continue
			}
		}
		if n <= 0 {
			continue
		}
		switch ws[i] {
		case "sentence", "sentences", "line", "lines", "bullet", "bullets", "points":
			lim.sentences = n
		case "word", "words":
			lim.words = n
		}
	}
	return lim
}
