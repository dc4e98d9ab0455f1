package dynamo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mandate-dev/mandate/shared/store"
)

// MaxBatchGetKeys is the most keys one BatchGetItem request may carry.
const MaxBatchGetKeys = 100

// MaxUnprocessedRounds bounds how often batchGet re-requests keys that DynamoDB left
// unprocessed (a partial throttle) before it reports store.ErrUnavailable.
const MaxUnprocessedRounds = 5

// controlItem is a kill switch as stored.
type controlItem struct {
	PK        string    `dynamodbav:"pk"`
	Scope     string    `dynamodbav:"scope"`
	ID        string    `dynamodbav:"id"`
	Reason    string    `dynamodbav:"reason,omitempty"`
	By        string    `dynamodbav:"by,omitempty"`
	CreatedAt time.Time `dynamodbav:"created_at"`
}

func controlPK(scope, id string) string { return scope + "#" + id }

func validScope(scope string) bool {
	switch scope {
	case store.ScopeGlobal, store.ScopeAgent, store.ScopeOperator, store.ScopeSession:
		return true
	}
	return false
}

func controlFromItem(m map[string]types.AttributeValue) (store.Control, error) {
	var it controlItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return store.Control{}, fmt.Errorf("decode control: %w", err)
	}
	return store.Control{Scope: it.Scope, ID: it.ID, Reason: it.Reason, By: it.By, CreatedAt: it.CreatedAt}, nil
}

// PutControl creates or replaces a kill switch.
func (s *Store) PutControl(ctx context.Context, c store.Control) error {
	op := fmt.Sprintf("put control %q#%q", c.Scope, c.ID)
	if !validScope(c.Scope) || c.ID == "" {
		return fmt.Errorf("dynamo: %s: invalid key", op)
	}
	item, err := attributevalue.MarshalMap(controlItem{PK: controlPK(c.Scope, c.ID), Scope: c.Scope, ID: c.ID, Reason: c.Reason, By: c.By, CreatedAt: c.CreatedAt})
	if err != nil {
		return fmt.Errorf("dynamo: %s: encode: %w", op, err)
	}
	if err := checkSize("control", item); err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.tables.Controls), Item: item}); err != nil {
		return wrap(op, err)
	}
	return nil
}

// DeleteControl lifts a kill switch; store.ErrNotFound if none was set.
func (s *Store) DeleteControl(ctx context.Context, scope, id string) error {
	op := fmt.Sprintf("delete control %q#%q", scope, id)
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                aws.String(s.tables.Controls),
		Key:                      map[string]types.AttributeValue{AttrControlKey: avS(controlPK(scope, id))},
		ConditionExpression:      aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: names(AttrControlKey),
	})
	if conditionFailed(err) {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

// FindControls returns those of keys that are set, each once, in the order of keys, read
// with strongly consistent BatchGetItem requests.
func (s *Store) FindControls(ctx context.Context, keys []store.ControlKey) ([]store.Control, error) {
	var order []string
	seen := map[string]bool{}
	for _, k := range keys {
		pk := controlPK(k.Scope, k.ID)
		if !seen[pk] {
			seen[pk] = true
			order = append(order, pk)
		}
	}
	items, err := s.batchGet(ctx, "find controls", s.tables.Controls, AttrControlKey, order)
	if err != nil {
		return nil, err
	}
	var result []store.Control
	for _, pk := range order {
		if item, ok := items[pk]; ok {
			c, err := controlFromItem(item)
			if err != nil {
				return nil, fmt.Errorf("dynamo: find controls: %w", err)
			}
			result = append(result, c)
		}
	}
	return result, nil
}

// batchGet reads the items of table whose string partition key keyAttr is one of pks, with
// strongly consistent BatchGetItem requests, re-requesting what DynamoDB leaves unprocessed
// (MaxUnprocessedRounds at most). It returns the items found by key; absent ones are missing.
func (s *Store) batchGet(ctx context.Context, op, table, keyAttr string, pks []string) (map[string]map[string]types.AttributeValue, error) {
	found := map[string]map[string]types.AttributeValue{}
	for start := 0; start < len(pks); start += MaxBatchGetKeys {
		batch := pks[start:min(start+MaxBatchGetKeys, len(pks))]
		req := make([]map[string]types.AttributeValue, len(batch))
		for i, pk := range batch {
			req[i] = map[string]types.AttributeValue{keyAttr: avS(pk)}
		}
		pending := map[string]types.KeysAndAttributes{table: {Keys: req, ConsistentRead: aws.Bool(true)}}
		for round := 0; len(pending) > 0; round++ {
			if round == MaxUnprocessedRounds {
				return nil, fmt.Errorf("dynamo: %s: keys still unprocessed after %d rounds: %w", op, round, store.ErrUnavailable)
			}
			if round > 0 {
				select {
				case <-ctx.Done():
					return nil, wrap(op, ctx.Err())
				case <-time.After(time.Duration(25<<round) * time.Millisecond):
				}
			}
			out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, wrap(op, err)
			}
			for _, item := range out.Responses[table] {
				if k, ok := item[keyAttr].(*types.AttributeValueMemberS); ok {
					found[k.Value] = item
				}
			}
			pending = out.UnprocessedKeys
		}
	}
	return found, nil
}

// ListControls returns every set kill switch, ordered by scope and id.
func (s *Store) ListControls(ctx context.Context) ([]store.Control, error) {
	var out []store.Control
	err := s.scan(ctx, &dynamodb.ScanInput{TableName: aws.String(s.tables.Controls)}, func(item map[string]types.AttributeValue) error {
		c, err := controlFromItem(item)
		if err == nil {
			out = append(out, c)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: list controls: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Scope != out[j].Scope {
			return out[i].Scope < out[j].Scope
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// scan runs a strongly consistent Scan over every page, handing each item to f. The error
// is already marked unavailable where that applies.
func (s *Store) scan(ctx context.Context, in *dynamodb.ScanInput, f func(map[string]types.AttributeValue) error) error {
	in.ConsistentRead = aws.Bool(true)
	for {
		out, err := s.db.Scan(ctx, in)
		if err != nil {
			return wrap("scan "+aws.ToString(in.TableName), err)
		}
		for _, item := range out.Items {
			if err := f(item); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// query runs a strongly consistent Query over pages until f returns false or the pages end.
func (s *Store) query(ctx context.Context, in *dynamodb.QueryInput, f func(map[string]types.AttributeValue) (bool, error)) error {
	in.ConsistentRead = aws.Bool(true)
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return wrap("query "+aws.ToString(in.TableName), err)
		}
		for _, item := range out.Items {
			more, err := f(item)
			if err != nil || !more {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
