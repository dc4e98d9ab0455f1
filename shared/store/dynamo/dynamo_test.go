package dynamo_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	minidyn "github.com/truora/minidyn/aws-v2/client"

	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
	"github.com/mandate-dev/mandate/shared/store/storetest"
)

// EnvTestEndpoint names the DynamoDB-compatible server the integration tests use, such as
// dynalite on http://127.0.0.1:8000. Without it the tests skip, except under CI=true, where
// a missing server is a failure.
const EnvTestEndpoint = "MANDATE_TEST_DYNAMODB_ENDPOINT"

// testEndpoint returns the test server's endpoint, or skips (fails in CI) without one.
func testEndpoint(tb testing.TB) string {
	tb.Helper()
	ep := os.Getenv(EnvTestEndpoint)
	if ep == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set: CI must start a DynamoDB-compatible server (dynalite) and set it", EnvTestEndpoint)
		}
		tb.Skipf("%s is not set; start dynalite and set it to run the DynamoDB tests", EnvTestEndpoint)
	}
	return ep
}

// testClient returns a client for endpoint with static test credentials.
func testClient(tb testing.TB, endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	tb.Helper()
	opts := append([]func(*dynamodb.Options){func(o *dynamodb.Options) {
		o.Region = "us-east-1"
		o.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "")
	}}, optFns...)
	c, err := dynamo.NewClient(context.Background(), endpoint, opts...)
	if err != nil {
		tb.Fatalf("NewClient: %v", err)
	}
	return c
}

// openTestStore creates a fresh set of tables with a random prefix on the test server and
// deletes them when the test ends.
func openTestStore(tb testing.TB) *dynamo.Store {
	tb.Helper()
	return openStoreAt(tb, testEndpoint(tb))
}

// openStoreAt creates a fresh set of tables with a random prefix on the server at endpoint
// and deletes them when the test ends.
func openStoreAt(tb testing.TB, endpoint string) *dynamo.Store {
	tb.Helper()
	return dynamo.New(testClient(tb, endpoint), testTables(tb, endpoint))
}

// testTables creates a fresh set of tables with a random prefix on the server at endpoint
// and deletes them when the test ends.
func testTables(tb testing.TB, endpoint string) dynamo.Tables {
	tb.Helper()
	c := testClient(tb, endpoint)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	tables := dynamo.NamedTables("test-" + hex.EncodeToString(b[:]))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamo.CreateTables(ctx, c, tables); err != nil {
		tb.Fatalf("CreateTables: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := dynamo.DeleteTables(ctx, c, tables); err != nil {
			tb.Errorf("DeleteTables: %v", err)
		}
	})
	return tables
}

// TestConformance runs the suite against dynalite, which has no TransactWriteItems: the
// decision commits run against minidyn (TestConformanceMinidyn).
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) }, storetest.WithoutTransactions())
}

// TestCreateTablesTwice shows CreateTables leaves existing tables as they are, so local mode
// can call it on every start.
func TestCreateTablesTwice(t *testing.T) {
	t.Parallel()
	c := testClient(t, testEndpoint(t))
	tables := dynamo.NamedTables("test-twice-" + time.Now().Format("150405.000000000"))
	ctx := t.Context()
	for i := range 2 {
		if err := dynamo.CreateTables(ctx, c, tables); err != nil {
			t.Fatalf("CreateTables #%d: %v", i+1, err)
		}
	}
	if err := dynamo.DeleteTables(ctx, c, tables); err != nil {
		t.Fatalf("DeleteTables: %v", err)
	}
	out, err := c.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("ListTables: %v", err)
	}
	for _, name := range out.TableNames {
		if name == tables.Audit {
			t.Errorf("table %s still exists after DeleteTables", name)
		}
	}
}

// BenchmarkAppend measures chain appends (LastRecord then a conditional PutItem) against the
// test server.
func BenchmarkAppend(b *testing.B) {
	s := openTestStore(b)
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel-sessions"
		}
		b.Run(name, func(b *testing.B) { storetest.BenchAppend(b, s, parallel) })
	}
}

// BenchmarkGetSession measures strongly consistent session reads against the test server.
func BenchmarkGetSession(b *testing.B) {
	s := openTestStore(b)
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) { storetest.BenchGetSession(b, s, parallel) })
	}
}

// TestConformanceMinidyn runs the decision commits (store.Decisions, one TransactWriteItems)
// against minidyn, an in-process DynamoDB whose every call is atomic, as DynamoDB's are. The
// rest of the suite runs against dynalite (TestConformance): minidyn scans a table for every
// query, too slowly for the suite's chains.
func TestConformanceMinidyn(t *testing.T) {
	t.Parallel()
	c := activeTables{minidyn.NewClient()}
	tables := dynamo.NamedTables("test-minidyn")
	if err := dynamo.CreateTables(t.Context(), c, tables); err != nil {
		t.Fatalf("CreateTables: %v", err)
	}
	storetest.Run(t, func(t *testing.T) store.Store { return dynamo.New(c, tables) }, storetest.OnlyTransactions())
}

// activeTables reports minidyn's tables ACTIVE, as DynamoDB does once they are created
// (minidyn leaves the status empty, which CreateTables' waiter would wait on forever).
type activeTables struct{ *minidyn.Client }

func (c activeTables) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	out, err := c.Client.DescribeTable(ctx, in, opts...)
	if err == nil && out.Table != nil && out.Table.TableStatus == "" {
		out.Table.TableStatus = types.TableStatusActive
	}
	return out, err
}
