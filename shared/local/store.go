package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// Store kinds of config.yaml.
const (
	StoreEmbedded = "embedded"
	StoreDynamoDB = "dynamodb"
)

// StoreConfig selects the store of a local deployment.
type StoreConfig struct {
	// Kind is "embedded" (the default: DATA/mandate.db) or "dynamodb".
	Kind string `yaml:"kind"`
	// DynamoDB configures kind dynamodb.
	DynamoDB DynamoDBConfig `yaml:"dynamodb,omitempty"`
}

// DynamoDBConfig points the local deployment at DynamoDB or a compatible server.
type DynamoDBConfig struct {
	// Endpoint overrides the AWS endpoint (e.g. http://127.0.0.1:8000 for dynalite).
	Endpoint string `yaml:"endpoint,omitempty"`
	// Region of the tables; default us-east-1.
	Region string `yaml:"region,omitempty"`
	// TablePrefix names the tables PREFIX-sessions, PREFIX-audit, ...; default "mandate".
	TablePrefix string `yaml:"table_prefix,omitempty"`
	// CreateTables creates missing tables at start (for a local server).
	CreateTables bool `yaml:"create_tables,omitempty"`
}

// OpenStore opens the store config.yaml selects. readOnly opens the embedded store for
// reading only (verification while nothing writes).
func OpenStore(ctx context.Context, dir string, c Config, readOnly bool) (store.Store, error) {
	switch c.Store.Kind {
	case "", StoreEmbedded:
		path := filepath.Join(dir, StoreFile)
		if readOnly {
			return bolt.OpenReadOnly(path)
		}
		return bolt.Open(path)
	case StoreDynamoDB:
		d := c.Store.DynamoDB
		region, prefix := d.Region, d.TablePrefix
		if region == "" {
			region = DefaultRegion
		}
		if prefix == "" {
			prefix = dynamo.DefaultPrefix
		}
		client, err := dynamo.NewClient(ctx, d.Endpoint, func(o *dynamodb.Options) {
			o.Region = region
			// A local DynamoDB-compatible server needs some credentials to sign with; real
			// AWS endpoints use the default credential chain.
			if d.Endpoint != "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
				o.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
			}
		})
		if err != nil {
			return nil, fmt.Errorf("local: dynamodb: %w", err)
		}
		tables := dynamo.NamedTables(prefix)
		if d.CreateTables {
			if err := dynamo.CreateTables(ctx, client, tables); err != nil {
				return nil, fmt.Errorf("local: create tables: %w", err)
			}
		}
		return dynamo.New(client, tables), nil
	}
	return nil, fmt.Errorf("local: store kind %q is not %q or %q", c.Store.Kind, StoreEmbedded, StoreDynamoDB)
}
