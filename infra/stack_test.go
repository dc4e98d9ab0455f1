package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/query"
	"github.com/mandate-dev/mandate/shared/revoke"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// requireNode skips a test that needs the jsii runtime when node is missing, except in CI,
// where it fails: the stack's proofs must run there.
func requireNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node is required by the CDK assertions tests: %v", err)
		}
		t.Skipf("node not found (%v); the CDK assertions tests need it", err)
	}
}

// synthesized is one stack with every catalog function, a target role and cdk-nag applied.
type synthesized struct {
	stack    awscdk.Stack
	template assertions.Template
	json     map[string]any
	m        *Mandate
}

var (
	synthOnce   sync.Once
	synthRes    *synthesized
	synthAssets string // the placeholder bootstraps' folder, removed by TestMain
)

const testRetentionDays = 2555

// synth builds the stack once per test binary (the jsii runtime makes it the slow part).
func synth(t *testing.T) *synthesized {
	t.Helper()
	requireNode(t)
	synthOnce.Do(func() {
		assets, err := os.MkdirTemp("", "mandate-infra-assets")
		if err != nil {
			t.Fatal(err)
		}
		synthAssets = assets
		// The template does not depend on the bootstrap bytes; the RIE test runs real ones.
		for _, f := range Catalog {
			if err := os.MkdirAll(filepath.Join(assets, f.Name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(assets, f.Name, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		app := newApp(map[string]any{CtxRetentionDays: float64(testRetentionDays), CtxStage: "test"})
		cfg, err := ConfigFromContext(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) })
		if err != nil {
			t.Fatal(err)
		}
		m := NewMandateStack(app, "Mandate-test", &MandateStackProps{Config: cfg, Functions: Catalog, AssetDir: assets})
		NewTargetRole(m.Stack, "ExampleTarget", &TargetRoleProps{Broker: m.Roles["action"], MCP: m.Roles["mcp"]})
		NewRevocationRole(m.Stack, "ExampleRevocation", &RevocationRoleProps{KillSwitch: m.Roles["killswitch"]})
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		tmpl := assertions.Template_FromStack(m.Stack, nil)
		raw, err := json.Marshal(tmpl.ToJSON())
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		synthRes = &synthesized{stack: m.Stack, template: tmpl, json: doc, m: m}
	})
	if synthRes == nil {
		t.Fatal("the stack did not synthesize")
	}
	return synthRes
}

// resources returns the logical ids and properties of every resource of type typ.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			props, _ := r["Properties"].(map[string]any)
			out[id] = props
		}
	}
	return out
}

