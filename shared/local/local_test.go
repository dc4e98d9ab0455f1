package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
)

const prompt = "look up the contact details of customer 42 to answer their ticket"

func start(t *testing.T) *local.Instance {
	t.Helper()
	inst, err := local.Start(context.Background(), local.Options{Dir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst
}

func agentClient(inst *local.Instance) *client.Client {
	a := inst.Config.Agents[0]
	return client.New(inst.URL, inst.Config.Region, a.AccessKeyID, a.SecretAccessKey)
}

func problemOf(t *testing.T, err error) api.Problem {
	t.Helper()
	var pe *client.ProblemError
	if !errors.As(err, &pe) {
		t.Fatalf("want a problem response, got %v", err)
	}
	return pe.Problem
}

// TestScenariosOverSignedHTTP drives the demo's story over real HTTP with the SDK signer.
func TestScenariosOverSignedHTTP(t *testing.T) {
	t.Parallel()
	inst := start(t)
	c := agentClient(inst)
	ctx := context.Background()

	s, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Intents) == 0 || s.Intents[0].Name != "customer_support.lookup" || len(s.Intents[0].Evidence) == 0 {
		t.Fatalf("intents = %+v", s.Intents)
	}
	res, err := c.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: "http", Target: "customers", Method: "GET", Path: "/customers/42"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(res.Result)
	if strings.Contains(string(body), "grace.hopper@example.org") || !strings.Contains(string(body), "Grace Hopper") {
		t.Fatalf("result not masked as expected: %s", body)
	}
	_, err = c.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: "http", Target: "customers", Method: "DELETE", Path: "/customers/42"}})
	p := problemOf(t, err)
	if p.Status != 403 || p.Type != api.ProblemDenied || p.Verdict != "deny" || len(p.Reasons) == 0 || p.Record == nil {
		t.Fatalf("delete problem = %+v", p)
	}
	if inst.CRM.Served() != 1 {
		t.Fatalf("target served %d requests, want 1", inst.CRM.Served())
	}
	chain, err := c.Audit(ctx, s.SessionID)
	if err != nil || !chain.Verified || len(chain.Records) != 4 {
		t.Fatalf("audit = %+v, %v", chain, err)
	}
	got, err := c.Session(ctx, s.SessionID)
	if err != nil || got.Actions != 2 {
		t.Fatalf("session = %+v, %v", got, err)
	}
	if _, err := c.CloseSession(ctx, s.SessionID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: "http", Target: "customers", Method: "GET", Path: "/customers/42"}})
	if p := problemOf(t, err); p.Type != api.ProblemSessionClosed {
		t.Fatalf("act on closed session = %+v", p)
	}
	inst.Close()
	reps, err := local.Verify(ctx, inst.Dir)
	if err != nil || len(reps) != 1 || reps[0].Break != nil || len(reps[0].Records) != 6 {
		t.Fatalf("verify = %+v, %v", reps, err)
	}
	// The refusal after closing is on record too, with its true reason.
	if last := reps[0].Records[5]; last.Type != audit.TypeDecision || last.Verdict == nil || last.Verdict.Decision != api.VerdictDeny ||
		strings.Join(last.Verdict.Reasons, ",") != "session-closed" {
		t.Fatalf("last record = %+v %+v", last, last.Verdict)
	}
}

