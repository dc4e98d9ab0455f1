package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/store"
)

// sessionItem is a session as stored. Expiry is the exact instant; ExpiresAt is the epoch
// seconds TTL reads.
type sessionItem struct {
	ID               string         `dynamodbav:"id"`
	Agent            string         `dynamodbav:"agent,omitempty"`
	AgentKind        string         `dynamodbav:"agent_kind,omitempty"`
	Operator         string         `dynamodbav:"operator,omitempty"`
	OperatorVerified bool           `dynamodbav:"operator_verified"`
	OperatorMethod   string         `dynamodbav:"operator_method,omitempty"`
	OperatorIssuer   string         `dynamodbav:"operator_issuer,omitempty"`
	PromptMasked     string         `dynamodbav:"prompt_masked,omitempty"`
	PromptHash       string         `dynamodbav:"prompt_hash,omitempty"`
	Purpose          string         `dynamodbav:"purpose,omitempty"`
	Intents          []intentItem   `dynamodbav:"intents,omitempty"`
	Status           string         `dynamodbav:"status,omitempty"`
	CreatedAt        time.Time      `dynamodbav:"created_at"`
	Expiry           time.Time      `dynamodbav:"expiry"`
	ExpiresAt        int64          `dynamodbav:"expires_at"`
	Actions          int            `dynamodbav:"actions"`
	ByFamily         map[string]int `dynamodbav:"by_family,omitempty"`
	Version          int64          `dynamodbav:"version"`

	PurposeFlag *api.PurposeFlag `dynamodbav:"purpose_flag,omitempty"` // set when the purpose contradicts the prompt
}

type intentItem struct {
	Name     string   `dynamodbav:"name"`
	Score    float64  `dynamodbav:"score"`
	Evidence []string `dynamodbav:"evidence,omitempty"`
}

func sessionToItem(v store.Session) (map[string]types.AttributeValue, error) {
	it := sessionItem{
		ID: v.ID, Agent: v.Agent, AgentKind: v.AgentKind, Operator: v.Operator, OperatorVerified: v.OperatorVerified,
		OperatorMethod: v.OperatorMethod, OperatorIssuer: v.OperatorIssuer,
		PromptMasked: v.PromptMasked, PromptHash: v.PromptHash, Purpose: v.Purpose, PurposeFlag: v.PurposeFlag, Status: v.Status,
		CreatedAt: v.CreatedAt, Expiry: v.ExpiresAt, ExpiresAt: ttlSeconds(v.ExpiresAt),
		Actions: v.Actions, Version: v.Version,
	}
	for _, in := range v.Intents {
		it.Intents = append(it.Intents, intentItem{Name: in.Name, Score: in.Score, Evidence: in.Evidence})
	}
	m, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	// Counts per family are top-level number attributes, so a decision commit updates the
	// counters alone (CounterAttributes), whichever families the session has.
	for f, n := range v.ByFamily {
		if !validFamily(f) {
			return nil, fmt.Errorf("encode session: action family %q", f)
		}
		m[familyAttr+f] = avN(int64(n))
	}
	return m, nil
}

// CounterAttributes are the attributes of a session a decision commit updates (IAM
// dynamodb:Attributes patterns, StringLike): the key, the counters and the version. The
// action function may update these and nothing else of a session.
var CounterAttributes = []string{AttrID, "actions", AttrVersion, familyAttr + "*"}

// familyAttr prefixes the attribute of each action family's count.
const familyAttr = "fam_"

