package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/local"
)

// motoEndpoint is the moto server (STS, IAM, DynamoDB) .ci/with-services starts; the test
// skips without one, except in CI, where it fails.
func motoEndpoint(tb testing.TB) string {
	tb.Helper()
	endpoint := os.Getenv("MANDATE_TEST_DYNAMODB_TX_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("MANDATE_TEST_DYNAMODB_TX_ENDPOINT (moto_server) is required in CI")
		}
		tb.Skip("set MANDATE_TEST_DYNAMODB_TX_ENDPOINT to a moto_server (pip install 'moto[server]') to run the AWS path")
	}
	return endpoint
}

// exchange is one request sent to the AWS endpoint and what came back.
type exchange struct {
	form      url.Values // the STS or IAM query form, if any
	target    string     // X-Amz-Target, for JSON-protocol calls
	accessKey string     // the access key the request was signed with
	status    int
	body      []byte
}

// recorder is an http.RoundTripper that keeps every exchange with the AWS endpoint.
type recorder struct {
	mu  sync.Mutex
	log []exchange
}

var credentialRe = regexp.MustCompile(`Credential=([A-Z0-9]+)/`)

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	ex := exchange{target: req.Header.Get("X-Amz-Target")}
	if m := credentialRe.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		ex.accessKey = m[1]
	}
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		ex.form, _ = url.ParseQuery(string(body))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(out))
	ex.status, ex.body = resp.StatusCode, out
	r.mu.Lock()
	r.log = append(r.log, ex)
	r.mu.Unlock()
	return resp, nil
}

