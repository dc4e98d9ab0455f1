package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/iamsim"
	"github.com/mandate-dev/mandate/shared/revoke"
)

// Accounts and principals of the revocation simulations.
const (
	homeAccount    = "123456789012"
	farAccount     = "222222222222"
	killswitchARN  = "arn:aws:iam::" + homeAccount + ":role/mandate-prod-killswitch"
	killswitchSess = "arn:aws:sts::" + homeAccount + ":assumed-role/mandate-prod-killswitch/kill"
	ordersRole     = "arn:aws:iam::" + homeAccount + ":role/orders-target"
	ordersSess     = "arn:aws:sts::" + homeAccount + ":assumed-role/orders-target/mandate"
	ordersPolicy   = "arn:aws:iam::" + homeAccount + ":policy" + revoke.PolicyPath + "orders-target-Revocation"
)

// sim is one whole simulation for the IAM policy simulator and the result it must give.
type sim struct {
	name       string
	simulation map[string]any
	want       string
}

// simulate runs sims through the IAM policy simulator and checks each result.
func simulate(t *testing.T, sims []sim) {
	t.Helper()
	input := make([]iamsim.Sim, len(sims))
	for i, s := range sims {
		input[i] = iamsim.Sim{Name: s.name, Simulation: s.simulation}
	}
	for i, got := range iamsim.Run(t, input) {
		if got != sims[i].want {
			t.Errorf("%s: %s, want %s", sims[i].name, got, sims[i].want)
		}
	}
}

// request builds a simulation of one request.
func request(principal, action, resource, account string, context map[string]any, identity []any, boundary, resourcePolicy any) map[string]any {
	policies := []any{}
	for i, p := range identity {
		policies = append(policies, map[string]any{"name": fmt.Sprint("identity", i), "policy": p})
	}
	s := map[string]any{
		"identityPolicies": policies, "serviceControlPolicies": []any{}, "resourceControlPolicies": []any{},
		"request": map[string]any{
			"principal": principal, "action": action,
			"resource":         map[string]any{"accountId": account, "resource": resource},
			"contextVariables": context,
		},
	}
	if boundary != nil {
		s["permissionBoundaryPolicies"] = []any{map[string]any{"name": "revocation", "policy": boundary}}
	}
	if resourcePolicy != nil {
		s["resourcePolicy"] = resourcePolicy
	}
	return s
}

// resolve turns the template's intrinsic functions into the values IAM would see: the
// partition is aws, this account is homeAccount, Fn::GetAtt of a role is its ARN in arns, and
// any other resource of the stack is an ARN no request here names.
func resolve(t *testing.T, v any, arns map[string]string) any {
	t.Helper()
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = resolve(t, x, arns)
		}
		return out
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok && len(v) == 1 {
			switch ref {
			case "AWS::Partition":
				return "aws"
			case "AWS::AccountId":
				return homeAccount
			case "AWS::Region":
				return "us-east-1"
			}
			return "arn:aws:other:us-east-1:" + homeAccount + ":" + ref // another resource of the stack
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(v) == 1 {
			if arn, ok := arns[att[0].(string)]; ok {
				return arn
			}
			return "arn:aws:other:us-east-1:" + homeAccount + ":" + att[0].(string) // another resource of the stack
		}
		if join, ok := v["Fn::Join"].([]any); ok && len(v) == 1 {
			var parts []string
			for _, p := range join[1].([]any) {
				parts = append(parts, resolve(t, p, arns).(string))
			}
			return strings.Join(parts, join[0].(string))
		}
		out := map[string]any{}
		for k, x := range v {
			out[k] = resolve(t, x, arns)
		}
		return out
	}
	return v
}

// policyOf returns the statements of role's identity policies in the template, resolved.
func (s *synthesized) policyOf(t *testing.T, rolePrefix string, arns map[string]string) map[string]any {
	t.Helper()
	var sts []any
	for _, st := range s.identityStatements() {
		if strings.HasPrefix(st.where, rolePrefix) {
			sts = append(sts, resolve(t, st.raw, arns))
		}
	}
	if len(sts) == 0 {
		t.Fatalf("no identity policy of %s", rolePrefix)
	}
	return map[string]any{"Version": "2012-10-17", "Statement": sts}
}

