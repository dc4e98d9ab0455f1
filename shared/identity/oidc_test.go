package identity

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

const testAudience = "mandate"

// fixture is an agent issuer served over HTTP and an operator issuer read from a file.
type fixture struct {
	clock    *clock
	agentIss *jwksServer
	agentKey testKey
	opIss    string
	opKey    testKey
	opFile   string
	v        *TokenVerifier
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{t: testNow}}
	f.agentKey = testKey{kid: "agent-1", alg: jose.RS256, priv: rsaKey(t, 0)}
	f.agentIss = newJWKSServer(t, jwks(t, f.agentKey))
	f.opKey = testKey{kid: "op-1", alg: jose.ES256, priv: ecKey(t)}
	f.opIss = "https://login.example.com"
	f.opFile = filepath.Join(t.TempDir(), "operators.jwks")
	if err := os.WriteFile(f.opFile, jwks(t, f.opKey), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := NewTokenVerifier([]IssuerConfig{
		{Issuer: f.agentIss.URL, Audiences: []string{testAudience}, Algorithms: []string{"RS256", "ES256"}, JWKSURL: f.agentIss.URL + "/jwks", Trust: TrustAgent},
		{Issuer: f.opIss, Audiences: []string{testAudience, "other"}, Algorithms: []string{"ES256"}, JWKSFile: f.opFile, Trust: TrustOperator},
	}, nil, f.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	return f
}

func (f *fixture) agentToken(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	c := claimsFor(f.agentIss.URL, testAudience, "system:serviceaccount:payments:support-bot", f.clock.now())
	if edit != nil {
		edit(c)
	}
	return mint(t, f.agentKey, c, nil)
}

func TestNewTokenVerifierRefusesBadIssuers(t *testing.T) {
	t.Parallel()
	base := IssuerConfig{Issuer: "https://i.example.com", Audiences: []string{"a"}, Algorithms: []string{"RS256"}, JWKSURL: "https://i.example.com/jwks", Trust: TrustAgent}
	tests := []struct {
		name string
		edit func(*IssuerConfig)
		want string
	}{
		{name: "HMAC algorithm", edit: func(c *IssuerConfig) { c.Algorithms = []string{"HS256"} }, want: "HS256"},
		{name: "none", edit: func(c *IssuerConfig) { c.Algorithms = []string{"none"} }, want: "none"},
		{name: "no audience", edit: func(c *IssuerConfig) { c.Audiences = nil }, want: "audiences"},
		{name: "no algorithms", edit: func(c *IssuerConfig) { c.Algorithms = nil }, want: "algorithms"},
		{name: "two key sources", edit: func(c *IssuerConfig) { c.JWKSFile = "x" }, want: "exactly one"},
		{name: "plain http on a remote host", edit: func(c *IssuerConfig) { c.JWKSURL = "http://i.example.com/jwks" }, want: "https"},
		{name: "bad trust", edit: func(c *IssuerConfig) { c.Trust = "admin" }, want: "trust"},
		{name: "leeway too long", edit: func(c *IssuerConfig) { c.Leeway = time.Hour }, want: "leeway"},
		{name: "missing jwks file", edit: func(c *IssuerConfig) { c.JWKSURL, c.JWKSFile = "", "/nonexistent/jwks.json" }, want: "jwks_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := base
			tt.edit(&c)
			_, err := NewTokenVerifier([]IssuerConfig{c}, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewTokenVerifier = %v; want an error mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := NewTokenVerifier([]IssuerConfig{base, base}, nil, nil); err == nil {
		t.Error("a duplicate issuer was accepted")
	}
}

func TestVerifyToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	now := f.clock.now()
	attacker := testKey{kid: "agent-1", alg: jose.RS256, priv: rsaKey(t, 1)}
	pub := rsaKey(t, 0).Public().(*rsa.PublicKey)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs256 := func(key []byte) func([]byte) []byte {
		return func(in []byte) []byte { m := hmac.New(sha256.New, key); m.Write(in); return m.Sum(nil) }
	}
	valid := claimsFor(f.agentIss.URL, testAudience, "sub-1", now)
	tests := []struct {
		name  string
		token string
		trust string
		want  error
	}{
		{name: "valid RS256", token: f.agentToken(t, nil)},
		{name: "audience in a list", token: f.agentToken(t, func(c map[string]any) { c["aud"] = []string{"x", testAudience} })},
		{name: "expired within leeway", token: f.agentToken(t, func(c map[string]any) { c["exp"] = now.Add(-DefaultLeeway + time.Second).Unix() })},
		{name: "expired", token: f.agentToken(t, func(c map[string]any) { c["exp"] = now.Add(-DefaultLeeway).Unix() }), want: ErrTokenExpired},
		{name: "no exp", token: f.agentToken(t, func(c map[string]any) { delete(c, "exp") }), want: ErrMalformed},
		{name: "exp not a number", token: f.agentToken(t, func(c map[string]any) { c["exp"] = "tomorrow" }), want: ErrMalformed},
		{name: "nbf in the future", token: f.agentToken(t, func(c map[string]any) { c["nbf"] = now.Add(DefaultLeeway + time.Second).Unix() }), want: ErrTokenExpired},
		{name: "iat in the future", token: f.agentToken(t, func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }), want: ErrTokenExpired},
		{name: "wrong audience", token: f.agentToken(t, func(c map[string]any) { c["aud"] = "someone-else" }), want: ErrWrongAudience},
		{name: "no audience", token: f.agentToken(t, func(c map[string]any) { delete(c, "aud") }), want: ErrWrongAudience},
		{name: "no sub", token: f.agentToken(t, func(c map[string]any) { delete(c, "sub") }), want: ErrMalformed},
		{name: "unknown issuer", token: f.agentToken(t, func(c map[string]any) { c["iss"] = "https://evil.example.com" }), want: ErrUntrustedIssuer},
		{name: "no issuer", token: f.agentToken(t, func(c map[string]any) { delete(c, "iss") }), want: ErrMalformed},
		{name: "agent token where an operator token is expected", token: f.agentToken(t, nil), trust: TrustOperator, want: ErrUntrustedIssuer},
		{name: "signed by another key under the same kid", token: mint(t, attacker, valid, nil), want: ErrBadSignature},
		{name: "payload altered", token: func() string {
			tok := f.agentToken(t, nil)
			parts := strings.Split(tok, ".")
			other := strings.Split(f.agentToken(t, func(c map[string]any) { c["sub"] = "admin" }), ".")
			return parts[0] + "." + other[1] + "." + parts[2]
		}(), want: ErrBadSignature},
		{name: "alg none", token: rawToken(t, map[string]any{"alg": "none", "kid": "agent-1"}, valid, nil), want: ErrMalformed},
		{name: "alg none, signature present", token: rawToken(t, map[string]any{"alg": "none"}, valid, func([]byte) []byte { return []byte("x") }), want: ErrMalformed},
		{name: "HS256 signed with the RSA public key (PEM)", token: rawToken(t, map[string]any{"alg": "HS256", "kid": "agent-1"}, valid, hs256(pubPEM)), want: ErrMalformed},
		{name: "HS256 signed with the RSA public key (DER)", token: rawToken(t, map[string]any{"alg": "HS256", "kid": "agent-1"}, valid, hs256(pubDER)), want: ErrMalformed},
		{name: "algorithm not allowed for the issuer", token: mint(t, testKey{kid: "agent-1", alg: jose.PS256, priv: rsaKey(t, 0)}, valid, nil), want: ErrMalformed},
		{name: "unknown kid", token: mint(t, testKey{kid: "agent-9", alg: jose.RS256, priv: rsaKey(t, 0)}, valid, nil), want: ErrUnknownKey},
		{name: "embedded jwk is ignored", token: mint(t, attacker, valid, map[jose.HeaderKey]any{"jwk": jose.JSONWebKey{Key: attacker.priv.Public()}}), want: ErrBadSignature},
		{name: "not compact", token: "a.b", want: ErrMalformed},
		{name: "JSON serialisation", token: `{"payload":"e30","signatures":[]}`, want: ErrMalformed},
		{name: "payload not JSON", token: "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", want: ErrMalformed},
		{name: "too long", token: strings.Repeat("a", MaxTokenBytes+1), want: ErrMalformed},
		{name: "empty", token: "", want: ErrUnsigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trust := tt.trust
			if trust == "" {
				trust = TrustAgent
			}
			tok, err := f.v.Verify(context.Background(), tt.token, trust)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v; want success", err)
				}
				if tok.Issuer != f.agentIss.URL || tok.KeyID != "agent-1" {
					t.Errorf("token = %+v", tok)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("Verify = %v; want %v", err, tt.want)
			}
			checkTokenErrorText(t, err, tt.token)
		})
	}
}

