package policy

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cedar-policy/cedar-go"

	"github.com/mandate-dev/mandate/shared/api"
)

// percentileRequests are decisions across the benchmark vocabulary: every action on a few
// targets, with and without intents, so the percentiles cover the spread of slice sizes.
func percentileRequests(targets int) []Request {
	var out []Request
	for i, a := range benchActions {
		r := benchRequest()
		r.Action = a
		r.Target = fmt.Sprintf("t%d", i%max(1, targets))
		// Each action of a session counts: the session record is new for every request.
		r.SessionActions, r.SessionAgeSeconds = i, int64(120+2*i)
		if i%3 == 0 {
			r.Intents = []api.Intent{{Name: "unclassified"}}
		}
		out = append(out, r)
	}
	return out
}

// BenchmarkDecisionPercentiles reports p50 and p99 of single decisions (Evaluate, request
// building included) at 1,000 and 10,000 policies, beside the unsliced cedar-go figure for
// the same requests in the same run. Each b.N round decides every request once.
func BenchmarkDecisionPercentiles(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		s, err := Compile("bench.cedar", []byte(benchPolicySet(n)))
		if err != nil {
			b.Fatal(err)
		}
		reqs := percentileRequests(n / 10)
		b.Run(fmt.Sprintf("policies=%d/sliced", n), func(b *testing.B) {
			evaluatePercentiles(b, s, reqs)
		})
		b.Run(fmt.Sprintf("policies=%d/unsliced-cedar", n), func(b *testing.B) {
			pm := cedar.PolicyMap{}
			for _, e := range s.all {
				pm[e.id] = e.policy()
			}
			var ds []time.Duration
			for b.Loop() {
				for _, r := range reqs[:8] {
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

// evaluatePercentiles reports p50 and p99 of single Evaluate calls over reqs, a round per
// b.N, after an untimed round: the percentiles are of a set whose buckets are built
// (BenchmarkLoad measures building them).
func evaluatePercentiles(b *testing.B, s *Set, reqs []Request) {
	for _, r := range reqs {
		_ = s.Evaluate(r)
	}
	var ds []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range reqs {
			start := time.Now()
			_ = s.Evaluate(r)
			ds = append(ds, time.Since(start))
		}
	}
	report(b, ds)
}

func report(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	if len(ds) == 0 {
		return
	}
	b.ReportMetric(float64(ds[len(ds)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(ds[len(ds)*99/100].Nanoseconds())/1e3, "p99-µs")
}
