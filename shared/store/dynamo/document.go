package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mandate-dev/mandate/shared/store"
)

// MaxClaimAttempts bounds how often ClaimKey retries when the claim that refused it expires
// or disappears before it can be read.
const MaxClaimAttempts = 4

// documentItem is one document version as stored.
type documentItem struct {
	Name      string    `dynamodbav:"name"`
	Version   int64     `dynamodbav:"version"`
	Kind      string    `dynamodbav:"kind"`
	Body      []byte    `dynamodbav:"body,omitempty"`
	CreatedBy string    `dynamodbav:"created_by,omitempty"`
	CreatedAt time.Time `dynamodbav:"created_at"`
}

func (s *Store) documentTable(kind string) (string, error) {
	switch kind {
	case store.KindPolicies:
		return s.tables.Policies, nil
	case store.KindIntents:
		return s.tables.Intents, nil
	case store.KindTargets:
		return s.tables.Targets, nil
	}
	return "", fmt.Errorf("unknown document kind %q", kind)
}

func documentFromItem(m map[string]types.AttributeValue) (store.Document, error) {
	var it documentItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return store.Document{}, fmt.Errorf("decode document: %w", err)
	}
	return store.Document{Kind: it.Kind, Name: it.Name, Version: it.Version, Body: it.Body, CreatedBy: it.CreatedBy, CreatedAt: it.CreatedAt}, nil
}

// PutDocument stores a new version; store.ErrExists if that version is taken.
func (s *Store) PutDocument(ctx context.Context, d store.Document) error {
	op := fmt.Sprintf("put document %s %q v%d", d.Kind, d.Name, d.Version)
	table, err := s.documentTable(d.Kind)
	if err != nil {
		return fmt.Errorf("dynamo: %s: %w", op, err)
	}
	if d.Name == "" || d.Version < 1 {
		return fmt.Errorf("dynamo: %s: name must be set and version at least 1", op)
	}
	item, err := attributevalue.MarshalMap(documentItem{Name: d.Name, Version: d.Version, Kind: d.Kind, Body: d.Body, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt})
	if err != nil {
		return fmt.Errorf("dynamo: %s: encode: %w", op, err)
	}
	if err := checkSize(fmt.Sprintf("document %s %q v%d", d.Kind, d.Name, d.Version), item); err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#version)"),
		ExpressionAttributeNames: names(AttrVersion),
	})
	if conditionFailed(err) {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrExists)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

