package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/target"
)

// TestKMSSessionPolicySimulated proves with an IAM policy simulator what the session policy
// of a read on a KMS-encrypted table lets the minted credential do with KMS: decrypt with
// exactly the target's key, through DynamoDB, within the window; not directly, not through
// another service, not with another key, not GenerateDataKey, not after the window.
func TestKMSSessionPolicySimulated(t *testing.T) {
	const (
		table = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
		key   = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		other = "arn:aws:kms:us-east-1:123456789012:key/00000000-12ab-34cd-56ef-1234567890ab"
		sess  = "arn:aws:sts::123456789012:assumed-role/mandate-orders/ses_1.rec"
	)
	reg, err := target.Parse([]byte("targets:\n- {name: orders, kind: aws, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/mandate-orders', region: us-east-1, allowed_resources: ['" + table + "'], kms_keys: ['" + key + "']}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := reg.Lookup("orders")
	now := time.Now().UTC().Truncate(time.Second)
	p, err := broker.PlanAWS(tg, api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: table},
		broker.Scope{Session: "ses_1", Record: "rec_1", Agent: "a", Intent: "i"}, now)
	if err != nil {
		t.Fatal(err)
	}
	var policy map[string]any
	if err := json.Unmarshal(p.SessionPolicy, &policy); err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration, via string) map[string]any {
		c := map[string]any{"aws:CurrentTime": now.Add(d).Format(time.RFC3339)}
		if via != "" {
			c["kms:ViaService"] = via
		}
		return c
	}
	// The default key policy: the account's IAM policies decide (KMS needs a key policy that
	// says so).
	keyPolicy := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": "EnableIAMPolicies", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}}}
	sim := func(name, action, resource string, ctx map[string]any, want string) simulation {
		s := simulation{name: name, action: action, principal: sess, resource: resource, context: ctx, identity: policy, wantResult: want}
		if resource != table {
			s.trust = keyPolicy
		}
		return s
	}
	runSimulations(t, []simulation{
		sim("decrypt through DynamoDB", "kms:Decrypt", key, at(time.Second, "dynamodb.us-east-1.amazonaws.com"), "Allowed"),
		sim("the read itself", "dynamodb:GetItem", table, at(time.Second, ""), "Allowed"),
		sim("decrypt directly", "kms:Decrypt", key, at(time.Second, ""), "ImplicitlyDenied"),
		sim("decrypt through S3", "kms:Decrypt", key, at(time.Second, "s3.us-east-1.amazonaws.com"), "ImplicitlyDenied"),
		sim("decrypt with another key", "kms:Decrypt", other, at(time.Second, "dynamodb.us-east-1.amazonaws.com"), "ImplicitlyDenied"),
		sim("a data key for a read", "kms:GenerateDataKey", key, at(time.Second, "dynamodb.us-east-1.amazonaws.com"), "ImplicitlyDenied"),
		sim("decrypt after the window", "kms:Decrypt", key, at(time.Duration(tg.PolicyWindow)+time.Minute, "dynamodb.us-east-1.amazonaws.com"), "ImplicitlyDenied"),
	})
}
