package execute_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/target"
)

func env(t *testing.T, names ...string) []string {
	t.Helper()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = os.Getenv(n)
		if out[i] == "" {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not set (run under .ci/with-services)", n)
			}
			t.Skipf("%s is not set", n)
		}
	}
	return out
}

// fakeSTS answers AssumeRole with STS's XML, handing out the given key pair (the local
// stand-in's), so the executor's requests are signed with what the broker minted.
// versitygw refuses session tokens (InvalidToken), so for it the key pair comes without one.
func fakeSTS(t *testing.T, ak, sk string, token string) *sts.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.PostForm.Get("Action") != "AssumeRole" || r.PostForm.Get("Policy") == "" {
			http.Error(w, "bad request", 400)
			return
		}
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/%[1]s</Arn><AssumedRoleId>ARO:%[1]s</AssumedRoleId></AssumedRoleUser>
<Credentials><AccessKeyId>%[2]s</AccessKeyId><SecretAccessKey>%[3]s</SecretAccessKey><SessionToken>%[5]s</SessionToken>
<Expiration>%[4]s</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			r.PostForm.Get("RoleSessionName"), ak, sk, time.Now().Add(15*time.Minute).UTC().Format(time.RFC3339), token)
	}))
	t.Cleanup(srv.Close)
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBROKER", "brokersecret", "")})
}

func awsTarget(endpoint string, resources ...string) target.Target {
	return target.Target{Name: "store", Kind: api.KindAWS, Account: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/mandate",
		Region: "us-east-1", Endpoint: endpoint, AllowedResources: resources, PolicyWindow: target.Duration(2 * time.Minute),
		Timeout: target.Duration(10 * time.Second), MaxResponseBytes: 1 << 20}
}

// act mints through the broker (STS) and performs the action.
func act(t *testing.T, br *broker.Broker, tg target.Target, a api.Action) execute.Result {
	t.Helper()
	a.Kind, a.Target = api.KindAWS, tg.Name
	c, err := br.Mint(context.Background(), tg, a, broker.Scope{Session: "ses_t", Record: "abcdef0123456789", Operator: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := execute.NewAWS(nil).Do(context.Background(), tg, c, a)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestS3WithBrokeredCredential(t *testing.T) {
	v := env(t, "MANDATE_TEST_S3_ENDPOINT", "MANDATE_TEST_S3_ACCESS_KEY", "MANDATE_TEST_S3_SECRET_KEY")
	endpoint, ak, sk := v[0], v[1], v[2]
	ctx := context.Background()
	var b [4]byte
	_, _ = rand.Read(b[:])
	bucket := "mandate-exec-" + hex.EncodeToString(b[:])
	admin := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(ak, sk, "")})
	if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	tg := awsTarget(endpoint, "arn:aws:s3:::"+bucket, "arn:aws:s3:::"+bucket+"/*")
	br := broker.New(nil, time.Now)
	br.UseSTS(fakeSTS(t, ak, sk, ""))
	obj := "arn:aws:s3:::" + bucket + "/reports/q1.json"

	if res := act(t, br, tg, api.Action{Service: "s3", Operation: "PutObject", Resource: obj, Params: map[string]any{"Body": `{"total": 42}`, "ContentType": "application/json"}}); res.Status != 200 {
		t.Fatalf("PutObject: %d %s", res.Status, res.Body)
	}
	if res := act(t, br, tg, api.Action{Service: "s3", Operation: "GetObject", Resource: obj}); res.Status != 200 || string(res.Body) != `{"total": 42}` {
		t.Fatalf("GetObject: %d %s", res.Status, res.Body)
	}
	// An object stored with a Content-Encoding comes with it, for the masker to judge.
	if _, err := admin.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("assets/app.js"), Body: strings.NewReader("\x1b\x04\x00"),
		ContentEncoding: aws.String("br")}); err != nil {
		t.Fatal(err)
	}
	if res := act(t, br, tg, api.Action{Service: "s3", Operation: "GetObject", Resource: "arn:aws:s3:::" + bucket + "/assets/app.js"}); res.ContentEncoding != "br" {
		t.Fatalf("GetObject of a br object: %+v", res)
	}
	if _, err := admin.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("assets/app.js")}); err != nil {
		t.Fatal(err)
	}
	res := act(t, br, tg, api.Action{Service: "s3", Operation: "ListObjectsV2", Resource: "arn:aws:s3:::" + bucket, Params: map[string]any{"Prefix": "reports/"}})
	var list struct {
		Keys []struct{ Key string } `json:"keys"`
	}
	if err := json.Unmarshal(res.Body, &list); err != nil || len(list.Keys) != 1 || list.Keys[0].Key != "reports/q1.json" {
		t.Fatalf("ListObjectsV2: %d %s", res.Status, res.Body)
	}
	if res := act(t, br, tg, api.Action{Service: "s3", Operation: "DeleteObject", Resource: obj}); res.Status != 200 {
		t.Fatalf("DeleteObject: %d %s", res.Status, res.Body)
	}
	if res := act(t, br, tg, api.Action{Service: "s3", Operation: "GetObject", Resource: obj}); res.Status != 404 || !strings.Contains(string(res.Body), "NoSuchKey") {
		t.Fatalf("GetObject after delete: %d %s", res.Status, res.Body)
	}

	// The executor signs with what the broker minted, nothing else: a wrong minted secret is
	// refused by the server.
	bad := broker.New(nil, time.Now)
	bad.UseSTS(fakeSTS(t, ak, sk+"x", ""))
	if res := act(t, bad, tg, api.Action{Service: "s3", Operation: "GetObject", Resource: obj}); res.Status != 403 {
		t.Fatalf("GetObject with a wrong minted secret: %d %s", res.Status, res.Body)
	}
}

