package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/revoke"
)

// dynamoWrites are every DynamoDB operation that changes data; a function's role may hold
// only those Writes lists for it, on the tables Writes names.
var dynamoWrites = []string{
	"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
	"dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete",
	"dynamodb:TransactWriteItems", "dynamodb:RestoreTableFromBackup", "dynamodb:DeleteTable",
	"dynamodb:UpdateTable", "dynamodb:ImportTable",
}

// tableOf returns which table (by Writes name) a statement resource refers to, or "".
func (s *synthesized) tableOf(t *testing.T, resource any) string {
	t.Helper()
	raw := js(resource)
	for _, name := range []string{TableSessions, TableControls, TableApprovals, TablePolicies, TableIntents, TableTargets, TableClaims, "audit"} {
		id := s.logicalID(t, "AWS::DynamoDB::Table", title(name))
		if strings.Contains(raw, `"`+id+`"`) {
			return name
		}
	}
	return ""
}

// grantedWrites returns, per table, the DynamoDB writes the role with logical id prefix holds.
func (s *synthesized) grantedWrites(t *testing.T, rolePrefix string) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for _, st := range s.identityStatements() {
		if !strings.HasPrefix(st.where, rolePrefix) || st.raw["Effect"] != "Allow" {
			continue
		}
		for _, a := range st.actions() {
			for _, w := range dynamoWrites {
				if !matches(a, w) {
					continue
				}
				for _, r := range list(st.raw["Resource"]) {
					table := s.tableOf(t, r)
					if table == "" {
						t.Errorf("%s grants %s on %s, which is no table", st.where, w, js(r))
						continue
					}
					if !slices.Contains(got[table], w) {
						got[table] = append(got[table], w)
					}
				}
			}
		}
	}
	for k := range got {
		slices.Sort(got[k])
	}
	return got
}

// TestGrantsMatchTheCode: every API function's role holds exactly the DynamoDB writes its
// code makes (Writes), on exactly those tables: nothing broader, nothing missing.
func TestGrantsMatchTheCode(t *testing.T) {
	s := synth(t)
	for _, f := range Catalog {
		if f.async() {
			continue
		}
		want, ok := Writes[f.Name]
		if !ok {
			t.Errorf("function %s has no entry in Writes", f.Name)
			continue
		}
		want = normalize(want)
		if f.Name != "audit" {
			want["audit"] = []string{"dynamodb:PutItem"} // grantAudit: append only
		}
		got := s.grantedWrites(t, title(f.Name)+"Role")
		if js(got) != js(want) {
			t.Errorf("%s may write %s; its code writes %s", f.Name, js(got), js(want))
		}
	}
}

func normalize(m map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range m {
		v = slices.Clone(v)
		slices.Sort(v)
		out[k] = v
	}
	return out
}

// TestGrantsSeen holds each broader-than-the-code or missing grant that was seen.
func TestGrantsSeen(t *testing.T) {
	s := synth(t)
	cases := []struct {
		name, role, table, op string
		allowed               bool
	}{
		{"a kill claims its replay and round keys", "KillswitchRole", TableClaims, "dynamodb:PutItem", true},
		{"the action function cannot delete an approval", "ActionRole", TableApprovals, "dynamodb:DeleteItem", false},
		{"the action function cannot batch-write approvals", "ActionRole", TableApprovals, "dynamodb:BatchWriteItem", false},
		{"the action function cannot rewrite a whole session", "ActionRole", TableSessions, "dynamodb:PutItem", false},
		{"the action function cannot delete a session", "ActionRole", TableSessions, "dynamodb:DeleteItem", false},
		{"the action function cannot write a policy (nor its precompiled form)", "ActionRole", TablePolicies, "dynamodb:PutItem", false},
		{"admin cannot delete policy history", "AdminRole", TablePolicies, "dynamodb:DeleteItem", false},
		{"admin cannot rewrite policy history", "AdminRole", TablePolicies, "dynamodb:UpdateItem", false},
		{"admin cannot delete intent history", "AdminRole", TableIntents, "dynamodb:DeleteItem", false},
		{"admin cannot delete target history", "AdminRole", TableTargets, "dynamodb:BatchWriteItem", false},
		{"the approval function cannot update an approval request", "ApprovalRole", TableApprovals, "dynamodb:UpdateItem", false},
		{"the action function cannot update an approval (its status)", "ActionRole", TableApprovals, "dynamodb:UpdateItem", false},
		{"the session function cannot delete a claim", "SessionRole", TableClaims, "dynamodb:DeleteItem", false},
		{"the mcp function opens sessions (open_session)", "McpRole", TableSessions, "dynamodb:PutItem", true},
		{"the mcp function counts actions", "McpRole", TableSessions, "dynamodb:UpdateItem", true},
		{"the mcp function cannot delete a session", "McpRole", TableSessions, "dynamodb:DeleteItem", false},
		{"the mcp function cannot delete an approval", "McpRole", TableApprovals, "dynamodb:DeleteItem", false},
		{"the mcp function cannot decide a kill", "McpRole", TableControls, "dynamodb:PutItem", false},
		{"the mcp function cannot write a policy", "McpRole", TablePolicies, "dynamodb:PutItem", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := slices.Contains(s.grantedWrites(t, c.role)[c.table], c.op)
			if got != c.allowed {
				t.Errorf("%s %s on %s: granted %v, want %v", c.role, c.op, c.table, got, c.allowed)
			}
		})
	}
}

