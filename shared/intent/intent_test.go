package intent

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
)

const demoPath = "../local/defaults/intents.yaml"

func loadDemo(t testing.TB) *Classifier {
	t.Helper()
	src, err := os.ReadFile(demoPath)
	if err != nil {
		t.Fatalf("read demo catalog: %v", err)
	}
	c, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(demo.yaml): %v", err)
	}
	return c
}

// TestDemoCatalogExamples runs every example and counter example of the demo catalog.
func TestDemoCatalogExamples(t *testing.T) {
	t.Parallel()
	c := loadDemo(t)
	n := 0
	for _, d := range c.Definitions() {
		for _, e := range d.Examples {
			n++
			got := c.Classify(e)
			if !containsIntent(got, d.Name) {
				t.Errorf("example %q of %s classified as %+v", e, d.Name, got)
			}
		}
		for _, e := range d.CounterExamples {
			n++
			if got := c.Classify(e); containsIntent(got, d.Name) {
				t.Errorf("counter example %q of %s classified as %+v", e, d.Name, got)
			}
		}
	}
	if n < 10 {
		t.Errorf("the demo catalog has only %d examples", n)
	}
	if err := c.CheckExamples(); err != nil {
		t.Errorf("CheckExamples: %v", err)
	}
}

func containsIntent(got []api.Intent, name string) bool {
	for _, in := range got {
		if in.Name == name {
			return true
		}
	}
	return false
}

func TestClassifyDemo(t *testing.T) {
	t.Parallel()
	c := loadDemo(t)
	tests := []struct {
		name   string
		prompt string
		want   []api.Intent
	}{
		{
			name:   "demo prompt",
			prompt: "look up the contact details of customer 42 to answer their ticket",
			want: []api.Intent{{Name: "customer_support.lookup", Score: 0.9462, Evidence: []string{
				"phrase:look up", "phrase:contact details",
				"keyword:customer*", "keyword:ticket", "keyword:contact", "keyword:details",
			}}},
		},
		{
			name:   "case, punctuation and spacing do not matter",
			prompt: "  LOOK\tup   the “Contact Details” of Customer #42, to answer their TICKET!!  ",
			want: []api.Intent{{Name: "customer_support.lookup", Score: 0.9462, Evidence: []string{
				"phrase:look up", "phrase:contact details",
				"keyword:customer*", "keyword:ticket", "keyword:contact", "keyword:details",
			}}},
		},
		{
			name:   "fullwidth letters fold to ASCII",
			prompt: "ｄｅｌｅｔｅ customer 42",
			want: []api.Intent{{Name: "customer_data.delete", Score: 0.936, Evidence: []string{
				"phrase:delete customer", "keyword:delete", "keyword:customer",
			}}},
		},
		{
			name:   "delete request, lookup suppressed by the negative cue",
			prompt: "Delete customer 42 and all their data",
			want: []api.Intent{{Name: "customer_data.delete", Score: 0.936, Evidence: []string{
				"phrase:delete customer", "keyword:delete", "keyword:customer",
			}}},
		},
		{
			name:   "negative cue reported as evidence",
			prompt: "how many customers did we delete last month",
			want:   []api.Intent{{Name: "reporting.aggregate", Score: 0.6, Evidence: []string{"phrase:how many"}}},
		},
		{
			name:   "two intents sorted by score",
			prompt: "find customer 42's ticket and give me a summary report",
			want: []api.Intent{
				{Name: "reporting.aggregate", Score: 0.84, Evidence: []string{"keyword:report*", "keyword:summary"}},
				{Name: "customer_support.lookup", Score: 0.616, Evidence: []string{"keyword:customer*", "keyword:ticket", "keyword:find"}},
			},
		},
		{
			name:   "repetition counts once",
			prompt: "customer customer customer customer customer",
			want:   []api.Intent{{Name: Unclassified, Score: 0, Evidence: []string{}}},
		},
		{
			name:   "nothing recognised",
			prompt: "write a poem about the sea",
			want:   []api.Intent{{Name: Unclassified, Score: 0, Evidence: []string{}}},
		},
		{
			name:   "empty prompt",
			prompt: "",
			want:   []api.Intent{{Name: Unclassified, Score: 0, Evidence: []string{}}},
		},
		{
			name:   "phrase words must be consecutive",
			prompt: "look the contact up",
			want:   []api.Intent{{Name: Unclassified, Score: 0, Evidence: []string{}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := c.Classify(tt.prompt)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Classify(%q) mismatch (-want +got):\n%s", tt.prompt, diff)
			}
		})
	}
}

