package broker

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/target"
)

// A target encrypted with customer managed keys gets, beside the action, exactly the KMS
// actions the operation needs on exactly its keys, only through the target's service, for the
// same window; a target without keys gets nothing of KMS.
func TestSessionPolicyNamesTheTargetsKMSKeys(t *testing.T) {
	t.Parallel()
	const (
		table = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
		key1  = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		key2  = "arn:aws:kms:us-east-1:210987654321:key/mrk-1234abcd12ab34cd56ef1234567890ab"
	)
	reg := func(keys string) target.Target {
		r, err := target.Parse([]byte("targets:\n- {name: orders, kind: aws, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/mandate-orders', region: us-east-1, allowed_resources: ['" + table + "', 'arn:aws:s3:::reports/*']" + keys + "}\n"))
		if err != nil {
			t.Fatal(err)
		}
		tg, _ := r.Lookup("orders")
		return tg
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	window := map[string]map[string]string{
		"DateGreaterThan": {"aws:CurrentTime": now.Add(-ClockSkew).Format(time.RFC3339)},
		"DateLessThan":    {"aws:CurrentTime": now.Add(DefaultPolicyWindowForTest).Format(time.RFC3339)},
	}
	kms := func(service string, actions ...string) PolicyStatement {
		c := map[string]map[string]string{"StringEquals": {"kms:ViaService": service + ".us-east-1.amazonaws.com"}}
		for k, v := range window {
			c[k] = v
		}
		return PolicyStatement{Sid: "MandateKMS", Effect: "Allow", Action: actions, Resource: []string{key1, key2}, Condition: c}
	}
	cases := []struct {
		name string
		keys string
		a    api.Action
		want []PolicyStatement
	}{
		{"read of a KMS-encrypted table", ", kms_keys: ['" + key1 + "', '" + key2 + "']",
			api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: table},
			[]PolicyStatement{{Sid: "MandateAction", Effect: "Allow", Action: []string{"dynamodb:GetItem"}, Resource: []string{table}, Condition: window}, kms("dynamodb", "kms:Decrypt")}},
		{"write of a KMS-encrypted object", ", kms_keys: ['" + key1 + "', '" + key2 + "']",
			api.Action{Kind: api.KindAWS, Target: "orders", Service: "s3", Operation: "PutObject", Resource: "arn:aws:s3:::reports/q1.csv"},
			[]PolicyStatement{{Sid: "MandateAction", Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: []string{"arn:aws:s3:::reports/q1.csv"}, Condition: window}, kms("s3", "kms:Decrypt", "kms:GenerateDataKey")}},
		{"target without keys", "",
			api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: table},
			[]PolicyStatement{{Sid: "MandateAction", Effect: "Allow", Action: []string{"dynamodb:GetItem"}, Resource: []string{table}, Condition: window}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := PlanAWS(reg(tc.keys), tc.a, Scope{Session: "ses_1", Record: "rec_1", Agent: "a", Intent: "i"}, now)
			if err != nil {
				t.Fatal(err)
			}
			var got SessionPolicy
			if err := json.Unmarshal(p.SessionPolicy, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Statement); diff != "" {
				t.Fatalf("session policy (-want +got):\n%s", diff)
			}
		})
	}
}

// DefaultPolicyWindowForTest is the registry's default window, which the targets above keep.
const DefaultPolicyWindowForTest = target.DefaultPolicyWindow
