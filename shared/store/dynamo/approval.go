package dynamo

import (
	"context"
	"crypto/subtle"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mandate-dev/mandate/shared/store"
)

// An approval is up to three items of the approvals table, written by different functions
// and told apart by their partition key alone, the only part of a write IAM can condition on
// (dynamodb:LeadingKeys):
//
//   - the request, under the approval's id (apr_...), put once by the action function;
//   - the decision, under ApprovalDecisionPrefix+id, put once by the approval function, with
//     the digest and expiry it decided on copied from the request;
//   - the use, under ApprovalUsePrefix+id, put once by the action function when it runs the
//     approved action.
//
// Status is read from the decision and the use, never from the request: a function that may
// write requests cannot approve one by writing a status into it.
const (
	ApprovalDecisionPrefix = "decision#"
	ApprovalUsePrefix      = "use#"
)

// approvalItem is a request or a decision as stored. ExpiryNanos is the exact expiry the
// consume check compares with.
type approvalItem struct {
	ID          string    `dynamodbav:"id"`
	SessionID   string    `dynamodbav:"session_id,omitempty"`
	Digest      string    `dynamodbav:"digest,omitempty"`
	Status      string    `dynamodbav:"status,omitempty"`
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

// approvalOf joins a request with its decision and use (either may be nil).
func approvalOf(request, decision, use map[string]types.AttributeValue) (store.Approval, error) {
	var r, d approvalItem
	if err := attributevalue.UnmarshalMap(request, &r); err != nil {
		return store.Approval{}, fmt.Errorf("decode approval: %w", err)
	}
	a := store.Approval{
		ID: r.ID, SessionID: r.SessionID, Digest: r.Digest, Status: store.ApprovalPending, Agent: r.Agent, Operator: r.Operator,
		Action: r.Action, Reasons: r.Reasons, CreatedAt: r.CreatedAt, ExpiresAt: r.Expiry,
	}
	if decision != nil {
		if err := attributevalue.UnmarshalMap(decision, &d); err != nil {
			return store.Approval{}, fmt.Errorf("decode approval decision: %w", err)
		}
		a.Status, a.DecidedBy, a.DecidedAt = d.Status, d.DecidedBy, d.DecidedAt
	}
	if use != nil && a.Status == store.ApprovalApproved {
		a.Status = store.ApprovalConsumed
	}
	return a, nil
}

func approvalKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrID: avS(id)}
}

// requestID reports whether id can name a request: not empty and not in the key space of
// decisions or uses.
func requestID(id string) bool {
	return id != "" && !strings.HasPrefix(id, ApprovalDecisionPrefix) && !strings.HasPrefix(id, ApprovalUsePrefix)
}