// logicalID returns the one resource of type typ whose id starts with prefix.
func (s *synthesized) logicalID(t *testing.T, typ, prefix string) string {
	t.Helper()
	var found []string
	for id := range s.resources(typ) {
		if strings.HasPrefix(id, prefix) {
			found = append(found, id)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s %s*: found %v", typ, prefix, found)
	}
	return found[0]
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// statement is one IAM policy statement and where it was found.
type statement struct {
	where string
	raw   map[string]any
}

func (st statement) actions() []string {
	var out []string
	for _, a := range list(st.raw["Action"]) {
		out = append(out, a.(string))
	}
	return out
}

// identityStatements returns every statement of every identity policy in the template: the
// AWS::IAM::Policy resources and the roles' inline policies.
func (s *synthesized) identityStatements() []statement {
	var out []statement
	for id, p := range s.resources("AWS::IAM::Policy") {
		for _, st := range list(p["PolicyDocument"].(map[string]any)["Statement"]) {
			out = append(out, statement{id, st.(map[string]any)})
		}
	}
	for id, p := range s.resources("AWS::IAM::Role") {
		for _, pol := range list(p["Policies"]) {
			for _, st := range list(pol.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]) {
				out = append(out, statement{id, st.(map[string]any)})
			}
		}
	}
	return out
}

// matches reports whether an IAM action pattern (with * and ?) covers action, both ways:
// "s3:*" covers s3:DeleteObject and "s3:DeleteObject*" covers s3:DeleteObjectVersion.
func matches(pattern, action string) bool {
	p, a := strings.ToLower(pattern), strings.ToLower(action)
	ok, _ := filepath.Match(strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(a, "/", "\x00"))
	return ok || p == "*"
}

func TestNoAuditBucketDeletionOrLockWeakening(t *testing.T) {
	s := synth(t)
	archive := s.logicalID(t, "AWS::S3::Bucket", "Archive")
	forbidden := []string{"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteObjectTagging", "s3:DeleteBucket",
		"s3:BypassGovernanceRetention", "s3:PutObjectLegalHold", "s3:PutBucketObjectLockConfiguration", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy"}
	retention := 0
	for _, st := range s.identityStatements() {
		if st.raw["Effect"] != "Allow" || !strings.Contains(js(st.raw["Resource"]), archive) && js(st.raw["Resource"]) != `"*"` {
			continue
		}
		for _, a := range st.actions() {
			for _, f := range forbidden {
				if matches(a, f) {
					t.Errorf("%s grants %s (covers %s) on the audit archive: %s", st.where, a, f, js(st.raw))
				}
			}
			if matches(a, "s3:PutObjectRetention") {
				retention++
				cond := js(st.raw["Condition"])
				if !strings.Contains(cond, `"s3:object-lock-mode":"COMPLIANCE"`) || !strings.Contains(cond, `"s3:object-lock-remaining-retention-days":2554`) {
					t.Errorf("%s grants s3:PutObjectRetention without the COMPLIANCE / minimum retention condition: %s", st.where, js(st.raw))
				}
			}
		}
	}
	if retention != 2 { // shipper and checkpoint, each on its own prefix
		t.Errorf("conditioned s3:PutObjectRetention grants: %d, want 2 (shipper, checkpoint)", retention)
	}
	// The bucket policy denies deletion (a delete marker hides the newest objects as surely as
	// a version delete removes them), version deletion, lock bypass and any put that is not a
	// create to everyone.
	s.template.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), assertions.Match_ObjectLike(&map[string]any{
		"Bucket": map[string]any{"Ref": archive},
		"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{
			"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{
					"Effect": "Deny", "Principal": map[string]any{"AWS": "*"},
					"Action": []any{"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"},
				}),
				assertions.Match_ObjectLike(&map[string]any{
					"Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Action": "s3:PutObject",
					"Condition": map[string]any{"Null": map[string]any{"s3:if-none-match": "true"}},
				}),
			}),
		}),
	}))
}

func TestArchiveBucket(t *testing.T) {
	s := synth(t)
	archive := s.logicalID(t, "AWS::S3::Bucket", "Archive")
	p := s.resources("AWS::S3::Bucket")[archive]
	want := map[string]string{
		"ObjectLockEnabled":              `true`,
		"ObjectLockConfiguration":        `{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Days":2555,"Mode":"COMPLIANCE"}}}`,
		"VersioningConfiguration":        `{"Status":"Enabled"}`,
		"PublicAccessBlockConfiguration": `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}`,
	}
	for k, v := range want {
		if got := js(p[k]); got != v {
			t.Errorf("archive %s = %s, want %s", k, got, v)
		}
	}
	enc := js(p["BucketEncryption"])
	if !strings.Contains(enc, `"SSEAlgorithm":"aws:kms"`) || !strings.Contains(enc, s.logicalID(t, "AWS::KMS::Key", "DataKey")) {
		t.Errorf("archive encryption %s, want SSE-KMS with the data key", enc)
	}
	if !strings.Contains(js(p["LoggingConfiguration"]), s.logicalID(t, "AWS::S3::Bucket", "AccessLogs")) {
		t.Errorf("archive access logging %s, want the access-log bucket", js(p["LoggingConfiguration"]))
	}
	lc := js(p["LifecycleConfiguration"])
	if strings.Contains(lc, "Expiration") && !strings.Contains(lc, "AbortIncompleteMultipartUpload") || strings.Contains(lc, "ExpirationInDays") || strings.Contains(lc, "NoncurrentVersionExpiration") {
		t.Errorf("archive lifecycle expires records: %s", lc)
	}
	if !strings.Contains(lc, "GLACIER_IR") || !strings.Contains(lc, "STANDARD_IA") {
		t.Errorf("archive lifecycle %s, want transitions to STANDARD_IA and GLACIER_IR", lc)
	}
}

