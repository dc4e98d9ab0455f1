package intent

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mandate-dev/mandate/shared/api"
)

// ErrExampleMismatch marks an example that does not classify to its intent, or a counter
// example that does. Callers SHOULD reject the catalog and show the error text to its author.
var ErrExampleMismatch = errors.New("intent example mismatch")

// scorePrecision is the number of decimal places a score keeps.
const scorePrecision = 1e4

// recogniser is one compiled phrase, keyword or negative cue.
type recogniser struct {
	// evidence is what a match reports: "phrase:contact details", "keyword:customer".
	evidence string
	// words are normalised words; one ending in '*' matches any word with that prefix.
	words  []string
	weight float64
}

// definition is a compiled intent.
type definition struct {
	Definition
	positive []recogniser // phrases, then keywords, in catalog order
	negative []recogniser
}

// ref points at a recogniser: intent index, negative or not, recogniser index.
type ref struct {
	intent   int
	negative bool
	index    int
}

// Classifier classifies prompts against a parsed catalog. It is immutable and safe for
// concurrent use.
type Classifier struct {
	threshold float64
	intents   []*definition
	// byFirst indexes recognisers by their first word when it is exact; prefixed lists
	// those whose first word is a prefix wildcard, tried at every word.
	byFirst  map[string][]ref
	prefixed []ref
}

func (c *Classifier) index() {
	c.byFirst = map[string][]ref{}
	for i, d := range c.intents {
		for _, neg := range []bool{false, true} {
			list := d.positive
			if neg {
				list = d.negative
			}
			for j, r := range list {
				rf := ref{intent: i, negative: neg, index: j}
				if strings.HasSuffix(r.words[0], "*") {
					c.prefixed = append(c.prefixed, rf)
				} else {
					c.byFirst[r.words[0]] = append(c.byFirst[r.words[0]], rf)
				}
			}
		}
	}
}

func (c *Classifier) recogniser(r ref) *recogniser {
	if r.negative {
		return &c.intents[r.intent].negative[r.index]
	}
	return &c.intents[r.intent].positive[r.index]
}

// Threshold returns the score an intent must reach to be returned.
func (c *Classifier) Threshold() float64 { return c.threshold }

// Definitions returns the catalog's intents in catalog order.
func (c *Classifier) Definitions() []Definition {
	out := make([]Definition, len(c.intents))
	for i, d := range c.intents {
		out[i] = d.Definition
		out[i].Families = slices.Clone(d.Families)
		out[i].Examples = slices.Clone(d.Examples)
		out[i].CounterExamples = slices.Clone(d.CounterExamples)
	}
	return out
}

