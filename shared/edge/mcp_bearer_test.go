package edge_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/fixture"
	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/mask"
)

const botSubject = "system:serviceaccount:support:bot"

// bearerHandler is the mcp function's handler trusting agents for agents and operators for
// operators, over a seeded store.
func bearerHandler(t testing.TB, agents, operators fixture.Issuer) *edge.Handler {
	t.Helper()
	write := func(i fixture.Issuer) string {
		p := filepath.Join(t.TempDir(), "jwks.json")
		if err := os.WriteFile(p, i.JWKS(t), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tv, err := identity.NewTokenVerifier([]identity.IssuerConfig{
		{Issuer: agents.Iss, Audiences: []string{"mandate"}, Algorithms: []string{"ES256"}, JWKSFile: write(agents), Trust: identity.TrustAgent},
		{Issuer: operators.Iss, Audiences: []string{"mandate"}, Algorithms: []string{"ES256"}, JWKSFile: write(operators), Trust: identity.TrustOperator},
	}, nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := authority.New(context.Background(), authority.Config{
		Store: seeded(t), Broker: broker.New(nil, nil), Executor: execute.Executors{}, Masker: mask.New(),
		Log: slog.New(slog.DiscardHandler), Tokens: tv,
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := edge.New(auth, slog.New(slog.DiscardHandler), edge.MCPRoutes)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// FuzzMCPAuthorization: whatever the Authorization header of an unauthorized MCP call holds,
// the answer is never a 5xx, and it lists tools only for the trusted agent's token.
func FuzzMCPAuthorization(f *testing.F) {
	agents := fixture.NewIssuer(f, "https://k8s.example.test")
	valid := agents.Token(f, botSubject, nil)
	h := bearerHandler(f, agents, fixture.NewIssuer(f, "https://login.example.test"))
	for _, s := range []string{"", "Bearer", "Bearer " + valid, "bearer  " + valid + " ", "Bearer " + valid[:len(valid)-2], "Basic x", "Bearer a.b.c", "AWS4-HMAC-SHA256 Credential=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, authorization string) {
		ev := loadEventF(t, "apigw-mcp.json")
		ev.RequestContext.Authorizer = nil
		ev.Headers["authorization"] = authorization
		ev.Body = `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
		resp, err := h.Handle(context.Background(), ev)
		if err != nil || resp.StatusCode >= 500 {
			t.Fatalf("%q: %d %v %s", authorization, resp.StatusCode, err, resp.Body)
		}
		if resp.StatusCode != 401 && !strings.Contains(authorization, valid) {
			t.Fatalf("%q: %d %s, want 401 for anything but the trusted token", authorization, resp.StatusCode, resp.Body)
		}
	})
}

// In jwt mode the stack deploys POST /mcp without an authorizer, so that an MCP client
// without a token learns where the resource metadata is (MCP authorization, RFC 9728): the
// function verifies the bearer token itself, exactly as strictly as the JWT authorizer, and
// every credential it cannot verify is a 401 naming the metadata, never a tool answer.
func TestMCPBearerVerifiedByTheFunction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	agents, operators, stranger := fixture.NewIssuer(t, "https://k8s.example.test"), fixture.NewIssuer(t, "https://login.example.test"), fixture.NewIssuer(t, "https://evil.example.test")
	h := bearerHandler(t, agents, operators)
	// The sample event as API Gateway passes it with no authorizer on the route.
	call := func(authorization string) events.APIGatewayV2HTTPResponse {
		ev := loadEvent(t, "apigw-mcp.json")
		ev.RequestContext.Authorizer = nil
		delete(ev.Headers, "authorization")
		if authorization != "" {
			ev.Headers["authorization"] = authorization
		}
		ev.Body = `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
		resp, err := h.Handle(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	const metadata = `resource_metadata="https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/.well-known/oauth-protected-resource/mcp"`
	sigv4 := loadEvent(t, "apigw-mcp.json").Headers["authorization"]
	hmacAlg := func() string { // a token "signed" with HS256 under the public key's bytes
		parts := strings.Split(agents.Token(t, botSubject, nil), ".")
		parts[0] = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0"
		return strings.Join(parts, ".")
	}
	noneAlg := func() string {
		parts := strings.Split(agents.Token(t, botSubject, nil), ".")
		return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
	}
	refused := []struct {
		name, authorization, problem string
		invalid                      bool
	}{
		{"no credential", "", api.ProblemUnauthenticated, false},
		{"a SigV4 signature no authorizer checked", sigv4, api.ProblemUnauthenticated, false},
		{"an empty bearer", "Bearer ", api.ProblemUnauthenticated, false},
		{"another scheme", "Basic " + agents.Token(t, botSubject, nil), api.ProblemUnauthenticated, false},
		{"an issuer nobody trusts", "Bearer " + stranger.Token(t, botSubject, nil), api.ProblemUntrustedIssuer, true},
		{"a stranger's key under the trusted issuer's name", "Bearer " + fixture.NewIssuer(t, agents.Iss).Token(t, botSubject, nil), api.ProblemBadSignature, true},
		{"an operator issuer's token as an agent", "Bearer " + operators.Token(t, botSubject, nil), api.ProblemUntrustedIssuer, true},
		{"expired", "Bearer " + agents.Token(t, botSubject, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), api.ProblemExpiredToken, true},
		{"another audience", "Bearer " + agents.Token(t, botSubject, func(c map[string]any) { c["aud"] = "someone-else" }), api.ProblemWrongAudience, true},
		{"no subject", "Bearer " + agents.Token(t, botSubject, func(c map[string]any) { delete(c, "sub") }), "", true},
		{"alg none", "Bearer " + noneAlg(), "", true},
		{"alg HS256", "Bearer " + hmacAlg(), "", true},
		{"not a JWS", "Bearer not.a.token", api.ProblemMalformedCredentials, true},
	}
	for _, tc := range refused {
		resp := call(tc.authorization)
		var p api.Problem
		_ = json.Unmarshal([]byte(resp.Body), &p)
		challenge := resp.Headers["WWW-Authenticate"]
		if resp.StatusCode != 401 || !strings.HasPrefix(challenge, "Bearer ") || !strings.Contains(challenge, metadata) {
			t.Errorf("%s: %d %q %s, want 401 with a Bearer challenge naming the resource metadata", tc.name, resp.StatusCode, challenge, resp.Body)
			continue
		}
		if got := strings.Contains(challenge, `error="invalid_token"`); got != tc.invalid {
			t.Errorf("%s: challenge %q, invalid_token %v, want %v", tc.name, challenge, got, tc.invalid)
		}
		if tc.problem != "" && p.Type != tc.problem {
			t.Errorf("%s: problem %q, want %q", tc.name, p.Type, tc.problem)
		}
		if strings.Contains(resp.Body, `"tools"`) {
			t.Errorf("%s: refused, yet the body lists tools: %s", tc.name, resp.Body)
		}
	}

	for _, scheme := range []string{"Bearer ", "bearer ", "BEARER "} {
		resp := call(scheme + agents.Token(t, botSubject, nil))
		if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"name":"open_session"`) {
			t.Errorf("%q with a trusted agent's token: %d %s, want the tool list", scheme, resp.StatusCode, resp.Body)
		}
	}
}
