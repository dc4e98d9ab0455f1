package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/mandate-dev/mandate/shared/api"
)

// Service is the SigV4 service name Mandate's API is signed for.
const Service = "execute-api"

// Headers the client sends.
const (
	// HeaderOperatorToken carries the operator's delegation or ID token (see WithOperatorToken).
	HeaderOperatorToken = "X-Mandate-Operator-Token"
	// HeaderNonce is a random value signed into every mutating request. SigV4 signatures are
	// deterministic per second, and Mandate refuses an exact replay of a signed mutating
	// request; the nonce keeps two identical requests sent in the same second distinct.
	HeaderNonce = "X-Mandate-Nonce"
)

// ProblemError is a problem+json answer.
type ProblemError struct {
	api.Problem
}

func (e *ProblemError) Error() string {
	return fmt.Sprintf("mandate: %d %s (%s): %s", e.Status, e.Title, e.Type, e.Detail)
}

// TokenSource returns the bearer token to send with a request (an OIDC token of the agent's
// workload identity: a Kubernetes projected service account token, a GitHub Actions token).
// It is called for every request, so it can re-read a token file that is rotated.
type TokenSource func(ctx context.Context) (string, error)

// StaticToken is a TokenSource that always returns token.
func StaticToken(token string) TokenSource {
	return func(context.Context) (string, error) { return token, nil }
}

// Client calls one Mandate endpoint as one agent. It is safe for concurrent use.
type Client struct {
	base   string
	region string
	creds  aws.Credentials
	signer *v4.Signer  // nil for a bearer client
	token  TokenSource // nil for a SigV4 client
	http   *http.Client
	now    func() time.Time
	// operatorToken is sent on OpenSession (WithOperatorToken).
	operatorToken string
}

// transport is every Client's: net/http's defaults, keeping as many idle connections to the
// API as an agent running actions in parallel needs (the default of 2 dialled a new
// connection for every concurrent request beyond the second, and closed it after).
var transport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}()

// New returns a client for the API at baseURL that signs each request with SigV4 (the AWS SDK
// v2 signer, service execute-api) with the given key pair.
func New(baseURL, region, accessKeyID, secretAccessKey string) *Client {
	return &Client{
		base: strings.TrimRight(baseURL, "/"), region: region,
		creds:  aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey},
		signer: v4.NewSigner(), http: &http.Client{Transport: transport, Timeout: 30 * time.Second}, now: time.Now,
	}
}

// NewBearer returns a client for the API at baseURL that sends `Authorization: Bearer` with
// the token of source on each request (OIDC agents).
func NewBearer(baseURL string, source TokenSource) *Client {
	return &Client{base: strings.TrimRight(baseURL, "/"), token: source, http: &http.Client{Transport: transport, Timeout: 30 * time.Second}, now: time.Now}
}

// WithOperatorToken returns a copy of c that proves the operator with token (an RFC 8693
// delegation token whose act.sub is this agent, or the operator's OIDC ID token) when it opens
// a session. The session's operator is then verified.
func (c *Client) WithOperatorToken(token string) *Client {
	cp := *c
	cp.operatorToken = token
	return &cp
}

// OpenSession opens a session.
func (c *Client) OpenSession(ctx context.Context, req api.OpenSessionRequest) (api.Session, error) {
	var out api.Session
	var h http.Header
	if c.operatorToken != "" {
		h = http.Header{HeaderOperatorToken: {c.operatorToken}}
	}
	_, err := c.do(ctx, http.MethodPost, "/v1/sessions", h, req, &out)
	return out, err
}

// Act asks Mandate to perform one action. An allowed action returns its response; an action
// that needs a human's approval returns a response with Verdict "approval", ApprovalID and
// ExpiresAt (HTTP 202) and a nil error; a denial is a *ProblemError with Verdict "deny" (see
// IsDenied). Submit returns the same outcomes as a typed Outcome.
func (c *Client) Act(ctx context.Context, session string, req api.ActionRequest) (api.ActionResponse, error) {
	var out api.ActionResponse
	_, err := c.do(ctx, http.MethodPost, "/v1/sessions/"+session+"/actions", nil, req, &out)
	return out, err
}

// Outcome is the typed result of an action: exactly one of its fields is set.
type Outcome struct {
	// Allowed is the performed action's response (HTTP 200).
	Allowed *api.ActionResponse
	// Approval is set when a human must approve the action first (HTTP 202): retry the same
	// action with ApprovalID once it is approved, before ExpiresAt.
	Approval *Approval
	// Denied is the refusal when policy denied the action (HTTP 403, verdict deny): Reasons
	// name the deciding policies.
	Denied *ProblemError
}

// Approval is a pending approval an action waits for.
type Approval struct {
	ID        string
	ExpiresAt time.Time
	// Reasons name the policies that asked for approval.
	Reasons []string
}