func TestDynamoDBWithBrokeredCredential(t *testing.T) {
	endpoint := env(t, "MANDATE_TEST_DYNAMODB_ENDPOINT")[0]
	ctx := context.Background()
	var b [4]byte
	_, _ = rand.Read(b[:])
	table := "orders-" + hex.EncodeToString(b[:])
	admin := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDADMIN", "adminsecret", "")})
	_, err := admin.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: &table, BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("customer"), AttributeType: ddbtypes.ScalarAttributeTypeS}, {AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("customer"), KeyType: ddbtypes.KeyTypeHash}, {AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeRange}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamodb.NewTableExistsWaiter(admin, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond }).Wait(ctx, &dynamodb.DescribeTableInput{TableName: &table}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:dynamodb:us-east-1:123456789012:table/" + table
	tg := awsTarget(endpoint, arn)
	br := broker.New(nil, time.Now)
	br.UseSTS(fakeSTS(t, "ASIAMINTED", "mintedsecret", "FQoGZXIvYXdzEXAMPLE"))
	key := map[string]any{"customer": map[string]any{"S": "42"}, "id": map[string]any{"S": "o1"}}
	steps := []struct {
		op     string
		params map[string]any
		want   string
	}{
		{"PutItem", map[string]any{"Item": map[string]any{"customer": map[string]any{"S": "42"}, "id": map[string]any{"S": "o1"}, "total": map[string]any{"N": "10"}}}, `{}`},
		{"GetItem", map[string]any{"Key": key}, `"total":{"N":"10"}`},
		{"UpdateItem", map[string]any{"Key": key, "UpdateExpression": "SET #t = :t", "ExpressionAttributeNames": map[string]any{"#t": "total"}, "ExpressionAttributeValues": map[string]any{":t": map[string]any{"N": "12"}}}, `{}`},
		{"Query", map[string]any{"KeyConditionExpression": "customer = :c", "ExpressionAttributeValues": map[string]any{":c": map[string]any{"S": "42"}}}, `"Count":1`},
		{"DeleteItem", map[string]any{"Key": key}, `{}`},
		{"GetItem", map[string]any{"Key": key}, `{}`},
	}
	for _, s := range steps {
		res := act(t, br, tg, api.Action{Service: "dynamodb", Operation: s.op, Resource: arn, Params: s.params})
		if res.Status != 200 || !strings.Contains(string(res.Body), s.want) {
			t.Fatalf("%s: %d %s", s.op, res.Status, res.Body)
		}
	}
	// The generic JSON-protocol path: operations outside the explicit table, parameters as
	// given, signed with the minted credential.
	generic := []struct {
		op     string
		params map[string]any
		want   string
	}{
		{"PutItem", map[string]any{"Item": map[string]any{"customer": map[string]any{"S": "7"}, "id": map[string]any{"S": "o2"}}}, `{}`},
		{"Scan", map[string]any{"TableName": table}, `"Count":1`},
		{"DescribeTable", map[string]any{"TableName": table}, `"TableName":"` + table + `"`},
		{"DescribeTable", map[string]any{"TableName": table + "-missing"}, `ResourceNotFoundException`},
	}
	for _, s := range generic {
		res := act(t, br, tg, api.Action{Service: "dynamodb", Operation: s.op, Resource: arn, Params: s.params})
		if !strings.Contains(string(res.Body), s.want) {
			t.Fatalf("generic %s: %d %s", s.op, res.Status, res.Body)
		}
	}
	// TableName comes from the resource, never from the parameters.
	c, _ := br.Mint(ctx, tg, api.Action{Kind: api.KindAWS, Service: "dynamodb", Operation: "GetItem", Resource: arn}, broker.Scope{Session: "s"})
	if _, err := execute.NewAWS(nil).Do(ctx, tg, c, api.Action{Kind: api.KindAWS, Service: "dynamodb", Operation: "GetItem", Resource: arn, Params: map[string]any{"TableName": "users", "Key": key}}); err == nil {
		t.Fatal("a TableName parameter was accepted")
	}
	if h, m := br.ReuseStats(); h == 0 || m == 0 {
		t.Fatalf("reuse stats hits %d misses %d: identical scopes should reuse", h, m)
	}
}

