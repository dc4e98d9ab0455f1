package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.yaml.in/yaml/v3"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/fixture"
	"github.com/mandate-dev/mandate/shared/local"
)

const (
	agentIssuer    = "https://k8s.example.test"
	operatorIssuer = "https://login.example.test"
	botSubject     = "system:serviceaccount:support:bot"
)

// issuerKey signs the tokens of one test issuer.
type issuerKey = fixture.Issuer

func newIssuerKey(t *testing.T, iss string) issuerKey { return fixture.NewIssuer(t, iss) }

// startWithIssuers starts an instance whose config.yaml trusts an agent issuer and an
// operator issuer, each with a jwks_file in the data folder.
func startWithIssuers(t *testing.T) (*local.Instance, issuerKey, issuerKey) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := local.Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	agents, operators := newIssuerKey(t, agentIssuer), newIssuerKey(t, operatorIssuer)
	for name, k := range map[string]issuerKey{"agents.jwks": agents, "operators.jwks": operators} {
		if err := os.WriteFile(filepath.Join(dir, name), k.JWKS(t), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Issuers = []local.Issuer{
		{Issuer: agentIssuer, Audiences: []string{"mandate"}, Algorithms: []string{"ES256"}, JWKSFile: "agents.jwks", Trust: "agent"},
		{Issuer: operatorIssuer, Audiences: []string{"mandate"}, Algorithms: []string{"ES256"}, JWKSFile: "operators.jwks", Trust: "operator"},
	}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, local.ConfigFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	inst, err := local.Start(context.Background(), local.Options{Dir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst, agents, operators
}

var (
	read  = api.Action{Kind: "http", Target: "customers", Method: "GET", Path: "/customers/42"}
	write = api.Action{Kind: "http", Target: "customers", Method: "PATCH", Path: "/customers/42", Body: map[string]any{"phone": "+1 555 0100"}}
)

// TestOIDCAgentWithVerifiedOperator: a Kubernetes workload calls with its bearer token and
// proves its operator with a delegation token; policy sees the operator verified.
func TestOIDCAgentWithVerifiedOperator(t *testing.T) {
	inst, agents, operators := startWithIssuers(t)
	ctx := context.Background()
	bot := client.NewBearer(inst.URL, client.StaticToken(agents.Token(t, botSubject, nil)))
	delegation := operators.Token(t, "ada@example.com", func(c map[string]any) {
		c["act"] = map[string]any{"sub": botSubject, "iss": agentIssuer}
	})
	s, err := bot.WithOperatorToken(delegation).OpenSession(ctx, api.OpenSessionRequest{Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	if s.Agent != agentIssuer+"#"+botSubject || s.Operator != (api.Operator{ID: "ada@example.com", Verified: true}) {
		t.Fatalf("session = %+v", s)
	}
	if _, err := bot.Act(ctx, s.SessionID, api.ActionRequest{Action: read}); err != nil {
		t.Fatalf("read: %v", err)
	}
	out, err := bot.Submit(ctx, s.SessionID, api.ActionRequest{Action: write})
	if err != nil || out.Denied == nil {
		t.Fatalf("write outcome = %+v, %v; want denied (no policy permits writes)", out, err)
	}
	if slices.Contains(out.Denied.Reasons, "forbid-write-unverified-operator") {
		t.Errorf("a verified operator's write was refused as unverified: %v", out.Denied.Reasons)
	}
	chain, err := bot.Audit(ctx, s.SessionID)
	if err != nil || !chain.Verified {
		t.Fatalf("audit = %+v, %v", chain, err)
	}
	first, _ := json.Marshal(chain.Records[0])
	if !strings.Contains(string(first), `"operator_verified":true`) || !strings.Contains(string(first), `"operator_method":"delegation"`) ||
		!strings.Contains(string(first), `"operator_issuer":"`) || strings.Contains(string(first), delegation) {
		t.Errorf("opening record = %s", first)
	}

	// The same body field works too, and an ID token (no act) verifies the operator.
	s2, err := bot.OpenSession(ctx, api.OpenSessionRequest{Prompt: prompt, OperatorToken: operators.Token(t, "grace@example.com", nil)})
	if err != nil || !s2.Operator.Verified || s2.Operator.ID != "grace@example.com" {
		t.Fatalf("ID-token session = %+v, %v", s2, err)
	}

	// An agent that merely names its operator: policy sees the difference.
	sig := agentClient(inst)
	s3, err := sig.OpenSession(ctx, api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil || s3.Operator.Verified {
		t.Fatalf("asserted session = %+v, %v", s3, err)
	}
	out, err = sig.Submit(ctx, s3.SessionID, api.ActionRequest{Action: write})
	if err != nil || out.Denied == nil || !slices.Contains(out.Denied.Reasons, "forbid-write-unverified-operator") {
		t.Fatalf("unverified write outcome = %+v, %v", out, err)
	}
}

func TestOperatorAndBearerTokensRefused(t *testing.T) {
	inst, agents, operators := startWithIssuers(t)
	ctx := context.Background()
	sig := agentClient(inst)
	tests := []struct {
		name string
		c    *client.Client
		req  api.OpenSessionRequest
		typ  string
	}{
		{name: "delegation to another agent", c: sig.WithOperatorToken(operators.Token(t, "ada@example.com", func(c map[string]any) {
			c["act"] = map[string]any{"sub": botSubject, "iss": agentIssuer}
		})), typ: api.ProblemActorMismatch},
		{name: "expired operator token", c: sig.WithOperatorToken(operators.Token(t, "ada@example.com", func(c map[string]any) {
			c["exp"] = time.Now().Add(-time.Hour).Unix()
		})), typ: api.ProblemExpiredToken},
		{name: "operator token for another audience", c: sig.WithOperatorToken(operators.Token(t, "ada@example.com", func(c map[string]any) { c["aud"] = "payroll" })), typ: api.ProblemWrongAudience},
		{name: "agent token as operator token", c: sig.WithOperatorToken(agents.Token(t, botSubject, nil)), typ: api.ProblemUntrustedIssuer},
		{name: "operator token that does not parse", c: sig.WithOperatorToken("not-a-token"), typ: api.ProblemMalformedCredentials},
		{name: "operator named differently than the token", c: sig, req: api.OpenSessionRequest{Operator: "mallory@example.com", OperatorToken: operators.Token(t, "ada@example.com", nil)}, typ: api.ProblemMalformed},
		{name: "bearer from the operator issuer", c: client.NewBearer(inst.URL, client.StaticToken(operators.Token(t, "ada@example.com", nil))), typ: api.ProblemUntrustedIssuer},
		{name: "bearer for another audience", c: client.NewBearer(inst.URL, client.StaticToken(agents.Token(t, botSubject, func(c map[string]any) { c["aud"] = "x" }))), typ: api.ProblemWrongAudience},
		{name: "expired bearer", c: client.NewBearer(inst.URL, client.StaticToken(agents.Token(t, botSubject, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }))), typ: api.ProblemExpiredToken},
		{name: "bearer signed by an unknown key", c: client.NewBearer(inst.URL, client.StaticToken(newIssuerKey(t, agentIssuer).Token(t, botSubject, nil))), typ: api.ProblemBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			if req.Prompt == "" {
				req.Prompt = prompt
			}
			if req.Operator == "" && req.OperatorToken == "" {
				req.Operator = "ada@example.com"
			}
			_, err := tt.c.OpenSession(ctx, req)
			p := problemOf(t, err)
			if p.Type != tt.typ {
				t.Fatalf("problem = %+v; want type %s", p, tt.typ)
			}
			if want := map[bool]int{true: 400, false: 401}[tt.typ == api.ProblemMalformed]; p.Status != want {
				t.Errorf("status %d; want %d", p.Status, want)
			}
		})
	}
}

// TestJWTContextFromUntrustedIssuer: a JWT authorizer context whose issuer is not trusted for
// agents is refused by the edge, whatever the authorizer accepted.
func TestJWTContextFromUntrustedIssuer(t *testing.T) {
	inst, _, _ := startWithIssuers(t)
	for _, iss := range []string{"https://evil.example.test", operatorIssuer} {
		ev := events.APIGatewayV2HTTPRequest{RouteKey: "POST /v1/sessions", Body: `{"operator":"a","prompt":"p"}`,
			RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "r1", Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"iss": iss, "sub": "x"}}}}}
		resp, _ := inst.Handler.Handle(context.Background(), ev)
		var p api.Problem
		_ = json.Unmarshal([]byte(resp.Body), &p)
		if resp.StatusCode != 401 || p.Type != api.ProblemUntrustedIssuer {
			t.Errorf("issuer %s: %d %+v", iss, resp.StatusCode, p)
		}
		if got := resp.Headers["WWW-Authenticate"]; got != edge.BearerChallenge {
			t.Errorf("issuer %s: WWW-Authenticate %q, want the Bearer challenge (RFC 6750)", iss, got)
		}
	}
}

