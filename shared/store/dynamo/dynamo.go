package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/mandate-dev/mandate/shared/store"
)

// client is the part of the DynamoDB API the store uses, with the SDK's own signatures so
// *dynamodb.Client fits it as is.
type client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ client = (*dynamodb.Client)(nil)

// Store is store.Store over DynamoDB tables. It is safe for concurrent use.
type Store struct {
	db     client
	tables Tables
	now    func() time.Time // the clock claim expiry is judged by
}

var _ store.Store = (*Store)(nil)

// New returns a Store over the given tables through db (a *dynamodb.Client).
func New(db client, tables Tables) *Store {
	return &Store{db: db, tables: tables, now: time.Now}
}

// Close releases nothing: the DynamoDB client holds no resources that need closing.
func (s *Store) Close() error { return nil }

// unavailable reports whether err means DynamoDB could not answer: throttling or server
// errors that outlasted the retryer, the retry quota running out, a network failure or a
// timeout.
func unavailable(err error) bool {
	var (
		maxAttempts *retry.MaxAttemptsError
		quota       ratelimit.QuotaExceededError
		api         smithy.APIError
		status      interface{ HTTPStatusCode() int }
		conn        interface{ ConnectionError() bool }
		netErr      net.Error
	)
	switch {
	case errors.As(err, &maxAttempts), errors.As(err, &quota):
		return true
	case errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &conn) && conn.ConnectionError():
		return true
	case errors.As(err, &netErr):
		return true
	case errors.As(err, &api):
		if _, ok := retry.DefaultThrottleErrorCodes[api.ErrorCode()]; ok {
			return true
		}
		switch api.ErrorCode() {
		case "InternalServerError", "ServiceUnavailable":
			return true
		}
	}
	return errors.As(err, &status) && status.HTTPStatusCode() >= 500
}

// wrap names the operation and marks err as store.ErrUnavailable when DynamoDB could not
// answer.
func wrap(op string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("dynamo: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("dynamo: %s: %w", op, err)
}

// conditionFailed reports whether a conditional write was refused.
func conditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// Attribute value constructors.

func avS(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func avN(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func avU(v uint64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatUint(v, 10)}
}

// unixNanos returns t in nanoseconds since the epoch, clamped to int64, for expiry
// conditions that must compare exactly.
func unixNanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// ttlSeconds returns t as the epoch seconds DynamoDB TTL reads, never negative.
func ttlSeconds(t time.Time) int64 {
	return max(t.Unix(), 0)
}

// itemSize is the size DynamoDB counts for an item: the UTF-8 length of every attribute
// name plus the size of its value.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

// valueSize follows DynamoDB's item size rules: strings and binaries by length, numbers by
// about one byte per two significant digits plus one, booleans and nulls one byte, lists and
// maps three bytes plus one per element plus their contents.
func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

func numberSize(s string) int {
	digits := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	return (digits+1)/2 + 1
}

// checkSize refuses an item larger than store.MaxItemBytes.
func checkSize(what string, item map[string]types.AttributeValue) error {
	if n := itemSize(item); n > store.MaxItemBytes {
		return fmt.Errorf("dynamo: %s is %d bytes, limit %d: %w", what, n, store.MaxItemBytes, store.ErrTooLarge)
	}
	return nil
}

// names builds ExpressionAttributeNames "#x" -> "x" for the attributes an expression uses,
// so no attribute name ever collides with a reserved word.
func names(attrs ...string) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m["#"+a] = a
	}
	return m
}