func TestBadRequestsGetProblems(t *testing.T) {
	t.Parallel()
	inst := start(t)
	a := inst.Config.Agents[0]
	good := agentClient(inst)
	ctx := context.Background()
	s, err := good.OpenSession(ctx, api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	wrongSecret := client.New(inst.URL, inst.Config.Region, a.AccessKeyID, strings.Repeat("x", 40))
	unknownKey := client.New(inst.URL, inst.Config.Region, "AKIAUNKNOWNKEY000000", a.SecretAccessKey)
	wrongRegion := client.New(inst.URL, "eu-west-1", a.AccessKeyID, a.SecretAccessKey)

	send := func(c *client.Client, method, path string, body []byte, sign bool) (int, api.Problem) {
		req, _ := http.NewRequest(method, inst.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sign {
			if err := c.Sign(ctx, req, body); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var p api.Problem
		if ct := resp.Header.Get("Content-Type"); ct != api.ProblemContentType {
			t.Fatalf("%s %s: content type %q, body %s", method, path, ct, raw)
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
		return resp.StatusCode, p
	}
	act := "/v1/sessions/" + s.SessionID + "/actions"
	cases := []struct {
		name         string
		c            *client.Client
		method, path string
		body         string
		sign         bool
		status       int
		typ          string
	}{
		{"unsigned", good, "POST", "/v1/sessions", `{}`, false, 401, api.ProblemUnauthenticated},
		{"wrong secret", wrongSecret, "POST", "/v1/sessions", `{}`, true, 401, api.ProblemBadSignature},
		{"unknown key", unknownKey, "POST", "/v1/sessions", `{}`, true, 401, api.ProblemUnknownKey},
		{"wrong region", wrongRegion, "POST", "/v1/sessions", `{}`, true, 401, ""},
		{"malformed JSON", good, "POST", act, `{"action":`, true, 400, api.ProblemMalformed},
		{"unknown field", good, "POST", act, `{"action":{"kind":"http"},"sudo":true}`, true, 400, api.ProblemMalformed},
		{"two JSON values", good, "POST", act, `{} {}`, true, 400, api.ProblemMalformed},
		{"wrong type", good, "POST", "/v1/sessions", `{"prompt":42}`, true, 400, api.ProblemMalformed},
		{"too large", good, "POST", act, `{"action":{"kind":"http","body":"` + strings.Repeat("a", api.MaxBodyBytes) + `"}}`, true, 413, api.ProblemTooLarge},
		{"unknown session", good, "GET", "/v1/sessions/ses_aaaaaaaaaaaaaaaaaaaaaaaaaa", ``, true, 404, api.ProblemSessionNotFound},
		{"malformed session id", good, "GET", "/v1/sessions/..%2f..%2fetc", ``, true, 404, ""},
		{"unknown route", good, "GET", "/v1/nothing", ``, true, 404, api.ProblemNotFound},
		{"missing prompt", good, "POST", "/v1/sessions", `{"operator":"ada@example.com"}`, true, 400, api.ProblemMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, p := send(tc.c, tc.method, tc.path, []byte(tc.body), tc.sign)
			if status != tc.status || p.Status != tc.status || (tc.typ != "" && p.Type != tc.typ) {
				t.Fatalf("got %d %+v, want %d %s", status, p, tc.status, tc.typ)
			}
			if strings.Contains(p.Detail, a.SecretAccessKey) {
				t.Fatal("problem leaks the secret")
			}
		})
	}
	if inst.CRM.Requests() != 0 {
		t.Fatalf("the target saw %d request(s)", inst.CRM.Requests())
	}
}

func TestStaleSignatureRejected(t *testing.T) {
	t.Parallel()
	inst := start(t)
	a := inst.Config.Agents[0]
	body := []byte(`{"operator":"ada@example.com","prompt":"x"}`)
	req, _ := http.NewRequest("POST", inst.URL+"/v1/sessions", bytes.NewReader(body))
	c := client.New(inst.URL, inst.Config.Region, a.AccessKeyID, a.SecretAccessKey)
	client.SetClock(c, func() time.Time { return time.Now().Add(-6 * time.Minute) })
	if err := c.Sign(context.Background(), req, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("stale request: %d", resp.StatusCode)
	}
}

// TestCurlSigV4 is the README's curl example, run for real.
func TestCurlSigV4(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is required in CI")
		}
		t.Skip("curl not installed")
	}
	inst := start(t)
	a := inst.Config.Agents[0]
	out, err := exec.Command(curl, "-sS", "--fail-with-body", "--aws-sigv4", "aws:amz:"+inst.Config.Region+":execute-api",
		"--user", a.AccessKeyID+":"+a.SecretAccessKey, "-H", "Content-Type: application/json",
		"-d", `{"operator":"ada@example.com","prompt":"`+prompt+`"}`, inst.URL+"/v1/sessions").CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v: %s", err, out)
	}
	var s api.Session
	if err := json.Unmarshal(out, &s); err != nil || !strings.HasPrefix(s.SessionID, "ses_") {
		t.Fatalf("curl answer %s (%v)", out, err)
	}
}

func TestInitKeepsExistingState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inst, err := local.Start(context.Background(), local.Options{Dir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	first := inst.Config
	inst.Close()
	info, err := os.Stat(filepath.Join(dir, local.ConfigFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode: %v %v", info, err)
	}
	inst, err = local.Start(context.Background(), local.Options{Dir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	if inst.Config.Agents[0] != first.Agents[0] {
		t.Fatal("a second start replaced the agent keys")
	}
	key, err := os.Stat(filepath.Join(dir, local.MaskKeyFile))
	if err != nil || key.Mode().Perm() != 0o600 || key.Size() < 64 {
		t.Fatalf("masking key file: %v %v", key, err)
	}
}

// TestCloseWithAnIdleDial: a connection a client dialled and never sent a request on (an
// HTTP transport dials spares under load) does not make Close fail: net/http's Shutdown
// waits five seconds for its first request, and Close then closes it, nothing being in
// flight. Before, Close answered "context deadline exceeded" and the demo failed with it.
func TestCloseWithAnIdleDial(t *testing.T) {
	t.Parallel()
	inst, err := local.Start(context.Background(), local.Options{Dir: t.TempDir(), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(inst.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(100 * time.Millisecond) // accepted: the server holds it as new
	if err := inst.Close(); err != nil {
		t.Fatalf("Close with a dialled, unused connection: %v", err)
	}
}
