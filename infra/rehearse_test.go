package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/jsii-runtime-go"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/client"
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/crm"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// The deploy rehearsal: the stack's template, played on one machine. Tables come from the
// template's AWS::DynamoDB::Table resources; each API function's real bootstrap runs under the
// Lambda runtime interface emulator with the environment the template gives it and its own
// access key at the enforcing DynamoDB proxy (enforce_test.go), which judges every call by the
// identity policies the template attaches to the function's role. The demo's story is then
// driven through SigV4-signed API Gateway events.

// Stand-ins for the deployment's pseudo parameters.
const (
	rehearsalRegion    = "us-east-1"
	rehearsalAccount   = "123456789012"
	rehearsalPartition = "aws"
	rehearsalAPIHost   = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
)

// EnvTestDynamoDBTx names a DynamoDB-compatible server with transactions (moto_server): the
// authority commits decisions with TransactWriteItems, which dynalite lacks.
const EnvTestDynamoDBTx = "MANDATE_TEST_DYNAMODB_TX_ENDPOINT"

// cfn resolves the intrinsics the template uses (Ref, Fn::GetAtt, Fn::Join, Fn::Sub and the
// pseudo parameters) to the names and ARNs the rehearsal creates.
type cfn struct {
	resources map[string]any
}

// physical returns the name a resource gets: its own name property, else its logical id.
func (c cfn) physical(id string) (typ, name string, err error) {
	r, ok := c.resources[id].(map[string]any)
	if !ok {
		return "", "", fmt.Errorf("no resource %q", id)
	}
	typ, _ = r["Type"].(string)
	props, _ := r["Properties"].(map[string]any)
	for _, k := range []string{"TableName", "FunctionName", "RoleName", "LogGroupName", "BucketName", "QueueName"} {
		if v, ok := props[k].(string); ok {
			return typ, v, nil
		}
	}
	return typ, id, nil
}

func (c cfn) ref(name string) (string, error) {
	switch name {
	case "AWS::Region":
		return rehearsalRegion, nil
	case "AWS::AccountId":
		return rehearsalAccount, nil
	case "AWS::Partition":
		return rehearsalPartition, nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	}
	_, n, err := c.physical(name)
	return n, err
}

func (c cfn) getAtt(id, attr string) (string, error) {
	typ, name, err := c.physical(id)
	if err != nil {
		return "", err
	}
	region, account := rehearsalRegion, rehearsalAccount
	arn := map[string]string{
		"AWS::DynamoDB::Table":  "arn:aws:dynamodb:" + region + ":" + account + ":table/" + name,
		"AWS::IAM::Role":        "arn:aws:iam::" + account + ":role/" + name,
		"AWS::Lambda::Function": "arn:aws:lambda:" + region + ":" + account + ":function:" + name,
		"AWS::Logs::LogGroup":   "arn:aws:logs:" + region + ":" + account + ":log-group:" + name + ":*",
		"AWS::S3::Bucket":       "arn:aws:s3:::" + name,
		"AWS::KMS::Key":         "arn:aws:kms:" + region + ":" + account + ":key/" + name,
		"AWS::SQS::Queue":       "arn:aws:sqs:" + region + ":" + account + ":" + name,
	}[typ]
	switch {
	case attr == "Arn" && arn != "":
		return arn, nil
	case attr == "StreamArn" && typ == "AWS::DynamoDB::Table":
		return arn + "/stream/rehearsal", nil
	}
	// Attributes the rehearsal never reaches (a queue's URL, a key's id): stable, distinct
	// placeholders that match nothing the functions call.
	return "rehearsal:" + id + "." + attr, nil
}

// resolve returns v with every intrinsic replaced by its value.
func (c cfn) resolve(v any) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			r, err := c.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return c.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			r, err := c.resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

func (c cfn) intrinsic(fn string, arg any) (string, error) {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return c.ref(name)
	case "Fn::GetAtt":
		l, _ := arg.([]any)
		if len(l) != 2 {
			return "", fmt.Errorf("Fn::GetAtt %v", arg)
		}
		id, _ := l[0].(string)
		attr, _ := l[1].(string)
		return c.getAtt(id, attr)
	case "Fn::Join":
		l, _ := arg.([]any)
		if len(l) != 2 {
			return "", fmt.Errorf("Fn::Join %v", arg)
		}
		sep, _ := l[0].(string)
		parts, err := c.resolve(l[1])
		if err != nil {
			return "", err
		}
		var ss []string
		for _, p := range parts.([]any) {
			s, ok := p.(string)
			if !ok {
				return "", fmt.Errorf("Fn::Join of %v", p)
			}
			ss = append(ss, s)
		}
		return strings.Join(ss, sep), nil
	case "Fn::Sub":
		tmpl, vars := "", map[string]any{}
		switch a := arg.(type) {
		case string:
			tmpl = a
		case []any:
			tmpl, _ = a[0].(string)
			if len(a) > 1 {
				vars, _ = a[1].(map[string]any)
			}
		}
		var firstErr error
		out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
			name := m[2 : len(m)-1]
			var (
				s   string
				err error
			)
			if v, ok := vars[name]; ok {
				var r any
				if r, err = c.resolve(v); err == nil {
					s, _ = r.(string)
				}
			} else if id, attr, ok := strings.Cut(name, "."); ok {
				s, err = c.getAtt(id, attr)
			} else {
				s, err = c.ref(name)
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return s
		})
		return out, firstErr
	}
	return "", fmt.Errorf("intrinsic %s is not supported by the rehearsal", fn)
}