// validFamily bounds family names to what an attribute name holds plainly.
func validFamily(f string) bool {
	if len(f) > 32 {
		return false
	}
	for _, c := range f {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func sessionFromItem(m map[string]types.AttributeValue) (store.Session, error) {
	var it sessionItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return store.Session{}, fmt.Errorf("decode session: %w", err)
	}
	v := store.Session{
		ID: it.ID, Agent: it.Agent, AgentKind: it.AgentKind, Operator: it.Operator, OperatorVerified: it.OperatorVerified,
		OperatorMethod: it.OperatorMethod, OperatorIssuer: it.OperatorIssuer,
		PromptMasked: it.PromptMasked, PromptHash: it.PromptHash, Purpose: it.Purpose, PurposeFlag: it.PurposeFlag, Status: it.Status,
		CreatedAt: it.CreatedAt, ExpiresAt: it.Expiry, Actions: it.Actions, ByFamily: it.ByFamily, Version: it.Version,
	}
	for k, av := range m {
		f, ok := strings.CutPrefix(k, familyAttr)
		n, isN := av.(*types.AttributeValueMemberN)
		if !ok || !isN {
			continue
		}
		c, err := strconv.Atoi(n.Value)
		if err != nil {
			return store.Session{}, fmt.Errorf("decode session: %s: %w", k, err)
		}
		if v.ByFamily == nil {
			v.ByFamily = map[string]int{}
		}
		v.ByFamily[f] += c // items written before counts were attributes kept a by_family map
	}
	for _, in := range it.Intents {
		v.Intents = append(v.Intents, api.Intent{Name: in.Name, Score: in.Score, Evidence: in.Evidence})
	}
	return v, nil
}

// getItem reads one item with a strongly consistent read; a nil map means it is absent.
func (s *Store) getItem(ctx context.Context, table string, key map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// missingOr tells why a conditional write on an item that should exist failed: it returns
// store.ErrNotFound if the item is absent and refused otherwise. If the item cannot be read
// it returns refused, since the write did not happen either way and the caller's re-read
// will tell.
func (s *Store) missingOr(ctx context.Context, op, table string, key map[string]types.AttributeValue, refused error) error {
	cur, err := s.getItem(ctx, table, key)
	if err == nil && cur == nil {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	return fmt.Errorf("dynamo: %s: %w", op, refused)
}

// CreateSession stores a new session; store.ErrExists if the id is taken.
func (s *Store) CreateSession(ctx context.Context, v store.Session) error {
	op := fmt.Sprintf("create session %q", v.ID)
	if v.ID == "" {
		return fmt.Errorf("dynamo: %s: empty id", op)
	}
	item, err := sessionToItem(v)
	if err != nil {
		return fmt.Errorf("dynamo: %s: %w", op, err)
	}
	if err := checkSize("session "+v.ID, item); err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.tables.Sessions),
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

// GetSession returns the session; store.ErrNotFound if there is none.
func (s *Store) GetSession(ctx context.Context, id string) (store.Session, error) {
	op := fmt.Sprintf("get session %q", id)
	if id == "" {
		return store.Session{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	item, err := s.getItem(ctx, s.tables.Sessions, map[string]types.AttributeValue{AttrID: avS(id)})
	if err != nil {
		return store.Session{}, wrap(op, err)
	}
	if item == nil {
		return store.Session{}, fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	v, err := sessionFromItem(item)
	if err != nil {
		return store.Session{}, fmt.Errorf("dynamo: %s: %w", op, err)
	}
	return v, nil
}

// UpdateSession replaces the session if the stored Version equals v.Version, storing
// v.Version+1; store.ErrConflict if it does not, store.ErrNotFound if there is none.
func (s *Store) UpdateSession(ctx context.Context, v store.Session) error {
	op := fmt.Sprintf("update session %q", v.ID)
	if v.ID == "" {
		return fmt.Errorf("dynamo: %s: %w", op, store.ErrNotFound)
	}
	from := v.Version
	v.Version++
	item, err := sessionToItem(v)
	if err != nil {
		return fmt.Errorf("dynamo: %s: %w", op, err)
	}
	if err := checkSize("session "+v.ID, item); err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.tables.Sessions),
		Item:                      item,
		ConditionExpression:       aws.String("#version = :from"),
		ExpressionAttributeNames:  names(AttrVersion),
		ExpressionAttributeValues: map[string]types.AttributeValue{":from": avN(from)},
	})
	if conditionFailed(err) {
		return s.missingOr(ctx, op, s.tables.Sessions, map[string]types.AttributeValue{AttrID: avS(v.ID)}, store.ErrConflict)
	}
	if err != nil {
		return wrap(op, err)
	}
	return nil
}
