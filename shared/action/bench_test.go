package action

import (
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
)

// The cost canonicalisation adds to every action (compare with the policy decision,
// BenchmarkEvaluate in shared/policy, in the same run).
func BenchmarkParse(b *testing.B) {
	body, err := Decode([]byte(`{"id":9007199254740993,"name":"Ada","tags":["a","b"],"address":{"city":"London","zip":"N1"}}`))
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		a    api.Action
	}{
		{"http-get", api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}},
		{"http-get-query", api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers?page=2&limit=50&sort=name"}},
		{"http-get-encoded", api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/caf%C3%A9/%61ddress?q=a+b"}},
		{"http-post-body", api.Action{Kind: api.KindHTTP, Target: "customers", Method: "POST", Path: "/customers", Body: body}},
		{"aws", api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
			Params: map[string]any{"Key": map[string]any{"id": map[string]any{"S": "o-1"}}}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(c.a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDigest(b *testing.B) {
	a, err := Parse(api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers?page=2&limit=50"})
	if err != nil {
		b.Fatal(err)
	}
	key := make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Digest(key, "mandate/action/v1"); err != nil {
			b.Fatal(err)
		}
	}
}

// The digest the records carried before the canonical form (encoding/json, then RFC 8785,
// then SHA-256): the baseline BenchmarkDigest replaces.
func BenchmarkDigestJCSBaseline(b *testing.B) {
	a := api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers?page=2&limit=50"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := audit.Digest(a); err != nil {
			b.Fatal(err)
		}
	}
}