// rehearsalFunction is one API function as the template deploys it.
type rehearsalFunction struct {
	name   string
	env    map[string]string
	policy iamPolicy
}

// templateFunctions reads every function's environment and its role's identity policies.
func templateFunctions(t *testing.T, c cfn) map[string]rehearsalFunction {
	t.Helper()
	roleOf := map[string]string{} // role logical id -> function name
	out := map[string]rehearsalFunction{}
	for id, r := range c.resources {
		r := r.(map[string]any)
		if r["Type"] != "AWS::Lambda::Function" {
			continue
		}
		props := r["Properties"].(map[string]any)
		fname, _ := props["FunctionName"].(string)
		name, ok := strings.CutPrefix(fname, "mandate-test-")
		if !ok {
			continue
		}
		role, _ := props["Role"].(map[string]any)["Fn::GetAtt"].([]any)
		if len(role) != 2 {
			t.Fatalf("%s: role %v is not a GetAtt", id, props["Role"])
		}
		roleOf[role[0].(string)] = name
		env := map[string]string{}
		if e, ok := props["Environment"].(map[string]any); ok {
			vars, err := c.resolve(e["Variables"])
			if err != nil {
				t.Fatalf("%s environment: %v", id, err)
			}
			for k, v := range vars.(map[string]any) {
				s, ok := v.(string)
				if !ok {
					t.Fatalf("%s: %s = %v is not a string", id, k, v)
				}
				env[k] = s
			}
		}
		out[name] = rehearsalFunction{name: name, env: env}
	}
	addStatements := func(fn string, doc any) {
		resolved, err := c.resolve(doc)
		if err != nil {
			t.Fatalf("%s policy: %v", fn, err)
		}
		f := out[fn]
		for _, raw := range list(resolved.(map[string]any)["Statement"]) {
			f.policy = append(f.policy, toStatement(t, raw.(map[string]any)))
		}
		out[fn] = f
	}
	for _, r := range c.resources {
		r := r.(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::IAM::Policy":
			for _, ref := range list(props["Roles"]) {
				id, _ := ref.(map[string]any)["Ref"].(string)
				if fn, ok := roleOf[id]; ok {
					addStatements(fn, props["PolicyDocument"])
				}
			}
		}
	}
	for id, fn := range roleOf {
		props, _ := c.resources[id].(map[string]any)["Properties"].(map[string]any)
		for _, pol := range list(props["Policies"]) {
			addStatements(fn, pol.(map[string]any)["PolicyDocument"])
		}
		for _, managed := range list(props["ManagedPolicyArns"]) {
			// A managed policy's statements are not in the template: the rehearsal cannot
			// grant what it cannot read, so a function relying on one fails here, visibly.
			t.Logf("%s: managed policy %v is not evaluated by the rehearsal", fn, managed)
		}
	}
	return out
}

func toStatement(t *testing.T, raw map[string]any) iamStatement {
	t.Helper()
	strs := func(v any) []string {
		var out []string
		for _, e := range list(v) {
			s, ok := e.(string)
			if !ok {
				t.Fatalf("statement %v: %v is not a string", raw, e)
			}
			out = append(out, s)
		}
		return out
	}
	if raw["NotAction"] != nil || raw["NotResource"] != nil {
		t.Fatalf("statement %v: NotAction and NotResource are not evaluated by the rehearsal", raw)
	}
	st := iamStatement{Effect: raw["Effect"].(string), Actions: strs(raw["Action"]), Resources: strs(raw["Resource"])}
	st.Sid, _ = raw["Sid"].(string)
	if cond, ok := raw["Condition"].(map[string]any); ok {
		st.Conditions = map[string]map[string][]string{}
		for op, keys := range cond {
			st.Conditions[op] = map[string][]string{}
			for k, v := range keys.(map[string]any) {
				var vals []string
				for _, e := range list(v) {
					vals = append(vals, fmt.Sprint(e))
				}
				st.Conditions[op][k] = vals
			}
		}
	}
	return st
}

