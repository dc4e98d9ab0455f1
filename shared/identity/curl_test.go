package identity

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// newVerifyingServer starts a server that answers 200 with the principal's ID, or 401 with the
// sentinel that refused the request.
func newVerifyingServer(tb testing.TB, v *SigV4Verifier) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		p, err := v.Verify(r, body)
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, sentinelName(err))
			return
		}
		fmt.Fprint(w, p.ID)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

func sentinelName(err error) string {
	for _, s := range []struct {
		err  error
		name string
	}{
		{ErrUnsigned, "unsigned"}, {ErrMalformed, "malformed"}, {ErrUnknownKey, "unknown-key"},
		{ErrBadSignature, "bad-signature"}, {ErrExpired, "expired"},
	} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "other: " + err.Error()
}

func do(tb testing.TB, req *http.Request) (int, string) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read response: %v", err)
	}
	return resp.StatusCode, string(b)
}

// curlWithSigV4 returns the path of a curl that supports --aws-sigv4. Without one the test is
// skipped, except in CI, where it fails.
func curlWithSigV4(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("curl --aws-sigv4 is required in CI: %s", why)
		}
		t.Skipf("curl --aws-sigv4 unavailable: %s", why)
	}
	path, err := exec.LookPath("curl")
	if err != nil {
		missing(err.Error())
	}
	out, err := exec.Command(path, "--help", "all").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--aws-sigv4")) {
		missing("this curl has no --aws-sigv4 option")
	}
	return path
}

// TestCurlRoundTrip signs requests with curl --aws-sigv4 and verifies them in a real server.
func TestCurlRoundTrip(t *testing.T) {
	t.Parallel()
	curl := curlWithSigV4(t)
	v, err := NewSigV4Verifier(testRegion, []Key{demoKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := newVerifyingServer(t, v)
	const sigv4 = "aws:amz:us-east-1:execute-api"
	user := demoKey.AccessKeyID + ":" + demoKey.SecretAccessKey
	tests := []struct {
		name       string
		args       []string // before the URL
		path       string   // appended to the server URL
		wantStatus int
		wantBody   string
	}{
		{name: "GET", path: "/v1/sessions/s-123", wantStatus: 200, wantBody: demoPrincipal.ID},
		{name: "GET with canonical query", path: "/v1/approvals?a=1&b=x%20y&b=z", wantStatus: 200, wantBody: demoPrincipal.ID},
		{name: "path with space and unicode", path: "/v1/sessions/a%20b/caf%C3%A9", wantStatus: 200, wantBody: demoPrincipal.ID},
		{name: "path with reserved characters", path: "/v1/x@y=z:w", wantStatus: 200, wantBody: demoPrincipal.ID},
		{
			name:       "POST JSON",
			args:       []string{"-X", "POST", "-H", "Content-Type: application/json", "--data-binary", `{"operator":"alice","prompt":"look up customer 42"}`},
			path:       "/v1/sessions",
			wantStatus: 200, wantBody: demoPrincipal.ID,
		},
		{name: "signed custom header", args: []string{"-H", "X-Mandate-Operator: alice"}, path: "/v1/x", wantStatus: 200, wantBody: demoPrincipal.ID},
		{name: "wrong secret", args: []string{"--user", demoKey.AccessKeyID + ":wrong-secret"}, path: "/v1/x", wantStatus: 401, wantBody: "bad-signature"},
		{name: "unknown key", args: []string{"--user", strangerKey.AccessKeyID + ":" + strangerKey.SecretAccessKey}, path: "/v1/x", wantStatus: 401, wantBody: "unknown-key"},
		{name: "wrong region", args: []string{"--aws-sigv4", "aws:amz:eu-west-1:execute-api"}, path: "/v1/x", wantStatus: 401, wantBody: "bad-signature"},
		{name: "unsigned", args: []string{"--aws-sigv4", ""}, path: "/v1/x", wantStatus: 401, wantBody: "unsigned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"-sS", "--aws-sigv4", sigv4, "--user", user, "-w", "\n%{http_code}"}
			args = append(args, tt.args...)
			args = append(args, srv.URL+tt.path)
			if tt.name == "unsigned" {
				args = []string{"-sS", "-w", "\n%{http_code}", srv.URL + tt.path}
			}
			out, err := exec.Command(curl, args...).Output()
			if err != nil {
				t.Fatalf("curl: %v", err)
			}
			body, status, _ := strings.Cut(string(out), "\n")
			if want := fmt.Sprint(tt.wantStatus); status != want || body != tt.wantBody {
				t.Errorf("curl %s: %s %q; want %s %q", tt.path, status, body, want, tt.wantBody)
			}
		})
	}
}
