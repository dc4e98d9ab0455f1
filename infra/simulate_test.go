package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/broker"
)

// simulation is one request to the simulator and the result it must give.
type simulation struct {
	name       string
	action     string
	principal  string
	context    map[string]any
	trust      map[string]any
	identity   map[string]any
	wantResult string
	// resource is the resource of the request (default targetARN); with no trust, the
	// request has no resource policy.
	resource string
}

// runSimulations runs sims through the simulator (simulate), each as one request of the
// broker's identity policy, with the trust policy as the resource policy when it has one.
func runSimulations(t *testing.T, sims []simulation) {
	t.Helper()
	var all []sim
	for _, s := range sims {
		if s.resource == "" {
			s.resource = targetARN
		}
		one := map[string]any{
			"identityPolicies":        []any{map[string]any{"name": "broker", "policy": s.identity}},
			"serviceControlPolicies":  []any{},
			"resourceControlPolicies": []any{},
			"request": map[string]any{
				"action": s.action, "principal": s.principal,
				"resource":         map[string]any{"accountId": "123456789012", "resource": s.resource},
				"contextVariables": s.context,
			},
		}
		if s.trust != nil {
			one["resourcePolicy"] = s.trust
		}
		all = append(all, sim{name: s.name, simulation: one, want: s.wantResult})
	}
	simulate(t, all)
}

const (
	brokerARN  = "arn:aws:iam::222222222222:role/mandate-prod-action"
	brokerSess = "arn:aws:sts::222222222222:assumed-role/mandate-prod-action/broker"
	mcpARN     = "arn:aws:iam::222222222222:role/mandate-prod-mcp"
	mcpSess    = "arn:aws:sts::222222222222:assumed-role/mandate-prod-mcp/broker"
	targetARN  = "arn:aws:iam::123456789012:role/orders-target"
)

// concrete replaces the template's references to the broker role and the partition with
// values, so the simulator reads the synthesized documents as IAM would.
func concrete(t *testing.T, s *synthesized, doc any) map[string]any {
	t.Helper()
	broker, mcp := s.logicalID(t, "AWS::IAM::Role", "ActionRole"), s.logicalID(t, "AWS::IAM::Role", "McpRole")
	raw := js(doc)
	raw = strings.ReplaceAll(raw, `{"Fn::GetAtt":["`+broker+`","Arn"]}`, `"`+brokerARN+`"`)
	raw = strings.ReplaceAll(raw, `{"Fn::GetAtt":["`+mcp+`","Arn"]}`, `"`+mcpARN+`"`)
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTrustPolicySimulated proves with an IAM policy simulator that the broker, from another
// account, can assume a target role with the session tags and a source identity (each of
// sts:AssumeRole, sts:TagSession and sts:SetSourceIdentity allowed on its own), and nothing
// less: not without a tag, with a foreign tag key, without a source identity, nor as another
// principal. The statement that joined the three actions is refused sts:TagSession.
func TestTrustPolicySimulated(t *testing.T) {
	s := synth(t)
	target := s.resources("AWS::IAM::Role")[s.logicalID(t, "AWS::IAM::Role", "ExampleTarget")]
	trust := concrete(t, s, target["AssumeRolePolicyDocument"])
	// The broker's own grant, from the template, on a concrete resource pattern.
	var grant map[string]any
	for _, st := range s.identityStatements() {
		if st.raw["Sid"] == "AssumeMandateTargetRoles" {
			grant = concrete(t, s, st.raw)
		}
	}
	if grant == nil {
		t.Fatal("no AssumeMandateTargetRoles statement")
	}
	grant["Resource"] = "arn:aws:iam::*:role/*"
	identity := map[string]any{"Version": "2012-10-17", "Statement": []any{grant}}

	full := map[string]any{
		"sts:SourceIdentity": "ada", "aws:TagKeys": TargetSessionTags,
		"aws:ResourceTag/" + TargetRoleTag: TargetRoleTagValue,
	}
	for _, k := range TargetSessionTags {
		full["aws:RequestTag/"+k] = "v"
	}
	without := func(keys ...string) map[string]any {
		c := map[string]any{}
		for k, v := range full {
			c[k] = v
		}
		for _, k := range keys {
			delete(c, k)
		}
		return c
	}
	withForeignTag := without()
	withForeignTag["aws:TagKeys"] = append(append([]string{}, TargetSessionTags...), "team")
	withForeignTag["aws:RequestTag/team"] = "x"

	joined := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": brokerARN},
		"Action":    []string{"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"},
		"Condition": map[string]any{"StringLike": map[string]any{"sts:SourceIdentity": "?*", "aws:RequestTag/mandate:agent": "?*"}},
	}}}
	var sims []simulation
	for _, a := range []string{"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"} {
		sims = append(sims, simulation{name: "broker " + a, action: a, principal: brokerSess, context: full, trust: trust, identity: identity, wantResult: "Allowed"})
		sims = append(sims, simulation{name: "mcp broker " + a, action: a, principal: mcpSess, context: full, trust: trust, identity: identity, wantResult: "Allowed"})
	}
	denied := []simulation{
		{name: "AssumeRole without a source identity", action: "sts:AssumeRole", context: without("sts:SourceIdentity")},
		{name: "AssumeRole without the session tag", action: "sts:AssumeRole", context: without("aws:RequestTag/mandate:session")},
		{name: "TagSession without a tag", action: "sts:TagSession", context: without("aws:RequestTag/mandate:record")},
		{name: "TagSession with a foreign tag key", action: "sts:TagSession", context: withForeignTag},
		{name: "SetSourceIdentity without one", action: "sts:SetSourceIdentity", context: without("sts:SourceIdentity")},
		{name: "another principal", action: "sts:AssumeRole", principal: "arn:aws:sts::222222222222:assumed-role/intruder/x", context: full},
		{name: "an untagged target role", action: "sts:AssumeRole", context: without("aws:ResourceTag/" + TargetRoleTag)},
	}
	for _, d := range denied {
		if d.principal == "" {
			d.principal = brokerSess
		}
		d.trust, d.identity, d.wantResult = trust, identity, "ImplicitlyDenied"
		sims = append(sims, d)
	}
	// The case that was seen: one statement joining the three actions refuses TagSession.
	sims = append(sims, simulation{name: "the joined statement, TagSession", action: "sts:TagSession", principal: brokerSess,
		context: full, trust: joined, identity: identity, wantResult: "ImplicitlyDenied"})
	runSimulations(t, sims)
}

// TestTargetTrustIsTheBrokers holds the trust policy NewTargetRole synthesizes equal to
// broker.TrustPolicy, the document `mandate demo --aws-endpoint` gives its target role, and
// the session tags it requires equal to those the broker sends.
func TestTargetTrustIsTheBrokers(t *testing.T) {
	s := synth(t)
	target := s.resources("AWS::IAM::Role")[s.logicalID(t, "AWS::IAM::Role", "ExampleTarget")]
	got := concrete(t, s, target["AssumeRolePolicyDocument"])
	var want map[string]any
	if err := json.Unmarshal([]byte(js(broker.TrustPolicy(brokerARN, mcpARN))), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("target trust policy (-broker.TrustPolicy +synthesized):\n%s", diff)
	}
	if diff := cmp.Diff(broker.SessionTagKeys, TargetSessionTags); diff != "" {
		t.Fatalf("session tags (-broker +infra):\n%s", diff)
	}
}