func TestEveryBucketEncryptedPrivateAndTLSOnly(t *testing.T) {
	s := synth(t)
	policies := s.resources("AWS::S3::BucketPolicy")
	for id, p := range s.resources("AWS::S3::Bucket") {
		if !strings.Contains(js(p["BucketEncryption"]), "SSEAlgorithm") {
			t.Errorf("bucket %s is not encrypted", id)
		}
		if got := js(p["PublicAccessBlockConfiguration"]); !strings.Contains(got, `"RestrictPublicBuckets":true`) || strings.Contains(got, "false") {
			t.Errorf("bucket %s public access block %s", id, got)
		}
		tls := false
		for _, bp := range policies {
			if js(bp["Bucket"]) != js(map[string]any{"Ref": id}) {
				continue
			}
			for _, st := range list(bp["PolicyDocument"].(map[string]any)["Statement"]) {
				st := js(st)
				if strings.Contains(st, `"Effect":"Deny"`) && strings.Contains(st, `"aws:SecureTransport":"false"`) {
					tls = true
				}
			}
		}
		if !tls {
			t.Errorf("bucket %s does not deny requests without TLS", id)
		}
	}
}

func TestTables(t *testing.T) {
	s := synth(t)
	key := s.logicalID(t, "AWS::KMS::Key", "DataKey")
	tables := s.resources("AWS::DynamoDB::Table")
	if len(tables) != 8 {
		t.Fatalf("%d tables, want 8", len(tables))
	}
	names := dynamo.NamedTables("mandate-test")
	for id, p := range tables {
		checks := map[string]string{
			"BillingMode":                      `"PAY_PER_REQUEST"`,
			"PointInTimeRecoverySpecification": `{"PointInTimeRecoveryEnabled":true}`,
			"DeletionProtectionEnabled":        `true`,
		}
		for k, v := range checks {
			if got := js(p[k]); got != v {
				t.Errorf("table %s %s = %s, want %s", id, k, got, v)
			}
		}
		if sse := js(p["SSESpecification"]); !strings.Contains(sse, `"SSEEnabled":true`) || !strings.Contains(sse, `"SSEType":"KMS"`) || !strings.Contains(sse, key) {
			t.Errorf("table %s SSE %s, want KMS with the data key", id, sse)
		}
		name := p["TableName"].(string)
		ttl := js(p["TimeToLiveSpecification"])
		if wantTTL := name == names.Sessions || name == names.Claims; wantTTL != (ttl == `{"AttributeName":"`+dynamo.AttrTTL+`","Enabled":true}`) {
			t.Errorf("table %s TTL %s (want TTL on %s only for sessions and claims)", name, ttl, dynamo.AttrTTL)
		}
		stream := js(p["StreamSpecification"])
		if wantStream := name == names.Audit; wantStream != (stream == `{"StreamViewType":"NEW_IMAGE"}`) {
			t.Errorf("table %s stream %s (want NEW_IMAGE on the audit table only)", name, stream)
		}
	}
	// The retain policy keeps the data when the stack is deleted.
	for id, r := range s.json["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == "AWS::DynamoDB::Table" && r["DeletionPolicy"] != "Retain" {
			t.Errorf("table %s DeletionPolicy %v, want Retain", id, r["DeletionPolicy"])
		}
	}
}

