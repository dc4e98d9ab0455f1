package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
)

// iamSimulator returns the folder holding the IAM policy simulator (npm
// @cloud-copilot/iam-simulate, AGPL-3.0: a test-time tool, never linked into or shipped with
// Mandate), installing it into .cache as the infra tests do; it skips without node, except in
// CI, where it fails.
func iamSimulator(t *testing.T) string {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	if _, err := exec.LookPath("node"); err != nil {
		fail("node is needed for the IAM policy simulator: %v", err)
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", ".cache", "iam-simulate"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err == nil {
		return dir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail("iam-simulate: %v", err)
	}
	out, err := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "@cloud-copilot/iam-simulate@0.1.173").CombinedOutput()
	if err != nil {
		fail("install the IAM policy simulator: %v\n%s", err, out)
	}
	return dir
}

// TestMintedCredentialSimulated proves with an IAM policy simulator what a credential the
// broker mints may do: the session policy is the one Mint sent to STS, applied to a target
// role whose own policy allows every DynamoDB and S3 action anywhere, so the session policy
// alone draws the line. The exact action on the exact resource is allowed inside the
// aws:CurrentTime window and denied before and after it; another action and the same action
// on another resource are denied. A resource that looks like a pattern gets no credential at
// all: Mint refuses it before STS is called (the simulator reads "*" in a request as "any
// resource", so it cannot be asked about one named "*"; "?" it reads literally).
func TestMintedCredentialSimulated(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv, client := newSTS(t, now)
	b := New(nil, func() time.Time { return now })
	b.UseSTS(client)
	const table = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	const object = "arn:aws:s3:::reports/2026/q1.csv"
	sc := Scope{Session: "ses_sim", Record: record, Agent: "demo-agent", Operator: "ada@example.com", Intent: "customer_support.lookup"}
	policies := map[string]any{}
	for _, a := range []api.Action{
		{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: table},
		{Kind: api.KindAWS, Target: "orders", Service: "s3", Operation: "GetObject", Resource: object},
	} {
		if _, err := b.Mint(context.Background(), awsTarget, a, sc); err != nil {
			t.Fatal(err)
		}
		var pol any
		if err := json.Unmarshal([]byte(srv.forms[len(srv.forms)-1].Get("Policy")), &pol); err != nil {
			t.Fatal(err)
		}
		policies[a.Service] = pol
	}
	for _, r := range []string{
		"arn:aws:dynamodb:us-east-1:123456789012:table/*", "arn:aws:dynamodb:us-east-1:123456789012:table/ord*",
		"arn:aws:s3:::reports/2026/*", "arn:aws:s3:::reports/2026/q?.csv", "arn:aws:s3:::reports/${aws:username}",
	} {
		calls := len(srv.forms)
		service := "s3"
		if strings.Contains(r, "dynamodb") {
			service = "dynamodb"
		}
		op := map[string]string{"s3": "GetObject", "dynamodb": "GetItem"}[service]
		tg := awsTarget
		tg.AllowedResources = []string{"arn:aws:*"}
		if _, err := b.Mint(context.Background(), tg, api.Action{Kind: api.KindAWS, Target: "orders", Service: service, Operation: op, Resource: r}, sc); !errors.Is(err, ErrUnsupported) || len(srv.forms) != calls {
			t.Errorf("Mint for %s: %v, %d AssumeRole call(s); want ErrUnsupported and none", r, err, len(srv.forms)-calls)
		}
	}
	role := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": []string{"dynamodb:*", "s3:*"}, "Resource": "*",
	}}}
	inside, after, before := now.Add(time.Minute), now.Add(2*time.Minute+time.Second), now.Add(-ClockSkew-time.Second)
	cases := []struct {
		name, policy, action, resource string
		at                             time.Time
		want                           string
	}{
		{"GetItem on the table inside the window", "dynamodb", "dynamodb:GetItem", table, inside, "Allowed"},
		{"GetItem on the table at its start", "dynamodb", "dynamodb:GetItem", table, now, "Allowed"},
		{"GetItem on the table after the window", "dynamodb", "dynamodb:GetItem", table, after, "ImplicitlyDenied"},
		{"GetItem on the table before the window", "dynamodb", "dynamodb:GetItem", table, before, "ImplicitlyDenied"},
		{"PutItem on the table", "dynamodb", "dynamodb:PutItem", table, inside, "ImplicitlyDenied"},
		{"DeleteItem on the table", "dynamodb", "dynamodb:DeleteItem", table, inside, "ImplicitlyDenied"},
		{"GetItem on another table", "dynamodb", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/users", inside, "ImplicitlyDenied"},
		{"GetItem on a table named like a prefix", "dynamodb", "dynamodb:GetItem", table + "-archive", inside, "ImplicitlyDenied"},
		{"Query on an index of the table", "dynamodb", "dynamodb:Query", table + "/index/by-customer", inside, "ImplicitlyDenied"},
		{"GetItem in another account", "dynamodb", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:210987654321:table/orders", inside, "ImplicitlyDenied"},
		{"GetObject on the object", "s3", "s3:GetObject", object, inside, "Allowed"},
		{"GetObject after the window", "s3", "s3:GetObject", object, after, "ImplicitlyDenied"},
		{"GetObject on a sibling object", "s3", "s3:GetObject", "arn:aws:s3:::reports/2026/q2.csv", inside, "ImplicitlyDenied"},
		{"GetObject on an object named q?.csv", "s3", "s3:GetObject", "arn:aws:s3:::reports/2026/q?.csv", inside, "ImplicitlyDenied"},
		{"GetObject below the object", "s3", "s3:GetObject", object + "/x", inside, "ImplicitlyDenied"},
		{"PutObject on the object", "s3", "s3:PutObject", object, inside, "ImplicitlyDenied"},
	}
	type sim struct {
		Name       string         `json:"name"`
		Simulation map[string]any `json:"simulation"`
	}
	var input []sim
	for _, c := range cases {
		account := "123456789012"
		input = append(input, sim{c.name, map[string]any{
			"identityPolicies":        []any{map[string]any{"name": "target-role", "policy": role}},
			"sessionPolicy":           policies[c.policy],
			"serviceControlPolicies":  []any{},
			"resourceControlPolicies": []any{},
			"request": map[string]any{
				"action":    c.action,
				"principal": "arn:aws:sts::123456789012:assumed-role/mandate-orders/" + srv.forms[0].Get("RoleSessionName"),
				"resource":  map[string]any{"accountId": account, "resource": c.resource},
				"contextVariables": map[string]any{
					"aws:CurrentTime": c.at.Format(time.RFC3339), "aws:EpochTime": c.at.Unix(),
					"aws:SourceIdentity": srv.forms[0].Get("SourceIdentity"),
				},
			},
		}})
	}
	got := simulate(t, input)
	for i, c := range cases {
		if got[i] != c.want {
			t.Errorf("%s: %s, want %s", c.name, got[i], c.want)
		}
	}
}

// simulate runs the simulations through infra/testdata/iamsim.mjs and returns each result.
func simulate(t *testing.T, input any) []string {
	t.Helper()
	dir := iamSimulator(t)
	raw, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join("..", "..", "infra", "testdata", "iamsim.mjs"))
	cmd.Env = append(os.Environ(), "IAM_SIMULATE_DIR="+dir)
	cmd.Stdin = bytes.NewReader(raw)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("simulator: %v\n%s", err, stderr.String())
	}
	var res []struct{ Name, Result string }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("simulator answered %s: %v", out, err)
	}
	results := make([]string, len(res))
	for i, r := range res {
		results[i] = r.Result
	}
	return results
}
