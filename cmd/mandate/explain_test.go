package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/demo"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/sqlparse/pgquery"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// explainCase is one entry of testdata/explain/cases.yaml.
type explainCase struct {
	File           string   `yaml:"file"`
	NeedsParser    bool     `yaml:"needs_parser"`
	Verdict        string   `yaml:"verdict"`
	Reasons        []string `yaml:"reasons"`
	Mint           string   `yaml:"mint"`
	PolicyActions  []string `yaml:"policy_actions"`
	PolicyResource string   `yaml:"policy_resource"`
	SourceIdentity string   `yaml:"source_identity"`
	Grants         []string `yaml:"grants"`
	Header         string   `yaml:"header"`
	// Lineage is the class of each output column of a sql statement ("" for none).
	Lineage map[string]string `yaml:"lineage"`
}

// TestExplainFixtures runs `mandate explain` on every action file of testdata/explain in a
// support-lookup session of a fresh data folder and checks the verdict, the reasons and
// exactly what would be minted, and that explaining recorded nothing.
func TestExplainFixtures(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile("../../testdata/explain/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []explainCase `yaml:"cases"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil || len(doc.Cases) == 0 {
		t.Fatalf("cases.yaml: %v", err)
	}

	dir := t.TempDir()
	inst, err := local.Start(ctx, local.Options{Dir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	agent := inst.Config.Agents[0]
	c := client.New(inst.URL, inst.Config.Region, agent.AccessKeyID, agent.SecretAccessKey)
	sess, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: demo.Prompt})
	if err != nil {
		inst.Close()
		t.Fatal(err)
	}
	if err := inst.Close(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range doc.Cases {
		t.Run(tc.File, func(t *testing.T) {
			if tc.NeedsParser && !pgquery.Available {
				t.Skip("built without cgo: no SQL parser")
			}
			var out, errOut bytes.Buffer
			code := run(ctx, []string{"explain", "--data", dir, "--session", sess.SessionID, filepath.Join("../../testdata/explain", tc.File)}, &out, &errOut)
			// Scripts gate on the exit status: 1 for a denial, 0 otherwise.
			if want := map[bool]int{true: exitFailed, false: exitOK}[tc.Verdict == api.VerdictDeny]; code != want {
				t.Fatalf("exit %d, want %d for %s: %s", code, want, tc.Verdict, errOut.String())
			}
			var ex authority.Explanation
			if err := json.Unmarshal(out.Bytes(), &ex); err != nil {
				t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
			}
			// --output text says the same verdict, with the same exit status.
			var text bytes.Buffer
			if c := run(ctx, []string{"explain", "--output", "text", "--data", dir, "--session", sess.SessionID, filepath.Join("../../testdata/explain", tc.File)}, &text, &errOut); c != code ||
				!strings.HasPrefix(text.String(), "verdict:  "+tc.Verdict+"\n") {
				t.Fatalf("--output text: exit %d (json %d):\n%s", c, code, text.String())
			}
			if ex.Verdict != tc.Verdict || !cmp.Equal(ex.Reasons, tc.Reasons) {
				t.Fatalf("verdict %s %v, want %s %v\n%s", ex.Verdict, ex.Reasons, tc.Verdict, tc.Reasons, out.String())
			}
			if tc.Mint == "" {
				if ex.Mint != nil {
					t.Fatalf("a refused action would mint %+v", ex.Mint)
				}
				return
			}
			if ex.Mint == nil || ex.Mint.Kind != tc.Mint {
				t.Fatalf("mint %+v, want %s (%s)", ex.Mint, tc.Mint, ex.MintError)
			}
			m := ex.Mint
			if tc.Grants != nil {
				if diff := cmp.Diff(tc.Grants, m.Grants); diff != "" {
					t.Errorf("grants (-want +got):\n%s", diff)
				}
			}
			if tc.Lineage != nil {
				got := map[string]string{}
				for _, o := range m.Lineage {
					got[o.Name] = o.Class
				}
				if diff := cmp.Diff(tc.Lineage, got); diff != "" {
					t.Errorf("lineage (-want +got):\n%s", diff)
				}
			}
			if tc.Header != "" && m.Header != tc.Header {
				t.Errorf("header %q, want %q", m.Header, tc.Header)
			}
			if tc.PolicyActions != nil {
				var pol broker.SessionPolicy
				if err := json.Unmarshal(m.SessionPolicy, &pol); err != nil || len(pol.Statement) != 1 {
					t.Fatalf("session policy %s: %v", m.SessionPolicy, err)
				}
				st := pol.Statement[0]
				if !cmp.Equal(st.Action, tc.PolicyActions) || !cmp.Equal(st.Resource, []string{tc.PolicyResource}) || st.Effect != "Allow" ||
					st.Condition["DateLessThan"]["aws:CurrentTime"] == "" {
					t.Errorf("session policy %s, want %v on %s with a time bound", m.SessionPolicy, tc.PolicyActions, tc.PolicyResource)
				}
				if m.SourceIdentity != tc.SourceIdentity || m.DurationSeconds != broker.DurationSeconds || m.Tags["mandate:session"] != sess.SessionID {
					t.Errorf("source identity %q, duration %d, tags %v", m.SourceIdentity, m.DurationSeconds, m.Tags)
				}
			}
			if bytes.Contains(out.Bytes(), []byte("secret")) {
				t.Errorf("explain printed something secret-like:\n%s", out.String())
			}
		})
	}

	// Explaining recorded nothing: the session's chain is still its opening record.
	reps, err := local.Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Session == sess.SessionID && len(r.Records) != 1 {
			t.Fatalf("the session has %d records after explaining; want only its opening", len(r.Records))
		}
	}
}

