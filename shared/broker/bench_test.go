package broker

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
)

// BenchmarkSTSReuse measures credential reuse for identical scopes against an STS answering
// over HTTP on loopback (httptest, STS's real AssumeRole XML): the hit rate, the STS calls
// made per 1,000 mints, and mints per second, beside the no-reuse baseline where every
// scope is new. The clock advances 10 ms per mint (100 actions/s), so the 2-minute policy
// window and ReuseMargin expire cached credentials as they would in production.
func BenchmarkSTSReuse(b *testing.B) {
	get := api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders"}
	cases := []struct {
		name   string
		scopes int // distinct scopes the mints are drawn from; 0 means every mint is new
	}{
		{"identical-scope", 1},
		{"32-scopes", 32},
		{"no-reuse-baseline", 0},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			clock := start
			srv, client := newSTS(b, start)
			br := New(nil, func() time.Time { return clock })
			br.UseSTS(client)
			r := rand.New(rand.NewPCG(1, 2))
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sc := Scope{Session: "ses_bench", Record: record, Operator: "ada@example.com", Intent: "customer_support.lookup"}
				switch {
				case tc.scopes == 0:
					sc.Session = fmt.Sprintf("ses_%d", i)
				case tc.scopes > 1:
					sc.Session = fmt.Sprintf("ses_%d", r.IntN(tc.scopes))
				}
				if _, err := br.Mint(ctx, awsTarget, get, sc); err != nil {
					b.Fatal(err)
				}
				clock = clock.Add(10 * time.Millisecond)
				srv.mu.Lock()
				srv.now = clock // STS's Expiration follows the same clock
				srv.mu.Unlock()
			}
			b.StopTimer()
			hits, misses := br.ReuseStats()
			if int(misses) != len(srv.forms) {
				b.Fatalf("misses %d, STS calls %d", misses, len(srv.forms))
			}
			b.ReportMetric(100*float64(hits)/float64(hits+misses), "hit%")
			b.ReportMetric(1000*float64(misses)/float64(hits+misses), "sts-calls/1k-mints")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mints/s")
		})
	}
}
