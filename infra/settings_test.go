package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/ocsf"
)

const testMaskSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mandate/mask-key-AbC123"

// TestContextSettings: issuers, the action budget, the masking key, the Bedrock model and
// OCSF forwarding set in the stack context reach the functions that use them, each with the
// grant it needs on exactly its resource; the masking key is readable by every API function.
func TestContextSettings(t *testing.T) {
	requireNode(t)
	assets := t.TempDir()
	for _, f := range Catalog {
		if err := os.MkdirAll(filepath.Join(assets, f.Name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(assets, f.Name, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	app := newApp(map[string]any{CtxStage: "set", CtxAgentAuth: "jwt", CtxOIDCIssuer: "https://id.example.com", CtxOIDCAudiences: "mandate",
		CtxMaxActions: float64(40), CtxBedrockModel: "anthropic.claude-3-haiku-20240307-v1:0", CtxMaskKeySecret: testMaskSecret, CtxOCSFEventBus: "security-lake",
		CtxVPC: map[string]any{"subnets": []any{"subnet-0123456789abcdef0", "subnet-89abcdef"}, "securityGroups": []any{"sg-0123456789abcdef0"}}})
	cfg, err := ConfigFromContext(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) })
	if err != nil {
		t.Fatal(err)
	}
	m := NewMandateStack(app, "Mandate-set", &MandateStackProps{Config: cfg, Functions: Catalog, AssetDir: assets})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	raw, _ := json.Marshal(assertions.Template_FromStack(m.Stack, nil).ToJSON())
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	s := &synthesized{json: doc, m: m}
	ann := assertions.Annotations_FromStack(m.Stack)
	if errs := ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))); len(*errs) > 0 {
		t.Errorf("cdk-nag with every setting: %d unsuppressed errors: %s", len(*errs), js(errs))
	}
	fns := s.resources("AWS::Lambda::Function")
	for _, f := range Catalog {
		env := js(fns[s.logicalID(t, "AWS::Lambda::Function", title(f.Name)+"Function")]["Environment"])
		has := func(k string) bool { return strings.Contains(env, `"`+k+`"`) }
		api := !f.async()
		for k, want := range map[string]bool{
			config.EnvIssuers: api, config.EnvMaxActions: api, config.EnvMaskKeyRef: api,
			config.EnvBedrockModel: f.Name == "session" || f.Name == "mcp", ocsf.EnvEventBus: f.Name == "shipper",
		} {
			if has(k) != want {
				t.Errorf("%s: %s set %v, want %v: %s", f.Name, k, has(k), want, env)
			}
		}
	}
	// Only the functions that reach targets are in the VPC, and only their roles may manage
	// the network interfaces Lambda needs there.
	roles := s.resources("AWS::IAM::Role")
	for _, f := range Catalog {
		vpc := js(fns[s.logicalID(t, "AWS::Lambda::Function", title(f.Name)+"Function")]["VpcConfig"])
		eni := strings.Contains(js(roles[s.logicalID(t, "AWS::IAM::Role", title(f.Name)+"Role")]["ManagedPolicyArns"]), "service-role/AWSLambdaVPCAccessExecutionRole")
		if want := `{"SecurityGroupIds":["sg-0123456789abcdef0"],"SubnetIds":["subnet-0123456789abcdef0","subnet-89abcdef"]}`; f.ReachesTargets != (vpc == want) || f.ReachesTargets != eni {
			t.Errorf("%s (reaches targets: %v): VpcConfig %s, ENI policy %v", f.Name, f.ReachesTargets, vpc, eni)
		}
	}
	if !slices.ContainsFunc(Catalog, func(f Function) bool { return f.Name == "action" && f.ReachesTargets }) {
		t.Error("the action function does not reach targets")
	}
	grants := map[string]string{} // action -> roles
	for _, st := range s.identityStatements() {
		for _, a := range st.actions() {
			switch a {
			case "secretsmanager:GetSecretValue", "bedrock:InvokeModel", "events:PutEvents":
				if a == "secretsmanager:GetSecretValue" && st.raw["Sid"] != "ReadMaskingKey" {
					continue // the broker's tagged target secrets
				}
				grants[a] += strings.SplitN(st.where, "Role", 2)[0] + " "
				if a == "secretsmanager:GetSecretValue" && js(st.raw["Resource"]) != `"`+testMaskSecret+`"` {
					t.Errorf("%s reads %s, want only the masking key", st.where, js(st.raw["Resource"]))
				}
				if a == "bedrock:InvokeModel" && !strings.Contains(js(st.raw["Resource"]), "foundation-model/anthropic.claude-3-haiku-20240307-v1:0") {
					t.Errorf("%s may invoke %s", st.where, js(st.raw["Resource"]))
				}
				if a == "events:PutEvents" && !strings.Contains(js(st.raw["Resource"]), ":event-bus/security-lake") {
					t.Errorf("%s may put events on %s", st.where, js(st.raw["Resource"]))
				}
			}
		}
	}
	if got := strings.Fields(grants["secretsmanager:GetSecretValue"]); len(got) != 7 {
		t.Errorf("the masking key is readable by %v, want the seven API functions", got)
	}
	if got := strings.Fields(grants["bedrock:InvokeModel"]); js(got) != `["Session","Mcp"]` && js(got) != `["Mcp","Session"]` {
		t.Errorf("the model is invoked by %q, want Session and Mcp (the functions that open sessions)", got)
	}
	if got := strings.TrimSpace(grants["events:PutEvents"]); got != "Shipper" {
		t.Errorf("OCSF events are put by %q, want Shipper", got)
	}
}