// TestExplainAgainstADeployment: --aws evaluates against the DynamoDB tables the functions'
// environment names (dynalite here), reading the deployment's policies, and writes nothing.
func TestExplainAgainstADeployment(t *testing.T) {
	endpoint := os.Getenv("MANDATE_TEST_DYNAMODB_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MANDATE_TEST_DYNAMODB_ENDPOINT must be set (run through .ci/with-services)")
		}
		t.Skip("MANDATE_TEST_DYNAMODB_ENDPOINT not set")
	}
	ctx := context.Background()
	prefix := randomName("mx")
	tables := dynamo.NamedTables(prefix)
	env := map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1",
		"AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		dynamo.EnvEndpoint: endpoint, dynamo.EnvTableSessions: tables.Sessions, dynamo.EnvTableControls: tables.Controls,
		dynamo.EnvTableApprovals: tables.Approvals, dynamo.EnvTablePolicies: tables.Policies, dynamo.EnvTableIntents: tables.Intents,
		dynamo.EnvTableTargets: tables.Targets, dynamo.EnvTableClaims: tables.Claims, dynamo.EnvTableAudit: tables.Audit,
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	client, err := dynamo.NewClient(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamo.CreateTables(ctx, client, tables); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dynamo.DeleteTables(context.Background(), client, tables) })
	st := dynamo.New(client, tables)
	if err := local.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"explain", "--aws", "../../testdata/explain/aws-deleteitem.json"}, &out, &errOut); code != exitFailed {
		t.Fatalf("explain --aws of a denied action: exit %d, want 1: %s", code, errOut.String())
	}
	var ex struct {
		Verdict string   `json:"verdict"`
		Reasons []string `json:"reasons"`
	}
	if err := json.Unmarshal(out.Bytes(), &ex); err != nil || ex.Verdict != "deny" || !slices.Contains(ex.Reasons, "forbid-delete-orders") {
		t.Fatalf("explain --aws = %s (%v)", out.String(), err)
	}
	if chains, err := st.Chains(ctx); err != nil || len(chains) != 0 {
		t.Fatalf("explain recorded something: %v %v", chains, err)
	}
}
