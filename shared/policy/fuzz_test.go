package policy

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
)

// FuzzCompile checks that Compile never panics, that every rejection wraps ErrInvalid with
// at least one Problem, and that a compiled set evaluates without panic and exactly as the
// unsliced reference.
func FuzzCompile(f *testing.F) {
	if demo, err := os.ReadFile(demoPath); err == nil {
		f.Add(demo)
	}
	f.Add([]byte(`@id("a") permit (principal, action in Action::"read", resource in Target::"t") when { context.intents.contains("x") };`))
	f.Add([]byte(`@id("b") forbid (principal, action in [Action::"http:DELETE", Action::"write"], resource) unless { context.operator.verified };`))
	f.Add([]byte(`@id("c") permit (principal is Agent, action, resource is Resource in Target::"t") when { context.intent_scores.x >= 50 };`))
	f.Add([]byte(`@id("d") permit (principal, action, resource == Resource::"t/r") when { context.time.hour + 9223372036854775807 > 0 };`))
	f.Add([]byte(`@id("f") forbid (principal, action, resource in Resource::"t/r") when { context.time.weekday >= 6 || !(context.operator.verified && context.intent_scores.x < 5) };`))
	f.Add([]byte(`@id("g") permit (principal == Agent::"a", action, resource is Resource in Resource::"t/r") unless { context.intent_scores.y < 20 } when { context.intents.contains("x") || context.session.actions > 2 };`))
	f.Add([]byte(`permit (principal, action, resource);`))
	f.Add([]byte("@id(\"e\") permit (principal, action, resource) when { \"\xff\" };"))
	requests := []Request{
		{Agent: "a", Action: "http:GET", Target: "t", Resource: "r", Intents: []api.Intent{{Name: "x", Score: 0.9}}},
		{Agent: "a", Action: "http:DELETE", Target: "t", Resource: "r", OperatorVerified: true},
		{Agent: "b", Action: "dynamodb:PutItem", Target: "u", Resource: "arn:aws:dynamodb:eu-west-1:1:table/x"},
		{Action: "read"},
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Compile("fuzz.cedar", src)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || len(Problems(err)) == 0 {
				t.Fatalf("Compile error %v does not wrap ErrInvalid with problems", err)
			}
			return
		}
		for _, r := range requests {
			got := s.Evaluate(r)
			if got.Verdict != api.VerdictAllow && got.Verdict != api.VerdictDeny {
				t.Fatalf("verdict %q", got.Verdict)
			}
			if len(got.Reasons) == 0 {
				t.Fatalf("decision %+v names no reason", got)
			}
			if diff := cmp.Diff(unsliced(s, r), got); diff != "" {
				t.Fatalf("sliced differs from unsliced for %+v (-unsliced +sliced):\n%s", r, diff)
			}
		}
	})
}
