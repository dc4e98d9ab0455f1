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

// approvalItem is an approval as stored. ExpiryNanos is the exact expiry the consume
// condition compares with.
type approvalItem struct {
	ID          string    `dynamodbav:"id"`
	SessionID   string    `dynamodbav:"session_id,omitempty"`
	Digest      string    `dynamodbav:"digest,omitempty"`
	Status      string    `dynamodbav:"status"`
	Agent       string    `dynamodbav:"agent,omitempty"`
	Operator    string    `dynamodbav:"operator,omitempty"`
	Action      []byte    `dynamodbav:"action,omitempty"`
	Reasons     []string  `dynamodbav:"reasons,omitempty"`
	DecidedBy   string    `dynamodbav:"decided_by,omitempty"`
	CreatedAt   time.Time `dynamodbav:"created_at"`
	Expiry      time.Time `dynamodbav:"expiry"`
	ExpiryNanos int64     `dynamodbav:"expiry_ns"`
	DecidedAt   time.Time `dynamodbav:"decided_at"`
}

func approvalFromItem(m map[string]types.AttributeValue) (store.Approval, error) {
	var it approvalItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return store.Approval{}, fmt.Errorf("decode approval: %w", err)
	}
	return store.Approval{
		ID: it.ID, SessionID: it.SessionID, Digest: it.Digest, Status: it.Status, Agent: it.Agent, Operator: it.Operator,
		Action: it.Action, Reasons: it.Reasons, DecidedBy: it.DecidedBy, CreatedAt: it.CreatedAt, ExpiresAt: it.Expiry, DecidedAt: it.DecidedAt,
	}, nil
}

func approvalKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrID: avS(id)}
}

// CreateApproval stores a new approval; store.ErrExists if the id is taken.
func (s *Store) CreateApproval(ctx context.Context, a store.Approval) error {
	op := fmt.Sprintf("create approval %q", a.ID)
	if a.ID == "" {
		return fmt.Errorf("dynamo: %s: empty id", op)
	}
	item, err := attributevalue.MarshalMap(approvalItem{
		ID: a.ID, SessionID: a.SessionID, Digest: a.Digest, Status: a.Status, Agent: a.Agent, Operator: a.Operator,
		Action: a.Action, Reasons: a.Reasons, DecidedBy: a.DecidedBy, CreatedAt: a.CreatedAt, Expiry: a.ExpiresAt,
		ExpiryNanos: unixNanos(a.ExpiresAt), DecidedAt: a.DecidedAt,
	})
	if err != nil {
		return fmt.Errorf("dynamo: %s: encode: %w", op, err)
	}
	if err := checkSize("approval "+a.ID, item); err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.tables.Approvals),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#id)"),
		ExpressionAttributeNames: names(AttrID),
	})
	if conditionFailed(err) {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrExists)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

// GetApproval returns the approval; store.ErrNotFound if there is none.
func (s *Store) GetApproval(ctx context.Context, id string) (store.Approval, error) {
	op := fmt.Sprintf("get approval %q", id)
	if id == "" {
		return store.Approval{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	item, err := s.getItem(ctx, s.tables.Approvals, approvalKey(id))
	if err != nil {
		return store.Approval{}, wrap(op, err)
	}
	if item == nil {
		return store.Approval{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	a, err := approvalFromItem(item)
	if err != nil {
		return store.Approval{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	return a, nil
}

// ListApprovals returns approvals with the given status ("" for all), ordered by id.
func (s *Store) ListApprovals(ctx context.Context, status string) ([]store.Approval, error) {
	in := &dynamodb.ScanInput{TableName: aws.String(s.tables.Approvals)}
	if status != "" {
		in.FilterExpression = aws.String("#status = :status")
		in.ExpressionAttributeNames = names("status")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":status": avS(status)}
	}
	var out []store.Approval
	err := s.scan(ctx, in, func(item map[string]types.AttributeValue) error {
		a, err := approvalFromItem(item)
		if err == nil {
			out = append(out, a)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: list approvals %q: %w", status, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DecideApproval moves a pending approval to approved or denied, recording who and when;
// store.ErrConflict if it is not pending, store.ErrNotFound if there is none.
func (s *Store) DecideApproval(ctx context.Context, id, status, by string, at time.Time) error {
	op := fmt.Sprintf("decide approval %q", id)
	if status != store.ApprovalApproved && status != store.ApprovalDenied {
		return fmt.Errorf("dynamo: %s: invalid decision %q", op, status)
	}
	if id == "" {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	atValue, err := attributevalue.Marshal(at)
	if err != nil {
		return fmt.Errorf("dynamo: %s: encode time: %w", op, err)
	}
	update := "SET #status = :status, #decided_at = :at"
	attrNames := names(AttrID, "status", "decided_at")
	values := map[string]types.AttributeValue{":status": avS(status), ":at": atValue, ":pending": avS(store.ApprovalPending)}
	if by != "" {
		update += ", #decided_by = :by"
		attrNames["#decided_by"] = "decided_by"
		values[":by"] = avS(by)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.tables.Approvals),
		Key:                       approvalKey(id),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("attribute_exists(#id) AND #status = :pending"),
		ExpressionAttributeNames:  attrNames,
		ExpressionAttributeValues: values,
	})
	if conditionFailed(err) {
		return s.missingOr(ctx, op, s.tables.Approvals, approvalKey(id), store.ErrConflict)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

// ConsumeApproval moves an approved approval whose digest equals digest and whose expiry is
// after now to consumed, once, in one conditional update; store.ErrConflict otherwise,
// store.ErrNotFound if there is none.
func (s *Store) ConsumeApproval(ctx context.Context, id, digest string, now time.Time) error {
	op := fmt.Sprintf("consume approval %q", id)
	if id == "" {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	if digest == "" {
		// No approval is for an empty digest; DynamoDB conditions cannot compare with "".
		return s.missingOr(ctx, op, s.tables.Approvals, approvalKey(id), store.ErrConflict)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.tables.Approvals),
		Key:                      approvalKey(id),
		UpdateExpression:         aws.String("SET #status = :consumed"),
		ConditionExpression:      aws.String("attribute_exists(#id) AND #status = :approved AND #digest = :digest AND #expiry_ns > :now"),
		ExpressionAttributeNames: names(AttrID, "status", "digest", "expiry_ns"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":consumed": avS(store.ApprovalConsumed),
			":approved": avS(store.ApprovalApproved),
			":digest":   avS(digest),
			":now":      avN(unixNanos(now)),
		},
	})
	if conditionFailed(err) {
		return s.missingOr(ctx, op, s.tables.Approvals, approvalKey(id), store.ErrConflict)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}