// TestDemoReadsAnOrderThroughSTS runs the demo against moto and checks the AWS scene from
// the wire: the broker's AssumeRole carried the session policy for exactly GetItem on the
// orders table with its time bound, the operator as SourceIdentity and the session tags;
// GetItem was signed with the credential STS returned; the agent got the item masked; and
// the chain holds the decision and the result, and verifies.
func TestDemoReadsAnOrderThroughSTS(t *testing.T) {
	t.Parallel()
	endpoint := motoEndpoint(t)
	rec := &recorder{}
	var out bytes.Buffer
	dir := t.TempDir()
	if err := Run(context.Background(), &out, Options{Dir: dir, AWSEndpoint: endpoint, AWSTransport: rec}); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	text := out.String()
	if strings.Contains(text, "NOT AS EXPECTED") || leaks(text) != "" {
		t.Fatalf("output:\n%s", text)
	}

	var assumes, gets []exchange
	rec.mu.Lock()
	for _, ex := range rec.log {
		switch {
		case ex.form.Get("Action") == "AssumeRole":
			assumes = append(assumes, ex)
		case ex.target == "DynamoDB_20120810.GetItem" && strings.HasPrefix(ex.accessKey, "ASIA"):
			gets = append(gets, ex)
		}
	}
	rec.mu.Unlock()
	if len(assumes) != 1 || len(gets) != 2 {
		t.Fatalf("%d AssumeRole and %d GetItem with a minted key; want 1 and 2 (the second read reuses the credential)", len(assumes), len(gets))
	}
	f := assumes[0].form
	session := f.Get("Tags.member.2.Value")
	if !strings.HasPrefix(session, "ses_") || !strings.HasPrefix(f.Get("RoleSessionName"), session+".") {
		t.Fatalf("session tag %q, session name %q", session, f.Get("RoleSessionName"))
	}
	got := map[string]string{}
	for _, k := range []string{"RoleArn", "SourceIdentity", "DurationSeconds", "Tags.member.1.Key", "Tags.member.1.Value",
		"Tags.member.2.Key", "Tags.member.3.Key", "Tags.member.3.Value", "Tags.member.4.Key"} {
		got[k] = f.Get(k)
	}
	want := map[string]string{
		"RoleArn": "arn:aws:iam::123456789012:role/mandate-orders", "SourceIdentity": "asserted." + local.DefaultOperator,
		"DurationSeconds": "900", "Tags.member.1.Key": "mandate:agent", "Tags.member.1.Value": "arn:aws:iam::000000000000:user/" + local.DefaultAgent,
		"Tags.member.2.Key": "mandate:session", "Tags.member.3.Key": "mandate:intent", "Tags.member.3.Value": "customer_support.lookup",
		"Tags.member.4.Key": "mandate:record",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AssumeRole (-want +got):\n%s", diff)
	}
	var pol broker.SessionPolicy
	if err := json.Unmarshal([]byte(f.Get("Policy")), &pol); err != nil || len(pol.Statement) != 1 {
		t.Fatalf("session policy %q: %v", f.Get("Policy"), err)
	}
	st := pol.Statement[0]
	notAfter, err := time.Parse(time.RFC3339, st.Condition["DateLessThan"]["aws:CurrentTime"])
	if st.Effect != "Allow" || !cmp.Equal(st.Action, []string{"dynamodb:GetItem"}) || !cmp.Equal(st.Resource, []string{local.DemoOrdersTableARN}) ||
		err != nil || notAfter.Before(time.Now()) || notAfter.After(time.Now().Add(3*time.Minute)) {
		t.Errorf("session policy %s", f.Get("Policy"))
	}
	var creds struct {
		AccessKeyID string `xml:"AssumeRoleResult>Credentials>AccessKeyId"`
	}
	if err := xml.Unmarshal(assumes[0].body, &creds); err != nil || creds.AccessKeyID == "" {
		t.Fatalf("AssumeRole answered %d %s", assumes[0].status, assumes[0].body)
	}
	for _, g := range gets {
		if g.accessKey != creds.AccessKeyID || g.status != http.StatusOK || !strings.Contains(string(g.body), "grace.hopper@example.org") {
			t.Errorf("GetItem signed with %s (minted %s): %d %s", g.accessKey, creds.AccessKeyID, g.status, g.body)
		}
	}
	if !strings.Contains(text, `"email":{"S":"[EMAIL]"}`) {
		t.Errorf("the agent's answer is not the masked item:\n%s", text)
	}

	reps, err := local.Verify(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var decisions, results int
	for _, r := range reps {
		if r.Break != nil {
			t.Fatalf("chain broken: %v", r.Break)
		}
		for _, x := range r.Records {
			if x.Action != nil && x.Action.Name == "dynamodb:GetItem" && x.Action.Resource == local.DemoOrdersTableARN && x.Verdict != nil && x.Verdict.Decision == "allow" {
				decisions++
			}
			if x.Result != nil && x.Result.Status == http.StatusOK && strings.Contains(x.Result.Credential, creds.AccessKeyID) && x.Result.Masking["email"] > 0 {
				results++
			}
		}
	}
	if decisions != 2 || results != 2 {
		t.Fatalf("chain holds %d allowed GetItem decisions and %d masked results with the minted credential; want 2 and 2", decisions, results)
	}
}

// TestKillDropsCachedCredentials: through the real pipeline on moto, killing a session drops
// the AWS credentials cached for it and no other session's; killing the agent drops them all.
func TestKillDropsCachedCredentials(t *testing.T) {
	t.Parallel()
	endpoint := motoEndpoint(t)
	ctx := context.Background()
	if err := setupAWS(ctx, endpoint, local.DefaultRegion, nil); err != nil {
		t.Fatal(err)
	}
	inst, err := local.Start(ctx, local.Options{Dir: t.TempDir(), Addr: "127.0.0.1:0", AWSEndpoint: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	a := inst.Config.Agents[0]
	agent := client.New(inst.URL, inst.Config.Region, a.AccessKeyID, a.SecretAccessKey)
	get := api.ActionRequest{Action: api.Action{Kind: api.KindAWS, Target: local.DemoAWSTarget, Service: "dynamodb",
		Operation: "GetItem", Resource: local.DemoOrdersTableARN, Params: map[string]any{"Key": orderKey}}}
	var sessions []string
	for range 2 {
		s, err := agent.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: Prompt})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := agent.Act(ctx, s.SessionID, get); err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s.SessionID)
	}
	if n := inst.Broker().CachedCredentials(); n != 2 {
		t.Fatalf("%d credentials cached after one read in each of two sessions, want 2", n)
	}
	grace := human(inst, local.DefaultApprover)
	kill := func(scope, id string) {
		t.Helper()
		var k api.Kill
		if err := grace.Do(ctx, http.MethodPost, "/v1/kill", api.KillRequest{Scope: scope, ID: id, Reason: "test"}, &k); err != nil {
			t.Fatal(err)
		}
	}
	kill(api.ScopeSession, sessions[0])
	if n := inst.Broker().CachedCredentials(); n != 1 {
		t.Fatalf("%d credentials cached after a session kill, want 1", n)
	}
	if res, err := agent.Act(ctx, sessions[1], get); err != nil || res.Status != http.StatusOK {
		t.Fatalf("the other session's read: %v", err)
	}
	if hits, _ := inst.Broker().ReuseStats(); hits != 1 {
		t.Fatalf("the other session's credential was not reused (%d hits)", hits)
	}
	kill(api.ScopeAgent, a.Name)
	if n := inst.Broker().CachedCredentials(); n != 0 {
		t.Fatalf("%d credentials cached after an agent kill, want 0", n)
	}
}
