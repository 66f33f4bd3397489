package builtin

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// words splits s into lower-case words made of Unicode letters and digits.
// An apostrophe between two letters is dropped ("don't" gives "dont",
// "customer's" gives "customers"), so contractions stay one word.
func words(s string) []string {
	toks := tokens(s)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.w
	}
	return out
}

// token is a word, lower case, with whether it was written in capitals
// (three letters or more, all upper case).
type token struct {
	w    string
	caps bool
}

// tokens splits s as words does, also telling the words in capitals.
func tokens(s string) []token {
	var out []token
	var b strings.Builder
	upper, lower := 0, 0
	flush := func() {
		if b.Len() > 0 {
			out = append(out, token{w: b.String(), caps: upper >= 3 && lower == 0})
			b.Reset()
		}
		upper, lower = 0, 0
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if unicode.IsUpper(r) {
				upper++
			} else if unicode.IsLower(r) {
				lower++
			}
			b.WriteRune(unicode.ToLower(r))
		case (r == '\'' || r == '’') && b.Len() > 0:
			// Keep going only when a letter follows: "don't" but not "'quoted'".
			next, _ := utf8.DecodeRuneInString(s[i+n:])
			if !unicode.IsLetter(next) {
				flush()
			}
		default:
			flush()
		}
		i += n
	}
	flush()
	return out
}

// terms gives the index terms of s: words without stop words, stemmed, with
// every number folded into the single term "0" (order and ticket numbers
// tell nothing about a topic, but that a number is there does).
func terms(s string) []string {
	ws := words(s)
	out := ws[:0]
	for _, w := range ws {
		if _, stop := stopWords[w]; stop {
			continue
		}
		if isNumber(w) {
			out = append(out, "0")
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

func isNumber(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return w != ""
}

// stem is a light English suffix stripper: it folds plurals and the usual
// verb and adverb endings ("charges", "charged", "charging" all give
// "charg"), which is what matters for matching tickets and replies. It is
// not a linguistic stemmer and leaves short and non-ASCII words alone.
func stem(w string) string {
	if len(w) <= 3 || !isASCIILetters(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") &&
		!strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	switch {
	case strings.HasSuffix(w, "ied") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "eed"):
		// "agreed", "need": keep.
	case strings.HasSuffix(w, "ed") && hasVowel(w[:len(w)-2]) && len(w) >= 5:
		w = undouble(w[:len(w)-2])
	case strings.HasSuffix(w, "ing") && hasVowel(w[:len(w)-3]) && len(w) >= 6:
		w = undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ly") && len(w) >= 6:
		w = w[:len(w)-2]
	}
	if strings.HasSuffix(w, "e") && len(w) >= 5 {
		w = w[:len(w)-1]
	}
	if strings.HasSuffix(w, "y") && len(w) >= 5 && !isVowel(w[len(w)-2]) {
		w = w[:len(w)-1] + "i"
	}
	return w
}

func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] && !isVowel(w[n-1]) && w[n-1] != 'l' && w[n-1] != 's' && w[n-1] != 'z' {
		return w[:n-1]
	}
	return w
}

func hasVowel(w string) bool {
	for i := 0; i < len(w); i++ {
		if isVowel(w[i]) || (w[i] == 'y' && i > 0) {
			return true
		}
	}
	return false
}

func isVowel(c byte) bool {
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'
}

func isASCIILetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// countWords counts white-space separated words, the unit of Usage.
func countWords(s string) int { return len(strings.Fields(s)) }