// TestRevocationGrant: the kill switch (and a target account's revocation role) may only read
// tagged target roles and write versions of revocation policies (what shared/revoke calls);
// the kill switch may assume only revocation roles; its timeout covers revocation's bound;
// target credentials live no longer than the sweep assumes.
func TestRevocationGrant(t *testing.T) {
	s := synth(t)
	got := map[string][]string{}
	for _, st := range s.identityStatements() {
		for _, a := range st.actions() {
			if !strings.HasPrefix(a, "iam:") && !(a == "sts:AssumeRole" && strings.HasPrefix(st.where, "KillswitchRole")) {
				continue
			}
			owner := "KillswitchRole"
			if !strings.HasPrefix(st.where, owner) {
				owner = "ExampleRevocation"
				if !strings.HasPrefix(st.where, owner) {
					t.Errorf("%s may call %s", st.where, a)
					continue
				}
			}
			got[owner] = append(got[owner], a)
			res := js(st.raw["Resource"])
			switch {
			case a == "iam:GetRole":
				if !strings.Contains(js(st.raw["Condition"]), `"iam:ResourceTag/`+TargetRoleTag+`":"`+TargetRoleTagValue+`"`) || !strings.Contains(res, `:role/*`) {
					t.Errorf("%s may read untagged roles: %s", owner, js(st.raw))
				}
			case a == "sts:AssumeRole":
				if res != `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::*:role/`+revoke.RevocationRoleName+`"]]}` {
					t.Errorf("the kill switch may assume %s", res)
				}
			default:
				if !strings.Contains(res, `:policy`+revoke.PolicyPath+`*"`) || st.raw["Condition"] != nil {
					t.Errorf("%s may call %s on %s", owner, a, res)
				}
			}
		}
	}
	if want := js(append(slices.Clone(RevocationActions), "sts:AssumeRole")); js(got["KillswitchRole"]) != want {
		t.Errorf("the kill switch may call %v, its code calls %v", got["KillswitchRole"], want)
	}
	if js(got["ExampleRevocation"]) != js(RevocationActions) {
		t.Errorf("the revocation role may call %v, the kill switch's code calls %v", got["ExampleRevocation"], RevocationActions)
	}
	trust := s.resources("AWS::IAM::Role")[s.logicalID(t, "AWS::IAM::Role", "ExampleRevocation")]["AssumeRolePolicyDocument"]
	killswitch := s.logicalID(t, "AWS::IAM::Role", "KillswitchRole")
	if want := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":{"Fn::GetAtt":["` + killswitch + `","Arn"]}}}],"Version":"2012-10-17"}`; js(trust) != want {
		t.Errorf("the revocation role trusts %s, want the kill switch only", js(trust))
	}
	target := s.resources("AWS::IAM::Role")[s.logicalID(t, "AWS::IAM::Role", "ExampleTarget")]
	if d, _ := target["MaxSessionDuration"].(float64); time.Duration(d)*time.Second != config.MaxTargetCredentialLifetime {
		t.Errorf("target credentials may live %vs; revocation denies are swept after %v", d, config.MaxTargetCredentialLifetime)
	}
	fn := s.resources("AWS::Lambda::Function")[s.logicalID(t, "AWS::Lambda::Function", "KillswitchFunction")]
	timeout, _ := fn["Timeout"].(float64)
	if time.Duration(timeout)*time.Second <= RevocationTimeout {
		t.Errorf("the kill switch times out after %vs, before revocation's %v", timeout, RevocationTimeout)
	}
}