func TestAuditTableIsAppendOnly(t *testing.T) {
	s := synth(t)
	audit := s.logicalID(t, "AWS::DynamoDB::Table", "Audit")
	forbidden := []string{"dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate",
		"dynamodb:PartiQLDelete", "dynamodb:PartiQLInsert", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:RestoreTableToPointInTime"}
	appenders := 0
	for _, st := range s.identityStatements() {
		res := js(st.raw["Resource"])
		if st.raw["Effect"] != "Allow" || !strings.Contains(res, `"`+audit+`","Arn"`) && res != `"*"` {
			continue
		}
		for _, a := range st.actions() {
			for _, f := range forbidden {
				if matches(a, f) {
					t.Errorf("%s grants %s on the audit table: %s", st.where, a, js(st.raw))
				}
			}
			if a == "dynamodb:PutItem" {
				appenders++
			}
		}
	}
	if appenders == 0 {
		t.Error("no function may append to the audit table")
	}
}

func TestCallerRolesOnlyInvokeTheirRoutes(t *testing.T) {
	s := synth(t)
	roles := s.resources("AWS::IAM::Role")
	for _, c := range []struct {
		prefix string
		want   []string // route fragments in the ARNs
		never  []string
	}{
		{"AgentCallerRole", []string{"/POST/mcp\"", "/POST/v1/sessions\"", "/GET/v1/sessions/*\"", "/DELETE/v1/sessions/*\"", "/POST/v1/sessions/*/actions\"", "/GET/v1/sessions/*/audit\""},
			[]string{"/v1/approvals", "/v1/policies", "/v1/intents", "/v1/kill", "oauth-protected-resource"}},
		{"OperatorCallerRole", []string{"/GET/v1/approvals\"", "/POST/v1/approvals/*/approve\"", "/POST/v1/kill\""},
			[]string{"/v1/sessions", "/v1/policies"}},
		{"AdminCallerRole", []string{"/PUT/v1/policies\"", "/GET/v1/intents\""},
			[]string{"/v1/sessions", "/v1/approvals", "/v1/kill"}},
	} {
		id := s.logicalID(t, "AWS::IAM::Role", c.prefix)
		p := roles[id]
		if p["ManagedPolicyArns"] != nil || p["PermissionsBoundary"] != nil && false {
			t.Errorf("%s has managed policies %s", id, js(p["ManagedPolicyArns"]))
		}
		var sts []statement
		for _, st := range s.identityStatements() {
			if st.where == id || strings.Contains(js(s.resources("AWS::IAM::Policy")[st.where]["Roles"]), `"`+id+`"`) {
				sts = append(sts, st)
			}
		}
		if len(sts) != 1 || js(sts[0].raw["Action"]) != `"execute-api:Invoke"` || sts[0].raw["Effect"] != "Allow" {
			t.Fatalf("%s: permissions %v, want exactly one statement allowing execute-api:Invoke", id, sts)
		}
		res := js(sts[0].raw["Resource"])
		for _, w := range c.want {
			if !strings.Contains(res, strings.ReplaceAll(w, `"`, `\"`)[:len(w)-1]) {
				t.Errorf("%s may not invoke %s: %s", id, w, res)
			}
		}
		for _, n := range c.never {
			if strings.Contains(res, n) {
				t.Errorf("%s may invoke %s: %s", id, n, res)
			}
		}
		if !strings.Contains(res, "execute-api:") {
			t.Errorf("%s resources are not execute-api ARNs: %s", id, res)
		}
	}
}

func TestTargetRoleTrustsOnlyTheBrokerWithTagsAndSourceIdentity(t *testing.T) {
	s := synth(t)
	broker := s.logicalID(t, "AWS::IAM::Role", "ActionRole")
	mcp := s.logicalID(t, "AWS::IAM::Role", "McpRole")
	target := s.resources("AWS::IAM::Role")[s.logicalID(t, "AWS::IAM::Role", "ExampleTarget")]
	sts := list(target["AssumeRolePolicyDocument"].(map[string]any)["Statement"])
	// One statement per STS action: IAM authorizes each on its own, and a statement joining
	// them under every condition refuses sts:TagSession.
	want := map[string][]string{
		"sts:AssumeRole":        {"tags", "identity"},
		"sts:TagSession":        {"tags"},
		"sts:SetSourceIdentity": {"identity"},
	}
	if len(sts) != len(want) {
		t.Fatalf("target trust policy has %d statements, want %d: %s", len(sts), len(want), js(sts))
	}
	for _, raw := range sts {
		st := raw.(map[string]any)
		if got := js(st["Principal"]); got != `{"AWS":[{"Fn::GetAtt":["`+broker+`","Arn"]},{"Fn::GetAtt":["`+mcp+`","Arn"]}]}` {
			t.Errorf("target role trusts %s, want only the brokers: the action and mcp functions' roles", got)
		}
		action, _ := st["Action"].(string)
		needs, ok := want[action]
		if !ok || st["Effect"] != "Allow" {
			t.Errorf("target trust statement for %s: %s", js(st["Action"]), js(st))
			continue
		}
		delete(want, action)
		cond, _ := st["Condition"].(map[string]any)
		like, _ := cond["StringLike"].(map[string]any)
		for _, n := range needs {
			switch n {
			case "identity":
				if like["sts:SourceIdentity"] != "?*" {
					t.Errorf("%s does not require a source identity: %s", action, js(cond))
				}
			case "tags":
				for _, k := range TargetSessionTags {
					if like["aws:RequestTag/"+k] != "?*" {
						t.Errorf("%s does not require session tag %s: %s", action, k, js(cond))
					}
				}
				if got := js(cond["ForAllValues:StringEquals"]); got != js(map[string]any{"aws:TagKeys": TargetSessionTags}) {
					t.Errorf("%s tag keys %s", action, got)
				}
			}
		}
		if !slices.Contains(needs, "identity") && like["sts:SourceIdentity"] != nil {
			t.Errorf("%s conditioned on a source identity its request does not carry: %s", action, js(cond))
		}
		if !slices.Contains(needs, "tags") && (cond["ForAllValues:StringEquals"] != nil || len(like) > 1) {
			t.Errorf("%s conditioned on tags its request does not carry: %s", action, js(cond))
		}
	}
	if len(want) > 0 {
		t.Errorf("target trust policy does not allow %v", want)
	}
	if !strings.Contains(js(target["Tags"]), `{"Key":"`+TargetRoleTag+`","Value":"`+TargetRoleTagValue+`"}`) {
		t.Errorf("target role is not tagged %s: %s", TargetRoleTag, js(target["Tags"]))
	}
	// Only the broker may assume roles, and only tagged ones; the kill switch only revocation
	// roles (TestRevocationGrant).
	for _, st := range s.identityStatements() {
		for _, a := range st.actions() {
			if !matches(a, "sts:AssumeRole") {
				continue
			}
			if strings.HasPrefix(st.where, "KillswitchRole") && a == "sts:AssumeRole" &&
				js(st.raw["Resource"]) == `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::*:role/`+revoke.RevocationRoleName+`"]]}` {
				continue
			}
			if !strings.HasPrefix(st.where, "ActionRole") && !strings.HasPrefix(st.where, "McpRole") {
				t.Errorf("%s may assume roles: %s", st.where, js(st.raw))
			}
			if !strings.Contains(js(st.raw["Condition"]), `"aws:ResourceTag/`+TargetRoleTag+`":"`+TargetRoleTagValue+`"`) {
				t.Errorf("broker may assume untagged roles: %s", js(st.raw))
			}
		}
	}
}

// TestOnlyTheBrokerReadsTaggedSecrets: secrets injected into targets' requests are readable by
// the brokers alone (the action and mcp functions), and only those tagged for Mandate.
func TestOnlyTheBrokerReadsTaggedSecrets(t *testing.T) {
	s := synth(t)
	found := false
	for _, st := range s.identityStatements() {
		for _, a := range st.actions() {
			if !matches(a, "secretsmanager:GetSecretValue") {
				continue
			}
			found = true
			if !strings.HasPrefix(st.where, "ActionRole") && !strings.HasPrefix(st.where, "McpRole") {
				t.Errorf("%s may read secrets: %s", st.where, js(st.raw))
			}
			if !strings.Contains(js(st.raw["Condition"]), `"secretsmanager:ResourceTag/`+TargetRoleTag+`":"`+TargetRoleTagValue+`"`) {
				t.Errorf("the broker may read untagged secrets: %s", js(st.raw))
			}
		}
	}
	if !found {
		t.Fatal("the action function cannot read target secrets")
	}
}

func TestLeastPrivilegeEverywhere(t *testing.T) {
	s := synth(t)
	for id, p := range s.resources("AWS::IAM::Role") {
		if p["ManagedPolicyArns"] != nil {
			t.Errorf("role %s has managed policies %s", id, js(p["ManagedPolicyArns"]))
		}
	}
	for _, st := range s.identityStatements() {
		for _, a := range st.actions() {
			if a == "*" || strings.HasSuffix(a, ":*") {
				t.Errorf("%s grants %s", st.where, a)
			}
		}
	}
}

func TestFunctions(t *testing.T) {
	s := synth(t)
	fns := s.resources("AWS::Lambda::Function")
	if len(fns) != len(Catalog) {
		t.Fatalf("%d functions, want %d", len(fns), len(Catalog))
	}
	for id, p := range fns {
		if p["Runtime"] != "provided.al2023" || js(p["Architectures"]) != `["arm64"]` || p["Handler"] != "bootstrap" {
			t.Errorf("function %s: runtime %v %v %v", id, p["Runtime"], p["Architectures"], p["Handler"])
		}
		if p["MemorySize"] == nil || p["Timeout"] == nil {
			t.Errorf("function %s has no memory or timeout", id)
		}
		if p["KmsKeyArn"] == nil {
			t.Errorf("function %s environment is not encrypted with the data key", id)
		}
	}
	session := fns[s.logicalID(t, "AWS::Lambda::Function", "SessionFunction")]
	env := js(session["Environment"])
	for _, k := range []string{dynamo.EnvTableSessions, dynamo.EnvTableAudit, dynamo.EnvTableClaims, "MANDATE_STORE"} {
		if !strings.Contains(env, `"`+k+`"`) {
			t.Errorf("session function lacks %s: %s", k, env)
		}
	}
	// The MCP front door acts: it has the store's tables and, like every agent function, learns
	// which identities are humans (they never use it).
	mcp := fns[s.logicalID(t, "AWS::Lambda::Function", "McpFunction")]
	mcpEnv := js(mcp["Environment"])
	for _, k := range []string{dynamo.EnvTableSessions, dynamo.EnvTableApprovals, dynamo.EnvTableAudit, dynamo.EnvTableClaims, "MANDATE_STORE", "MANDATE_OPERATORS"} {
		if !strings.Contains(mcpEnv, `"`+k+`"`) {
			t.Errorf("mcp function lacks %s: %s", k, mcpEnv)
		}
	}
	if mcp["Timeout"] != float64(30) || mcp["MemorySize"] != float64(1024) {
		t.Errorf("mcp function sized %v MB, %v s, want the action function's 1024 MB, 30 s", mcp["MemorySize"], mcp["Timeout"])
	}
	approval := js(fns[s.logicalID(t, "AWS::Lambda::Function", "ApprovalFunction")]["Environment"])
	for _, want := range []string{`"MANDATE_OPERATORS"`, `:role/mandate-test-operator`, `"MANDATE_ADMINS"`, `:role/mandate-test-admin`} {
		if !strings.Contains(approval, want) {
			t.Errorf("the approval function does not learn its humans (%s): %s", want, approval)
		}
	}
	for _, async := range []string{"ShipperFunction", "CheckpointFunction"} {
		if p := fns[s.logicalID(t, "AWS::Lambda::Function", async)]; p["DeadLetterConfig"] == nil {
			t.Errorf("%s has no dead-letter queue", async)
		}
	}
	s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), &map[string]any{
		"FunctionResponseTypes":          []any{"ReportBatchItemFailures"},
		"BisectBatchOnFunctionError":     false,
		"DestinationConfig":              assertions.Match_ObjectLike(&map[string]any{"OnFailure": assertions.Match_AnyValue()}),
		"StartingPosition":               "TRIM_HORIZON",
		"EventSourceArn":                 map[string]any{"Fn::GetAtt": []any{s.logicalID(t, "AWS::DynamoDB::Table", "Audit"), "StreamArn"}},
		"FunctionName":                   map[string]any{"Ref": s.logicalID(t, "AWS::Lambda::Function", "ShipperFunction")},
		"BatchSize":                      float64(100),
		"MaximumBatchingWindowInSeconds": float64(5),
		"MaximumRetryAttempts":           assertions.Match_Absent(),
	})
}