func jsonDoc(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestKillSwitchCannotWidenTargetRoles proves with the IAM policy simulator, on the kill
// switch role's policies from the synthesized template, that the kill switch can write
// versions of revocation policies and read tagged target roles, and can change nothing else
// of a target role: no inline policy of any name, no attached policy, no boundary, no trust
// policy, no other managed policy; and that it can assume only revocation roles, which trust
// only it.
func TestKillSwitchCannotWidenTargetRoles(t *testing.T) {
	s := synth(t)
	killswitch := s.logicalID(t, "AWS::IAM::Role", "KillswitchRole")
	arns := map[string]string{killswitch: killswitchARN}
	policy := s.policyOf(t, "KillswitchRole", arns)
	tagged := map[string]any{"iam:ResourceTag/" + TargetRoleTag: TargetRoleTagValue, "aws:ResourceTag/" + TargetRoleTag: TargetRoleTagValue}
	ks := func(name, action, resource, account string, ctx map[string]any, want string) sim {
		if ctx == nil {
			ctx = map[string]any{}
		}
		return sim{name, request(killswitchSess, action, resource, account, ctx, []any{policy}, nil, nil), want}
	}
	sims := []sim{
		ks("write a version of the revocation policy", "iam:CreatePolicyVersion", ordersPolicy, homeAccount, nil, "Allowed"),
		ks("delete an old version of it", "iam:DeletePolicyVersion", ordersPolicy, homeAccount, nil, "Allowed"),
		ks("list its versions", "iam:ListPolicyVersions", ordersPolicy, homeAccount, nil, "Allowed"),
		ks("read a version", "iam:GetPolicyVersion", ordersPolicy, homeAccount, nil, "Allowed"),
		ks("read a tagged target role", "iam:GetRole", ordersRole, homeAccount, tagged, "Allowed"),
		ks("read an untagged role", "iam:GetRole", "arn:aws:iam::"+homeAccount+":role/admin", homeAccount, map[string]any{}, "ImplicitlyDenied"),
	}
	for _, a := range []string{"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
		"iam:UpdateAssumeRolePolicy", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:UpdateRole",
		"iam:TagRole", "iam:UntagRole", "iam:DeleteRole", "iam:PassRole"} {
		sims = append(sims, ks("the target role: "+a, a, ordersRole, homeAccount, tagged, "ImplicitlyDenied"))
	}
	for _, a := range []string{"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"} {
		sims = append(sims, ks("another policy: "+a, a, "arn:aws:iam::"+homeAccount+":policy/team/orders-permissions", homeAccount, nil, "ImplicitlyDenied"))
	}
	sims = append(sims,
		ks("a revocation policy of another account, directly", "iam:CreatePolicyVersion", "arn:aws:iam::"+farAccount+":policy"+revoke.PolicyPath+"ledger-Revocation", farAccount, nil, "ImplicitlyDenied"),
		ks("delete the revocation policy", "iam:DeletePolicy", ordersPolicy, homeAccount, nil, "ImplicitlyDenied"),
		ks("another role of another account", "sts:AssumeRole", "arn:aws:iam::"+farAccount+":role/admin", farAccount, nil, "ImplicitlyDenied"),
	)

	// The revocation role of another account, from the template: assumable by the kill
	// switch only, and as narrow there as the kill switch is at home.
	rev := s.logicalID(t, "AWS::IAM::Role", "ExampleRevocation")
	trust := resolve(t, s.resources("AWS::IAM::Role")[rev]["AssumeRolePolicyDocument"], arns)
	revocationRole := "arn:aws:iam::" + farAccount + ":role/" + revoke.RevocationRoleName
	sims = append(sims,
		sim{"the kill switch assumes the revocation role", request(killswitchSess, "sts:AssumeRole", revocationRole, farAccount, map[string]any{}, []any{policy}, nil, trust), "Allowed"},
		sim{"another role of the Mandate account does not", request("arn:aws:sts::"+homeAccount+":assumed-role/mandate-prod-action/x", "sts:AssumeRole", revocationRole, farAccount, map[string]any{},
			[]any{map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}}}}, nil, trust), "ImplicitlyDenied"},
	)
	revPolicy := s.policyOf(t, "ExampleRevocation", arns)
	revSess := "arn:aws:sts::" + homeAccount + ":assumed-role/" + revoke.RevocationRoleName + "/kill"
	for _, c := range []struct{ action, resource, want string }{
		{"iam:CreatePolicyVersion", ordersPolicy, "Allowed"},
		{"iam:PutRolePolicy", ordersRole, "ImplicitlyDenied"},
		{"iam:AttachRolePolicy", ordersRole, "ImplicitlyDenied"},
		{"iam:UpdateAssumeRolePolicy", ordersRole, "ImplicitlyDenied"},
		{"iam:CreatePolicyVersion", "arn:aws:iam::" + homeAccount + ":policy/team/orders-permissions", "ImplicitlyDenied"},
	} {
		sims = append(sims, sim{"the revocation role: " + c.action + " on " + c.resource,
			request(revSess, c.action, c.resource, homeAccount, tagged, []any{revPolicy}, nil, nil), c.want})
	}
	simulate(t, sims)
}