// signedRequest signs a POST with the agent's key and returns a function that sends the exact
// same bytes again.
func signedRequest(t *testing.T, inst *local.Instance, path string, body []byte) func() (int, api.Problem) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, inst.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(client.HeaderNonce, "fixed")
	if err := agentClient(inst).Sign(context.Background(), req, body); err != nil {
		t.Fatal(err)
	}
	return func() (int, api.Problem) {
		again := req.Clone(context.Background())
		again.Body = http.NoBody
		if len(body) > 0 {
			again.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := http.DefaultClient.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p api.Problem
		_ = json.NewDecoder(resp.Body).Decode(&p)
		return resp.StatusCode, p
	}
}

func TestReplayedSignedRequestRefused(t *testing.T) {
	inst := start(t)
	send := signedRequest(t, inst, "/v1/sessions", []byte(`{"operator":"ada@example.com","prompt":"`+prompt+`"}`))
	if status, p := send(); status != http.StatusCreated {
		t.Fatalf("first = %d %+v", status, p)
	}
	if status, p := send(); status != http.StatusConflict || p.Type != api.ProblemReplayed {
		t.Fatalf("replay = %d %+v; want 409 %s", status, p, api.ProblemReplayed)
	}
	// Reads are not claimed: the same signed GET twice is fine.
	c := agentClient(inst)
	s, err := c.OpenSession(context.Background(), api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.Session(context.Background(), s.SessionID); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	inst := start(t)
	ctx := context.Background()
	c := agentClient(inst)
	s, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	key := client.NewIdempotencyKey()
	first, err := c.Act(ctx, s.SessionID, api.ActionRequest{Action: read, IdempotencyKey: key})
	if err != nil {
		t.Fatal(err)
	}
	served := inst.CRM.Served()
	again, err := c.Act(ctx, s.SessionID, api.ActionRequest{Action: read, IdempotencyKey: key})
	if err != nil || again.Record != first.Record || inst.CRM.Served() != served {
		t.Fatalf("retry = %+v, %v (served %d -> %d); want the first answer, nothing run", again.Record, err, served, inst.CRM.Served())
	}
	_, err = c.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: "http", Target: "customers", Method: "GET", Path: "/customers/43"}, IdempotencyKey: key})
	if p := problemOf(t, err); p.Status != http.StatusConflict || p.Type != api.ProblemIdempotencyConflict || p.Record == nil {
		t.Fatalf("other request, same key = %+v, want a recorded conflict", p)
	}
	// A denial is answered again as the same denial, pointing at the same record.
	del := api.ActionRequest{Action: api.Action{Kind: "http", Target: "customers", Method: "DELETE", Path: "/customers/42"}, IdempotencyKey: "delete-42"}
	_, err1 := c.Act(ctx, s.SessionID, del)
	_, err2 := c.Act(ctx, s.SessionID, del)
	p1, p2 := problemOf(t, err1), problemOf(t, err2)
	if p1.Type != api.ProblemDenied || p2.Type != api.ProblemDenied || p1.Record == nil || p2.Record == nil || *p1.Record != *p2.Record {
		t.Fatalf("denials = %+v / %+v", p1, p2)
	}
	// Keys are per agent: the chain holds one decision per distinct request.
	chain, err := c.Audit(ctx, s.SessionID)
	// open, decision+result of the read, the refused reuse of its key, decision of the delete
	if err != nil || len(chain.Records) != 5 {
		t.Fatalf("audit has %d records, %v", len(chain.Records), err)
	}
}

