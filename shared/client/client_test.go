package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/identity"
)

// server answers every action with the given status and body, and checks the request's
// signature with the verifier Mandate itself uses.
func server(t *testing.T, status int, body any) (*Client, *[]string) {
	t.Helper()
	v, err := identity.NewSigV4Verifier("us-east-1", []identity.Key{{Agent: "demo-agent", AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}}, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	var nonces []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r, raw); err != nil {
			http.Error(w, "bad signature: "+err.Error(), http.StatusUnauthorized)
			return
		}
		nonces = append(nonces, r.Header.Get("X-Mandate-Nonce"))
		if status >= 300 {
			w.Header().Set("Content-Type", api.ProblemContentType)
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL, "us-east-1", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), &nonces
}

var read = api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}}

func TestSubmitTypesTheOutcome(t *testing.T) {
	t.Parallel()
	exp := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		status int
		body   any
		check  func(t *testing.T, o Outcome, err error)
	}{
		{"allowed", 200, api.ActionResponse{Verdict: api.VerdictAllow, Status: 200, Result: map[string]any{"email": "[EMAIL]"}}, func(t *testing.T, o Outcome, err error) {
			if err != nil || o.Allowed == nil || o.Approval != nil || o.Denied != nil || o.Allowed.Status != 200 {
				t.Fatalf("outcome %+v, %v", o, err)
			}
		}},
		{"approval", 202, api.ActionResponse{Verdict: api.VerdictApproval, ApprovalID: "apr_x", ExpiresAt: &exp, Reasons: []string{"p"}}, func(t *testing.T, o Outcome, err error) {
			if err != nil || o.Approval == nil || o.Approval.ID != "apr_x" || !o.Approval.ExpiresAt.Equal(exp) || o.Allowed != nil {
				t.Fatalf("outcome %+v, %v", o, err)
			}
		}},
		{"denied", 403, api.Problem{Type: api.ProblemDenied, Title: "Denied by policy", Status: 403, Verdict: api.VerdictDeny, Reasons: []string{"forbid-delete-customers"}}, func(t *testing.T, o Outcome, err error) {
			if err != nil || o.Denied == nil || o.Denied.Reasons[0] != "forbid-delete-customers" || o.Allowed != nil {
				t.Fatalf("outcome %+v, %v", o, err)
			}
		}},
		{"killed is an error, not a denial", 403, api.Problem{Type: api.ProblemKilled, Title: "Stopped", Status: 403}, func(t *testing.T, o Outcome, err error) {
			var pe *ProblemError
			if !errors.As(err, &pe) || pe.Type != api.ProblemKilled || o.Denied != nil {
				t.Fatalf("outcome %+v, %v", o, err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, _ := server(t, tc.status, tc.body)
			o, err := c.Submit(context.Background(), "ses_x", read)
			tc.check(t, o, err)
		})
	}
}

// TestEveryMutatingRequestIsSignedAnew: two identical actions carry different signed nonces,
// so the server's replay protection never mistakes a retry for a replay.
func TestEveryMutatingRequestIsSignedAnew(t *testing.T) {
	t.Parallel()
	c, nonces := server(t, 200, api.ActionResponse{Verdict: api.VerdictAllow})
	for range 2 {
		if _, err := c.Act(context.Background(), "ses_x", read); err != nil {
			t.Fatal(err)
		}
	}
	if len(*nonces) != 2 || (*nonces)[0] == "" || (*nonces)[0] == (*nonces)[1] {
		t.Fatalf("nonces %q", *nonces)
	}
}

func TestProblemErrorWithoutProblemBody(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
	}))
	t.Cleanup(srv.Close)
	_, err := New(srv.URL, "us-east-1", "AKIDEXAMPLE", "secret").Act(context.Background(), "ses_x", read)
	var pe *ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusGatewayTimeout || strings.Contains(pe.Error(), "secret") {
		t.Fatalf("err = %v", err)
	}
	if _, denied := IsDenied(err); denied {
		t.Fatal("a gateway timeout is not a denial")
	}
}

// TestConcurrentRequestsReuseConnections: an agent running 16 actions at a time keeps about
// 16 connections to the API. With net/http's default of 2 idle connections per host, every
// round closed 14 and the next dialled 14 anew. The bound is twice the requests in flight:
// a connection goes back to the pool just after its answer is read, and a request starting
// in between dials once more (as TestConcurrentActionsReuseConnections saw in CI).
func TestConcurrentRequestsReuseConnections(t *testing.T) {
	var dialled atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"session_id":"s"}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := New(srv.URL, "us-east-1", "AKIDEXAMPLE", "secret")
	const inFlight, rounds = 16, 20
	var failed atomic.Value
	for range rounds {
		var wg sync.WaitGroup
		for range inFlight {
			wg.Go(func() {
				if _, err := c.Session(context.Background(), "s"); err != nil {
					failed.Store(err)
				}
			})
		}
		wg.Wait()
	}
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	if n := dialled.Load(); n > 2*inFlight {
		t.Fatalf("%d connections for %d requests at most %d at a time", n, inFlight*rounds, inFlight)
	}
}