// CreateApproval stores a new approval request; store.ErrExists if the id is taken. The
// approval's status is not stored: a new approval is pending until a decision is.
func (s *Store) CreateApproval(ctx context.Context, a store.Approval) error {
	op := fmt.Sprintf("create approval %q", a.ID)
	if !requestID(a.ID) {
		return fmt.Errorf("dynamo: %s: an approval id must be non-empty and not start with %q or %q", op, ApprovalDecisionPrefix, ApprovalUsePrefix)
	}
	if a.Status != store.ApprovalPending && a.Status != "" {
		return fmt.Errorf("dynamo: %s: a new approval is pending, not %q", op, a.Status)
	}
	item, err := attributevalue.MarshalMap(approvalItem{
		ID: a.ID, SessionID: a.SessionID, Digest: a.Digest, Agent: a.Agent, Operator: a.Operator,
		Action: a.Action, Reasons: a.Reasons, CreatedAt: a.CreatedAt, Expiry: a.ExpiresAt,
		ExpiryNanos: unixNanos(a.ExpiresAt),
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
	if !requestID(id) {
		return store.Approval{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	request, decision, use, err := s.approvalItems(ctx, id)
	if err != nil {
		return store.Approval{}, err
	}
	if request == nil {
		return store.Approval{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	a, err := approvalOf(request, decision, use)
	if err != nil {
		return store.Approval{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	return a, nil
}

// approvalItems reads an approval's three items (nil where absent) in one strongly
// consistent BatchGetItem.
func (s *Store) approvalItems(ctx context.Context, id string) (request, decision, use map[string]types.AttributeValue, err error) {
	items, err := s.batchGet(ctx, "get approval", s.tables.Approvals, AttrID, []string{id, ApprovalDecisionPrefix + id, ApprovalUsePrefix + id})
	if err != nil {
		return nil, nil, nil, err
	}
	return items[id], items[ApprovalDecisionPrefix+id], items[ApprovalUsePrefix+id], nil
}

// ListApprovals returns approvals with the given status ("" for all), ordered by id.
func (s *Store) ListApprovals(ctx context.Context, status string) ([]store.Approval, error) {
	requests := map[string]map[string]types.AttributeValue{}
	decisions := map[string]map[string]types.AttributeValue{}
	uses := map[string]map[string]types.AttributeValue{}
	err := s.scan(ctx, &dynamodb.ScanInput{TableName: aws.String(s.tables.Approvals)}, func(item map[string]types.AttributeValue) error {
		key, _ := item[AttrID].(*types.AttributeValueMemberS)
		switch {
		case key == nil:
		case strings.HasPrefix(key.Value, ApprovalDecisionPrefix):
			decisions[strings.TrimPrefix(key.Value, ApprovalDecisionPrefix)] = item
		case strings.HasPrefix(key.Value, ApprovalUsePrefix):
			uses[strings.TrimPrefix(key.Value, ApprovalUsePrefix)] = item
		default:
			requests[key.Value] = item
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: list approvals %q: %w", status, err)
	}
	var out []store.Approval
	for id, r := range requests {
		a, err := approvalOf(r, decisions[id], uses[id])
		if err != nil {
			return nil, fmt.Errorf("dynamo: list approvals %q: %w", status, err)
		}
		if status == "" || a.Status == status {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DecideApproval decides a pending approval, approved or denied, recording who and when in
// the decision item (put once); store.ErrConflict if it is decided already, store.ErrNotFound
// if there is none. The decision carries the digest, expiry and session of read, the
// approval as the decider checked it: the action function may write requests, so neither the
// use check nor the decision may trust a request read again after that.
func (s *Store) DecideApproval(ctx context.Context, read store.Approval, status, by string, at time.Time) error {
	id := read.ID
	op := fmt.Sprintf("decide approval %q", id)
	if status != store.ApprovalApproved && status != store.ApprovalDenied {
		return fmt.Errorf("dynamo: %s: invalid decision %q", op, status)
	}
	if !requestID(id) {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	item, err := attributevalue.MarshalMap(approvalItem{
		ID: ApprovalDecisionPrefix + id, SessionID: read.SessionID, Digest: read.Digest, Status: status, DecidedBy: by,
		CreatedAt: read.CreatedAt, Expiry: read.ExpiresAt, ExpiryNanos: unixNanos(read.ExpiresAt), DecidedAt: at,
	})
	if err != nil {
		return fmt.Errorf("dynamo: %s: encode: %w", op, err)
	}
	// Put only while the request exists and no decision does: one conditional write cannot span
	// the two items, so the request is checked first; a request is never deleted.
	request, err := s.getItem(ctx, s.tables.Approvals, approvalKey(id))
	if err != nil {
		return wrap(op, err)
	}
	if request == nil {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.tables.Approvals),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#id)"),
		ExpressionAttributeNames: names(AttrID),
	})
	if conditionFailed(err) {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrConflict)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

// ConsumeApproval uses an approved approval whose decided digest equals digest and whose
// decided expiry is after now, once (the use item is put once); store.ErrConflict otherwise,
// store.ErrNotFound if there is none. A decision is final once put, so reading it and then
// putting the use is as safe as one conditional write.
func (s *Store) ConsumeApproval(ctx context.Context, id, digest string, now time.Time) error {
	op := fmt.Sprintf("consume approval %q", id)
	if !requestID(id) {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	decision, err := s.getItem(ctx, s.tables.Approvals, approvalKey(ApprovalDecisionPrefix+id))
	if err != nil {
		return wrap(op, err)
	}
	if decision == nil {
		return s.missingOr(ctx, op, s.tables.Approvals, approvalKey(id), store.ErrConflict)
	}
	var d approvalItem
	if err := attributevalue.UnmarshalMap(decision, &d); err != nil {
		return fmt.Errorf("dynamo: %s: decode: %w", op, err)
	}
	if d.Status != store.ApprovalApproved || digest == "" || subtle.ConstantTimeCompare([]byte(d.Digest), []byte(digest)) != 1 ||
		d.ExpiryNanos <= unixNanos(now) {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrConflict)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.tables.Approvals),
		Item: map[string]types.AttributeValue{
			AttrID: avS(ApprovalUsePrefix + id), "digest": avS(digest), "used_ns": avN(unixNanos(now)),
		},
		ConditionExpression:      aws.String("attribute_not_exists(#id)"),
		ExpressionAttributeNames: names(AttrID),
	})
	if conditionFailed(err) {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrConflict)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}
