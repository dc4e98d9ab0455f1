package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cedar-policy/cedar-go"

	"github.com/mandate-dev/mandate/shared/api"
)

// benchActions is the action vocabulary of benchmark policy sets: the HTTP methods, SQL
// statement types and a spread of AWS operations a deployment governs.
var benchActions = func() []string {
	out := []string{
		"http:GET", "http:HEAD", "http:POST", "http:PUT", "http:PATCH", "http:DELETE",
		"sql:SELECT", "sql:INSERT", "sql:UPDATE", "sql:DELETE", "sql:TRUNCATE",
	}
	for _, svc := range []string{"dynamodb", "s3", "sqs", "lambda", "ec2", "rds", "kms", "secretsmanager"} {
		for _, op := range []string{"GetThing", "ListThings", "DescribeThing", "PutThing", "UpdateThing", "CreateThing", "DeleteThing", "TagThing"} {
			out = append(out, svc+":"+op)
		}
	}
	return out
}()

// benchPolicySet writes n policies shaped like a real deployment's: most permit one action
// or a few on one target for one intent, some forbid a family on a target unless the
// operator is verified, and a few global forbids have no scope at all.
func benchPolicySet(n int) string {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	targets := max(1, n/10)
	var b strings.Builder
	for i := range n {
		t := rng.IntN(targets)
		a := benchActions[rng.IntN(len(benchActions))]
		switch p := rng.IntN(100); {
		case p < 70:
			fmt.Fprintf(&b, "@id(\"p%d\") permit (principal, action == Action::%q, resource in Target::\"t%d\") when { context.intents.contains(\"intent%d\") };\n", i, a, t, rng.IntN(20))
		case p < 90:
			a2 := benchActions[rng.IntN(len(benchActions))]
			fmt.Fprintf(&b, "@id(\"p%d\") permit (principal, action in [Action::%q, Action::%q], resource in Target::\"t%d\") when { context.operator.verified };\n", i, a, a2, t)
		case p < 98:
			fmt.Fprintf(&b, "@id(\"p%d\") forbid (principal, action in Action::%q, resource in Target::\"t%d\") unless { context.operator.verified };\n", i, families[rng.IntN(len(families))], t)
		default:
			fmt.Fprintf(&b, "@id(\"p%d\") forbid (principal, action, resource) when { context.session.actions > 1000 };\n", i)
		}
	}
	return b.String()
}

func benchRequest() Request {
	return Request{
		Agent: "demo-agent", AgentKind: "sigv4", Operator: "alice", OperatorVerified: true,
		Action: "http:GET", Target: "t0", Resource: "42",
		Intents:           []api.Intent{{Name: "intent3", Score: 0.9}, {Name: "intent7", Score: 0.6}},
		SessionAgeSeconds: 120, SessionActions: 3,
		Now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
	}
}

// BenchmarkEvaluate measures a decision by policy count: Evaluate (sliced by action,
// request building included) beside cedar-go's Authorize over the whole set with the
// request already built (the unsliced baseline, as cedar-go is used without an index).
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		s, err := Compile("bench.cedar", []byte(benchPolicySet(n)))
		if err != nil {
			b.Fatal(err)
		}
		r := benchRequest()
		b.Run(fmt.Sprintf("policies=%d/sliced", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = s.Evaluate(r)
			}
			b.ReportMetric(float64(s.candidates(r.Action, r.Target).Len()), "candidates")
		})
		b.Run(fmt.Sprintf("policies=%d/unsliced-cedar", n), func(b *testing.B) {
			pm := cedar.PolicyMap{}
			for _, e := range s.all {
				pm[e.id] = e.policy()
			}
			req, ents := cedarRequest(r, nil, 0, 0)
			b.ReportAllocs()
			for b.Loop() {
				_, _ = cedar.Authorize(pm, ents, req)
			}
			b.ReportMetric(float64(len(pm)), "candidates")
		})
	}
}

// BenchmarkRequest measures building the Cedar request and context alone, the fixed cost
// of every decision.
func BenchmarkRequest(b *testing.B) {
	r := benchRequest()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = cedarRequest(r, nil, 0, 0)
	}
}

// BenchmarkCompile measures the cold-start cost of parsing and slicing a policy document.
func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{100, 1000} {
		doc := []byte(benchPolicySet(n))
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := Compile("bench.cedar", doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