func TestFailedAuthenticationsRateLimited(t *testing.T) {
	inst := start(t)
	ctx := context.Background()
	bad := client.New(inst.URL, inst.Config.Region, inst.Config.Agents[0].AccessKeyID, "wrong-secret-wrong-secret-wrong-secret")
	for i := range 20 {
		_, err := bad.Session(ctx, "ses_aaaaaaaaaaaaaaaaaaaaaaaaaa")
		if p := problemOf(t, err); p.Status != 401 || p.Type != api.ProblemBadSignature {
			t.Fatalf("failure %d = %+v", i, p)
		}
	}
	_, err := agentClient(inst).OpenSession(ctx, api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if p := problemOf(t, err); p.Status != http.StatusTooManyRequests || p.Type != api.ProblemTooManyFailures {
		t.Fatalf("after 20 failures = %+v; want 429", p)
	}
}

// Failures are counted per source and presented key: anonymous failures and failures of
// another key never lock out a valid key, and humans always reach the kill switches.
func TestFailedAuthenticationsDoNotLockOutOthers(t *testing.T) {
	inst := start(t)
	ctx := context.Background()
	unknown := client.New(inst.URL, inst.Config.Region, "AKIAUNKNOWNUNKNOWN00", "wrong-secret-wrong-secret-wrong-secret")
	for range 25 {
		_, _ = unknown.Session(ctx, "ses_aaaaaaaaaaaaaaaaaaaaaaaaaa")
		resp, err := http.Get(inst.URL + "/v1/sessions/ses_aaaaaaaaaaaaaaaaaaaaaaaaaa") // anonymous
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if _, err := agentClient(inst).OpenSession(ctx, api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt}); err != nil {
		t.Fatalf("a valid key after others' failures from its address: %v", err)
	}
	// Someone guessing grace's secret fills grace's count; grace still reaches the kill switch.
	var graceKey local.Operator
	for _, o := range inst.Config.Operators {
		if o.Name == local.DefaultApprover {
			graceKey = o
		}
	}
	guess := client.New(inst.URL, inst.Config.Region, graceKey.AccessKeyID, "wrong-secret-wrong-secret-wrong-secret")
	for range 25 {
		_ = guess.Do(ctx, http.MethodGet, "/v1/kill", nil, nil)
	}
	grace := humanClient(t, inst, inst.Config.Operators, local.DefaultApprover)
	if err := grace.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: "global", Reason: "stop everything"}, nil); err != nil {
		t.Fatalf("grace's kill after guesses of her key: %v", err)
	}
	if p := problemOf(t, grace.Do(ctx, http.MethodGet, "/v1/approvals", nil, nil)); p.Status != http.StatusTooManyRequests {
		t.Fatalf("grace's key on other routes after 25 failures = %+v, want 429", p)
	}
}