// Submit performs an action like Act and returns its outcome typed: allowed, waiting for an
// approval, or denied by policy. Every other failure (authentication, a closed session, a kill
// switch, a target failure) is an error, a *ProblemError when Mandate answered.
func (c *Client) Submit(ctx context.Context, session string, req api.ActionRequest) (Outcome, error) {
	res, err := c.Act(ctx, session, req)
	if pe, denied := IsDenied(err); denied {
		return Outcome{Denied: pe}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	if res.Verdict == api.VerdictApproval {
		a := &Approval{ID: res.ApprovalID, Reasons: res.Reasons}
		if res.ExpiresAt != nil {
			a.ExpiresAt = *res.ExpiresAt
		}
		return Outcome{Approval: a}, nil
	}
	return Outcome{Allowed: &res}, nil
}

// Session reads a session.
func (c *Client) Session(ctx context.Context, session string) (api.Session, error) {
	var out api.Session
	return out, c.Do(ctx, http.MethodGet, "/v1/sessions/"+session, nil, &out)
}

// CloseSession closes a session.
func (c *Client) CloseSession(ctx context.Context, session string) (api.Session, error) {
	var out api.Session
	return out, c.Do(ctx, http.MethodDelete, "/v1/sessions/"+session, nil, &out)
}

// Audit reads a session's verified chain.
func (c *Client) Audit(ctx context.Context, session string) (api.AuditResponse, error) {
	var out api.AuditResponse
	return out, c.Do(ctx, http.MethodGet, "/v1/sessions/"+session+"/audit", nil, &out)
}

// Do sends an authenticated request with a JSON body (nil for none) and decodes a 2xx answer
// into out.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	_, err := c.do(ctx, method, path, nil, in, out)
	return err
}

func (c *Client) do(ctx context.Context, method, path string, header http.Header, in, out any) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("mandate: encode request: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("mandate: build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if err := c.authorize(ctx, req, body); err != nil {
		return 0, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("mandate: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("mandate: read response: %w", err)
	}
	if resp.StatusCode >= 300 {
		pe := &ProblemError{}
		if err := json.Unmarshal(raw, &pe.Problem); err != nil || pe.Type == "" {
			pe.Problem = api.Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
		}
		return resp.StatusCode, pe
	}
	if out == nil {
		return resp.StatusCode, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return resp.StatusCode, fmt.Errorf("mandate: decode response: %w", err)
	}
	return resp.StatusCode, nil
}

// authorize signs req or adds the bearer token.
func (c *Client) authorize(ctx context.Context, req *http.Request, body []byte) error {
	if c.token != nil {
		tok, err := c.token(ctx)
		if err != nil {
			return fmt.Errorf("mandate: bearer token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
	return c.Sign(ctx, req, body)
}

// Sign signs req (whose body is body) with the SDK's SigV4 signer. A mutating request gets a
// random signed HeaderNonce first, so that no two requests share a signature.
func (c *Client) Sign(ctx context.Context, req *http.Request, body []byte) error {
	if req.Method != http.MethodGet && req.Method != http.MethodHead && req.Header.Get(HeaderNonce) == "" {
		req.Header.Set(HeaderNonce, randomHex(16))
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := c.signer.SignHTTP(ctx, c.creds, req, hash, Service, c.region, c.now()); err != nil {
		return fmt.Errorf("mandate: sign request: %w", err)
	}
	return nil
}

// Presign returns a URL for a GET of path that authenticates by itself (SigV4 in the query
// string) for expires (at most 15 minutes), for tools that cannot sign: curl, a browser.
func (c *Client) Presign(ctx context.Context, path string, expires time.Duration) (string, error) {
	if c.signer == nil {
		return "", errors.New("mandate: a bearer client cannot presign")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return "", fmt.Errorf("mandate: build request: %w", err)
	}
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(int(expires.Seconds())))
	req.URL.RawQuery = q.Encode()
	u, _, err := c.signer.PresignHTTP(ctx, c.creds, req, "UNSIGNED-PAYLOAD", Service, c.region, c.now())
	if err != nil {
		return "", fmt.Errorf("mandate: presign: %w", err)
	}
	return u, nil
}

// IsDenied reports whether err is a policy denial, and returns its problem.
func IsDenied(err error) (*ProblemError, bool) {
	var pe *ProblemError
	if errors.As(err, &pe) && pe.Verdict == api.VerdictDeny {
		return pe, true
	}
	return nil, false
}

// NewIdempotencyKey returns a random key for api.ActionRequest.IdempotencyKey: send the same
// key when retrying an action, so that it runs at most once and the retry gets the first
// answer.
func NewIdempotencyKey() string { return randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SetClock replaces the clock requests are signed with (for tests of clock skew).
func SetClock(c *Client, now func() time.Time) { c.now = now }

// HTTPClient returns an *http.Client that authenticates every request it sends as this
// client does (SigV4 with a fresh nonce, or the bearer token): hand it to other protocols'
// clients, such as an MCP SDK's Streamable HTTP transport pointed at Mandate's /mcp.
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{Transport: &authorizing{c: c, base: transport}}
}

type authorizing struct {
	c    *Client
	base http.RoundTripper
}

func (t *authorizing) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	if err := t.c.authorize(req.Context(), out, body); err != nil {
		return nil, err
	}
	return t.base.RoundTrip(out)
}
