package iamaction

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGenericJSONOperations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		service, op string
		actions     []string
		arn         string
		want        Resource
	}{
		{"dynamodb", "Scan", []string{"dynamodb:Scan"}, "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
			Resource{ARN: "arn:aws:dynamodb:us-east-1:123456789012:table/orders", Partition: "aws", Region: "us-east-1", Account: "123456789012"}},
		{"dynamodb", "DescribeTable", []string{"dynamodb:DescribeTable"}, "arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
			Resource{ARN: "arn:aws:dynamodb:eu-west-1:123456789012:table/orders", Partition: "aws", Region: "eu-west-1", Account: "123456789012"}},
		{"sqs", "SendMessage", []string{"sqs:SendMessage"}, "arn:aws:sqs:us-east-1:123456789012:jobs",
			Resource{ARN: "arn:aws:sqs:us-east-1:123456789012:jobs", Partition: "aws", Region: "us-east-1", Account: "123456789012"}},
		{"sqs", "SendMessageBatch", []string{"sqs:SendMessage"}, "arn:aws:sqs:us-east-1:123456789012:jobs",
			Resource{ARN: "arn:aws:sqs:us-east-1:123456789012:jobs", Partition: "aws", Region: "us-east-1", Account: "123456789012"}},
		{"sqs", "DeleteMessageBatch", []string{"sqs:DeleteMessage"}, "arn:aws:sqs:us-east-1:123456789012:jobs",
			Resource{ARN: "arn:aws:sqs:us-east-1:123456789012:jobs", Partition: "aws", Region: "us-east-1", Account: "123456789012"}},
		{"kinesis", "PutRecord", []string{"kinesis:PutRecord"}, "arn:aws:kinesis:us-east-1:123456789012:stream/clicks",
			Resource{ARN: "arn:aws:kinesis:us-east-1:123456789012:stream/clicks", Partition: "aws", Region: "us-east-1", Account: "123456789012"}},
		{"logs", "FilterLogEvents", []string{"logs:FilterLogEvents"}, "arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:app",
			Resource{ARN: "arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:app", Partition: "aws-us-gov", Region: "us-gov-west-1", Account: "123456789012"}},
	}
	for _, tc := range cases {
		t.Run(tc.service+":"+tc.op, func(t *testing.T) {
			t.Parallel()
			o, err := Lookup(tc.service, tc.op)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.actions, o.Actions); diff != "" || o.ResourceKind != ServiceARN || !o.Generic {
				t.Fatalf("actions (-want +got): %s; kind %s, generic %v", diff, o.ResourceKind, o.Generic)
			}
			got, err := o.Resource(tc.arn)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("resource (-want +got)\n%s", diff)
			}
		})
	}
	// The explicit table wins over the generic path: GetItem keeps its table-only resource.
	if o, _ := Lookup("dynamodb", "GetItem"); o.Generic || o.ResourceKind != DynamoDBTable {
		t.Fatalf("dynamodb:GetItem = %+v, want the explicit entry", o)
	}
	scan, _ := Lookup("sqs", "ReceiveMessage")
	for _, bad := range []string{
		"arn:aws:sqs:us-east-1:123456789012:*",               // pattern
		"arn:aws:sqs:us-east-1:123456789012:jobs?",           // pattern
		"arn:aws:sns:us-east-1:123456789012:jobs",            // another service
		"arn:aws:sqs:us-east-1::jobs",                        // no account
		"arn:aws:sqs::123456789012:jobs",                     // no region
		"arn:aws:sqs:us-east-1:123456789012:${aws:username}", // policy variable
		"arn:aws:sqs:us-east-1:123456789012:jo bs",           // space
		"arn:aws:sqs:us-east-1:123456789012:",                // empty resource
		"arn:aws:sqs:us-east-1:123456789012:jobs\n",          // control character
		"arn:aws:sqs:us-east-1:123456789012:" + strings.Repeat("a", 1025),
	} {
		if _, err := scan.Resource(bad); !errors.Is(err, ErrResource) {
			t.Errorf("Resource(%q) = %v, want ErrResource", bad, err)
		}
	}
}

// TestGenericNeverExceedsItsOwnAction is a property test: for any operation name the
// generic path accepts, the IAM actions are exactly one, of the same service, named for the
// operation (or its documented batch parent), and never a wildcard.
func TestGenericNeverExceedsItsOwnAction(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*?:$ -"
	for i := 0; i < 20000; i++ {
		svc := jsonServices[r.IntN(len(jsonServices))].Name
		n := 1 + r.IntN(20)
		b := make([]byte, n)
		for j := range b {
			b[j] = alphabet[r.IntN(len(alphabet))]
		}
		op := string(b)
		o, err := Lookup(svc, op)
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Lookup(%q, %q) = %v", svc, op, err)
			}
			continue
		}
		if len(o.Actions) != 1 || strings.ContainsAny(o.Actions[0], "*?$ ") {
			t.Fatalf("Lookup(%q, %q) actions %v", svc, op, o.Actions)
		}
		want := svc + ":" + op
		if a, ok := batchActions[want]; ok {
			want = a
		}
		if o.Actions[0] != want && !(!o.Generic && o.Service == svc) {
			t.Fatalf("Lookup(%q, %q) = %v, want %s", svc, op, o.Actions, want)
		}
	}
}

func TestJSONServiceTable(t *testing.T) {
	t.Parallel()
	for _, s := range JSONServices() {
		if s.JSONVersion != "1.0" && s.JSONVersion != "1.1" || s.TargetPrefix == "" || s.EndpointPrefix == "" {
			t.Errorf("%+v", s)
		}
		if got, ok := LookupJSONService(s.Name); !ok || got != s {
			t.Errorf("LookupJSONService(%q) = %+v, %v", s.Name, got, ok)
		}
	}
	if _, ok := LookupJSONService("s3"); ok {
		t.Error("s3 is not a JSON-protocol service")
	}
}
