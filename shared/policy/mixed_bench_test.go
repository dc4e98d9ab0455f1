package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cedar-policy/cedar-go"
)

// BenchmarkMixed reports p50 and p99 of single decisions over the mixed policy set
// (mixedgen_test.go) at 1,000 and 10,000 policies, 500 generated requests a round: Evaluate
// (request building included) beside, in the same run, cedar-go's Authorize over every
// policy with the request prebuilt. BenchmarkMixedOPA is the other baseline. The requests
// come in interleaved sessions (mixedRequests); fresh-sessions makes every request a session
// of its own, so no part of its context comes from the Set's caches; cedar-decides has
// cedar-go decide every candidate.
func BenchmarkMixed(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		s, err := Compile("mixed.cedar", []byte(mixedPolicySet(mixedFull, n, 1)))
		if err != nil {
			b.Fatal(err)
		}
		reqs := mixedRequests(mixedFull, 500, 2)
		b.Run(fmt.Sprintf("policies=%d/sliced-fresh-sessions", n), func(b *testing.B) {
			fresh := mixedSessions(mixedFull, 500, 2, true)
			evaluatePercentiles(b, s, fresh)
		})
		b.Run(fmt.Sprintf("policies=%d/sliced", n), func(b *testing.B) {
			evaluatePercentiles(b, s, reqs)
			total, toCedar := 0, 0
			for _, r := range reqs {
				bk, _ := s.bucket(r.Action)
				f := s.factsOf(&r)
				list := bk.requestCandidates(&f).collect(nil)
				total += len(list)
				if slices.ContainsFunc(list, func(e *entry) bool { return !e.certain }) {
					toCedar++
				}
			}
			b.ReportMetric(float64(total)/float64(len(reqs)), "candidates")
			// The share of requests some candidate of which cedar-go decides.
			b.ReportMetric(float64(toCedar)/float64(len(reqs)), "to-cedar")
		})
		// The same set with a condition no guard reads at the end of every policy (always
		// true: the decisions are the same), so cedar-go decides every candidate the index
		// leaves: what a set written with conditions beyond guards costs.
		sc, err := Compile("mixed.cedar", []byte(strings.ReplaceAll(mixedPolicySet(mixedFull, n, 1), " };", ` && context.target.kind != "none" };`)))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("policies=%d/sliced-cedar-decides", n), func(b *testing.B) {
			evaluatePercentiles(b, sc, reqs)
		})
		b.Run(fmt.Sprintf("policies=%d/unsliced-cedar", n), func(b *testing.B) {
			pm := cedar.PolicyMap{}
			for _, e := range s.all {
				pm[e.id] = e.policy()
			}
			var ds []time.Duration
			for b.Loop() {
				for _, r := range reqs[:50] {
					req, ents := cedarRequest(r, nil, 0, 0)
					start := time.Now()
					_, _ = cedar.Authorize(pm, ents, req)
					ds = append(ds, time.Since(start))
				}
			}
			report(b, ds)
		})
	}
}