func TestAPI(t *testing.T) {
	s := synth(t)
	routes := s.resources("AWS::ApiGatewayV2::Route")
	var keys []string
	for id, p := range routes {
		keys = append(keys, p["RouteKey"].(string))
		if p["RouteKey"] == edge.RouteMCPMetadata {
			// The one public route: a discovery document, no authorizer.
			if p["AuthorizationType"] != "NONE" {
				t.Errorf("route %s %v authorization %v, want NONE", id, p["RouteKey"], p["AuthorizationType"])
			}
			continue
		}
		if p["AuthorizationType"] != "AWS_IAM" {
			t.Errorf("route %s %v authorization %v, want AWS_IAM", id, p["RouteKey"], p["AuthorizationType"])
		}
	}
	for _, f := range Catalog {
		for _, r := range f.Routes {
			if !slices.Contains(keys, r) {
				t.Errorf("route %q of %s is not deployed", r, f.Name)
			}
		}
	}
	// Administrators manage the target registry through the admin function, with IAM.
	for _, key := range []string{"PUT /v1/targets", "GET /v1/targets"} {
		found := false
		for _, p := range routes {
			if p["RouteKey"] != key {
				continue
			}
			found = true
			target, _ := json.Marshal(p["Target"])
			if !strings.Contains(string(target), "AdminIntegration") {
				t.Errorf("route %s goes to %s, want the admin function's integration", key, target)
			}
		}
		if !found {
			t.Errorf("route %s is not deployed", key)
		}
	}
	// POST /mcp reaches the mcp function, behind the agents' authorizer like the REST routes.
	var mcpRoute map[string]any
	for _, p := range routes {
		if p["RouteKey"] == "POST /mcp" {
			mcpRoute = p
		}
	}
	if mcpRoute == nil || !strings.Contains(js(mcpRoute["Target"]), s.logicalID(t, "AWS::ApiGatewayV2::Integration", "ApiPOSTmcpMcpIntegration")) {
		t.Errorf("POST /mcp route %s, want one integrated with the mcp function", js(mcpRoute))
	}
	if ints := s.resources("AWS::ApiGatewayV2::Integration"); !strings.Contains(js(ints[s.logicalID(t, "AWS::ApiGatewayV2::Integration", "ApiPOSTmcpMcpIntegration")]), s.logicalID(t, "AWS::Lambda::Function", "McpFunction")) {
		t.Errorf("the /mcp integration does not invoke the mcp function: %s", js(ints))
	}
	s.template.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), &map[string]any{
		"StageName":            "$default",
		"AutoDeploy":           true,
		"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": float64(DefaultThrottleRate), "ThrottlingBurstLimit": float64(DefaultThrottleBurst)},
		"AccessLogSettings":    assertions.Match_ObjectLike(&map[string]any{"DestinationArn": assertions.Match_AnyValue()}),
	})
}

