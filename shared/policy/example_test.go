package policy_test

import (
	"fmt"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/policy"
)

func ExampleSet_Evaluate() {
	set, err := policy.Compile("example.cedar", []byte(`
@id("support-reads-customers")
permit (principal, action in Action::"read", resource in Target::"customers")
when { context.intents.contains("customer_support.lookup") };

@id("no-customer-deletes")
forbid (principal, action in Action::"delete", resource in Target::"customers");
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	req := policy.Request{
		Agent:    "support-bot",
		Operator: "alice",
		Action:   "http:GET",
		Target:   "customers",
		Resource: "42",
		Intents:  []api.Intent{{Name: "customer_support.lookup", Score: 0.9}},
		Now:      time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
	}
	fmt.Println(set.Evaluate(req))

	req.Action = "http:DELETE"
	fmt.Println(set.Evaluate(req))

	req.Action, req.Intents = "http:GET", nil
	fmt.Println(set.Evaluate(req))
	// Output:
	// {allow [support-reads-customers] []}
	// {deny [no-customer-deletes] []}
	// {deny [default-deny] []}
}

func ExampleCompile_error() {
	_, err := policy.Compile("bad.cedar", []byte(`
@id("a") permit (principal, action, resource);
permit (principal, action, resource);
`))
	for _, p := range policy.Problems(err) {
		fmt.Println(p)
	}
	// Output:
	// bad.cedar:3:1: policy has no @id("...") annotation; every policy needs a unique id
}

func ExampleFamily() {
	for _, a := range []string{"http:GET", "sql:DELETE", "dynamodb:PutItem", "s3:ListBuckets"} {
		fmt.Println(a, policy.Family(a))
	}
	// Output:
	// http:GET read
	// sql:DELETE delete
	// dynamodb:PutItem write
	// s3:ListBuckets read
}
