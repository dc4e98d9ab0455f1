// The OPA baseline of the policy benchmarks, and the test that holds it to Cedar's verdicts.
// They build only with -tags opa (`make bench` sets it): OPA and what it imports are about 140
// packages that no other test needs, which a plain and a race build of the tests would each
// compile, about 100 s of CPU on a cold cache.

//go:build opa

package policy

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
)

// prepareMixedRego prepares OPA's query of the Rego translation of a mixed set.
func prepareMixedRego(tb testing.TB, src string) rego.PreparedEvalQuery {
	tb.Helper()
	pq, err := rego.New(rego.Query("data.mandate.decision"), rego.Module("mixed.rego", src)).PrepareForEval(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return pq
}

// opaDecide returns OPA's verdict and the ids of the deciding policies, as Evaluate names them.
func opaDecide(tb testing.TB, pq rego.PreparedEvalQuery, input map[string]any) (string, []string) {
	rs, err := pq.Eval(context.Background(), rego.EvalInput(input))
	if err != nil || len(rs) != 1 || len(rs[0].Expressions) != 1 {
		tb.Fatalf("OPA: %v %v", rs, err)
	}
	d := rs[0].Expressions[0].Value.(map[string]any)
	ids := func(k string) []string {
		var out []string
		for _, v := range d[k].([]any) {
			out = append(out, v.(string))
		}
		slices.Sort(out)
		return out
	}
	if d["allow"].(bool) {
		return verdictAllow, ids("permits")
	}
	if f := ids("forbids"); len(f) > 0 {
		return verdictDeny, f
	}
	return verdictDeny, []string{ReasonDefaultDeny}
}

// TestMixedRegoAgrees holds the Rego translation of the mixed set (the OPA baseline of
// BenchmarkMixedOPA) to deciding as the Cedar set does: same verdict, same deciding policies.
func TestMixedRegoAgrees(t *testing.T) {
	t.Parallel()
	for _, run := range []struct {
		shape mixedShape
		n     int
	}{{mixedSmall, 150}, {mixedFull, 1000}} {
		doc, src := mixedDocuments(run.shape, run.n, 3)
		s, err := Compile("mixed.cedar", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		pq := prepareMixedRego(t, src)
		allows := 0
		for _, r := range mixedRequests(run.shape, 400, 4) {
			d := s.Evaluate(r)
			verdict, reasons := opaDecide(t, pq, mixedInput(r))
			want := slices.Sorted(slices.Values(d.Reasons))
			if verdict != d.Verdict || !slices.Equal(reasons, want) {
				t.Fatalf("request %+v: Cedar %s %v, OPA %s %v", r, d.Verdict, want, verdict, reasons)
			}
			if verdict == verdictAllow {
				allows++
			}
		}
		if allows == 0 {
			t.Errorf("%d policies: no request was allowed", run.n)
		}
	}
}

// BenchmarkMixedOPA is the OPA baseline of BenchmarkMixed: the same policies in Rego,
// OPA's prepared query (rule indexing included) deciding the same requests with the input
// built beforehand, p50 and p99 of each call.
func BenchmarkMixedOPA(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		_, src := mixedDocuments(mixedFull, n, 1)
		pq := prepareMixedRego(b, src)
		reqs := mixedRequests(mixedFull, 500, 2)
		inputs := make([]map[string]any, len(reqs))
		for i, r := range reqs {
			inputs[i] = mixedInput(r)
		}
		ctx := context.Background()
		b.Run(fmt.Sprintf("policies=%d/opa-prepared", n), func(b *testing.B) {
			for _, in := range inputs { // warm, as Evaluate is (warm)
				if _, err := pq.Eval(ctx, rego.EvalInput(in)); err != nil {
					b.Fatal(err)
				}
			}
			var ds []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				for _, in := range inputs {
					start := time.Now()
					if _, err := pq.Eval(ctx, rego.EvalInput(in)); err != nil {
						b.Fatal(err)
					}
					ds = append(ds, time.Since(start))
				}
			}
			report(b, ds)
		})
	}
}

// mixedInput is the OPA input of r, as the Rego of mixedDocuments reads it: the context of
// the Cedar request, with the action's family (the action itself for a family) and the
// resource's id beside the target.
func mixedInput(r Request) map[string]any {
	family := Family(r.Action)
	if slices.Contains(families[:], r.Action) {
		family = r.Action
	}
	intents := make([]any, 0, len(r.Intents))
	scores := map[string]any{}
	for _, in := range r.Intents {
		intents = append(intents, in.Name)
		sc := int64(scaledScore(in.Score))
		if prev, ok := scores[in.Name].(int64); !ok || prev < sc {
			scores[in.Name] = sc
		}
	}
	now := r.Now.UTC()
	weekday := int64(now.Weekday())
	if weekday == 0 {
		weekday = 7
	}
	return map[string]any{
		"agent": r.Agent, "agent_kind": r.AgentKind, "action": r.Action, "family": family,
		"target": r.Target, "resource": r.Target + "/" + r.Resource,
		"intents": intents, "intent_scores": scores,
		"operator": map[string]any{"id": r.Operator, "verified": r.OperatorVerified},
		"session": map[string]any{"actions": int64(r.SessionActions), "age_s": r.SessionAgeSeconds, "by_family": map[string]any{
			FamilyRead: int64(r.SessionByFamily[FamilyRead]), FamilyWrite: int64(r.SessionByFamily[FamilyWrite]), FamilyDelete: int64(r.SessionByFamily[FamilyDelete]),
		}},
		"time": map[string]any{"hour": int64(now.Hour()), "weekday": weekday, "unix": now.Unix()},
	}
}
