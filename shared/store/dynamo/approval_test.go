package dynamo_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/dynamo"
)

// writesRecorder passes every call to DynamoDB and keeps the partition key of every item
// written to the approvals table: the key IAM's dynamodb:LeadingKeys condition sees.
type writesRecorder struct {
	*dynamodb.Client
	table string
	mu    sync.Mutex
	keys  []string
}

func (r *writesRecorder) note(table string, key map[string]types.AttributeValue) {
	if table != r.table {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, key[dynamo.AttrID].(*types.AttributeValueMemberS).Value)
}

func (r *writesRecorder) taken() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.keys
	r.keys = nil
	return k
}

func (r *writesRecorder) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	r.note(aws.ToString(in.TableName), in.Item)
	return r.Client.PutItem(ctx, in, o...)
}

func (r *writesRecorder) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	r.note(aws.ToString(in.TableName), in.Key)
	return r.Client.UpdateItem(ctx, in, o...)
}

func (r *writesRecorder) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	r.note(aws.ToString(in.TableName), in.Key)
	return r.Client.DeleteItem(ctx, in, o...)
}

// TestApprovalDecisionsAreKeyedApart: the action function creates and consumes approvals,
// the approval function decides them, and IAM tells the two apart only by the partition key
// they write (dynamodb:LeadingKeys; infra grants the action role apr_* and use#* keys, the
// approval role decision#* keys). So every write of a decision must land on a decision#
// key and no write of the action function's methods may, and an approval "decided" in an
// item the action function may write (a forged status on the request) must count for nothing.
func TestApprovalDecisionsAreKeyedApart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tables := testTables(t, testEndpoint(t))
	rec := &writesRecorder{Client: testClient(t, testEndpoint(t)), table: tables.Approvals}
	s := dynamo.New(rec, tables)

	now := time.Now().UTC().Truncate(time.Millisecond)
	a := store.Approval{ID: "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa", SessionID: "ses_1", Digest: "sha256:x", Status: store.ApprovalPending,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateApproval(ctx, a); err != nil {
		t.Fatal(err)
	}
	actionKeys := rec.taken()
	if err := s.DecideApproval(ctx, a, store.ApprovalApproved, "grace", now); err != nil {
		t.Fatal(err)
	}
	approvalKeys := rec.taken()
	if err := s.ConsumeApproval(ctx, a.ID, a.Digest, now); err != nil {
		t.Fatal(err)
	}
	actionKeys = append(actionKeys, rec.taken()...)
	for _, k := range actionKeys {
		if !strings.HasPrefix(k, "apr_") && !strings.HasPrefix(k, dynamo.ApprovalUsePrefix) {
			t.Errorf("the action function's methods wrote key %q", k)
		}
	}
	if len(approvalKeys) == 0 {
		t.Fatal("DecideApproval wrote nothing")
	}
	for _, k := range approvalKeys {
		if !strings.HasPrefix(k, dynamo.ApprovalDecisionPrefix) {
			t.Errorf("DecideApproval wrote key %q", k)
		}
	}
	got, err := s.GetApproval(ctx, a.ID)
	if err != nil || got.Status != store.ApprovalConsumed || got.DecidedBy != "grace" {
		t.Fatalf("after consume: %+v %v", got, err)
	}

	// What a compromised action function can write: a request that says it is approved.
	forged := "apr_bbbbbbbbbbbbbbbbbbbbbbbbbb"
	_, err = rec.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tables.Approvals), Item: map[string]types.AttributeValue{
		dynamo.AttrID: &types.AttributeValueMemberS{Value: forged}, "status": &types.AttributeValueMemberS{Value: store.ApprovalApproved},
		"decided_by": &types.AttributeValueMemberS{Value: "grace"}, "digest": &types.AttributeValueMemberS{Value: "sha256:y"},
		"expiry_ns": &types.AttributeValueMemberN{Value: "9000000000000000000"}, "session_id": &types.AttributeValueMemberS{Value: "ses_1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetApproval(ctx, forged); err != nil || got.Status != store.ApprovalPending {
		t.Errorf("a request carrying its own status reads as %+v %v, want pending", got, err)
	}
	if err := s.ConsumeApproval(ctx, forged, "sha256:y", now); !errors.Is(err, store.ErrConflict) {
		t.Errorf("consuming a self-approved request: %v, want ErrConflict", err)
	}
	if l, err := s.ListApprovals(ctx, store.ApprovalApproved); err != nil || len(l) != 0 {
		t.Errorf("approved list = %+v %v, want none", l, err)
	}
	// A request rewritten between the decider's check and its decision (what a compromised
	// action function can do) does not change what was decided: the decision binds the digest
	// the decider read.
	swapped := store.Approval{ID: "apr_cccccccccccccccccccccccccc", SessionID: "ses_1", Digest: "sha256:checked", Status: store.ApprovalPending,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateApproval(ctx, swapped); err != nil {
		t.Fatal(err)
	}
	_, err = rec.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tables.Approvals), Item: map[string]types.AttributeValue{
		dynamo.AttrID: &types.AttributeValueMemberS{Value: swapped.ID}, "digest": &types.AttributeValueMemberS{Value: "sha256:other-action"},
		"expiry_ns": &types.AttributeValueMemberN{Value: "9000000000000000000"}, "session_id": &types.AttributeValueMemberS{Value: "ses_1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DecideApproval(ctx, swapped, store.ApprovalApproved, "grace", now); err != nil {
		t.Fatal(err)
	}
	if err := s.ConsumeApproval(ctx, swapped.ID, "sha256:other-action", now); !errors.Is(err, store.ErrConflict) {
		t.Errorf("consuming for the swapped-in action: %v, want ErrConflict", err)
	}
	if err := s.ConsumeApproval(ctx, swapped.ID, "sha256:checked", now); err != nil {
		t.Errorf("consuming for the action the decider checked: %v", err)
	}
	// Ids in the decision or use key space are refused outright.
	for _, id := range []string{dynamo.ApprovalDecisionPrefix + a.ID, dynamo.ApprovalUsePrefix + a.ID} {
		if err := s.CreateApproval(ctx, store.Approval{ID: id, Status: store.ApprovalPending, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err == nil {
			t.Errorf("CreateApproval(%q) was accepted", id)
		}
	}
}
