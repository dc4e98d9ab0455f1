package identity

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzVerifyToken feeds arbitrary strings to the token verifier (keys from a file, so nothing
// is fetched). Invariants: no panic; every failure is an ErrUnauthenticated; only the seed's
// genuinely signed token verifies.
func FuzzVerifyToken(f *testing.F) {
	k := testKey{kid: "k1", alg: jose.ES256, priv: ecKey(f)}
	file := filepath.Join(f.TempDir(), "jwks.json")
	if err := os.WriteFile(file, jwks(f, k), 0o600); err != nil {
		f.Fatal(err)
	}
	v, err := NewTokenVerifier([]IssuerConfig{{Issuer: "https://i.example.com", Audiences: []string{testAudience}, Algorithms: []string{"ES256"},
		JWKSFile: file, Trust: TrustAgent}}, nil, func() time.Time { return testNow })
	if err != nil {
		f.Fatal(err)
	}
	good := mint(f, k, claimsFor("https://i.example.com", testAudience, "s", testNow), nil)
	f.Add(good)
	f.Add(rawToken(f, map[string]any{"alg": "none"}, claimsFor("https://i.example.com", testAudience, "s", testNow), nil))
	f.Add(rawToken(f, map[string]any{"alg": "HS256", "kid": "k1"}, map[string]any{"iss": "https://i.example.com", "aud": []any{1, "x"}}, func(b []byte) []byte { return b[:4] }))
	f.Add("e30.e30.")
	f.Add("..")
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := v.Verify(context.Background(), raw, TrustAgent)
		if err != nil {
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("error %v is not ErrUnauthenticated", err)
			}
			return
		}
		if raw != good {
			t.Fatalf("a token that was never signed verified: %q -> %+v", raw, tok)
		}
		if _, err := tok.Principal(); err != nil {
			t.Fatalf("verified token has no principal: %v", err)
		}
	})
}

// FuzzFromJWT: arbitrary claim maps never panic, and a success has the ID ISSUER#SUBJECT.
func FuzzFromJWT(f *testing.F) {
	f.Add("https://k", "system:serviceaccount:ns:sa", `{"pod":{"name":"p"}}`, "")
	f.Add(GitHubActionsIssuer, "repo:a/b:ref:refs/heads/main", "", "a/b")
	f.Add("x", "system:serviceaccount::", "{", "")
	f.Fuzz(func(t *testing.T, iss, sub, k8s, repo string) {
		p, err := FromJWT(map[string]string{"iss": iss, "sub": sub, "kubernetes.io": k8s, "repository": repo})
		if err != nil {
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("error %v is not ErrUnauthenticated", err)
			}
			return
		}
		if p.ID != iss+"#"+sub || p.Kind != KindOIDC || p.Name == "" {
			t.Fatalf("principal %+v", p)
		}
	})
}

// FuzzVerifyPresigned feeds arbitrary query strings to the presigned form. Invariants: no
// panic; every failure is an ErrUnauthenticated; only the seed's real signature verifies.
func FuzzVerifyPresigned(f *testing.F) {
	v := newTestVerifier(f)
	seed, _ := presigned(f, presignSpec{Path: "/v1/sessions/s-1", PayloadHash: unsignedPayload})
	f.Add(seed.URL.RawQuery)
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20250102%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20250102T030405Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=" + testSig)
	f.Add("X-Amz-Signature=&X-Amz-Credential=")
	f.Fuzz(func(t *testing.T, q string) {
		r, err := http.NewRequest(http.MethodGet, "http://"+testHost+"/v1/sessions/s-1?"+q, nil)
		if err != nil || strings.ContainsAny(q, "#") {
			return
		}
		_, err = v.Verify(r, nil)
		if err == nil {
			if got := r.URL.Query().Get("X-Amz-Signature"); got != seed.URL.Query().Get("X-Amz-Signature") {
				t.Fatalf("forged presigned query verified: %q", q)
			}
			return
		}
		if !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("error %v is not ErrUnauthenticated", err)
		}
		checkErrorText(t, err)
	})
}
