package iamaction

import (
	"strings"
	"testing"
)

// FuzzLookupResource: for any service, operation and ARN an agent sends, Lookup and Resource
// never panic, and what they accept is one IAM action of the named service (or its table
// entry) on exactly the ARN sent, with no pattern or policy variable in it.
func FuzzLookupResource(f *testing.F) {
	f.Add("dynamodb", "GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders")
	f.Add("dynamodb", "Scan", "arn:aws:dynamodb:us-east-1:123456789012:table/orders")
	f.Add("s3", "ListObjectsV2", "arn:aws:s3:::reports")
	f.Add("sqs", "SendMessageBatch", "arn:aws:sqs:us-east-1:123456789012:jobs")
	f.Add("logs", "FilterLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:app:*")
	f.Fuzz(func(t *testing.T, service, op, arn string) {
		o, err := Lookup(service, op)
		if err != nil {
			return
		}
		if len(o.Actions) == 0 {
			t.Fatalf("%s:%s needs no action", service, op)
		}
		for _, a := range o.Actions {
			if strings.ContainsAny(a, "*?$ ") || !strings.Contains(a, ":") {
				t.Fatalf("%s:%s -> action %q", service, op, a)
			}
		}
		r, err := o.Resource(arn)
		if err != nil {
			return
		}
		if r.ARN != arn || strings.ContainsAny(arn, "*?$") {
			t.Fatalf("Resource(%q) = %+v", arn, r)
		}
		if o.Generic && !strings.HasPrefix(arn, "arn:"+r.Partition+":"+service+":") {
			t.Fatalf("generic %s:%s accepted %q", service, op, arn)
		}
	})
}