// checkTokenErrorText fails when an error repeats the token or its signature.
func checkTokenErrorText(t *testing.T, err error, token string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) == 3 && len(parts[2]) > 8 && strings.Contains(err.Error(), parts[2]) {
		t.Errorf("error %q contains the token's signature", err)
	}
}

// TestVerifyTokenIgnoresKeyURLs: a token that points at its own key set (jku, x5u) never makes
// the verifier fetch it.
func TestVerifyTokenIgnoresKeyURLs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	evilKey := testKey{kid: "evil-1", alg: jose.RS256, priv: rsaKey(t, 2)}
	evil := newJWKSServer(t, jwks(t, evilKey))
	tok := mint(t, evilKey, claimsFor(f.agentIss.URL, testAudience, "root", f.clock.now()),
		map[jose.HeaderKey]any{"jku": evil.URL + "/jwks", "x5u": evil.URL + "/jwks"})
	if _, err := f.v.Verify(context.Background(), tok, TrustAgent); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Verify = %v; want ErrUnknownKey", err)
	}
	if n := evil.hits.Load(); n != 0 {
		t.Fatalf("the token's jku was fetched %d times", n)
	}
}

func TestVerifyTokenTypeAndDiscovery(t *testing.T) {
	t.Parallel()
	k := testKey{kid: "k1", alg: jose.ES256, priv: ecKey(t)}
	srv := newJWKSServer(t, jwks(t, k))
	v, err := NewTokenVerifier([]IssuerConfig{{Issuer: srv.URL, Audiences: []string{testAudience}, Algorithms: []string{"ES256"},
		DiscoveryURL: srv.URL + "/.well-known/openid-configuration", Trust: TrustAgent, Type: "JWT"}}, nil, func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	c := claimsFor(srv.URL, testAudience, "svc", testNow)
	if _, err := v.Verify(context.Background(), mint(t, k, c, nil), TrustAgent); err != nil {
		t.Fatalf("Verify through discovery: %v", err)
	}
	if _, err := v.Verify(context.Background(), mint(t, k, c, map[jose.HeaderKey]any{"typ": "application/JWT"}), TrustAgent); err != nil {
		t.Fatalf("typ application/JWT: %v", err)
	}
	if _, err := v.Verify(context.Background(), mint(t, k, c, map[jose.HeaderKey]any{"typ": "at+jwt"}), TrustAgent); !errors.Is(err, ErrMalformed) {
		t.Fatalf("typ at+jwt = %v; want ErrMalformed", err)
	}
}

// TestVerifyTokenKeyRotation: a new kid is fetched once the rate limit allows; a key removed
// from the set stops verifying, even for a token verified (and cached) before.
func TestVerifyTokenKeyRotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	old := f.agentToken(t, nil)
	if _, err := f.v.Verify(context.Background(), old, TrustAgent); err != nil {
		t.Fatal(err)
	}
	next := testKey{kid: "agent-2", alg: jose.RS256, priv: rsaKey(t, 1)}
	f.agentIss.set(jwks(t, next))
	fresh := mint(t, next, claimsFor(f.agentIss.URL, testAudience, "sub-2", f.clock.now()), nil)
	if _, err := f.v.Verify(context.Background(), fresh, TrustAgent); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("new kid within the refresh interval = %v; want ErrUnknownKey (rate-limited)", err)
	}
	f.clock.add(MinRefreshInterval)
	if _, err := f.v.Verify(context.Background(), fresh, TrustAgent); err != nil {
		t.Fatalf("new kid after the refresh interval: %v", err)
	}
	if _, err := f.v.Verify(context.Background(), old, TrustAgent); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("token of a removed key = %v; want ErrUnknownKey", err)
	}
	if n := f.agentIss.hits.Load(); n != 2 {
		t.Errorf("key set fetched %d times; want 2", n)
	}
}