// TestGenericJSONProtocolRequest checks the exact request the generic path sends for a
// JSON-protocol service other than DynamoDB: endpoint, X-Amz-Target, Content-Type, the body
// as given, and a SigV4 signature by the minted key for the service's signing name.
func TestGenericJSONProtocolRequest(t *testing.T) {
	t.Parallel()
	type seen struct {
		target, contentType, auth, token, body string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := make([]byte, 1024)
		n, _ := r.Body.Read(raw)
		got <- seen{r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"), r.Header.Get("Authorization"), r.Header.Get("X-Amz-Security-Token"), string(raw[:n])}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		fmt.Fprint(w, `{"MessageId":"m-1","MD5OfMessageBody":"x"}`)
	}))
	defer srv.Close()
	queue := "arn:aws:sqs:us-east-1:123456789012:jobs"
	tg := awsTarget(srv.URL, queue)
	br := broker.New(nil, time.Now)
	br.UseSTS(fakeSTS(t, "ASIAMINTEDSQS", "mintedsecret", "FQoGZXIvYXdzEXAMPLE"))
	res := act(t, br, tg, api.Action{Service: "sqs", Operation: "SendMessage", Resource: queue,
		Params: map[string]any{"QueueUrl": srv.URL + "/123456789012/jobs", "MessageBody": "hello"}})
	if res.Status != 200 || !strings.Contains(string(res.Body), "m-1") {
		t.Fatalf("SendMessage: %d %s", res.Status, res.Body)
	}
	s := <-got
	if s.target != "AmazonSQS.SendMessage" || s.contentType != "application/x-amz-json-1.0" || s.token != "FQoGZXIvYXdzEXAMPLE" {
		t.Fatalf("request headers: %+v", s)
	}
	if !strings.HasPrefix(s.auth, "AWS4-HMAC-SHA256 Credential=ASIAMINTEDSQS/") || !strings.Contains(s.auth, "/us-east-1/sqs/aws4_request") {
		t.Fatalf("Authorization %q is not a SigV4 signature by the minted key for sqs", s.auth)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(s.body), &body); err != nil || body["MessageBody"] != "hello" {
		t.Fatalf("body %q", s.body)
	}
	// Kinesis speaks JSON 1.1 under its own target prefix.
	stream := "arn:aws:kinesis:us-east-1:123456789012:stream/clicks"
	tg = awsTarget(srv.URL, stream)
	act(t, br, tg, api.Action{Service: "kinesis", Operation: "PutRecord", Resource: stream, Params: map[string]any{"StreamARN": stream, "Data": "aGk=", "PartitionKey": "p"}})
	if s := <-got; s.target != "Kinesis_20131202.PutRecord" || s.contentType != "application/x-amz-json-1.1" || !strings.Contains(s.auth, "/us-east-1/kinesis/aws4_request") {
		t.Fatalf("kinesis request: %+v", s)
	}
}

// TestUseEndpointReachesTheStandIn: with UseEndpoint, a target that names no endpoint of its
// own is reached at the stand-in (DynamoDB, the generic JSON path and S3 alike); a target
// with its own endpoint keeps it.
func TestUseEndpointReachesTheStandIn(t *testing.T) {
	t.Parallel()
	hits := func() (*httptest.Server, *[]string) {
		var got []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = append(got, r.Header.Get("X-Amz-Target")+" "+r.URL.Path)
			fmt.Fprint(w, `{}`)
		}))
		t.Cleanup(srv.Close)
		return srv, &got
	}
	standIn, atStandIn := hits()
	own, atOwn := hits()
	br := broker.New(nil, time.Now)
	br.UseSTS(fakeSTS(t, "ASIAMINTED", "mintedsecret", "FQoGZXIvYXdzEXAMPLE"))
	x := execute.NewAWS(nil)
	x.UseEndpoint(standIn.URL)
	run := func(tg target.Target, a api.Action) {
		t.Helper()
		a.Kind, a.Target = api.KindAWS, tg.Name
		c, err := br.Mint(context.Background(), tg, a, broker.Scope{Session: "ses_e", Record: "abcdef0123456789", Operator: "ada@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.Do(context.Background(), tg, c, a); err != nil {
			t.Fatal(err)
		}
	}
	table := "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
	get := api.Action{Service: "dynamodb", Operation: "GetItem", Resource: table, Params: map[string]any{"Key": map[string]any{"id": map[string]any{"S": "o-42"}}}}
	run(awsTarget("", table, "arn:aws:s3:::reports/*"), get)
	run(awsTarget("", table), api.Action{Service: "dynamodb", Operation: "DescribeTable", Resource: table, Params: map[string]any{"TableName": "orders"}})
	run(awsTarget("", "arn:aws:s3:::reports/*"), api.Action{Service: "s3", Operation: "DeleteObject", Resource: "arn:aws:s3:::reports/q1.csv"})
	run(awsTarget(own.URL, table), get)
	want := []string{"DynamoDB_20120810.GetItem /", "DynamoDB_20120810.DescribeTable /", " /reports/q1.csv"}
	if !slices.Equal(*atStandIn, want) || !slices.Equal(*atOwn, []string{"DynamoDB_20120810.GetItem /"}) {
		t.Fatalf("stand-in saw %q, the target's own endpoint %q", *atStandIn, *atOwn)
	}
}
