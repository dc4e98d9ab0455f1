package policy

import (
	"errors"
	"os"
	"testing"
)

// FuzzUpload feeds arbitrary documents and test cases through what PUT /v1/policies does
// with them: Compile, Validate against the schema, Check the cases, Evaluate. Invariants:
// nothing panics; a rejected document yields only positioned *Error problems wrapping
// ErrInvalid; an accepted one validates or reports problems that each name a policy of the
// set; every decision's verdict is one of the three.
func FuzzUpload(f *testing.F) {
	demo, err := os.ReadFile("../local/defaults/policies.cedar")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(demo, []byte("cases:\n  - request: {action: \"http:GET\", target: customers, intents: [customer_support.lookup]}\n    expect: {verdict: allow}\n"))
	f.Add([]byte(`@id("a") @approval("x") @max_ttl("1m") @mask("p") permit (principal, action in [Action::"read", Action::"s3:GetObject"], resource in Target::"t") when { context.session.by_family.read < 3 };`), []byte(`{"cases":[]}`))
	f.Add([]byte(`@id("a") forbid (principal == Agent::"x", action, resource) unless { context.intent_scores has "a.b" && context.intent_scores["a.b"] > 5 };`), []byte("cases: [{expect: {verdict: deny}}]"))
	f.Add([]byte("@id(\"a\") permit (principal, action, resource) when { context."), []byte("cases:\n - nope: 1"))
	f.Fuzz(func(t *testing.T, doc, cases []byte) {
		set, err := Compile("fuzz.cedar", doc)
		if err != nil {
			checkProblems(t, err)
			return
		}
		if err := set.Validate([]string{"customer_support.lookup", "a.b"}); err != nil {
			for _, p := range checkProblems(t, err) {
				if _, ok := set.byID[p.PolicyID]; !ok && p.PolicyID != "" {
					t.Fatalf("problem names a policy not in the set: %v", p)
				}
			}
		}
		cs, err := ParseCases(cases)
		if err != nil {
			return
		}
		_ = set.Check(cs)
		for _, c := range cs {
			d := set.Evaluate(CaseRequest(c.Request))
			if d.Verdict != verdictAllow && d.Verdict != verdictDeny && d.Verdict != verdictApproval {
				t.Fatalf("verdict %q", d.Verdict)
			}
		}
	})
}

func checkProblems(t *testing.T, err error) []*Error {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error does not wrap ErrInvalid: %v", err)
	}
	probs := Problems(err)
	if len(probs) == 0 {
		t.Fatalf("error lists no problems: %v", err)
	}
	for _, p := range probs {
		if p.File == "" || p.Message == "" {
			t.Fatalf("problem without file or message: %#v", p)
		}
	}
	return probs
}
