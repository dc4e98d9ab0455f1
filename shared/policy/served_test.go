package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/x/exp/schema"
	exptypes "github.com/cedar-policy/cedar-go/x/exp/types"
	"github.com/google/go-cmp/cmp"
)

// TestServedDecidesAsCompiled: the set the authority runs (Served: the precompiled form read
// back, indexed afresh) decides the mixed set's requests exactly as the set compiled from
// the text, for a set of one file and of several.
func TestServedDecidesAsCompiled(t *testing.T) {
	t.Parallel()
	doc := mixedPolicySet(mixedFull, 1000, 5)
	one, err := Compile("mixed.cedar", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	half := len(doc) / 2
	for doc[half] != '@' {
		half++
	}
	several, err := CompileFiles("mixed", []Source{{Name: "a.cedar", Text: []byte(doc[:half])}, {Name: "b.cedar", Text: []byte(doc[half:])}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Set{one, several} {
		served, err := s.Served()
		if err != nil {
			t.Fatal(err)
		}
		if s.FromPrecompiledForm() || !served.FromPrecompiledForm() {
			t.Fatalf("FromPrecompiledForm: compiled %v, served %v", s.FromPrecompiledForm(), served.FromPrecompiledForm())
		}
		if !slices.Equal(s.IDs(), served.IDs()) {
			t.Fatal("served set has other policies")
		}
		for _, r := range mixedRequests(mixedFull, 1000, 6) {
			if diff := cmp.Diff(s.Evaluate(r), served.Evaluate(r)); diff != "" {
				t.Fatalf("request %+v: served differs (-compiled +served):\n%s", r, diff)
			}
		}
	}
}

// TestCedarCorpusServed decides Cedar's integration corpus with sets read back from their
// precompiled form (Served), as the authority loads them: every request must get the
// decision, reasons and errors the corpus expects, and those cedar-go gives over every policy.
func TestCedarCorpusServed(t *testing.T) {
	t.Parallel()
	dir := "../../testdata/cedar-integration"
	files, _ := filepath.Glob(filepath.Join(dir, "corpus-tests", "*.json"))
	requests := 0
	for _, f := range files {
		if filepath.Ext(f[:len(f)-len(".json")]) == ".entities" {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tt struct {
			Policies, Entities, Schema string
			Requests                   []struct {
				Description                 string
				Principal, Action, Resource cedar.EntityUID
				Context                     cedar.Record
				Decision                    string
				Reasons                     []string `json:"reason"`
				Errors                      []string
			}
		}
		if err := json.Unmarshal(raw, &tt); err != nil || tt.Policies == "" {
			continue // not a test file
		}
		text, err := os.ReadFile(filepath.Join(dir, tt.Policies))
		if err != nil {
			t.Fatal(err)
		}
		s, err := CompileUnnamed(tt.Policies, text)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		served, err := s.Served()
		if err != nil {
			t.Fatalf("%s: Served: %v", f, err)
		}
		ents := corpusEntities(t, dir, tt.Entities, tt.Schema)
		pm := cedar.PolicyMap{}
		for i := range s.all {
			pm[s.all[i].id] = s.all[i].policy()
		}
		for _, q := range tt.Requests {
			requests++
			req := cedar.Request{Principal: q.Principal, Action: q.Action, Resource: q.Resource, Context: q.Context}
			d := served.Authorize(ents, req)
			reasons := d.Reasons
			if slices.Equal(reasons, []string{ReasonDefaultDeny}) {
				reasons = nil
			}
			dec, diag := cedar.Authorize(pm, ents, req)
			var cedarReasons, cedarErrors []string
			for _, r := range diag.Reasons {
				cedarReasons = append(cedarReasons, string(r.PolicyID))
			}
			for _, e := range diag.Errors {
				cedarErrors = append(cedarErrors, string(e.PolicyID))
			}
			want := verdictDeny
			if dec == cedar.Allow {
				want = verdictAllow
			}
			if d.Verdict != q.Decision || d.Verdict != want || !sameIDs(reasons, q.Reasons) || !sameIDs(reasons, cedarReasons) ||
				!sameIDs(d.ErrorPolicies, q.Errors) || !sameIDs(d.ErrorPolicies, cedarErrors) {
				t.Errorf("%s: %s: served %s %v errors %v; corpus %s %v errors %v; cedar-go %s %v errors %v",
					f, q.Description, d.Verdict, reasons, d.ErrorPolicies, q.Decision, q.Reasons, q.Errors, want, cedarReasons, cedarErrors)
			}
		}
	}
	if requests < 300 {
		t.Fatalf("only %d corpus requests decided", requests)
	}
}

// corpusEntities reads a corpus entities file, with its schema when it has one, as Cedar does.
func corpusEntities(t *testing.T, dir, entities, schemaFile string) cedar.EntityMap {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(dir, entities))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.ReadFile(filepath.Join(dir, schemaFile)); err == nil && schemaFile != "" {
		var sc schema.Schema
		sc.SetFilename(schemaFile)
		if err := sc.UnmarshalCedar(st); err == nil {
			if rs, err := sc.Resolve(); err == nil {
				var em exptypes.EntityMap
				if err := em.UnmarshalJSONWithSchema(text, rs); err == nil {
					return cedar.EntityMap(em)
				}
			}
		}
	}
	var ents cedar.EntityMap
	if err := json.Unmarshal(text, &ents); err != nil {
		t.Fatalf("%s: %v", entities, err)
	}
	return ents
}

func sameIDs(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
