package identity

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
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

// BenchmarkVerifyToken measures the cost of verifying one bearer token against a cached key
// set (goal: 20 µs or less): "cached" is a token seen before (the usual case: an agent sends
// the same token until it expires), "signature" checks the signature and claims every time.
func BenchmarkVerifyToken(b *testing.B) {
	for _, tc := range []struct {
		name string
		key  testKey
	}{
		{"RS256", testKey{kid: "k1", alg: jose.RS256, priv: rsaKey(b, 0)}},
		{"ES256", testKey{kid: "k1", alg: jose.ES256, priv: ecKey(b)}},
	} {
		srv := newJWKSServer(b, jwks(b, tc.key))
		tok := mint(b, tc.key, claimsFor(srv.URL, testAudience, "system:serviceaccount:ns:bot", testNow), nil)
		for _, cached := range []bool{true, false} {
			name := tc.name + "/signature"
			if cached {
				name = tc.name + "/cached"
			}
			b.Run(name, func(b *testing.B) {
				v, err := NewTokenVerifier([]IssuerConfig{{Issuer: srv.URL, Audiences: []string{testAudience}, Algorithms: []string{tc.name},
					JWKSURL: srv.URL + "/jwks", Trust: TrustAgent}}, nil, func() time.Time { return testNow })
				if err != nil {
					b.Fatal(err)
				}
				v.noCache = !cached
				ctx := context.Background()
				if _, err := v.Verify(ctx, tok, TrustAgent); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := v.Verify(ctx, tok, TrustAgent); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSignatureBaseline is the floor under BenchmarkVerifyToken/*/signature: the bare
// public-key operation of crypto/rsa and crypto/ecdsa on a SHA-256 digest.
func BenchmarkSignatureBaseline(b *testing.B) {
	digest := sha256.Sum256([]byte("header.payload"))
	rk := rsaKey(b, 0)
	rsig, err := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	b.Run("RSA-2048 PKCS1v15 verify", func(b *testing.B) {
		for b.Loop() {
			if err := rsa.VerifyPKCS1v15(&rk.PublicKey, crypto.SHA256, digest[:], rsig); err != nil {
				b.Fatal(err)
			}
		}
	})
	ek := ecKey(b)
	esig, err := ecdsa.SignASN1(rand.Reader, ek, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ECDSA P-256 verify", func(b *testing.B) {
		for b.Loop() {
			if !ecdsa.VerifyASN1(&ek.PublicKey, digest[:], esig) {
				b.Fatal("no")
			}
		}
	})
}
