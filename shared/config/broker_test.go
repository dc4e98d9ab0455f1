package config_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/config"
	"github.com/mandate-dev/mandate/shared/edge"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

func TestBrokerEndpointsFromEnv(t *testing.T) {
	t.Parallel()
	base := map[string]string{config.EnvStore: "bolt:/x"}
	ok := map[string]string{config.EnvStore: "bolt:/x", config.EnvSTSEndpoint: "https://sts.us-east-1.amazonaws.com", config.EnvSecretsManagerEndpoint: "http://127.0.0.1:4566"}
	f, err := config.FromEnv(env(ok))
	if err != nil || f.STSEndpoint != ok[config.EnvSTSEndpoint] || f.SecretsManagerEndpoint != ok[config.EnvSecretsManagerEndpoint] {
		t.Fatalf("FromEnv = %+v, %v", f, err)
	}
	if f, err := config.FromEnv(env(base)); err != nil || f.STSEndpoint != "" {
		t.Fatalf("without overrides: %+v, %v", f, err)
	}
	bad := map[string]string{config.EnvStore: "bolt:/x", config.EnvSTSEndpoint: "sts.amazonaws.com", config.EnvSecretsManagerEndpoint: "https://user:pw@sm.example"}
	_, err = config.FromEnv(env(bad))
	if err == nil || !strings.Contains(err.Error(), config.EnvSTSEndpoint) || !strings.Contains(err.Error(), config.EnvSecretsManagerEndpoint) {
		t.Fatalf("bad endpoints: %v", err)
	}
}

// stsRecorder answers AssumeRole with STS's XML and keeps the forms it was sent.
type stsRecorder struct {
	mu    sync.Mutex
	forms []url.Values
}

func (s *stsRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "AssumeRole" || !strings.Contains(r.Header.Get("Authorization"), "Credential=AKIDFUNCTIONROLE/") {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.forms = append(s.forms, r.PostForm)
	s.mu.Unlock()
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/mandate-orders/%[1]s</Arn><AssumedRoleId>ARO:%[1]s</AssumedRoleId></AssumedRoleUser>
<Credentials><AccessKeyId>ASIAMINTEDBYSTS</AccessKeyId><SecretAccessKey>mintedsecret</SecretAccessKey><SessionToken>FQoGZXIvYXdzEXAMPLE</SessionToken>
<Expiration>%[2]s</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		r.PostForm.Get("RoleSessionName"), time.Now().Add(15*time.Minute).UTC().Format(time.RFC3339))
}

