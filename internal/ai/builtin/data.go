package builtin

import (
	"bufio"
	"embed"
	"fmt"
	"strconv"
	"strings"
)

//go:embed data/*.txt
var dataFS embed.FS

// phraseLexicon maps words and phrases (words joined by one space, as
// words() gives them) to a weight.
type phraseLexicon struct {
	entries   map[string]float64
	maxPhrase int // the most words in one entry
}

// match finds the longest entry starting at ws[i]: its weight and length in
// words, or 0, 0.
func (l *phraseLexicon) match(ws []string, i int) (float64, int) {
	for n := min(l.maxPhrase, len(ws)-i); n >= 1; n-- {
		if v, ok := l.entries[strings.Join(ws[i:i+n], " ")]; ok {
			return v, n
		}
	}
	return 0, 0
}

var (
	stopWords     = mustWordSet("data/stopwords.txt")
	sentimentLex  = mustLexicon("data/sentiment.txt")
	urgencyLex    = mustLexicon("data/urgency.txt")
	builtinKwords = mustKeywords("data/keywords.txt")
)

// dataLines gives the non-empty, non-comment lines of an embedded file.
func dataLines(name string) ([]string, error) {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out, sc.Err()
}

func mustWordSet(name string) map[string]struct{} {
	lines, err := dataLines(name)
	if err != nil {
		panic(err)
	}
	set := make(map[string]struct{}, len(lines))
	for _, l := range lines {
		set[l] = struct{}{}
	}
	return set
}

func parseLexicon(name string) (*phraseLexicon, error) {
	lines, err := dataLines(name)
	if err != nil {
		return nil, err
	}
	lex := &phraseLexicon{entries: make(map[string]float64, len(lines))}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 2 {
			return nil, fmt.Errorf("%s: %q: want words then a weight", name, l)
		}
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %v", name, l, err)
		}
		ws := words(strings.Join(f[:len(f)-1], " "))
		if len(ws) == 0 || len(ws) > 5 {
			return nil, fmt.Errorf("%s: %q: want one to five words", name, l)
		}
		lex.entries[strings.Join(ws, " ")] = v
		lex.maxPhrase = max(lex.maxPhrase, len(ws))
	}
	return lex, nil
}

func mustLexicon(name string) *phraseLexicon {
	lex, err := parseLexicon(name)
	if err != nil {
		panic(err)
	}
	return lex
}

func parseKeywords(name string) (map[string][]string, error) {
	lines, err := dataLines(name)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(lines))
	for _, l := range lines {
		cat, list, ok := strings.Cut(l, ":")
		if !ok || strings.TrimSpace(cat) == "" {
			return nil, fmt.Errorf("%s: %q: want \"category: keyword, ...\"", name, l)
		}
		var kws []string
		for _, k := range strings.Split(list, ",") {
			if k = strings.TrimSpace(k); k != "" {
				kws = append(kws, k)
			}
		}
		out[normLabel(cat)] = kws
	}
	return out, nil
}

func mustKeywords(name string) map[string][]string {
	kw, err := parseKeywords(name)
	if err != nil {
		panic(err)
	}
	return kw
}

// DefaultKeywords returns a copy of the built-in keyword lists, by lower-case
// category name, used for categories with thin history that Options.Keywords
// does not list.
func DefaultKeywords() map[string][]string {
	out := make(map[string][]string, len(builtinKwords))
	for k, v := range builtinKwords {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// normLabel is how labels and category names are compared.
func normLabel(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