// tableARN is the ARN the simulations give the table Writes names.
func tableARN(name string) string {
	return "arn:aws:dynamodb:us-east-1:123456789012:table/mandate-prod-" + name
}

// roleIdentity returns the identity policy of the role with logical id prefix, its table
// references replaced by tableARN, as IAM would read it.
func (s *synthesized) roleIdentity(t *testing.T, rolePrefix string) map[string]any {
	t.Helper()
	var stmts []any
	for _, st := range s.identityStatements() {
		if !strings.HasPrefix(st.where, rolePrefix) {
			continue
		}
		raw := js(st.raw)
		for _, name := range []string{TableSessions, TableControls, TableApprovals, TablePolicies, TableIntents, TableTargets, TableClaims, "audit"} {
			id := s.logicalID(t, "AWS::DynamoDB::Table", title(name))
			raw = strings.ReplaceAll(raw, `{"Fn::GetAtt":["`+id+`","Arn"]}`, `"`+tableARN(name)+`"`)
		}
		var c map[string]any
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			t.Fatal(err)
		}
		var resources []any
		for _, r := range list(c["Resource"]) {
			resources = append(resources, resolved(r))
		}
		c["Resource"] = resources
		stmts = append(stmts, c)
	}
	return map[string]any{"Version": "2012-10-17", "Statement": stmts}
}

// resolved returns a resource as a string: itself, the join of a Fn::Join of strings, or, for
// a reference to anything else, an ARN nothing here asks about.
func resolved(r any) any {
	if str, ok := r.(string); ok {
		return str
	}
	if j, ok := r.(map[string]any)["Fn::Join"].([]any); ok && len(j) == 2 {
		var parts []string
		for _, p := range list(j[1]) {
			str, ok := p.(string)
			if !ok {
				return "arn:aws:unresolved:::elsewhere"
			}
			parts = append(parts, str)
		}
		sep, _ := j[0].(string)
		return strings.Join(parts, sep)
	}
	return "arn:aws:unresolved:::elsewhere"
}

// TestApprovalAndCounterWritesSimulated proves with an IAM policy simulator, on the roles as
// synthesized, what was seen broader than the code: the action function could approve its own
// approval (it may write the approvals table) and rewrite a session (reset it, extend it). It
// may now write only request and use items (keys apr_*, use#*) and only a session's counters;
// decisions (keys decision#*) only the approval function may write, and it nothing else.
func TestApprovalAndCounterWritesSimulated(t *testing.T) {
	s := synth(t)
	action, approval := s.roleIdentity(t, "ActionRole"), s.roleIdentity(t, "ApprovalRole")
	const principal = "arn:aws:sts::123456789012:assumed-role/mandate-prod-action/fn"
	keys := func(k ...string) map[string]any { return map[string]any{"dynamodb:LeadingKeys": k} }
	attrs := func(a ...string) map[string]any { return map[string]any{"dynamodb:Attributes": a} }
	sims := []simulation{
		{name: "action puts a request", identity: action, action: "dynamodb:PutItem", resource: tableARN(TableApprovals), context: keys("apr_x"), wantResult: "Allowed"},
		{name: "action puts a use", identity: action, action: "dynamodb:PutItem", resource: tableARN(TableApprovals), context: keys("use#apr_x"), wantResult: "Allowed"},
		{name: "action puts a decision", identity: action, action: "dynamodb:PutItem", resource: tableARN(TableApprovals), context: keys("decision#apr_x"), wantResult: "ImplicitlyDenied"},
		{name: "action puts a key of no kind", identity: action, action: "dynamodb:PutItem", resource: tableARN(TableApprovals), context: keys("x"), wantResult: "ImplicitlyDenied"},
		{name: "action puts without a key", identity: action, action: "dynamodb:PutItem", resource: tableARN(TableApprovals), context: map[string]any{}, wantResult: "ImplicitlyDenied"},
		{name: "action updates a request", identity: action, action: "dynamodb:UpdateItem", resource: tableARN(TableApprovals), context: keys("apr_x"), wantResult: "ImplicitlyDenied"},
		{name: "approval puts a decision", identity: approval, action: "dynamodb:PutItem", resource: tableARN(TableApprovals), context: keys("decision#apr_x"), wantResult: "Allowed"},
		{name: "approval rewrites a request", identity: approval, action: "dynamodb:PutItem", resource: tableARN(TableApprovals), context: keys("apr_x"), wantResult: "ImplicitlyDenied"},
		{name: "approval puts a use", identity: approval, action: "dynamodb:PutItem", resource: tableARN(TableApprovals), context: keys("use#apr_x"), wantResult: "ImplicitlyDenied"},
		{name: "action counts", identity: action, action: "dynamodb:UpdateItem", resource: tableARN(TableSessions), context: attrs("id", "actions", "version", "fam_read"), wantResult: "Allowed"},
		{name: "action reopens a session", identity: action, action: "dynamodb:UpdateItem", resource: tableARN(TableSessions), context: attrs("id", "version", "state"), wantResult: "ImplicitlyDenied"},
		{name: "action extends a session", identity: action, action: "dynamodb:UpdateItem", resource: tableARN(TableSessions), context: attrs("expires_at"), wantResult: "ImplicitlyDenied"},
		{name: "action updates without naming attributes", identity: action, action: "dynamodb:UpdateItem", resource: tableARN(TableSessions), context: map[string]any{}, wantResult: "ImplicitlyDenied"},
		{name: "action puts a whole session", identity: action, action: "dynamodb:PutItem", resource: tableARN(TableSessions), context: map[string]any{}, wantResult: "ImplicitlyDenied"},
	}
	for i := range sims {
		sims[i].principal = principal
	}
	runSimulations(t, sims)
}

