package dynamo

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mandate-dev/mandate/shared/store"
)

// recordItem is an audit record as stored. The audit table is append-only: the stack grants
// the functions PutItem on it, never UpdateItem or DeleteItem.
type recordItem struct {
	SessionID string `dynamodbav:"session_id"`
	Seq       uint64 `dynamodbav:"seq"`
	Hash      string `dynamodbav:"hash,omitempty"`
	PrevHash  string `dynamodbav:"prev_hash,omitempty"`
	Body      []byte `dynamodbav:"body,omitempty"`
}

func recordFromItem(m map[string]types.AttributeValue) (store.Record, error) {
	var it recordItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return store.Record{}, fmt.Errorf("decode record: %w", err)
	}
	return store.Record(it), nil
}

func sameRecord(a, b store.Record) bool {
	return a.SessionID == b.SessionID && a.Seq == b.Seq && a.Hash == b.Hash && a.PrevHash == b.PrevHash && bytes.Equal(a.Body, b.Body)
}

// recordPut is the write that appends r: a put conditioned on its sequence number being free.
func (s *Store) recordPut(r store.Record) (*types.Put, error) {
	item, err := attributevalue.MarshalMap(recordItem(r))
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	if err := checkSize(fmt.Sprintf("record %s#%d", r.SessionID, r.Seq), item); err != nil {
		return nil, err
	}
	return &types.Put{
		TableName:                aws.String(s.tables.Audit),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#seq)"),
		ExpressionAttributeNames: names(AttrSeq),
	}, nil
}

// AppendRecord stores r with a write conditioned on its sequence number being free;
// store.ErrExists if another record holds it. The identical record again is success.
func (s *Store) AppendRecord(ctx context.Context, r store.Record) error {
	op := fmt.Sprintf("append record %q#%d", r.SessionID, r.Seq)
	if r.SessionID == "" || r.Seq == 0 {
		return fmt.Errorf("dynamo: %s: session must be set and seq at least 1", op)
	}
	put, err := s.recordPut(r)
	if err != nil {
		return fmt.Errorf("dynamo: %s: %w", op, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item,
		ConditionExpression: put.ConditionExpression, ExpressionAttributeNames: put.ExpressionAttributeNames})
	if err == nil {
		return nil
	}
	if !conditionFailed(err) {
		return wrap(op, err)
	}
	// The sequence number is taken: by this very record (a retried append) or another.
	held, err := s.getItem(ctx, s.tables.Audit, map[string]types.AttributeValue{AttrSessionID: avS(r.SessionID), AttrSeq: avU(r.Seq)})
	if err != nil {
		return wrap(op+": read the holding record", err)
	}
	if held != nil {
		if cur, err := recordFromItem(held); err == nil && sameRecord(cur, r) {
			return nil
		}
	}
	return fmt.Errorf("dynamo: %s: %w", op, store.ErrExists)
}

// LastRecord returns the record with the highest sequence; store.ErrNotFound for an empty
// chain.
func (s *Store) LastRecord(ctx context.Context, sessionID string) (store.Record, error) {
	op := fmt.Sprintf("last record %q", sessionID)
	if sessionID == "" {
		return store.Record{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	item, err := s.lastItem(ctx, s.tables.Audit, AttrSessionID, sessionID)
	if err != nil {
		return store.Record{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	if item == nil {
		return store.Record{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	r, err := recordFromItem(item)
	if err != nil {
		return store.Record{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	return r, nil
}

// Records returns up to limit records with Seq >= fromSeq in order (limit <= 0: all).
func (s *Store) Records(ctx context.Context, sessionID string, fromSeq uint64, limit int) ([]store.Record, error) {
	if sessionID == "" {
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Audit),
		KeyConditionExpression:    aws.String("#session_id = :session AND #seq >= :from"),
		ExpressionAttributeNames:  names(AttrSessionID, AttrSeq),
		ExpressionAttributeValues: map[string]types.AttributeValue{":session": avS(sessionID), ":from": avU(fromSeq)},
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit, 1000)))
	}
	var out []store.Record
	err := s.query(ctx, in, func(item map[string]types.AttributeValue) (bool, error) {
		r, err := recordFromItem(item)
		if err != nil {
			return false, err
		}
		out = append(out, r)
		return limit <= 0 || len(out) < limit, nil
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: records %q from %d: %w", sessionID, fromSeq, err)
	}
	return out, nil
}

// Chains returns the ids of every session that has at least one record, sorted. It scans
// the key attributes of the whole audit table, as `mandate verify` reads it all anyway.
func (s *Store) Chains(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	err := s.scan(ctx, &dynamodb.ScanInput{
		TableName:                aws.String(s.tables.Audit),
		ProjectionExpression:     aws.String("#session_id"),
		ExpressionAttributeNames: names(AttrSessionID),
	}, func(item map[string]types.AttributeValue) error {
		v, ok := item[AttrSessionID].(*types.AttributeValueMemberS)
		if !ok {
			return fmt.Errorf("audit item without a string %s", AttrSessionID)
		}
		seen[v.Value] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: chains: %w", err)
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}