// createTables creates the template's tables on the backend, with their key schemas and
// indexes, and returns each table's partition key.
func createTables(t *testing.T, c cfn, db *dynamodb.Client) ddbKeySchema {
	t.Helper()
	keys := ddbKeySchema{}
	ctx := context.Background()
	for id, r := range c.resources {
		r := r.(map[string]any)
		if r["Type"] != "AWS::DynamoDB::Table" {
			continue
		}
		raw, err := json.Marshal(r["Properties"])
		if err != nil {
			t.Fatal(err)
		}
		var props struct {
			TableName              string
			KeySchema              []ddbtypes.KeySchemaElement
			AttributeDefinitions   []ddbtypes.AttributeDefinition
			GlobalSecondaryIndexes []struct {
				IndexName  string
				KeySchema  []ddbtypes.KeySchemaElement
				Projection ddbtypes.Projection
			}
		}
		if err := json.Unmarshal(raw, &props); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		in := &dynamodb.CreateTableInput{TableName: aws.String(props.TableName), KeySchema: props.KeySchema,
			AttributeDefinitions: props.AttributeDefinitions, BillingMode: ddbtypes.BillingModePayPerRequest}
		for _, g := range props.GlobalSecondaryIndexes {
			in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndex{IndexName: aws.String(g.IndexName), KeySchema: g.KeySchema, Projection: &g.Projection})
		}
		// A table left by an earlier run on the same server starts empty: a first deploy.
		if _, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: in.TableName}); err == nil {
			t.Logf("deleted table %s left by an earlier run", props.TableName)
		}
		if _, err := db.CreateTable(ctx, in); err != nil {
			t.Fatalf("create table %s: %v", props.TableName, err)
		}
		for _, k := range props.KeySchema {
			if k.KeyType == ddbtypes.KeyTypeHash {
				keys[props.TableName] = aws.ToString(k.AttributeName)
			}
		}
	}
	return keys
}

// caller is a signer of API requests: an agent or a human, with the identity API Gateway's
// IAM authorizer would report for its key.
type caller struct {
	name, accessKey, secret, userARN string
}

// gateway plays API Gateway in front of the emulated functions: it verifies each request's
// SigV4 signature as the IAM authorizer does (identity.SigV4Verifier) and builds the event the
// route's function receives, with the caller's real authorization header.
type gateway struct {
	t        *testing.T
	verifier *identity.SigV4Verifier
	callers  map[string]caller // by access key
	invoke   map[string]func([]byte) (int, []byte)
	routeFn  map[string]string
}

// call signs method path body as who, passes it through the gateway to the function serving
// route, and returns the function's answer.
// call sends who's signed request to the function of route; header is name, value pairs set
// before signing.
func (g *gateway) call(who caller, route, path string, params map[string]string, body any, header ...string) apiAnswer {
	g.t.Helper()
	ev := g.event(who, route, path, params, body, header...)
	return g.send(route, ev)
}

func (g *gateway) event(who caller, route, path string, params map[string]string, body any, header ...string) []byte {
	g.t.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			g.t.Fatal(err)
		}
	}
	method, _, _ := strings.Cut(route, " ")
	req, err := http.NewRequest(method, "https://"+rehearsalAPIHost+path, bytes.NewReader(raw))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// Signed as the Go client signs; a GET gets a nonce too, so two reads in the same second
	// are two requests.
	if method == http.MethodGet {
		req.Header.Set(client.HeaderNonce, fmt.Sprint(time.Now().UnixNano()))
	}
	if err := client.New("https://"+rehearsalAPIHost, rehearsalRegion, who.accessKey, who.secret).Sign(context.Background(), req, raw); err != nil {
		g.t.Fatal(err)
	}
	if _, err := g.verifier.Verify(req, raw); err != nil {
		g.t.Fatalf("the IAM authorizer refuses %s's request: %v", who.name, err)
	}
	id := g.callers[who.accessKey]
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route, RawPath: path, Headers: map[string]string{}, PathParameters: params, Body: string(raw),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route, AccountID: rehearsalAccount, Stage: "$default", RequestID: fmt.Sprint(time.Now().UnixNano()),
			DomainName: rehearsalAPIHost, APIID: "a1b2c3d4e5", TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.10", UserAgent: "mandate-rehearsal"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{
				AccessKey: id.accessKey, AccountID: rehearsalAccount, CallerID: "AROAREHEARSAL:" + id.name, UserARN: id.userARN, UserID: "AROAREHEARSAL:" + id.name,
			}},
		},
	}
	for k, vs := range req.Header {
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	ev.Headers["host"] = rehearsalAPIHost
	b, err := json.Marshal(ev)
	if err != nil {
		g.t.Fatal(err)
	}
	return b
}

func (g *gateway) send(route string, ev []byte) apiAnswer {
	g.t.Helper()
	fn := g.routeFn[route]
	status, body := g.invoke[fn](ev)
	var a apiAnswer
	if status != http.StatusOK || json.Unmarshal(body, &a) != nil || a.StatusCode == 0 {
		g.t.Fatalf("%s (%s): not an API Gateway answer: HTTP %d %s", route, fn, status, body)
	}
	return a
}

