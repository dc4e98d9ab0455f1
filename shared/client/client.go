package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/mandate-dev/mandate/shared/api"
)

// Service is the SigV4 service name Mandate's API is signed for.
const Service = "execute-api"

// ProblemError is a problem+json answer.
type ProblemError struct {
	api.Problem
}

func (e *ProblemError) Error() string {
	return fmt.Sprintf("mandate: %d %s (%s): %s", e.Status, e.Title, e.Type, e.Detail)
}

// Client calls one Mandate endpoint as one agent.
type Client struct {
	base   string
	region string
	creds  aws.Credentials
	signer *v4.Signer
	http   *http.Client
	now    func() time.Time
}

// New returns a client for the API at baseURL, signing with the given key pair.
func New(baseURL, region, accessKeyID, secretAccessKey string) *Client {
	return &Client{
		base: strings.TrimRight(baseURL, "/"), region: region,
		creds:  aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey},
		signer: v4.NewSigner(), http: &http.Client{Timeout: 30 * time.Second}, now: time.Now,
	}
}

// OpenSession opens a session.
func (c *Client) OpenSession(ctx context.Context, req api.OpenSessionRequest) (api.Session, error) {
	var out api.Session
	return out, c.Do(ctx, http.MethodPost, "/v1/sessions", req, &out)
}

// Act asks Mandate to perform one action. A denial is a *ProblemError with Verdict "deny".
func (c *Client) Act(ctx context.Context, session string, req api.ActionRequest) (api.ActionResponse, error) {
	var out api.ActionResponse
	return out, c.Do(ctx, http.MethodPost, "/v1/sessions/"+session+"/actions", req, &out)
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

// Do sends a signed request with a JSON body (nil for none) and decodes a 2xx answer into out.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("mandate: encode request: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("mandate: build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if err := c.Sign(ctx, req, body); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("mandate: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("mandate: read response: %w", err)
	}
	if resp.StatusCode >= 300 {
		pe := &ProblemError{}
		if err := json.Unmarshal(raw, &pe.Problem); err != nil || pe.Type == "" {
			pe.Problem = api.Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
		}
		return pe
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("mandate: decode response: %w", err)
	}
	return nil
}

// Sign signs req (whose body is body) with the SDK's SigV4 signer.
func (c *Client) Sign(ctx context.Context, req *http.Request, body []byte) error {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := c.signer.SignHTTP(ctx, c.creds, req, hash, Service, c.region, c.now()); err != nil {
		return fmt.Errorf("mandate: sign request: %w", err)
	}
	return nil
}

// IsDenied reports whether err is a policy denial, and returns its problem.
func IsDenied(err error) (*ProblemError, bool) {
	var pe *ProblemError
	if errors.As(err, &pe) && pe.Verdict == api.VerdictDeny {
		return pe, true
	}
	return nil, false
}

// SetClock replaces the clock requests are signed with (for tests of clock skew).
func SetClock(c *Client, now func() time.Time) { c.now = now }
