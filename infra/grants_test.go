package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/config"
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
		{"the approval function cannot create an approval", "ApprovalRole", TableApprovals, "dynamodb:PutItem", false},
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

// TestRevocationGrant: the kill switch may only put, list, read and delete inline policies
// (what shared/revoke calls), only on tagged target roles; its timeout covers revocation's
// bound; target credentials live no longer than the sweep assumes.
func TestRevocationGrant(t *testing.T) {
	s := synth(t)
	var iamActions []string
	for _, st := range s.identityStatements() {
		for _, a := range st.actions() {
			if !strings.HasPrefix(a, "iam:") {
				continue
			}
			if !strings.HasPrefix(st.where, "KillswitchRole") {
				t.Errorf("%s may call %s", st.where, a)
			}
			iamActions = append(iamActions, a)
			if !strings.Contains(js(st.raw["Condition"]), `"iam:ResourceTag/`+TargetRoleTag+`":"`+TargetRoleTagValue+`"`) {
				t.Errorf("the kill switch may change untagged roles: %s", js(st.raw))
			}
		}
	}
	if js(iamActions) != js(RevocationActions) {
		t.Errorf("the kill switch may call %v on IAM, its code calls %v", iamActions, RevocationActions)
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
