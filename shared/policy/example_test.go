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
	show := func(d policy.Decision) { fmt.Println(d.Verdict, d.Reasons) }
	show(set.Evaluate(req))

	req.Action = "http:DELETE"
	show(set.Evaluate(req))

	req.Action, req.Intents = "http:GET", nil
	show(set.Evaluate(req))
	// Output:
	// allow [support-reads-customers]
	// deny [no-customer-deletes]
	// deny [default-deny]
}

func ExampleSet_Evaluate_approval() {
	set, err := policy.Compile("example.cedar", []byte(`
@id("tier-changes-need-approval")
@approval("a customer's tier decides their price: a second person must agree")
@max_ttl("30s")
permit (principal, action == Action::"http:PATCH", resource in Target::"customers")
when { context.operator.verified || context.session.by_family.write == 0 };
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	d := set.Evaluate(policy.Request{Agent: "support-bot", Operator: "alice", Action: "http:PATCH", Target: "customers", Resource: "42"})
	fmt.Println(d.Verdict, d.Reasons, d.MaxTTL)
	fmt.Println(d.Approval)
	// Output:
	// approval [tier-changes-need-approval] 30s
	// a customer's tier decides their price: a second person must agree
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