func TestNegativeEvidence(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`
threshold: 0.3
intents:
  - name: lookup
    risk: low
    families: [read]
    keywords: [{text: customer, weight: 0.9}]
    negative: [{text: delete, weight: 0.5}]
`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Classify("delete customer")
	want := []api.Intent{{Name: "lookup", Score: 0.4, Evidence: []string{"keyword:customer", "negative:delete"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestNormalise(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		"Look UP the customer's e-mail.":     {"look", "up", "the", "customer", "e-mail"},
		"  \"Contact\tdetails\"\n(please)  ": {"contact", "details", "please"},
		"KELVIN \u212A and long \u017F":      {"kelvin", "k", "and", "long", "s"},
		"it\u2019s customer\u2019s":          {"it", "customer"},
		"delet* --- ***":                     {"delet*", "*"},
		"ＤＥＬＥＴＥ\u3000now":                    {"delete", "now"},
		"":                                   nil,
	}
	for in, want := range tests {
		if diff := cmp.Diff(want, normalise(in)); diff != "" {
			t.Errorf("normalise(%q) mismatch (-want +got):\n%s", in, diff)
		}
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`{"intents": [{"name": "a.b", "risk": "medium", "families": ["write"],
		"phrases": [{"text": "update the record", "weight": 0.8}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Threshold() != DefaultThreshold {
		t.Errorf("Threshold = %v, want %v", c.Threshold(), DefaultThreshold)
	}
	want := []Definition{{Name: "a.b", Risk: RiskMedium, Families: []string{"write"}}}
	if diff := cmp.Diff(want, c.Definitions()); diff != "" {
		t.Errorf("Definitions mismatch (-want +got):\n%s", diff)
	}
	got := c.Classify("Please update the record.")
	if diff := cmp.Diff([]api.Intent{{Name: "a.b", Score: 0.8, Evidence: []string{"phrase:update the record"}}}, got); diff != "" {
		t.Errorf("Classify mismatch (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want []string // substrings, one per reported problem, in order
	}{
		{
			name: "every problem reported at once",
			doc: `
threshold: 1.5
intents:
  - name: Bad Name
    risk: extreme
    families: [read, read, admin]
    phrases: [{text: "  ...  ", weight: 0.5}]
    keywords: [{text: two words, weight: 0.5}, {text: ok, weight: 0}]
    negative: [{text: "a*b", weight: 0.5}]
    examples: [""]
  - name: dup
    risk: low
    families: [read]
    keywords: [{text: x, weight: 0.5}, {text: X, weight: 0.5}]
  - name: dup
    risk: low
    families: [read]
  - name: unclassified
    risk: low
    families: []
    keywords: [{text: y, weight: 1}]
`,
			want: []string{
				"threshold 1.5 is outside (0, 1]",
				`line 4: intents[0] "Bad Name": name must be`,
				`risk "extreme" is not low, medium or high`,
				`families[1] "read" is listed twice`,
				`families[2] "admin" is not read, write or delete`,
				`phrases[0] "  ...  ": text is empty once normalised`,
				`keywords[0] "two words": a keyword is one word`,
				`keywords[1] "ok": weight 0 is outside (0, 1]`,
				`negative[0] "a*b": "a*b": '*' may only end a word`,
				`examples[0] is empty`,
				`keywords[1] "X": repeats line 11: intents[1] "dup": keywords[0] "x"`,
				`line 15: intents[2] "dup": duplicate name`,
				`intents[2] "dup": no phrases or keywords`,
				`intents[3] "unclassified": name "unclassified" is reserved`,
				`intents[3] "unclassified": families is empty`,
			},
		},
		{name: "unknown field", doc: "intents:\n  - name: a\n    keywrods: []\n", want: []string{"field keywrods not found"}},
		{name: "unknown json field", doc: `{"intents": [], "treshold": 1}`, want: []string{`unknown field "treshold"`}},
		{name: "trailing json", doc: `{"intents": []} {}`, want: []string{"unexpected data after the catalog"}},
		{name: "not yaml", doc: "intents: [", want: []string{"yaml:"}},
		{name: "empty", doc: "", want: []string{"the catalog defines no intents"}},
		{name: "missing fields", doc: "intents: [{name: a}]", want: []string{"risk is missing", "families is empty", "no phrases or keywords"}},
		{name: "too large", doc: strings.Repeat(" ", MaxCatalogBytes+1), want: []string{"larger than the limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatal("Parse succeeded, want errors")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			var got []string
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					got = append(got, e.Error())
				}
			} else {
				got = []string{err.Error()}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestCheckExamplesReportsMismatches(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`
intents:
  - name: lookup
    risk: low
    families: [read]
    keywords: [{text: customer, weight: 0.9}]
    examples: [find the customer, find the client]
    counter_examples: [delete the customer]
`))
	if err != nil {
		t.Fatal(err)
	}
	err = c.CheckExamples()
	if !errors.Is(err, ErrExampleMismatch) {
		t.Fatalf("CheckExamples = %v, want ErrExampleMismatch", err)
	}
	for _, want := range []string{`example "find the client" classified as unclassified`, `counter example "delete the customer" classified as lookup`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("CheckExamples error %q lacks %q", err, want)
		}
	}
}
