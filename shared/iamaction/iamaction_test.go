package iamaction

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		service, op string
		actions     []string
		kind        string
	}{
		{"dynamodb", "GetItem", []string{"dynamodb:GetItem"}, DynamoDBTable},
		{"dynamodb", "Query", []string{"dynamodb:Query"}, DynamoDBTableOrIndex},
		{"dynamodb", "PutItem", []string{"dynamodb:PutItem"}, DynamoDBTable},
		{"dynamodb", "UpdateItem", []string{"dynamodb:UpdateItem"}, DynamoDBTable},
		{"dynamodb", "DeleteItem", []string{"dynamodb:DeleteItem"}, DynamoDBTable},
		{"s3", "GetObject", []string{"s3:GetObject"}, S3Object},
		{"s3", "PutObject", []string{"s3:PutObject"}, S3Object},
		{"s3", "DeleteObject", []string{"s3:DeleteObject"}, S3Object},
		{"s3", "ListObjectsV2", []string{"s3:ListBucket"}, S3Bucket},
	}
	if len(cases) != len(operations) {
		t.Fatalf("the table has %d operations, the test %d: test every one", len(operations), len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.service+":"+tc.op, func(t *testing.T) {
			t.Parallel()
			o, err := Lookup(tc.service, tc.op)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.actions, o.Actions); diff != "" || o.ResourceKind != tc.kind {
				t.Fatalf("actions (-want +got): %s; kind %s", diff, o.ResourceKind)
			}
		})
	}
	for _, bad := range [][2]string{{"dynamodb", "Get-Item"}, {"dynamodb", "getitem"}, {"sqs", "send_message"}, {"sqs", ""}, {"S3", "GetObject"}, {"s3", "SelectObjectContent"}, {"s3", "ListObjects"}, {"iam", "CreateUser"}, {"", ""}} {
		if _, err := Lookup(bad[0], bad[1]); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Lookup(%q, %q) = %v, want ErrUnsupported", bad[0], bad[1], err)
		}
	}
}

func TestResource(t *testing.T) {
	t.Parallel()
	get, _ := Lookup("dynamodb", "GetItem")
	query, _ := Lookup("dynamodb", "Query")
	obj, _ := Lookup("s3", "GetObject")
	list, _ := Lookup("s3", "ListObjectsV2")
	cases := []struct {
		name string
		op   Operation
		arn  string
		want Resource
		err  bool
	}{
		{"table", get, "arn:aws:dynamodb:us-east-1:123456789012:table/orders", Resource{ARN: "arn:aws:dynamodb:us-east-1:123456789012:table/orders", Partition: "aws", Region: "us-east-1", Account: "123456789012", Table: "orders"}, false},
		{"index for GetItem", get, "arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-customer", Resource{}, true},
		{"index for Query", query, "arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-customer", Resource{ARN: "arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-customer", Partition: "aws", Region: "us-east-1", Account: "123456789012", Table: "orders", Index: "by-customer"}, false},
		{"wildcard table", get, "arn:aws:dynamodb:us-east-1:123456789012:table/*", Resource{}, true},
		{"policy variable", obj, "arn:aws:s3:::reports/${aws:username}", Resource{}, true},
		{"object", obj, "arn:aws:s3:::reports/2024/q1.csv", Resource{ARN: "arn:aws:s3:::reports/2024/q1.csv", Partition: "aws", Bucket: "reports", Key: "2024/q1.csv"}, false},
		{"bucket for object op", obj, "arn:aws:s3:::reports", Resource{}, true},
		{"wildcard key", obj, "arn:aws:s3:::reports/*", Resource{}, true},
		{"bucket", list, "arn:aws:s3:::reports", Resource{ARN: "arn:aws:s3:::reports", Partition: "aws", Bucket: "reports"}, false},
		{"object for list", list, "arn:aws:s3:::reports/x", Resource{}, true},
		{"table for s3", obj, "arn:aws:dynamodb:us-east-1:123456789012:table/orders", Resource{}, true},
		{"newline", obj, "arn:aws:s3:::reports/a\nb", Resource{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.op.Resource(tc.arn)
			if tc.err {
				if !errors.Is(err, ErrResource) {
					t.Fatalf("Resource(%q) = %+v, %v; want ErrResource", tc.arn, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
		})
	}
}