// TestRevocationDocumentSimulated proves with the IAM policy simulator, on the revocation
// policy exactly as shared/revoke renders it and used as the target role's permissions
// boundary: a killed subject's credential issued before the kill is denied, one issued at or
// after it is allowed, another subject's credential is allowed (the compacted form lists
// many subjects in one statement), a global kill denies every earlier credential, and the
// boundary grants nothing the role's own policy does not.
func TestRevocationDocumentSimulated(t *testing.T) {
	s := synth(t)
	// The boundary the template starts a target role with is the empty revocation document.
	target := s.resources("AWS::IAM::Role")[s.logicalID(t, "AWS::IAM::Role", "ExampleTarget")]
	policyID := s.logicalID(t, "AWS::IAM::ManagedPolicy", "ExampleTargetRevocation")
	if js(target["PermissionsBoundary"]) != `{"Ref":"`+policyID+`"}` {
		t.Fatalf("the target role's boundary is %s, want its revocation policy", js(target["PermissionsBoundary"]))
	}
	mp := s.resources("AWS::IAM::ManagedPolicy")[policyID]
	if mp["Path"] != revoke.PolicyPath || js(mp["PolicyDocument"]) != js(jsonDoc(t, revoke.EmptyDocument())) {
		t.Fatalf("revocation policy %s", js(mp))
	}

	killAt := time.Date(2026, 12, 5, 20, 30, 0, 0, time.UTC)
	doc := revoke.NewDocument(time.Hour)
	var filler []string
	for i := 0; ; i++ { // as many other subjects as fit: the compacted form at its fullest
		v := fmt.Sprintf("arn:aws:iam::%s:role/agents/agent-%03d", homeAccount, i)
		if doc.Add(revoke.Kill{Scope: revoke.ScopeAgent, Value: v, At: killAt.Add(-time.Duration(i) * time.Second)}) != nil {
			break
		}
		filler = append(filler, v)
	}
	killedAgent := filler[len(filler)/2]
	if err := doc.Add(revoke.Kill{Scope: revoke.ScopeSession, Value: "ses_killed", At: killAt}); err != nil {
		// make room: the document is full of agents
		doc = revoke.NewDocument(time.Hour)
		filler = filler[:len(filler)-10]
		for _, v := range filler {
			if err := doc.Add(revoke.Kill{Scope: revoke.ScopeAgent, Value: v, At: killAt}); err != nil {
				t.Fatal(err)
			}
		}
		for _, k := range []revoke.Kill{
			{Scope: revoke.ScopeSession, Value: "ses_killed", At: killAt},
			{Scope: revoke.ScopeOperator, Value: "asserted.ada@example.com", At: killAt},
		} {
			if err := doc.Add(k); err != nil {
				t.Fatal(err)
			}
		}
	}
	full := jsonDoc(t, doc.Render())
	t.Logf("the simulated document lists %d agents in %d characters", len(filler), len(doc.Render()))

	global := revoke.NewDocument(time.Hour)
	if err := global.Add(revoke.Kill{Scope: revoke.ScopeGlobal, At: killAt}); err != nil {
		t.Fatal(err)
	}
	identity := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*",
	}}}
	table := "arn:aws:dynamodb:us-east-1:" + homeAccount + ":table/orders"
	before, after := killAt.Add(-time.Second).Format(time.RFC3339), killAt.Format(time.RFC3339)
	cred := func(agent, session, operator, issued string) map[string]any {
		return map[string]any{
			"aws:PrincipalTag/" + revoke.TagAgent: agent, "aws:PrincipalTag/" + revoke.TagSession: session,
			"aws:SourceIdentity": operator, "aws:TokenIssueTime": issued,
		}
	}
	other := []string{"arn:aws:iam::" + homeAccount + ":role/agents/innocent", "ses_other", "grace@example.com"}
	get := func(name string, boundary any, ctx map[string]any, want string) sim {
		return sim{name, request(ordersSess, "dynamodb:GetItem", table, homeAccount, ctx, []any{identity}, boundary, nil), want}
	}
	sims := []sim{
		get("killed agent, issued before", full, cred(killedAgent, other[1], other[2], before), "ExplicitlyDenied"),
		get("killed agent, issued at the kill", full, cred(killedAgent, other[1], other[2], after), "Allowed"),
		get("killed session, issued before", full, cred(other[0], "ses_killed", other[2], before), "ExplicitlyDenied"),
		get("killed session, issued after", full, cred(other[0], "ses_killed", other[2], after), "Allowed"),
		get("killed operator, issued before", full, cred(other[0], other[1], "asserted.ada@example.com", before), "ExplicitlyDenied"),
		get("killed operator, issued after", full, cred(other[0], other[1], "asserted.ada@example.com", after), "Allowed"),
		get("nobody killed, issued before", full, cred(other[0], other[1], other[2], before), "Allowed"),
		get("global kill, issued before", jsonDoc(t, global.Render()), cred(other[0], other[1], other[2], before), "ExplicitlyDenied"),
		get("global kill, issued after", jsonDoc(t, global.Render()), cred(other[0], other[1], other[2], after), "Allowed"),
		get("the empty revocation policy", jsonDoc(t, revoke.EmptyDocument()), cred(other[0], other[1], other[2], before), "Allowed"),
		{"the boundary grants nothing the role does not", request(ordersSess, "s3:GetObject", "arn:aws:s3:::orders/x", homeAccount,
			cred(other[0], other[1], other[2], after), []any{identity}, full, nil), "ImplicitlyDenied"},
	}
	simulate(t, sims)
}