// TestVerifyTokenUnknownKidStorm: many tokens with unknown kids, at once and over time, cause
// at most one fetch per MinRefreshInterval.
func TestVerifyTokenUnknownKidStorm(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.v.Verify(context.Background(), f.agentToken(t, nil), TrustAgent); err != nil {
		t.Fatal(err)
	}
	f.agentIss.delay = 20 * time.Millisecond
	f.clock.add(MinRefreshInterval) // one refresh is due
	c := claimsFor(f.agentIss.URL, testAudience, "x", f.clock.now())
	tokens := make([]string, 200)
	for i := range tokens {
		tokens[i] = mint(t, testKey{kid: fmt.Sprintf("storm-%d", i), alg: jose.ES256, priv: ecKey(t)}, c, nil)
	}
	for round := range 3 {
		var wg sync.WaitGroup
		for _, tok := range tokens {
			wg.Go(func() {
				if _, err := f.v.Verify(context.Background(), tok, TrustAgent); !errors.Is(err, ErrUnknownKey) {
					t.Errorf("storm token = %v; want ErrUnknownKey", err)
				}
			})
		}
		wg.Wait()
		if round < 2 {
			f.clock.add(MinRefreshInterval / 3)
		}
	}
	if n := f.agentIss.hits.Load(); n != 2 {
		t.Fatalf("key set fetched %d times during the storm; want 2 (the first fetch and one refresh)", n)
	}
	// The known key still verifies throughout.
	if _, err := f.v.Verify(context.Background(), f.agentToken(t, func(c map[string]any) { c["sub"] = "after" }), TrustAgent); err != nil {
		t.Fatalf("known key after the storm: %v", err)
	}
}

func TestVerifyTokenCacheRespectsExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.agentToken(t, func(c map[string]any) { c["exp"] = f.clock.now().Add(time.Minute).Unix() })
	if _, err := f.v.Verify(context.Background(), tok, TrustAgent); err != nil {
		t.Fatal(err)
	}
	f.clock.add(time.Minute + DefaultLeeway)
	if _, err := f.v.Verify(context.Background(), tok, TrustAgent); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("cached token after expiry = %v; want ErrTokenExpired", err)
	}
}

func TestKeySetDropsWeakAndPrivateKeys(t *testing.T) {
	t.Parallel()
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: weak.Public(), KeyID: "weak", Algorithm: "RS256"},
		{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac", Algorithm: "HS256"},
		{Key: rsaKey(t, 0).Public(), KeyID: "enc", Use: "enc"},
		{Key: rsaKey(t, 0).Public(), KeyID: "good"},
	}}
	raw, _ := jsonMarshal(set)
	keys, err := parseKeySet(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys["good"] == nil {
		t.Fatalf("kept keys %v; want only \"good\"", keys)
	}
}

func TestFromJWT(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		claims map[string]string
		want   Principal
		err    error
	}{
		{
			name: "kubernetes service account",
			claims: map[string]string{"iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:payments:support-bot",
				"kubernetes.io": `{"namespace":"payments","pod":{"name":"bot-7f9","uid":"u"},"serviceaccount":{"name":"support-bot","uid":"v"}}`},
			want: Principal{Kind: KindOIDC, ID: "https://kubernetes.default.svc#system:serviceaccount:payments:support-bot", Name: "payments/support-bot",
				OIDC: OIDCClaims{Issuer: "https://kubernetes.default.svc", Subject: "system:serviceaccount:payments:support-bot", Platform: PlatformKubernetes,
					Namespace: "payments", ServiceAccount: "support-bot", Pod: "bot-7f9"}},
		},
		{
			name:   "kubernetes subject without a name",
			claims: map[string]string{"iss": "https://k", "sub": "system:serviceaccount:payments"},
			err:    ErrMalformed,
		},
		{
			name: "github actions",
			claims: map[string]string{"iss": GitHubActionsIssuer, "sub": "repo:acme/ops:ref:refs/heads/main", "repository": "acme/ops",
				"repository_owner": "acme", "workflow": "deploy", "ref": "refs/heads/main", "job_workflow_ref": "acme/ops/.github/workflows/deploy.yml@refs/heads/main",
				"actor": "octocat", "environment": "prod"},
			want: Principal{Kind: KindOIDC, ID: GitHubActionsIssuer + "#repo:acme/ops:ref:refs/heads/main", Name: "acme/ops",
				OIDC: OIDCClaims{Issuer: GitHubActionsIssuer, Subject: "repo:acme/ops:ref:refs/heads/main", Platform: PlatformGitHubActions,
					Repository: "acme/ops", RepositoryOwner: "acme", Workflow: "deploy", Ref: "refs/heads/main",
					JobWorkflowRef: "acme/ops/.github/workflows/deploy.yml@refs/heads/main", Actor: "octocat", Environment: "prod"}},
		},
		{
			name:   "generic with client_id",
			claims: map[string]string{"iss": "https://idp.example.com", "sub": "00u1", "client_id": "billing-agent", "azp": "ignored"},
			want: Principal{Kind: KindOIDC, ID: "https://idp.example.com#00u1", Name: "billing-agent",
				OIDC: OIDCClaims{Issuer: "https://idp.example.com", Subject: "00u1", Platform: PlatformGeneric, ClientID: "billing-agent"}},
		},
		{
			name:   "generic with azp",
			claims: map[string]string{"iss": "https://idp.example.com", "sub": "00u1", "azp": "billing-agent"},
			want: Principal{Kind: KindOIDC, ID: "https://idp.example.com#00u1", Name: "billing-agent",
				OIDC: OIDCClaims{Issuer: "https://idp.example.com", Subject: "00u1", Platform: PlatformGeneric, ClientID: "billing-agent"}},
		},
		{name: "no subject", claims: map[string]string{"iss": "https://idp.example.com"}, err: ErrUnsigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FromJWT(tt.claims)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("FromJWT = %v; want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FromJWT (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTokenPrincipalMatchesAuthorizerContext: the Principal of a verified token equals the
// one read back from the claims an API Gateway JWT authorizer would pass.
func TestTokenPrincipalMatchesAuthorizerContext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok, err := f.v.Verify(context.Background(), f.agentToken(t, func(c map[string]any) {
		c["kubernetes.io"] = map[string]any{"namespace": "payments", "pod": map[string]any{"name": "p1"}}
		c["groups"] = []string{"a", "b"}
	}), TrustAgent)
	if err != nil {
		t.Fatal(err)
	}
	ac := tok.AuthorizerClaims()
	if ac["groups"] != "[a b]" || ac["exp"] == "" || strings.Contains(ac["exp"], "e+") {
		t.Errorf("authorizer claims = %v", ac)
	}
	direct, err := tok.Principal()
	if err != nil {
		t.Fatal(err)
	}
	again, err := FromJWT(ac)
	if err != nil {
		t.Fatal(err)
	}
	if direct != again || direct.OIDC.Pod != "p1" || direct.Name != "payments/support-bot" {
		t.Errorf("principal %+v, from the context %+v", direct, again)
	}
}

func TestVerifyOperator(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	iamAgent := localPrincipal("demo-agent", demoKey.AccessKeyID)
	oidcTok, err := f.v.Verify(context.Background(), f.agentToken(t, nil), TrustAgent)
	if err != nil {
		t.Fatal(err)
	}
	oidcAgent, err := oidcTok.Principal()
	if err != nil {
		t.Fatal(err)
	}
	op := func(edit func(map[string]any)) string {
		c := claimsFor(f.opIss, "other", "ada@example.com", f.clock.now())
		if edit != nil {
			edit(c)
		}
		return mint(t, f.opKey, c, nil)
	}
	tests := []struct {
		name  string
		token string
		agent Principal
		want  Operator
		err   error
	}{
		{name: "ID token", token: op(nil), agent: iamAgent,
			want: Operator{ID: "ada@example.com", Issuer: f.opIss, Subject: "ada@example.com", Method: OperatorIDToken}},
		{name: "delegation to this IAM agent", token: op(func(c map[string]any) { c["act"] = map[string]any{"sub": iamAgent.ID} }), agent: iamAgent,
			want: Operator{ID: "ada@example.com", Issuer: f.opIss, Subject: "ada@example.com", Method: OperatorDelegation, Actor: iamAgent.ID}},
		{name: "delegation to this OIDC agent", token: op(func(c map[string]any) {
			c["act"] = map[string]any{"sub": oidcAgent.OIDC.Subject, "iss": oidcAgent.OIDC.Issuer}
		}), agent: oidcAgent,
			want: Operator{ID: "ada@example.com", Issuer: f.opIss, Subject: "ada@example.com", Method: OperatorDelegation, Actor: oidcAgent.OIDC.Subject}},
		{name: "delegation to another agent", token: op(func(c map[string]any) { c["act"] = map[string]any{"sub": LocalARN("other-agent")} }), agent: iamAgent, err: ErrActorMismatch},
		{name: "delegation to the OIDC subject from another issuer", token: op(func(c map[string]any) {
			c["act"] = map[string]any{"sub": oidcAgent.OIDC.Subject, "iss": "https://elsewhere.example.com"}
		}), agent: oidcAgent, err: ErrActorMismatch},
		{name: "delegation to the OIDC subject without issuer", token: op(func(c map[string]any) { c["act"] = map[string]any{"sub": oidcAgent.OIDC.Subject} }), agent: oidcAgent, err: ErrActorMismatch},
		{name: "act without sub", token: op(func(c map[string]any) { c["act"] = map[string]any{"iss": "x"} }), agent: iamAgent, err: ErrMalformed},
		{name: "act not an object", token: op(func(c map[string]any) { c["act"] = "demo-agent" }), agent: iamAgent, err: ErrMalformed},
		{name: "agent token as operator token", token: f.agentToken(t, nil), agent: iamAgent, err: ErrUntrustedIssuer},
		{name: "expired", token: op(func(c map[string]any) { c["exp"] = f.clock.now().Add(-time.Hour).Unix() }), agent: iamAgent, err: ErrTokenExpired},
		{name: "wrong audience", token: op(func(c map[string]any) { c["aud"] = "payroll" }), agent: iamAgent, err: ErrWrongAudience},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.v.VerifyOperator(context.Background(), tt.token, tt.agent)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("VerifyOperator = %v; want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("operator (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyOperatorEmailClaim(t *testing.T) {
	t.Parallel()
	k := testKey{kid: "op", alg: jose.ES256, priv: ecKey(t)}
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, jwks(t, k), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := NewTokenVerifier([]IssuerConfig{{Issuer: "https://sso.example.com", Audiences: []string{"mandate"}, Algorithms: []string{"ES256"},
		JWKSFile: file, Trust: TrustOperator, OperatorClaim: "email"}}, nil, func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	c := claimsFor("https://sso.example.com", "mandate", "00u42", testNow)
	c["email"], c["email_verified"] = "ada@example.com", true
	got, err := v.VerifyOperator(context.Background(), mint(t, k, c, nil), localPrincipal("a", "AK"))
	if err != nil || got.ID != "ada@example.com" || got.Subject != "00u42" {
		t.Fatalf("VerifyOperator = %+v, %v", got, err)
	}
	c["email_verified"] = false
	if _, err := v.VerifyOperator(context.Background(), mint(t, k, c, nil), localPrincipal("a", "AK")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unverified email = %v; want ErrMalformed", err)
	}
}

var _ crypto.Signer = (*rsa.PrivateKey)(nil)
