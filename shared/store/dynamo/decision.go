package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mandate-dev/mandate/shared/store"
)

// Commit implements store.Decisions with one TransactWriteItems: the claim (a Put on the
// condition that the key is free or expired), the counters (an Update of the counters alone
// on the condition that the version is the one counted from) and the record (a Put on the
// condition that its sequence number is free). DynamoDB applies all three or none.
func (s *Store) Commit(ctx context.Context, d store.Decision) error {
	r := d.Record
	op := fmt.Sprintf("commit %q#%d", r.SessionID, r.Seq)
	if r.SessionID == "" || r.Seq == 0 {
		return fmt.Errorf("dynamo: %s: session must be set and seq at least 1", op)
	}
	var (
		items []types.TransactWriteItem
		parts []string // what each item is, for the cancellation reasons
	)
	if c := d.Claim; c != nil {
		if c.Key == "" {
			return fmt.Errorf("dynamo: %s: claim with an empty key", op)
		}
		put, err := s.claimPut(*c)
		if err != nil {
			return fmt.Errorf("dynamo: %s: %w", op, err)
		}
		items = append(items, types.TransactWriteItem{Put: put})
		parts = append(parts, "claim")
	}
	if v := d.Counted; v != nil {
		if v.ID != r.SessionID {
			return fmt.Errorf("dynamo: %s: counters of another session %q", op, v.ID)
		}
		update := "SET #actions = :actions, #version = :next"
		attrNames := map[string]string{"#actions": "actions", "#version": AttrVersion}
		values := map[string]types.AttributeValue{":actions": avN(int64(v.Actions)), ":next": avN(v.Version + 1), ":from": avN(v.Version)}
		i := 0
		for f, n := range v.ByFamily {
			if !validFamily(f) {
				return fmt.Errorf("dynamo: %s: action family %q", op, f)
			}
			update += fmt.Sprintf(", #f%d = :f%d", i, i)
			attrNames[fmt.Sprintf("#f%d", i)] = familyAttr + f
			values[fmt.Sprintf(":f%d", i)] = avN(int64(n))
			i++
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 aws.String(s.tables.Sessions),
			Key:                       map[string]types.AttributeValue{AttrID: avS(v.ID)},
			UpdateExpression:          aws.String(update),
			ConditionExpression:       aws.String("#version = :from"),
			ExpressionAttributeNames:  attrNames,
			ExpressionAttributeValues: values,
		}})
		parts = append(parts, "counters")
	}
	put, err := s.recordPut(r)
	if err != nil {
		return fmt.Errorf("dynamo: %s: %w", op, err)
	}
	items = append(items, types.TransactWriteItem{Put: put})
	parts = append(parts, "record")

	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		if err != nil {
			return wrap(op, err)
		}
		return nil
	}
	for i, reason := range canceled.CancellationReasons {
		if i >= len(parts) {
			break
		}
		switch aws.ToString(reason.Code) {
		case "ConditionalCheckFailed":
			switch parts[i] {
			case "claim":
				return fmt.Errorf("dynamo: %s: %w", op, store.ErrClaimed)
			case "counters":
				return s.missingOr(ctx, op, s.tables.Sessions, map[string]types.AttributeValue{AttrID: avS(r.SessionID)}, store.ErrConflict)
			case "record":
				return fmt.Errorf("dynamo: %s: %w", op, store.ErrExists)
			}
		case "TransactionConflict":
			// Another transaction held an item: nothing was written; re-read and retry.
			return fmt.Errorf("dynamo: %s: %s: %w", op, parts[i], store.ErrConflict)
		}
	}
	return wrap(op, err)
}