// GetDocument returns one version; store.ErrNotFound if there is none.
func (s *Store) GetDocument(ctx context.Context, kind, name string, version int64) (store.Document, error) {
	op := fmt.Sprintf("get document %s %q v%d", kind, name, version)
	table, err := s.documentTable(kind)
	if err != nil {
		return store.Document{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	if name == "" {
		return store.Document{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	item, err := s.getItem(ctx, table, map[string]types.AttributeValue{AttrName: avS(name), AttrVersion: avN(version)})
	if err != nil {
		return store.Document{}, wrap(op, err)
	}
	if item == nil {
		return store.Document{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	d, err := documentFromItem(item)
	if err != nil {
		return store.Document{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	return d, nil
}

// LatestDocument returns the highest version; store.ErrNotFound if there is none.
func (s *Store) LatestDocument(ctx context.Context, kind, name string) (store.Document, error) {
	op := fmt.Sprintf("latest document %s %q", kind, name)
	table, err := s.documentTable(kind)
	if err != nil {
		return store.Document{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	if name == "" {
		return store.Document{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	item, err := s.lastItem(ctx, table, AttrName, name)
	if err != nil {
		return store.Document{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	if item == nil {
		return store.Document{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	d, err := documentFromItem(item)
	if err != nil {
		return store.Document{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	return d, nil
}

// lastItem returns the item with the highest sort key under one partition key, or nil.
func (s *Store) lastItem(ctx context.Context, table, partitionAttr, partition string) (map[string]types.AttributeValue, error) {
	var last map[string]types.AttributeValue
	err := s.query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(table),
		KeyConditionExpression:    aws.String("#p = :p"),
		ExpressionAttributeNames:  map[string]string{"#p": partitionAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS(partition)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(1),
	}, func(item map[string]types.AttributeValue) (bool, error) {
		last = item
		return false, nil
	})
	return last, err
}

// claimItem is an idempotency claim as stored. ExpiryNanos is the exact expiry the claim
// condition compares with; ExpiresAt is the epoch seconds TTL reads.
type claimItem struct {
	Key         string    `dynamodbav:"key"`
	Digest      string    `dynamodbav:"digest,omitempty"`
	Result      []byte    `dynamodbav:"result,omitempty"`
	Expiry      time.Time `dynamodbav:"expiry"`
	ExpiryNanos int64     `dynamodbav:"expiry_ns"`
	ExpiresAt   int64     `dynamodbav:"expires_at"`
}

// HeldClaim returns the unexpired claim under key (a consistent read); store.ErrNotFound
// otherwise.
func (s *Store) HeldClaim(ctx context.Context, key string) (store.Claim, error) {
	op := fmt.Sprintf("claim %q", key)
	held, err := s.getItem(ctx, s.tables.Claims, map[string]types.AttributeValue{AttrClaimKey: avS(key)})
	if err != nil {
		return store.Claim{}, wrap(op, err)
	}
	if held == nil {
		return store.Claim{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	var it claimItem
	if err := attributevalue.UnmarshalMap(held, &it); err != nil {
		return store.Claim{}, fmt.Errorf("dynamo: %s: decode: %w", op, err)
	}
	if !it.Expiry.After(s.now()) {
		return store.Claim{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	return store.Claim{Key: it.Key, Digest: it.Digest, Result: it.Result, ExpiresAt: it.Expiry}, nil
}

// claimPut is the write that takes claim c: a put conditioned on the key being absent or its
// claim expired by now.
func (s *Store) claimPut(c store.Claim) (*types.Put, error) {
	item, err := attributevalue.MarshalMap(claimItem{Key: c.Key, Digest: c.Digest, Result: c.Result, Expiry: c.ExpiresAt, ExpiryNanos: unixNanos(c.ExpiresAt), ExpiresAt: ttlSeconds(c.ExpiresAt)})
	if err != nil {
		return nil, fmt.Errorf("encode claim: %w", err)
	}
	if err := checkSize("claim", item); err != nil {
		return nil, err
	}
	return &types.Put{
		TableName:                 aws.String(s.tables.Claims),
		Item:                      item,
		ConditionExpression:       aws.String("attribute_not_exists(#key) OR #expiry_ns <= :now"),
		ExpressionAttributeNames:  names(AttrClaimKey, "expiry_ns"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": avN(unixNanos(s.now()))},
	}, nil
}

// ClaimKey takes c.Key once, with a write conditioned on the key being absent or its claim
// expired. If the key is held and unexpired it returns the existing claim and
// store.ErrExists.
func (s *Store) ClaimKey(ctx context.Context, c store.Claim) (store.Claim, error) {
	op := fmt.Sprintf("claim %q", c.Key)
	if c.Key == "" {
		return store.Claim{}, fmt.Errorf("dynamo: %s: empty key", op)
	}
	key := map[string]types.AttributeValue{AttrClaimKey: avS(c.Key)}
	for range MaxClaimAttempts {
		put, err := s.claimPut(c)
		if err != nil {
			return store.Claim{}, fmt.Errorf("dynamo: %s: %w", op, err)
		}
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
		})
		if err == nil {
			return c, nil
		}
		if !conditionFailed(err) {
			return store.Claim{}, wrap(op, err)
		}
		held, err := s.getItem(ctx, s.tables.Claims, key)
		if err != nil {
			return store.Claim{}, wrap(op+": read the holding claim", err)
		}
		if held == nil {
			continue // released between the write and the read
		}
		var it claimItem
		if err := attributevalue.UnmarshalMap(held, &it); err != nil {
			return store.Claim{}, fmt.Errorf("dynamo: %s: decode: %w", op, err)
		}
		if !it.Expiry.After(s.now()) {
			continue // expired between the write and the read
		}
		return store.Claim{Key: it.Key, Digest: it.Digest, Result: it.Result, ExpiresAt: it.Expiry}, fmt.Errorf("dynamo: %s: %w", op, store.ErrExists)
	}
	return store.Claim{}, fmt.Errorf("dynamo: %s: %w", op, errors.Join(store.ErrUnavailable, errors.New("claim kept changing")))
}