func TestCFNResolve(t *testing.T) {
	t.Parallel()
	c := cfn{resources: map[string]any{
		"Claims1": map[string]any{"Type": "AWS::DynamoDB::Table", "Properties": map[string]any{"TableName": "mandate-test-claims"}},
		"Role1":   map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{}},
	}}
	cases := []struct {
		name string
		in   string
		want any
	}{
		{"ref of a table", `{"Ref":"Claims1"}`, "mandate-test-claims"},
		{"table arn", `{"Fn::GetAtt":["Claims1","Arn"]}`, "arn:aws:dynamodb:us-east-1:123456789012:table/mandate-test-claims"},
		{"role arn by logical id", `{"Fn::GetAtt":["Role1","Arn"]}`, "arn:aws:iam::123456789012:role/Role1"},
		{"join with pseudo parameters", `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::",{"Ref":"AWS::AccountId"},":role/x"]]}`, "arn:aws:iam::123456789012:role/x"},
		{"sub", `{"Fn::Sub":"arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Claims1}/index/*"}`,
			"arn:aws:dynamodb:us-east-1:123456789012:table/mandate-test-claims/index/*"},
		{"sub with variables and attributes", `{"Fn::Sub":["${A}|${Claims1.Arn}",{"A":{"Ref":"AWS::Region"}}]}`,
			"us-east-1|arn:aws:dynamodb:us-east-1:123456789012:table/mandate-test-claims"},
		{"nested", `{"Resource":[{"Fn::GetAtt":["Claims1","Arn"]},"*"]}`, map[string]any{"Resource": []any{"arn:aws:dynamodb:us-east-1:123456789012:table/mandate-test-claims", "*"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var in any
			if err := json.Unmarshal([]byte(tc.in), &in); err != nil {
				t.Fatal(err)
			}
			got, err := c.resolve(in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("resolve %s (-want +got):\n%s", tc.in, diff)
			}
		})
	}
	for _, bad := range []string{`{"Ref":"Missing"}`, `{"Fn::ImportValue":"x"}`, `{"Fn::GetAtt":["Missing","Arn"]}`, `{"Fn::Sub":"${Missing}"}`} {
		var in any
		_ = json.Unmarshal([]byte(bad), &in)
		if got, err := c.resolve(in); err == nil {
			t.Errorf("resolve %s = %v, want an error", bad, got)
		}
	}
}