func TestKeysLogsQueuesAnalytics(t *testing.T) {
	s := synth(t)
	s.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), &map[string]any{"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})
	data := s.resources("AWS::KMS::Key")[s.logicalID(t, "AWS::KMS::Key", "DataKey")]
	if data["EnableKeyRotation"] != true {
		t.Error("data key rotation is off")
	}
	for id, p := range s.resources("AWS::Logs::LogGroup") {
		if p["KmsKeyId"] == nil || p["RetentionInDays"] == nil {
			t.Errorf("log group %s: key %v retention %v", id, p["KmsKeyId"], p["RetentionInDays"])
		}
	}
	for id, p := range s.resources("AWS::SQS::Queue") {
		if p["KmsMasterKeyId"] == nil {
			t.Errorf("queue %s is not encrypted with the data key", id)
		}
	}
	s.template.HasResourceProperties(jsii.String("AWS::Athena::WorkGroup"), assertions.Match_ObjectLike(&map[string]any{
		"WorkGroupConfiguration": assertions.Match_ObjectLike(&map[string]any{
			"EnforceWorkGroupConfiguration": true,
			"ResultConfiguration": assertions.Match_ObjectLike(&map[string]any{
				"EncryptionConfiguration": assertions.Match_ObjectLike(&map[string]any{"EncryptionOption": "SSE_KMS"}),
			}),
		}),
	}))
	s.template.ResourceCountIs(jsii.String("AWS::Athena::NamedQuery"), jsii.Number(len(query.NamedQueries)))
	s.template.HasResourceProperties(jsii.String("AWS::Glue::Table"), assertions.Match_ObjectLike(&map[string]any{
		"TableInput": assertions.Match_ObjectLike(&map[string]any{
			"Name":       query.Table,
			"Parameters": assertions.Match_ObjectLike(&map[string]any{"projection.enabled": "true", "projection.dt.type": "date"}),
		}),
	}))
	s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), assertions.Match_ObjectLike(&map[string]any{
		"ScheduleExpression": "rate(1 hour)",
	}))
	for _, a := range []string{"ShipperIteratorAge", "DeadLettersAlarm", "ActionErrors", "ActionThrottles"} {
		s.logicalID(t, "AWS::CloudWatch::Alarm", a)
	}
	s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Dashboard"), jsii.Number(1))
}

