package identity

import (
	"bytes"
	"net/http"
	"testing"
)

// BenchmarkVerify measures the cost of verifying one signed request (goal: 20 µs or less).
func BenchmarkVerify(b *testing.B) {
	v := newTestVerifier(b)
	cases := []struct {
		name string
		spec signSpec
	}{
		{name: "GET", spec: signSpec{Path: "/v1/sessions/s-123/audit"}},
		{name: "POST 1KiB", spec: signSpec{
			Method: http.MethodPost, Path: "/v1/sessions/s-123/actions", RawQuery: "dry_run=false",
			Body:   append([]byte(`{"action":{"kind":"http","path":"`), append(bytes.Repeat([]byte("a"), 1000), []byte(`"}}`)...)...),
			Header: http.Header{"Content-Type": {"application/json"}},
		}},
		{name: "single-encoded path", spec: signSpec{Path: "/v1/sessions/a b/é", AsIs: true}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r, body := signed(b, c.spec)
			if _, err := v.Verify(r, body); err != nil {
				b.Fatalf("Verify: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(r, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