func TestPresignedURL(t *testing.T) {
	inst := start(t)
	ctx := context.Background()
	c := agentClient(inst)
	s, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.Presign(ctx, "/v1/sessions/"+s.SessionID+"/audit", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a api.AuditResponse
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 || !a.Verified {
		t.Fatalf("presigned GET = %d %+v %v", resp.StatusCode, a, err)
	}
	if _, err := c.Presign(ctx, "/x", time.Hour); err != nil {
		t.Fatal(err)
	}
	long, _ := c.Presign(ctx, "/v1/sessions/"+s.SessionID, time.Hour)
	resp2, err := http.Get(long)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 401 {
		t.Fatalf("presigned for an hour = %d; want 401 (at most 15 minutes)", resp2.StatusCode)
	}
}

// TestUnauthenticatedChallenges: a 401 names the scheme the caller tried: Bearer for a bearer
// token (RFC 6750), SigV4 for a signature or nothing.
func TestUnauthenticatedChallenges(t *testing.T) {
	inst, _, _ := startWithIssuers(t)
	for _, c := range []struct{ authorization, want string }{
		{"Bearer not-a-token", edge.BearerChallenge},
		{"", `AWS4-HMAC-SHA256 realm="mandate"`},
		{"AWS4-HMAC-SHA256 Credential=AKIDNOBODY/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00", `AWS4-HMAC-SHA256 realm="mandate"`},
	} {
		req, _ := http.NewRequest(http.MethodPost, inst.URL+"/v1/sessions", strings.NewReader(`{"operator":"a","prompt":"p"}`))
		if c.authorization != "" {
			req.Header.Set("Authorization", c.authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != c.want {
			t.Errorf("Authorization %q: %d, WWW-Authenticate %q, want 401 and %q", c.authorization, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), c.want)
		}
	}
}
