package intent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Defaults and limits of a catalog.
const (
	// DefaultThreshold is the score an intent must reach to be returned when the catalog
	// sets no threshold.
	DefaultThreshold = 0.5
	// MaxCatalogBytes is the largest catalog document Parse accepts.
	MaxCatalogBytes = 1 << 20
	// MaxIntents is the largest number of intents in a catalog.
	MaxIntents = 1000
	// MaxRecognisers is the largest number of phrases, keywords and negative cues of one
	// intent, together.
	MaxRecognisers = 500
	// MaxWords is the longest recogniser, in words.
	MaxWords = 16
)

// Unclassified is the name of the single intent Classify returns when no intent of the
// catalog reached the threshold. It is reserved: no catalog intent may use it.
const Unclassified = "unclassified"

// Risk levels.
const (
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

// Action families an intent may lead to; the same names as the policy model's families.
const (
	FamilyRead   = "read"
	FamilyWrite  = "write"
	FamilyDelete = "delete"
)

// ErrInvalid marks every problem Parse reports. Callers SHOULD show the error text to the
// catalog author (it lists every problem) and MUST keep the previously active catalog.
var ErrInvalid = errors.New("invalid intent catalog")

// catalog is the document format.
type catalog struct {
	Threshold *float64    `yaml:"threshold" json:"threshold"`
	Intents   []intentDoc `yaml:"intents" json:"intents"`
}

type intentDoc struct {
	Name            string       `yaml:"name" json:"name"`
	Description     string       `yaml:"description" json:"description"`
	Risk            string       `yaml:"risk" json:"risk"`
	Families        []string     `yaml:"families" json:"families"`
	Phrases         []weightText `yaml:"phrases" json:"phrases"`
	Keywords        []weightText `yaml:"keywords" json:"keywords"`
	Negative        []weightText `yaml:"negative" json:"negative"`
	Examples        []string     `yaml:"examples" json:"examples"`
	CounterExamples []string     `yaml:"counter_examples" json:"counter_examples"`
}

type weightText struct {
	Text   string  `yaml:"text" json:"text"`
	Weight float64 `yaml:"weight" json:"weight"`
}

// Definition describes one intent of the catalog.
type Definition struct {
	Name        string
	Description string
	// Risk is RiskLow, RiskMedium or RiskHigh.
	Risk string
	// Families are the action families the intent may lead to.
	Families []string
	// Examples must classify to this intent; CounterExamples must not.
	Examples, CounterExamples []string
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$`)

// Parse reads a catalog (YAML, or JSON when the document starts with '{'), validates it
// whole and compiles its recognisers. Every problem found is reported at once, joined with
// errors.Join, each wrapping ErrInvalid. Unknown fields are problems, so a misspelt field
// never silently disables a recogniser.
func Parse(src []byte) (*Classifier, error) {
	if len(src) > MaxCatalogBytes {
		return nil, fmt.Errorf("%w: catalog is %d bytes, larger than the limit of %d", ErrInvalid, len(src), MaxCatalogBytes)
	}
	var doc catalog
	var lines []int // line of each intent in YAML, for error messages
	if t := bytes.TrimSpace(src); len(t) > 0 && t[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(src))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("%w: json: %v", ErrInvalid, err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, fmt.Errorf("%w: json: unexpected data after the catalog", ErrInvalid)
		}
	} else {
		var root yaml.Node
		if err := yaml.Unmarshal(src, &root); err != nil {
			return nil, fmt.Errorf("%w: yaml: %v", ErrInvalid, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(src))
		dec.KnownFields(true)
		if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: yaml: %v", ErrInvalid, err)
		}
		lines = intentLines(&root)
	}
	return compile(doc, lines)
}

// intentLines returns the line of each item of the top-level intents sequence.
func intentLines(root *yaml.Node) []int {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "intents" && m.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, item := range m.Content[i+1].Content {
				out = append(out, item.Line)
			}
			return out
		}
	}
	return nil
}

func compile(doc catalog, lines []int) (*Classifier, error) {
	var problems []error
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	c := &Classifier{threshold: DefaultThreshold}
	if doc.Threshold != nil {
		if t := *doc.Threshold; !(t > 0 && t <= 1) {
			report("threshold %v is outside (0, 1]", t)
		} else {
			c.threshold = t
		}
	}
	switch {
	case len(doc.Intents) == 0:
		report("the catalog defines no intents")
	case len(doc.Intents) > MaxIntents:
		report("the catalog defines %d intents, more than the limit of %d", len(doc.Intents), MaxIntents)
		return nil, errors.Join(problems...)
	}
	seen := map[string]bool{}
	for i, in := range doc.Intents {
		where := fmt.Sprintf("intents[%d]", i)
		if i < len(lines) {
			where = fmt.Sprintf("line %d: %s", lines[i], where)
		}
		if in.Name != "" {
			where += fmt.Sprintf(" %q", in.Name)
		}
		n := len(problems)
		switch {
		case in.Name == "":
			report("%s: name is missing", where)
		case in.Name == Unclassified:
			report("%s: name %q is reserved", where, Unclassified)
		case !namePattern.MatchString(in.Name) || len(in.Name) > 128:
			report("%s: name must be lowercase dot-separated words of a-z, 0-9, _ and - (at most 128 characters)", where)
		case seen[in.Name]:
			report("%s: duplicate name", where)
		}
		seen[in.Name] = true
		switch in.Risk {
		case RiskLow, RiskMedium, RiskHigh:
		case "":
			report("%s: risk is missing (low, medium or high)", where)
		default:
			report("%s: risk %q is not low, medium or high", where, in.Risk)
		}
		if len(in.Families) == 0 {
			report("%s: families is empty (read, write, delete)", where)
		}
		for j, f := range in.Families {
			switch {
			case f != FamilyRead && f != FamilyWrite && f != FamilyDelete:
				report("%s: families[%d] %q is not read, write or delete", where, j, f)
			case slices.Index(in.Families, f) != j:
				report("%s: families[%d] %q is listed twice", where, j, f)
			}
		}
		if len(in.Phrases)+len(in.Keywords) == 0 {
			report("%s: no phrases or keywords: the intent could never be recognised", where)
		}
		if total := len(in.Phrases) + len(in.Keywords) + len(in.Negative); total > MaxRecognisers {
			report("%s: %d recognisers, more than the limit of %d", where, total, MaxRecognisers)
			continue
		}
		def := &definition{Definition: Definition{
			Name: in.Name, Description: in.Description, Risk: in.Risk,
			Families:        slices.Clone(in.Families),
			Examples:        slices.Clone(in.Examples),
			CounterExamples: slices.Clone(in.CounterExamples),
		}}
		texts := map[string]string{}
		add := func(kind string, list []weightText, dst *[]recogniser) {
			for j, wt := range list {
				at := fmt.Sprintf("%s: %s[%d] %q", where, kindField[kind], j, wt.Text)
				words := normalise(wt.Text)
				switch {
				case len(words) == 0:
					report("%s: text is empty once normalised", at)
					continue
				case len(words) > MaxWords:
					report("%s: %d words, more than the limit of %d", at, len(words), MaxWords)
					continue
				case kind == kindKeyword && len(words) != 1:
					report("%s: a keyword is one word; use a phrase for several", at)
					continue
				}
				if !(wt.Weight > 0 && wt.Weight <= 1) {
					report("%s: weight %v is outside (0, 1]", at, wt.Weight)
				}
				for _, w := range words {
					if strings.Trim(w, "*") == "" || strings.Contains(strings.TrimSuffix(w, "*"), "*") {
						report("%s: %q: '*' may only end a word, as a prefix wildcard", at, w)
					}
				}
				key := strings.Join(words, " ")
				if prev, dup := texts[key]; dup {
					report("%s: repeats %s", at, prev)
					continue
				}
				texts[key] = at
				*dst = append(*dst, recogniser{evidence: kind + ":" + key, words: words, weight: wt.Weight})
			}
		}
		add(kindPhrase, in.Phrases, &def.positive)
		add(kindKeyword, in.Keywords, &def.positive)
		add(kindNegative, in.Negative, &def.negative)
		for j, e := range in.Examples {
			if strings.TrimSpace(e) == "" {
				report("%s: examples[%d] is empty", where, j)
			}
		}
		for j, e := range in.CounterExamples {
			if strings.TrimSpace(e) == "" {
				report("%s: counter_examples[%d] is empty", where, j)
			}
		}
		if len(problems) == n {
			c.intents = append(c.intents, def)
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	c.index()
	return c, nil
}

// Recogniser kinds, also the prefixes of evidence.
const (
	kindPhrase   = "phrase"
	kindKeyword  = "keyword"
	kindNegative = "negative"
)

var kindField = map[string]string{kindPhrase: "phrases", kindKeyword: "keywords", kindNegative: "negative"}
