package intent

import (
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzClassify checks that Classify never panics, returns scores in [0, 1] at or above the
// threshold, sorted, with evidence, and is deterministic.
func FuzzClassify(f *testing.F) {
	c := loadDemo(f)
	for _, d := range c.Definitions() {
		for _, e := range append(d.Examples, d.CounterExamples...) {
			f.Add(e)
		}
	}
	f.Add("ＤＥＬＥＴＥ \u212A customer’s \xff\xfe ticket*")
	f.Fuzz(func(t *testing.T, prompt string) {
		got := c.Classify(prompt)
		if len(got) == 0 {
			t.Fatal("Classify returned nothing")
		}
		if diff := cmp.Diff(got, c.Classify(prompt)); diff != "" {
			t.Fatalf("Classify is not deterministic:\n%s", diff)
		}
		if got[0].Name == Unclassified {
			if len(got) != 1 || got[0].Score != 0 {
				t.Fatalf("unclassified result %+v", got)
			}
			return
		}
		for i, in := range got {
			if !(in.Score >= c.Threshold() && in.Score <= 1) {
				t.Fatalf("score %v of %s outside [threshold, 1]", in.Score, in.Name)
			}
			if len(in.Evidence) == 0 {
				t.Fatalf("%s has no evidence", in.Name)
			}
			if i > 0 && (got[i-1].Score < in.Score || got[i-1].Score == in.Score && got[i-1].Name >= in.Name) {
				t.Fatalf("results not sorted: %+v", got)
			}
		}
	})
}

// FuzzParse checks that Parse never panics and that a catalog it accepts classifies its own
// examples without panic, in [0, 1].
func FuzzParse(f *testing.F) {
	if demo, err := os.ReadFile(demoPath); err == nil {
		f.Add(demo)
	}
	f.Add([]byte(`{"threshold": 0.4, "intents": [{"name": "a", "risk": "low", "families": ["read"], "keywords": [{"text": "x*", "weight": 1}], "examples": ["xylophone"]}]}`))
	f.Add([]byte("intents:\n  - &a {name: a, risk: low, families: [read], phrases: [{text: a b, weight: 0.5}]}\n  - *a\n"))
	f.Add([]byte("threshold: .nan\nintents: []\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := Parse(src)
		if err != nil {
			return
		}
		if c.Threshold() <= 0 || c.Threshold() > 1 {
			t.Fatalf("accepted threshold %v", c.Threshold())
		}
		for _, d := range c.Definitions() {
			for _, e := range slices.Concat(d.Examples, d.CounterExamples, []string{d.Name, string(src[:min(len(src), 200)])}) {
				for _, in := range c.Classify(e) {
					if in.Score < 0 || in.Score > 1 {
						t.Fatalf("score %v outside [0, 1]", in.Score)
					}
				}
			}
		}
	})
}