// Classify returns the intents of prompt whose score reached the threshold, by score
// descending then name, each with its evidence; or the single intent Unclassified with score
// 0 and empty evidence when none did. The result is a function of the prompt and the catalog
// only. See the package documentation for the formula.
func (c *Classifier) Classify(prompt string) []api.Intent {
	words := normalise(prompt)
	type hits struct{ positive, negative []bool }
	matched := make([]hits, len(c.intents))
	mark := func(r ref) {
		h := &matched[r.intent]
		if h.positive == nil {
			h.positive = make([]bool, len(c.intents[r.intent].positive))
			h.negative = make([]bool, len(c.intents[r.intent].negative))
		}
		if r.negative {
			h.negative[r.index] = true
		} else {
			h.positive[r.index] = true
		}
	}
	for i, w := range words {
		for _, r := range c.byFirst[w] {
			if matchAt(words, i, c.recogniser(r).words) {
				mark(r)
			}
		}
		for _, r := range c.prefixed {
			if matchAt(words, i, c.recogniser(r).words) {
				mark(r)
			}
		}
	}

	var out []api.Intent
	for i, d := range c.intents {
		h := matched[i]
		if h.positive == nil {
			continue
		}
		evidence := []string{}
		p := combine(d.positive, h.positive, &evidence)
		n := combine(d.negative, h.negative, &evidence)
		score := math.Round(math.Max(0, p-n)*scorePrecision) / scorePrecision
		if score > 0 && score >= c.threshold {
			out = append(out, api.Intent{Name: d.Name, Score: score, Evidence: evidence})
		}
	}
	if len(out) == 0 {
		return []api.Intent{{Name: Unclassified, Score: 0, Evidence: []string{}}}
	}
	slices.SortFunc(out, func(a, b api.Intent) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// combine returns 1 - Π(1 - weight) over the matched recognisers of list (a noisy-OR: each
// match adds to the score, no match can push it past 1) and appends their evidence.
func combine(list []recogniser, matched []bool, evidence *[]string) float64 {
	miss := 1.0
	for j, ok := range matched {
		if ok {
			miss *= 1 - list[j].weight
			*evidence = append(*evidence, list[j].evidence)
		}
	}
	return 1 - miss
}

// matchAt reports whether pattern matches words starting at i.
func matchAt(words []string, i int, pattern []string) bool {
	if i+len(pattern) > len(words) {
		return false
	}
	for k, p := range pattern {
		w := words[i+k]
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if !strings.HasPrefix(w, prefix) {
				return false
			}
		} else if w != p {
			return false
		}
	}
	return true
}

// CheckExamples classifies every example and counter example of the catalog and reports,
// joined, each example that does not yield its intent and each counter example that does;
// each wraps ErrExampleMismatch. It returns nil when all hold.
func (c *Classifier) CheckExamples() error {
	var problems []error
	has := func(got []api.Intent, name string) bool {
		return slices.ContainsFunc(got, func(in api.Intent) bool { return in.Name == name })
	}
	for _, d := range c.intents {
		for _, e := range d.Examples {
			if got := c.Classify(e); !has(got, d.Name) {
				problems = append(problems, fmt.Errorf("%w: intent %q: example %q classified as %s", ErrExampleMismatch, d.Name, e, describe(got)))
			}
		}
		for _, e := range d.CounterExamples {
			if got := c.Classify(e); has(got, d.Name) {
				problems = append(problems, fmt.Errorf("%w: intent %q: counter example %q classified as %s", ErrExampleMismatch, d.Name, e, describe(got)))
			}
		}
	}
	return errors.Join(problems...)
}

func describe(intents []api.Intent) string {
	parts := make([]string, len(intents))
	for i, in := range intents {
		parts[i] = fmt.Sprintf("%s (%.4g %v)", in.Name, in.Score, in.Evidence)
	}
	return strings.Join(parts, ", ")
}

// normalise splits text into words: case-folded (Unicode simple folding, fullwidth forms to
// ASCII, typographic apostrophes to '), split on white space and control characters, with
// punctuation and symbols stripped from both ends of each word and a possessive "'s"
// removed. A '*' ending a word is kept (a recogniser's prefix wildcard); in prompts it is
// punctuation like any other and is stripped.
func normalise(text string) []string {
	var words []string
	var b strings.Builder
	flush := func() {
		if b.Len() == 0 {
			return
		}
		w := b.String()
		b.Reset()
		star := strings.HasSuffix(w, "*")
		w = strings.TrimFunc(w, isEdge)
		w = strings.TrimSuffix(w, "'s")
		w = strings.TrimFunc(w, isEdge)
		if star {
			w += "*"
		}
		if w != "" {
			words = append(words, w)
		}
	}
	for _, r := range text {
		r = fold(r)
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			flush()
			continue
		}
		b.WriteRune(r)
	}
	flush()
	return words
}

// isEdge reports whether r is stripped from the ends of a word.
func isEdge(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

// fold maps r to its canonical form for matching.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // fullwidth ASCII forms
		r -= 0xFEE0
	case r == 0x3000: // ideographic space
		return ' '
	case r == '\u2018' || r == '\u2019' || r == '\u02BC':
		return '\''
	}
	// Simple case folding: the smallest rune of r's fold orbit, lowercased, so that for
	// instance 'K', 'k' and the Kelvin sign, or 's' and the long s, become one letter.
	lo := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		lo = min(lo, f)
	}
	return unicode.ToLower(lo)
}