// Calls is, for each function, every IAM action its role holds besides DynamoDB's (Reads and
// Writes list those), each for a call the code makes or AWS makes for it. With the default
// stack context; the optional settings add exactly their own grant (bedrock:InvokeModel on
// the model, secretsmanager:GetSecretValue on the masking key, events:PutEvents on the bus).
//
//   - every function: CloudWatch Logs (its log group); the data key, which encrypts the
//     tables, the archive and the environment (kms:Decrypt and DescribeKey to read, and to
//     write kms:Encrypt, GenerateDataKey* and ReEncrypt*, which DynamoDB and S3 ask for).
//   - action: the broker (shared/broker): sts:AssumeRole with TagSession and
//     SetSourceIdentity on tagged target roles, secretsmanager:GetSecretValue on tagged
//     secrets.
//   - mcp: the broker, as action (each tool call is an action).
//   - killswitch: shared/revoke's IAM calls (RevocationActions) and sts:AssumeRole on the
//     revocation roles of other accounts.
//   - shipper: s3:PutObject and PutObjectRetention (the COMPLIANCE lock) of archive objects,
//     s3:GetObject to compare an object already there (shared/archive); the stream's
//     on-failure queue (sqs:, Lambda sends to it with the function's role).
//   - checkpoint: the archive read (s3:ListBucket, GetObject) and write, kms:Sign and
//     GetPublicKey on the signing key (shared/checkpoint), the dead-letter queue.
var Calls = map[string][]string{
	"session":    withDataKey(true),
	"action":     withDataKey(true, "secretsmanager:GetSecretValue", "sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"),
	"mcp":        withDataKey(true, "secretsmanager:GetSecretValue", "sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"),
	"approval":   withDataKey(true),
	"killswitch": withDataKey(true, append([]string{"sts:AssumeRole"}, RevocationActions...)...),
	"admin":      withDataKey(true),
	"audit":      withDataKey(false),
	"shipper":    withDataKey(true, "s3:GetObject", "s3:PutObject", "s3:PutObjectRetention", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"),
	"checkpoint": withDataKey(true, "kms:GetPublicKey", "kms:Sign", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:PutObjectRetention", "sqs:SendMessage"),
}

// withDataKey returns actions with the logs and data-key actions every function holds.
func withDataKey(writes bool, actions ...string) []string {
	out := append([]string{"logs:CreateLogStream", "logs:PutLogEvents", "kms:Decrypt", "kms:DescribeKey"}, actions...)
	if writes {
		out = append(out, "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
	}
	slices.Sort(out)
	return out
}

// TestEveryCallGranted: every function's role holds exactly the actions beyond DynamoDB that
// Calls lists for it: nothing its code does not call, nothing it calls missing.
func TestEveryCallGranted(t *testing.T) {
	s := synth(t)
	for _, f := range Catalog {
		var got []string
		for _, st := range s.identityStatements() {
			if !strings.HasPrefix(st.where, title(f.Name)+"Role") || st.raw["Effect"] != "Allow" {
				continue
			}
			for _, a := range st.actions() {
				if !strings.HasPrefix(a, "dynamodb:") && !slices.Contains(got, a) {
					got = append(got, a)
				}
			}
		}
		slices.Sort(got)
		if want := Calls[f.Name]; js(got) != js(want) {
			t.Errorf("%s may call %v; its code calls %v", f.Name, got, want)
		}
	}
}