// TestActionFunctionBrokersThroughSTS wires the action function from its environment alone,
// with STS reached through EnvSTSEndpoint, and performs an allowed DynamoDB GetItem: the
// function assumes the target's role with the scoped session policy (signed with the
// function's own credentials) and calls the table with what STS returned. With dynalite
// (MANDATE_TEST_DYNAMODB_ENDPOINT) the item comes back; without it the table's endpoint is a
// closed port, the action fails as a target failure (502), and STS was still asked exactly.
// It is not parallel: the SDK's default chain reads the process environment.
func TestActionFunctionBrokersThroughSTS(t *testing.T) {
	rec := &stsRecorder{}
	stsSrv := httptest.NewServer(rec)
	defer stsSrv.Close()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDFUNCTIONROLE", "AWS_SECRET_ACCESS_KEY": "functionsecret", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"), "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	table := fmt.Sprintf("orders%d", time.Now().UnixNano())
	arn := "arn:aws:dynamodb:us-east-1:123456789012:table/" + table
	endpoint, wantStatus := os.Getenv("MANDATE_TEST_DYNAMODB_ENDPOINT"), http.StatusOK
	if endpoint != "" {
		putOrder(t, endpoint, table)
	} else {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		endpoint, wantStatus = "http://"+l.Addr().String(), http.StatusBadGateway
		l.Close()
	}

	path := filepath.Join(t.TempDir(), "m.db")
	db, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := local.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	targets := fmt.Sprintf("targets:\n  - {name: orders, kind: aws, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/mandate-orders', region: us-east-1, endpoint: '%s', allowed_resources: ['%s']}\n"+
		"  - {name: wh, kind: sql, endpoint: '127.0.0.1:1', database: wh, user: u, secret_ref: 'file:wh.key', allowed_tables: [public.t]}\n", endpoint, arn)
	if err := db.PutDocument(ctx, store.Document{Kind: store.KindTargets, Name: authority.DocumentName, Version: 2, Body: []byte(targets), CreatedBy: "test", CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	e := env(map[string]string{config.EnvStore: "bolt:" + path, config.EnvSTSEndpoint: stsSrv.URL})
	cfg, err := config.FromEnv(e)
	if err != nil {
		t.Fatal(err)
	}
	open := readEvent(t, "../../events/apigw-session-open.json")
	h, closer, err := cfg.Handler(ctx, e, slog.New(slog.DiscardHandler), edge.SessionRoutes)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := h.Handle(ctx, open)
	closer.Close()
	var sess api.Session
	if resp.StatusCode != http.StatusCreated || json.Unmarshal([]byte(resp.Body), &sess) != nil {
		t.Fatalf("open session: %d %s", resp.StatusCode, resp.Body)
	}

	h, closer, err = cfg.Handler(ctx, e, slog.New(slog.DiscardHandler), edge.ActionRoutes, config.WithSQLParser(refuseAll{}))
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	act := readEvent(t, "../../events/apigw-action.json")
	act.PathParameters = map[string]string{"id": sess.SessionID}
	act.RawPath = "/v1/sessions/" + sess.SessionID + "/actions"
	act.RequestContext.HTTP.Path = act.RawPath
	body, _ := json.Marshal(api.ActionRequest{Action: api.Action{Kind: api.KindAWS, Target: "orders", Service: "dynamodb", Operation: "GetItem", Resource: arn,
		Params: map[string]any{"Key": map[string]any{"id": map[string]any{"S": "o-42"}}}}})
	act.Body = string(body)
	resp, _ = h.Handle(ctx, act)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GetItem: %d %s; want %d", resp.StatusCode, resp.Body, wantStatus)
	}
	if wantStatus == http.StatusOK && !strings.Contains(resp.Body, "o-42") {
		t.Fatalf("GetItem body %s", resp.Body)
	}
	if strings.Contains(resp.Body, "mintedsecret") || strings.Contains(resp.Body, "FQoGZXIvYXdzEXAMPLE") {
		t.Fatal("the response leaks the minted credential")
	}
	if len(rec.forms) != 1 {
		t.Fatalf("STS was called %d times", len(rec.forms))
	}
	f := rec.forms[0]
	if f.Get("RoleArn") != "arn:aws:iam::123456789012:role/mandate-orders" || f.Get("DurationSeconds") != "900" ||
		f.Get("SourceIdentity") != "asserted.ada@example.com" || !strings.Contains(f.Get("Policy"), `"Action":["dynamodb:GetItem"],"Resource":["`+arn+`"]`) {
		t.Fatalf("AssumeRole form %v", f)
	}

	// The parser given to the action function decides sql actions: this one refuses all.
	body, _ = json.Marshal(api.ActionRequest{Action: api.Action{Kind: api.KindSQL, Target: "wh", Statement: "SELECT * FROM t"}})
	act.Body = string(body)
	if resp, _ := h.Handle(ctx, act); resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "no SQL parser") {
		t.Fatalf("sql action: %d %s", resp.StatusCode, resp.Body)
	}
}

// refuseAll is a parser of a build without the PostgreSQL parser.
type refuseAll struct{}

func (refuseAll) Parse(string) (sqlparse.Statement, error) {
	return sqlparse.Statement{}, sqlparse.ErrNoParser
}

func readEvent(t *testing.T, path string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// putOrder creates table on dynalite with one order, o-42.
func putOrder(t *testing.T, endpoint, table string) {
	t.Helper()
	ctx := context.Background()
	c := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDADMIN", "adminsecret", "")})
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: &table, BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond }).Wait(ctx, &dynamodb.DescribeTableInput{TableName: &table}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]ddbtypes.AttributeValue{
		"id": &ddbtypes.AttributeValueMemberS{Value: "o-42"}, "total": &ddbtypes.AttributeValueMemberN{Value: "10"}}}); err != nil {
		t.Fatal(err)
	}
}
