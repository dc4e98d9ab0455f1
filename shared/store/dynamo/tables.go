package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableWait bounds how long CreateTables and DeleteTables wait for one table.
const TableWait = 2 * time.Minute

// tableAdmin is the part of the DynamoDB API that creates and deletes tables.
type tableAdmin interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DeleteTable(ctx context.Context, in *dynamodb.DeleteTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// keySchema is one table's keys: a string partition key and an optional numeric sort key.
type keySchema struct {
	table, partition, sort string
}

func (t Tables) schemas() []keySchema {
	return []keySchema{
		{t.Sessions, AttrID, ""},
		{t.Controls, AttrControlKey, ""},
		{t.Approvals, AttrID, ""},
		{t.Policies, AttrName, AttrVersion},
		{t.Intents, AttrName, AttrVersion},
		{t.Targets, AttrName, AttrVersion},
		{t.Claims, AttrClaimKey, ""},
		{t.Audit, AttrSessionID, AttrSeq},
	}
}

// CreateTables creates every table on demand (PAY_PER_REQUEST) and waits until each is
// active. A table that already exists is left as it is. It is for tests and local use: in
// AWS the stack in infra/ owns the tables, with TTL, encryption, point-in-time recovery and
// the audit stream, which this does not set up.
func CreateTables(ctx context.Context, client tableAdmin, tables Tables) error {
	if err := tables.Validate(); err != nil {
		return err
	}
	for _, s := range tables.schemas() {
		in := &dynamodb.CreateTableInput{
			TableName:   aws.String(s.table),
			BillingMode: types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: aws.String(s.partition), AttributeType: types.ScalarAttributeTypeS},
			},
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(s.partition), KeyType: types.KeyTypeHash},
			},
		}
		if s.sort != "" {
			in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(s.sort), AttributeType: types.ScalarAttributeTypeN})
			in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(s.sort), KeyType: types.KeyTypeRange})
		}
		_, err := client.CreateTable(ctx, in)
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return wrap("create table "+s.table, err)
		}
	}
	for _, name := range tables.names() {
		w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay = 50 * time.Millisecond
			o.MaxDelay = 2 * time.Second
		})
		if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, TableWait); err != nil {
			return wrap("wait for table "+name, err)
		}
	}
	return nil
}

// DeleteTables deletes every table and waits until each is gone. A missing table is not an
// error. It is for tests.
func DeleteTables(ctx context.Context, client tableAdmin, tables Tables) error {
	var errs []error
	for _, name := range tables.names() {
		_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		var missing *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &missing) {
			errs = append(errs, wrap("delete table "+name, err))
			continue
		}
		w := dynamodb.NewTableNotExistsWaiter(client, func(o *dynamodb.TableNotExistsWaiterOptions) {
			o.MinDelay = 50 * time.Millisecond
			o.MaxDelay = 2 * time.Second
		})
		if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, TableWait); err != nil {
			errs = append(errs, fmt.Errorf("dynamo: wait for deletion of %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}