// TestRehearse is the deploy rehearsal (`make rehearse`): the synthesized stack's tables and
// functions, each function under its own role's policy at an enforcing DynamoDB, and the
// demo's story through them.
func TestRehearse(t *testing.T) {
	rie, backend := os.Getenv(EnvTestRIE), os.Getenv(EnvTestDynamoDBTx)
	if rie == "" || backend == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s and %s must be set: run under .ci/with-services", EnvTestRIE, EnvTestDynamoDBTx)
		}
		t.Skipf("%s or %s is not set (run under .ci/with-services)", EnvTestRIE, EnvTestDynamoDBTx)
	}
	began := time.Now()
	startBuilds() // the builds run while the stack synthesizes
	c := cfn{resources: synth(t).json["Resources"].(map[string]any)}
	fns := templateFunctions(t, c)
	t.Logf("synthesized in %v", time.Since(began).Round(time.Millisecond))
	ctx := context.Background()
	direct := credentials.NewStaticCredentialsProvider("AKIDREHEARSALSETUP", "setup", "")
	db := dynamodb.New(dynamodb.Options{Region: rehearsalRegion, BaseEndpoint: aws.String(backend), Credentials: direct})
	keys := createTables(t, c, db)

	proxy := newDDBProxy(backend, rehearsalRegion, rehearsalAccount, keys)
	ddb := httptest.NewServer(proxy)
	t.Cleanup(ddb.Close)

	// The demo customer service, its secret in Secrets Manager (moto), tagged for Mandate as
	// the action role's grant requires.
	secret := strings.Repeat("5e", 32)
	customers := httptest.NewServer(crm.New([]byte(secret), time.Now))
	t.Cleanup(customers.Close)
	sm := secretsmanager.New(secretsmanager.Options{Region: rehearsalRegion, BaseEndpoint: aws.String(backend), Credentials: direct})
	sec, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(fmt.Sprintf("mandate/customers-%d", time.Now().UnixNano())),
		SecretString: aws.String(secret), Tags: []smtypes.Tag{{Key: aws.String(TargetRoleTag), Value: aws.String(TargetRoleTagValue)}}})
	if err != nil {
		t.Fatalf("create the target's secret: %v", err)
	}

	// Each API function: its own key at the proxy, the template's environment with the
	// endpoints pointed at the stand-ins, and its real bootstrap under the emulator.
	secrets := map[string]string{}
	envFor := func(f rehearsalFunction, key string) []string {
		env := []string{dynamo.EnvEndpoint + "=" + ddb.URL, config.EnvSTSEndpoint + "=" + backend, config.EnvSecretsManagerEndpoint + "=" + backend,
			config.EnvIAMEndpoint + "=" + backend, "AWS_ACCESS_KEY_ID=" + key, "AWS_SECRET_ACCESS_KEY=" + secrets[key]}
		for k, v := range f.env {
			env = append(env, k+"="+v)
		}
		slices.Sort(env)
		return env
	}
	enroll := func(name, key string, policy iamPolicy) {
		secrets[key] = "secret-of-" + strings.ToLower(key)
		proxy.enroll(key, ddbPrincipal{Function: name, RoleARN: "arn:aws:sts::" + rehearsalAccount + ":assumed-role/" + name + "/rehearsal", Secret: secrets[key], Policy: policy})
	}
	gw := &gateway{t: t, callers: map[string]caller{}, invoke: map[string]func([]byte) (int, []byte){}, routeFn: map[string]string{}}
	var apiFns []string
	for _, f := range Available("..") {
		if f.async() {
			continue
		}
		if _, ok := fns[f.Name]; !ok {
			t.Fatalf("function %s is not in the template", f.Name)
		}
		apiFns = append(apiFns, f.Name)
		enroll(f.Name, "AKIDREHEARSAL"+strings.ToUpper(f.Name), fns[f.Name].policy)
		for _, r := range f.Routes {
			gw.routeFn[r] = f.Name
		}
	}
	built := time.Now()
	for _, name := range apiFns {
		buildBootstrap(t, name)
	}
	t.Logf("bootstraps built in %v", time.Since(built).Round(time.Millisecond))

	// Who calls: one agent and two operators (role sessions of the stack's caller roles,
	// whose ARNs the template gives the functions) and one administrator.
	role := func(kind, session string) string {
		return "arn:aws:sts::" + rehearsalAccount + ":assumed-role/mandate-test-" + kind + "/" + session
	}
	agent := caller{"support-agent", "AKIDAGENT", "agent-secret", role(CallerAgent, "support-agent")}
	ada := caller{"ada", "AKIDADA", "ada-secret", role(CallerOperator, "ada")}
	grace := caller{"grace", "AKIDGRACE", "grace-secret", role(CallerOperator, "grace")}
	root := caller{"root", "AKIDROOT", "root-secret", role(CallerAdmin, "root")}
	var idKeys []identity.Key
	for _, who := range []caller{agent, ada, grace, root} {
		gw.callers[who.accessKey] = who
		idKeys = append(idKeys, identity.Key{Agent: who.name, AccessKeyID: who.accessKey, SecretAccessKey: who.secret})
	}
	if gw.verifier, err = identity.NewSigV4Verifier(rehearsalRegion, idKeys, nil); err != nil {
		t.Fatal(err)
	}

	// Finding: a fresh deployment could not start (nothing seeded). Before the admin function's
	// first cold start, the session function has no policy set and refuses to start.
	t.Run("a function before the seed does not start", func(t *testing.T) {
		f := fns["session"]
		invoke, stop := rieStart(t, rie, buildBootstrap(t, "session"), envFor(f, "AKIDREHEARSALSESSION"))
		defer stop()
		status, body := invoke(gw.event(agent, edge.RouteOpenSession, "/v1/sessions", nil, map[string]string{"prompt": "x"}))
		// The emulator answers 502 when the function exits during its init; the same function
		// with the same environment serves the story once the admin function has seeded.
		if status == http.StatusOK {
			t.Fatalf("the session function served before any policy set was stored: HTTP %d %s", status, body)
		}
	})
	for _, name := range apiFns {
		gw.invoke[name], _ = rieStart(t, rie, buildBootstrap(t, name), envFor(fns[name], "AKIDREHEARSAL"+strings.ToUpper(name)))
	}

	story := time.Now()
	// The admin function seeds at its cold start; the administrator then stores the demo
	// policy set through the admin route.
	if a := gw.call(root, "GET /v1/policies", "/v1/policies", nil, nil); a.StatusCode != http.StatusOK {
		t.Fatalf("seeded policy set: HTTP %d %s", a.StatusCode, a.Body)
	}
	policies, err := os.ReadFile("../shared/local/defaults/policies.cedar")
	if err != nil {
		t.Fatal(err)
	}
	if a := gw.call(root, "PUT /v1/policies", "/v1/policies", nil, api.PolicyUpload{Policies: string(policies)}); a.StatusCode != http.StatusOK && a.StatusCode != http.StatusCreated {
		t.Fatalf("store the demo policies: HTTP %d %s", a.StatusCode, a.Body)
	}
	// Targets are managed like policies: the administrator stores the registry's next version
	// through the admin route, and every function reloads it.
	registry := "targets:\n- {name: customers, kind: http, base_url: '" + customers.URL + "', secret_ref: '" + aws.ToString(sec.ARN) + "'}\n"
	if a := gw.call(root, "PUT /v1/targets", "/v1/targets", nil, api.TargetsUpload{Targets: registry}); a.StatusCode != http.StatusOK && a.StatusCode != http.StatusCreated {
		t.Fatalf("store the target registry: HTTP %d %s", a.StatusCode, a.Body)
	}

	tables, err := dynamo.TablesFromEnv(func(k string) string { return fns["admin"].env[k] })
	if err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(db, tables) // to verify the stored chain at the end

	var session string
	t.Run("story", func(t *testing.T) {
		a := gw.call(agent, "POST /v1/sessions", "/v1/sessions", nil, map[string]string{"operator": "ada",
			"prompt": "look up the contact details of customer 42 to answer their ticket"})
		var opened struct {
			SessionID string `json:"session_id"`
		}
		if a.StatusCode != http.StatusCreated || json.Unmarshal([]byte(a.Body), &opened) != nil || opened.SessionID == "" {
			t.Fatalf("open session: HTTP %d %s", a.StatusCode, a.Body)
		}
		session = opened.SessionID
		act := func(action map[string]any, approval string) apiAnswer {
			body := map[string]any{"action": action}
			if approval != "" {
				body["approval_id"] = approval
			}
			return gw.call(agent, "POST /v1/sessions/{id}/actions", "/v1/sessions/"+session+"/actions", map[string]string{"id": session}, body)
		}
		read := map[string]any{"kind": "http", "target": "customers", "method": "GET", "path": "/customers/42"}
		if a := act(read, ""); a.StatusCode != http.StatusOK || !strings.Contains(a.Body, `"verdict":"allow"`) || !strings.Contains(a.Body, "[EMAIL]") {
			t.Fatalf("allowed read: HTTP %d %s, want 200 with the masked customer", a.StatusCode, a.Body)
		}
		del := map[string]any{"kind": "http", "target": "customers", "method": "DELETE", "path": "/customers/42"}
		if a := act(del, ""); a.StatusCode != http.StatusForbidden || !strings.Contains(a.Body, "forbid-delete-customers") {
			t.Fatalf("delete: HTTP %d %s, want 403 naming forbid-delete-customers", a.StatusCode, a.Body)
		}
		export := map[string]any{"kind": "http", "target": "customers", "method": "GET", "path": "/customers"}
		a = act(export, "")
		var pending struct {
			ApprovalID string `json:"approval_id"`
		}
		if a.StatusCode != http.StatusAccepted || json.Unmarshal([]byte(a.Body), &pending) != nil || pending.ApprovalID == "" {
			t.Fatalf("export: HTTP %d %s, want 202 with an approval id", a.StatusCode, a.Body)
		}
		approve := "POST /v1/approvals/{id}/approve"
		if a := gw.call(grace, approve, "/v1/approvals/"+pending.ApprovalID+"/approve", map[string]string{"id": pending.ApprovalID}, map[string]string{"note": "rehearsal"}); a.StatusCode != http.StatusOK {
			t.Fatalf("approve: HTTP %d %s", a.StatusCode, a.Body)
		}
		if a := act(export, pending.ApprovalID); a.StatusCode != http.StatusOK || !strings.Contains(a.Body, `"verdict":"allow"`) {
			t.Fatalf("approved export: HTTP %d %s, want 200", a.StatusCode, a.Body)
		}
		// The same story through the MCP front door, its own function: a session opened by a
		// tool, a read answered masked from the store alone (each request a separate event).
		mcp := func(sid, message string) apiAnswer {
			h := []string{"Accept", "application/json, text/event-stream", "Mcp-Protocol-Version", "2025-06-18"}
			if sid != "" {
				h = append(h, "Mcp-Session-Id", sid)
			}
			return gw.call(agent, "POST /mcp", "/mcp", nil, json.RawMessage(message), h...)
		}
		if a := mcp("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"rehearsal","version":"1"}}}`); a.StatusCode != http.StatusOK {
			t.Fatalf("mcp initialize: HTTP %d %s", a.StatusCode, a.Body)
		}
		a = mcp("", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"open_session","arguments":{"operator":"ada","prompt":"look up the contact details of customer 42 to answer their ticket"}}}`)
		sid := a.Headers["Mcp-Session-Id"]
		if a.StatusCode != http.StatusOK || !strings.HasPrefix(sid, "ses_") {
			t.Fatalf("mcp open_session: HTTP %d %v %s, want a Mandate session as the Mcp-Session-Id", a.StatusCode, a.Headers, a.Body)
		}
		if a := mcp(sid, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"customers.get","arguments":{"path":"/customers/42"}}}`); a.StatusCode != http.StatusOK ||
			!strings.Contains(a.Body, `"verdict":"allow"`) || !strings.Contains(a.Body, "[EMAIL]") || strings.Contains(a.Body, `"isError":true`) {
			t.Fatalf("mcp tools/call: HTTP %d %s, want the masked customer", a.StatusCode, a.Body)
		}

		kill := gw.event(ada, "POST /v1/kill", "/v1/kill", nil, map[string]string{"scope": "session", "id": session, "reason": "rehearsal"})
		if a := gw.send("POST /v1/kill", kill); a.StatusCode != http.StatusCreated {
			t.Fatalf("kill: HTTP %d %s, want 201", a.StatusCode, a.Body)
		}
		if a := gw.send("POST /v1/kill", kill); a.StatusCode != http.StatusConflict {
			t.Fatalf("replayed kill: HTTP %d %s, want 409", a.StatusCode, a.Body)
		}
		if a := act(read, ""); a.StatusCode != http.StatusForbidden || !strings.Contains(a.Body, api.ProblemKilled) {
			t.Fatalf("action after the kill: HTTP %d %s, want 403 killed", a.StatusCode, a.Body)
		}
		a = gw.call(agent, "GET /v1/sessions/{id}/audit", "/v1/sessions/"+session+"/audit", map[string]string{"id": session}, nil)
		var chain api.AuditResponse
		if a.StatusCode != http.StatusOK || json.Unmarshal([]byte(a.Body), &chain) != nil || !chain.Verified || len(chain.Records) < 5 {
			t.Fatalf("audit: HTTP %d %.500s, want the verified chain", a.StatusCode, a.Body)
		}
		rep, err := audit.VerifyChain(ctx, st, session)
		if err != nil || rep.Break != nil || len(rep.Records) != len(chain.Records) {
			t.Fatalf("the stored chain does not verify: %v %+v (%d records, the audit route returned %d)", err, rep.Break, len(rep.Records), len(chain.Records))
		}
	})
	t.Logf("story ran in %v", time.Since(story).Round(time.Millisecond))
	if d := proxy.denials(); len(d) > 0 {
		t.Errorf("a function was refused a call the story needs: %+v", d)
	}
	for _, name := range apiFns { // no function reached DynamoDB around the proxy
		if !proxy.served()[name] {
			t.Errorf("the %s function made no DynamoDB call through the proxy", name)
		}
	}

	// The proxy is no pass-through: the action function's own key may not delete an approval
	// (it could approve itself otherwise).
	// Finding: with agentAuth jwt the stack set no trusted issuers, so every agent the JWT
	// authorizer let through was refused 401 by the function. The session function of a
	// jwt-mode synthesis, with its template environment, opens a session for a bearer-token
	// agent; the same function without MANDATE_ISSUERS refuses it, as it did.
	t.Run("agents with bearer tokens (agentAuth jwt)", func(t *testing.T) {
		const issuer = "https://id.rehearsal.example"
		resources := synthTemplate(t, map[string]any{CtxStage: "test", CtxRetentionDays: float64(testRetentionDays),
			CtxAgentAuth: AgentAuthJWT, CtxOIDCIssuer: issuer, CtxOIDCAudiences: "mandate"})["Resources"].(map[string]any)
		jwt := templateFunctions(t, cfn{resources: resources})
		f := jwt["session"]
		if f.env[config.EnvIssuers] == "" {
			t.Fatalf("the jwt-mode session function has no %s: %v", config.EnvIssuers, f.env)
		}
		key := "AKIDREHEARSALJWT"
		enroll("session", key, f.policy)
		ev, _ := json.Marshal(events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: edge.RouteOpenSession, RawPath: "/v1/sessions", Headers: map[string]string{"content-type": "application/json"},
			Body: `{"operator":"ada","prompt":"look up the contact details of customer 42 to answer their ticket"}`,
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				RouteKey: edge.RouteOpenSession, AccountID: rehearsalAccount, Stage: "$default", RequestID: "jwt-1", DomainName: rehearsalAPIHost,
				APIID: "a1b2c3d4e5", TimeEpoch: time.Now().UnixMilli(),
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/v1/sessions", Protocol: "HTTP/1.1", SourceIP: "203.0.113.10"},
				Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
					Claims: map[string]string{"iss": issuer, "sub": "agent-7", "aud": "mandate", "exp": fmt.Sprint(time.Now().Add(time.Hour).Unix())},
				}},
			},
		})
		answer := func(env []string) apiAnswer {
			invoke, stop := rieStart(t, rie, buildBootstrap(t, "session"), env)
			defer stop()
			status, body := invoke(ev)
			var a apiAnswer
			if status != http.StatusOK || json.Unmarshal(body, &a) != nil {
				t.Fatalf("session function: HTTP %d %s", status, body)
			}
			return a
		}
		if a := answer(envFor(f, key)); a.StatusCode != http.StatusCreated {
			t.Fatalf("a bearer-token agent of the trusted issuer: HTTP %d %s, want 201", a.StatusCode, a.Body)
		}
		without := rehearsalFunction{env: map[string]string{}, policy: f.policy}
		for k, v := range f.env {
			if k != config.EnvIssuers {
				without.env[k] = v
			}
		}
		if a := answer(envFor(without, key)); a.StatusCode != http.StatusUnauthorized || !strings.Contains(a.Body, api.ProblemUntrustedIssuer) {
			t.Fatalf("without %s: HTTP %d %s, want 401 untrusted issuer", config.EnvIssuers, a.StatusCode, a.Body)
		}

		// Finding: behind the JWT authorizer an MCP client without a token got API Gateway's
		// 401, which names no resource metadata, so it could not discover the issuer. POST /mcp
		// now has no authorizer in jwt mode (every other agent route keeps the JWT one), and the
		// mcp function's own 401 names the metadata.
		for id, r := range resources {
			r := r.(map[string]any)
			if r["Type"] != "AWS::ApiGatewayV2::Route" {
				continue
			}
			p := r["Properties"].(map[string]any)
			want := "JWT"
			switch p["RouteKey"] {
			case edge.RouteMCP, edge.RouteMCPMetadata:
				want = "NONE"
			case edge.RouteOpenSession, edge.RouteAct:
			default:
				continue
			}
			if p["AuthorizationType"] != want {
				t.Errorf("jwt mode: route %s %v authorization %v, want %s", id, p["RouteKey"], p["AuthorizationType"], want)
			}
		}
		m := jwt["mcp"]
		mcpKey := "AKIDREHEARSALJWTMCP"
		enroll("mcp", mcpKey, m.policy)
		invoke, stop := rieStart(t, rie, buildBootstrap(t, "mcp"), envFor(m, mcpKey))
		defer stop()
		anon, _ := json.Marshal(events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: edge.RouteMCP, RawPath: "/mcp", Headers: map[string]string{"content-type": "application/json", "accept": "application/json, text/event-stream"},
			Body: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				RouteKey: edge.RouteMCP, AccountID: rehearsalAccount, Stage: "$default", RequestID: "jwt-mcp-1", DomainName: rehearsalAPIHost,
				APIID: "a1b2c3d4e5", TimeEpoch: time.Now().UnixMilli(),
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/mcp", Protocol: "HTTP/1.1", SourceIP: "203.0.113.10"},
			},
		})
		status, body := invoke(anon)
		var a apiAnswer
		if status != http.StatusOK || json.Unmarshal(body, &a) != nil {
			t.Fatalf("mcp function: HTTP %d %s", status, body)
		}
		want := `resource_metadata="https://` + rehearsalAPIHost + `/.well-known/oauth-protected-resource/mcp"`
		if a.StatusCode != http.StatusUnauthorized || !strings.Contains(a.Headers["WWW-Authenticate"], want) {
			t.Fatalf("jwt mode, /mcp without a token: HTTP %d %v %s, want 401 with %s", a.StatusCode, a.Headers, a.Body, want)
		}
	})

	t.Run("an ungranted call is refused", func(t *testing.T) {
		key := "AKIDREHEARSALACTION"
		actionDB := dynamodb.New(dynamodb.Options{Region: rehearsalRegion, BaseEndpoint: aws.String(ddb.URL), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(key, secrets[key], "")})
		_, err := actionDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(fns["action"].env[dynamo.EnvTableApprovals]),
			Key: map[string]ddbtypes.AttributeValue{keys[fns["action"].env[dynamo.EnvTableApprovals]]: &ddbtypes.AttributeValueMemberS{Value: "apr_x"}}})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
			t.Fatalf("DeleteItem on approvals with the action function's key: %v, want AccessDeniedException", err)
		}
	})

	// Finding: every kill answered 503 because the killswitch role could not write its replay
	// claim. With the claims grant taken out of a copy of its policy, the kill fails again.
	t.Run("a kill without the claims grant fails", func(t *testing.T) {
		claims := "arn:aws:dynamodb:" + rehearsalRegion + ":" + rehearsalAccount + ":table/" + fns["killswitch"].env[dynamo.EnvTableClaims]
		var cut iamPolicy
		for _, st := range fns["killswitch"].policy {
			if slices.Contains(st.Resources, claims) && slices.ContainsFunc(st.Actions, func(a string) bool { return wildcard(strings.ToLower(a), "dynamodb:putitem") }) {
				continue
			}
			cut = append(cut, st)
		}
		if len(cut) == len(fns["killswitch"].policy) {
			t.Fatal("the killswitch policy has no PutItem grant on the claims table to take out")
		}
		key := "AKIDREHEARSALKILLNOCLAIMS"
		enroll("killswitch", key, cut)
		invoke, _ := rieStart(t, rie, buildBootstrap(t, "killswitch"), envFor(fns["killswitch"], key))
		before := len(proxy.denials())
		status, body := invoke(gw.event(ada, "POST /v1/kill", "/v1/kill", nil, map[string]string{"scope": "operator", "id": "grace", "reason": "rehearsal without the grant"}))
		var a apiAnswer
		if status != http.StatusOK || json.Unmarshal(body, &a) != nil || a.StatusCode < 500 {
			t.Fatalf("kill without the claims grant: HTTP %d %s, want a 5xx", status, body)
		}
		d := proxy.denials()[before:]
		if len(d) == 0 || d[0].Resource != claims {
			t.Fatalf("denials %+v, want the claims table refused", d)
		}
	})
	t.Logf("rehearsal took %v", time.Since(began).Round(time.Millisecond))
}

// synthTemplate synthesizes the stack with context ctx (placeholder bootstraps: the template
// does not depend on their bytes) and returns its template.
func synthTemplate(t *testing.T, ctx map[string]any) map[string]any {
	t.Helper()
	assets := t.TempDir()
	for _, f := range Catalog {
		if err := os.MkdirAll(filepath.Join(assets, f.Name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(assets, f.Name, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	app := newApp(ctx)
	cfg, err := ConfigFromContext(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) })
	if err != nil {
		t.Fatal(err)
	}
	m := NewMandateStack(app, "Mandate-"+cfg.Stage, &MandateStackProps{Config: cfg, Functions: Catalog, AssetDir: assets})
	raw, _ := json.Marshal(assertions.Template_FromStack(m.Stack, nil).ToJSON())
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
