package local_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/local"
)

// TestDynamoDBStoreByConfiguration runs the local authority on DynamoDB (moto: a decision is a
// TransactWriteItems, which dynalite lacks) instead of the embedded store, chosen by
// config.yaml alone.
func TestDynamoDBStoreByConfiguration(t *testing.T) {
	endpoint := os.Getenv("MANDATE_TEST_DYNAMODB_TX_ENDPOINT")
	if endpoint == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MANDATE_TEST_DYNAMODB_TX_ENDPOINT is required in CI")
		}
		t.Skip("set MANDATE_TEST_DYNAMODB_TX_ENDPOINT to run against a DynamoDB-compatible server with transactions (moto_server)")
	}
	t.Parallel()
	dir := t.TempDir()
	cfg, err := local.Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	cfg.Store = local.StoreConfig{Kind: local.StoreDynamoDB, DynamoDB: local.DynamoDBConfig{
		Endpoint: endpoint, TablePrefix: "local-" + hex.EncodeToString(b), CreateTables: true,
	}}
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, local.ConfigFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	inst, err := local.Start(context.Background(), local.Options{Dir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	c := agentClient(inst)
	ctx := context.Background()
	s, err := c.OpenSession(ctx, api.OpenSessionRequest{Operator: local.DefaultOperator, Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Act(ctx, s.SessionID, api.ActionRequest{Action: api.Action{Kind: "http", Target: "customers", Method: "GET", Path: "/customers/42"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, local.StoreFile)); !os.IsNotExist(err) {
		t.Fatalf("the embedded store file was created although DynamoDB was configured: %v", err)
	}
	reps, err := local.Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range reps {
		if r.Session == s.SessionID {
			found = r.Break == nil && len(r.Records) == 3
		}
	}
	if !found {
		t.Fatalf("session %s not verified intact in DynamoDB: %+v", s.SessionID, reps)
	}
}