// TestCdkNag: the AwsSolutions pack reports no unsuppressed error or warning, and every
// suppression carries a reason.
func TestCdkNag(t *testing.T) {
	s := synth(t)
	ann := assertions.Annotations_FromStack(s.stack)
	re := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	if errs := ann.FindError(jsii.String("*"), re); len(*errs) > 0 {
		t.Errorf("cdk-nag: %d unsuppressed errors: %s", len(*errs), js(errs))
	}
	if warns := ann.FindWarning(jsii.String("*"), re); len(*warns) > 0 {
		t.Errorf("cdk-nag: %d unsuppressed warnings: %s", len(*warns), js(warns))
	}
	n := 0
	for id, r := range s.json["Resources"].(map[string]any) {
		meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
		nag, _ := meta["cdk_nag"].(map[string]any)
		for _, rule := range list(nag["rules_to_suppress"]) {
			rule := rule.(map[string]any)
			n++
			if reason, _ := rule["reason"].(string); len(strings.TrimSpace(reason)) < 20 {
				t.Errorf("%s suppresses %v without a reason: %q", id, rule["id"], reason)
			}
		}
	}
	if n == 0 {
		t.Error("no suppression found: the metadata layout changed or the check is broken")
	}
}

// A person cannot mint themselves a second identity: every caller role accepts only role
// sessions whose name AWS binds to the caller (the IAM user name, or the caller's
// mandate-person / mandate-agent tag), and the functions tell agents' role sessions apart.
func TestCallerRoleSessionsAreBoundToTheCaller(t *testing.T) {
	s := synth(t)
	roles := s.resources("AWS::IAM::Role")
	for prefix, tag := range map[string]string{"AgentCallerRole": "mandate-agent", "OperatorCallerRole": "mandate-person", "AdminCallerRole": "mandate-person"} {
		trust := roles[s.logicalID(t, "AWS::IAM::Role", prefix)]["AssumeRolePolicyDocument"].(map[string]any)
		sts := list(trust["Statement"])
		if len(sts) != 2 {
			t.Fatalf("%s trust has %d statements: %s", prefix, len(sts), js(trust))
		}
		var conds []string
		for _, st := range sts {
			c, ok := st.(map[string]any)["Condition"]
			if !ok {
				t.Fatalf("%s trusts a statement without a condition on the session name: %s", prefix, js(st))
			}
			conds = append(conds, js(c))
		}
		all := strings.Join(conds, " ")
		if !strings.Contains(all, `"sts:RoleSessionName":"${aws:username}"`) || !strings.Contains(all, `"sts:RoleSessionName":"${aws:PrincipalTag/`+tag+`}"`) {
			t.Errorf("%s trust conditions %s", prefix, all)
		}
	}
	for id, fn := range s.resources("AWS::Lambda::Function") {
		env := js(fn["Environment"])
		if strings.Contains(env, "MANDATE_OPERATORS") && !strings.Contains(env, "MANDATE_SESSION_BOUND_ROLES") {
			t.Errorf("%s does not tell agents' role sessions apart: %s", id, env)
		}
	}
}
