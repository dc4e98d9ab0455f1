package broker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/iamsim"
)

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
	var input []iamsim.Sim
	for _, c := range cases {
		account := "123456789012"
		input = append(input, iamsim.Sim{Name: c.name, Simulation: map[string]any{
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
	got := iamsim.Run(t, input)
	for i, c := range cases {
		if got[i] != c.want {
			t.Errorf("%s: %s, want %s", c.name, got[i], c.want)
		}
	}
}
