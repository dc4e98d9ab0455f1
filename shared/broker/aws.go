package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/iamaction"
	"github.com/mandate-dev/mandate/shared/policy"
	"github.com/mandate-dev/mandate/shared/target"
)

// STS limits the broker respects before it calls STS.
const (
	// DurationSeconds is the lifetime asked of STS: its minimum. The session policy's
	// aws:CurrentTime bound makes the credential useless long before.
	DurationSeconds = 900
	// MaxSessionPolicyBytes is STS's limit on the plaintext of an inline session policy.
	MaxSessionPolicyBytes = 2048
	// MaxPackedBytes is the broker's conservative bound on policy plus session tags: STS
	// packs both into one binary form whose limit it does not publish in bytes; staying
	// under the plaintext limit for both together never trips PackedPolicyTooLarge.
	MaxPackedBytes = 2048
	// ReuseMargin is how much of the policy window must remain for a cached credential to
	// be handed out again.
	ReuseMargin = 20 * time.Second
	// ClockSkew is how far before now the policy's window opens, for clocks slightly behind.
	ClockSkew = 30 * time.Second
	// MaxCachedCredentials bounds the reuse cache. When it is full, expired credentials are
	// dropped first, then those closest to the end of their window.
	MaxCachedCredentials = 4096
)

// ErrPolicyTooLarge means the session policy and tags would exceed STS's size limit: the
// action is refused before STS is called.
var ErrPolicyTooLarge = errors.New("broker: session policy too large")

// AssumeRoler is the one STS method the broker uses; *sts.Client implements it.
type AssumeRoler interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

var _ AssumeRoler = (*sts.Client)(nil)

// AWSCredential is the temporary credential of one aws action.
type AWSCredential struct {
	AccessKeyID string
	// SecretAccessKey and SessionToken MUST NOT be logged, returned or recorded.
	SecretAccessKey string
	SessionToken    string
	SessionName     string
	// NotAfter is when the session policy stops allowing anything.
	NotAfter time.Time
}

// AWSPlan is what the broker asks STS for one action: exactly what `mandate explain` shows.
type AWSPlan struct {
	RoleARN         string            `json:"role_arn"`
	RoleSessionName string            `json:"role_session_name"`
	SourceIdentity  string            `json:"source_identity"`
	Tags            map[string]string `json:"tags"`
	DurationSeconds int32             `json:"duration_seconds"`
	SessionPolicy   json.RawMessage   `json:"session_policy"`
	NotAfter        time.Time         `json:"not_after"`
}

// SessionPolicy is the IAM policy document the broker writes (a subset of the grammar).
type SessionPolicy struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one statement of a SessionPolicy.
type PolicyStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition"`
}

// PlanAWS computes the AssumeRole request for action a on target t at time now: the
// operation's IAM actions on the action's resource alone, until now + the target's policy
// window. It fails for unsupported operations, resources outside the target's patterns, and
// policies STS would refuse for size.
func PlanAWS(t target.Target, a api.Action, sc Scope, now time.Time) (AWSPlan, error) {
	op, err := iamaction.Lookup(a.Service, a.Operation)
	if err != nil {
		return AWSPlan{}, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	res, err := op.Resource(a.Resource)
	if err != nil {
		return AWSPlan{}, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if !t.AllowsResource(res.ARN) {
		return AWSPlan{}, fmt.Errorf("%w: resource is outside target %q", ErrUnsupported, t.Name)
	}
	return planAssume(t, op.Actions, res.ARN, sc, now, kmsStatement(t, a)...)
}

// kmsStatement allows what the action needs of the target's customer managed keys, if it
// has any: kms:Decrypt for a read, and kms:GenerateDataKey too for any operation that is not
// a read (policy.Family: what Mandate cannot prove read-only may store data under the key);
// on exactly those keys, and only through the target's service in its Region.
func kmsStatement(t target.Target, a api.Action) []PolicyStatement {
	if len(t.KMSKeys) == 0 {
		return nil
	}
	actions := []string{"kms:Decrypt"}
	if policy.Family(a.Service+":"+a.Operation) != policy.FamilyRead {
		actions = append(actions, "kms:GenerateDataKey")
	}
	return []PolicyStatement{{Sid: "MandateKMS", Effect: "Allow", Action: actions, Resource: append([]string(nil), t.KMSKeys...),
		Condition: map[string]map[string]string{"StringEquals": {"kms:ViaService": a.Service + "." + t.Region + ".amazonaws.com"}}}}
}

// planAssume is the AssumeRole request allowing actions on resource alone, and the extra
// statements, until now + the target's policy window.
func planAssume(t target.Target, actions []string, resource string, sc Scope, now time.Time, extra ...PolicyStatement) (AWSPlan, error) {
	now = now.UTC().Truncate(time.Second)
	notAfter := now.Add(time.Duration(t.PolicyWindow))
	pol := SessionPolicy{Version: "2012-10-17", Statement: []PolicyStatement{{
		Sid: "MandateAction", Effect: "Allow", Action: actions, Resource: []string{resource},
		Condition: map[string]map[string]string{},
	}}}
	pol.Statement = append(pol.Statement, extra...)
	for _, st := range pol.Statement { // every statement holds only within the window
		st.Condition["DateGreaterThan"] = map[string]string{"aws:CurrentTime": now.Add(-ClockSkew).Format(time.RFC3339)}
		st.Condition["DateLessThan"] = map[string]string{"aws:CurrentTime": notAfter.Format(time.RFC3339)}
	}
	raw, err := json.Marshal(pol)
	if err != nil {
		return AWSPlan{}, fmt.Errorf("broker: session policy: %w", err)
	}
	p := AWSPlan{
		RoleARN: t.RoleARN, RoleSessionName: sessionName(sc), SourceIdentity: sourceIdentity(sc),
		Tags: map[string]string{
			"mandate:agent":   tagValue(sc.Agent),
			"mandate:session": tagValue(sc.Session),
			"mandate:intent":  tagValue(sc.Intent),
			"mandate:record":  tagValue(prefix(sc.Record, 16)),
		},
		DurationSeconds: DurationSeconds, SessionPolicy: raw, NotAfter: notAfter,
	}
	size := len(raw)
	for k, v := range p.Tags {
		size += len(k) + len(v)
	}
	if len(raw) > MaxSessionPolicyBytes || size > MaxPackedBytes {
		return AWSPlan{}, fmt.Errorf("%w: %d bytes of policy and tags (limit %d)", ErrPolicyTooLarge, size, MaxPackedBytes)
	}
	return p, nil
}

// sessionName is "<session>.<record prefix>" in STS's alphabet, at most 64 characters.
func sessionName(sc Scope) string {
	n := sanitize(sc.Session, "w+=,.@-") + "." + sanitize(prefix(sc.Record, 16), "w+=,.@-")
	n = strings.Trim(n, ".")
	if len(n) < 2 {
		n = "mandate-action"
	}
	return prefix(n, 64)
}

// sourceIdentity is the operator, marked "asserted." when the agent merely named them.
func sourceIdentity(sc Scope) string {
	op := sc.Operator
	if op == "" {
		op = "unknown"
	}
	if !sc.OperatorVerified {
		op = "asserted." + op
	}
	return prefix(sanitize(op, "w+=,.@-"), 64)
}

// tagValue keeps STS's tag alphabet and length; an empty value becomes "none".
func tagValue(v string) string {
	v = prefix(sanitize(v, "w _.:/=+-@"), 256)
	if v == "" {
		return "none"
	}
	return v
}

// sanitize replaces every byte outside [A-Za-z0-9] and extra ("w" stands for _) with '-'.
func sanitize(s, extra string) string {
	b := []byte(s)
	for i, c := range b {
		ok := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			(c == '_' && strings.Contains(extra, "w")) || (c != 'w' && strings.IndexByte(extra, c) >= 0)
		if !ok {
			b[i] = '-'
		}
	}
	return string(b)
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// awsBroker assumes target roles and reuses a credential only for the identical scope.
type awsBroker struct {
	sts AssumeRoler
	now func() time.Time

	mu           sync.Mutex
	cache        map[reuseKey]AWSCredential
	limit        int // MaxCachedCredentials
	hits, misses atomic.Int64
}

// reuseKey is the exact scope a credential may be reused for: never across targets,
// sessions, agents, operations, resources or intents.
type reuseKey struct{ target, session, agent, service, operation, resource, intent string }

// UseSTS lets the broker mint for aws targets through c.
func (b *Broker) UseSTS(c AssumeRoler) {
	b.aws = &awsBroker{sts: c, now: b.now, cache: map[reuseKey]AWSCredential{}, limit: MaxCachedCredentials}
}

// Forget drops every cached AWS credential of a session (on kill or close); session ""
// drops them all (a global kill).
func (b *Broker) Forget(session string) {
	if b.aws == nil {
		return
	}
	b.aws.mu.Lock()
	defer b.aws.mu.Unlock()
	for k := range b.aws.cache {
		if session == "" || k.session == session {
			delete(b.aws.cache, k)
		}
	}
}

// ReuseStats returns how many aws mints were served from the cache and how many called STS.
func (b *Broker) ReuseStats() (hits, misses int64) {
	if b.aws == nil {
		return 0, 0
	}
	return b.aws.hits.Load(), b.aws.misses.Load()
}

func (ab *awsBroker) mint(ctx context.Context, t target.Target, a api.Action, sc Scope) (Credential, error) {
	key := reuseKey{t.Name, sc.Session, sc.Agent, a.Service, a.Operation, a.Resource, sc.Intent}
	c, reused, err := ab.assume(ctx, t, key, func(now time.Time) (AWSPlan, error) { return PlanAWS(t, a, sc, now) })
	if err != nil {
		return Credential{}, err
	}
	kind := "sts-session"
	if reused {
		kind = "sts-session (reused)"
	}
	return Credential{Kind: kind, ExpiresAt: c.NotAfter, AWS: &c}, nil
}

// assume returns the credential cached under key while enough of its window remains, or
// else assumes the role as plan describes and caches the result under key.
func (ab *awsBroker) assume(ctx context.Context, t target.Target, key reuseKey, planFor func(time.Time) (AWSPlan, error)) (AWSCredential, bool, error) {
	now := ab.now()
	ab.mu.Lock()
	c, ok := ab.cache[key]
	if ok && now.Add(ReuseMargin).After(c.NotAfter) {
		delete(ab.cache, key)
		ok = false
	}
	ab.mu.Unlock()
	if ok {
		ab.hits.Add(1)
		return c, true, nil
	}
	plan, err := planFor(now)
	if err != nil {
		return AWSCredential{}, false, err
	}
	in := &sts.AssumeRoleInput{
		RoleArn: aws.String(plan.RoleARN), RoleSessionName: aws.String(plan.RoleSessionName),
		SourceIdentity: aws.String(plan.SourceIdentity), DurationSeconds: aws.Int32(plan.DurationSeconds),
		Policy: aws.String(string(plan.SessionPolicy)),
	}
	for _, k := range SessionTagKeys {
		in.Tags = append(in.Tags, ststypes.Tag{Key: aws.String(k), Value: aws.String(plan.Tags[k])})
	}
	ab.misses.Add(1)
	out, err := ab.sts.AssumeRole(ctx, in)
	if err != nil {
		return AWSCredential{}, false, fmt.Errorf("broker: assume role %q: %w", t.RoleARN, err)
	}
	if out.Credentials == nil || out.Credentials.AccessKeyId == nil || out.Credentials.SecretAccessKey == nil || out.Credentials.SessionToken == nil {
		return AWSCredential{}, false, fmt.Errorf("broker: assume role %q: STS returned no credentials", t.RoleARN)
	}
	c = AWSCredential{
		AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey,
		SessionToken: *out.Credentials.SessionToken, SessionName: plan.RoleSessionName, NotAfter: plan.NotAfter,
	}
	if exp := out.Credentials.Expiration; exp != nil && exp.Before(c.NotAfter) {
		c.NotAfter = *exp
	}
	ab.mu.Lock()
	if len(ab.cache) >= ab.limit {
		ab.evict(now)
	}
	ab.cache[key] = c
	ab.mu.Unlock()
	return c, false, nil
}

// evict makes room in a full cache: it drops every credential too close to the end of its
// window to be handed out again, and if none was, the one closest to it. Callers hold mu.
func (ab *awsBroker) evict(now time.Time) {
	var oldest reuseKey
	var oldestEnd time.Time
	for k, c := range ab.cache {
		if now.Add(ReuseMargin).After(c.NotAfter) {
			delete(ab.cache, k)
			continue
		}
		if oldestEnd.IsZero() || c.NotAfter.Before(oldestEnd) {
			oldest, oldestEnd = k, c.NotAfter
		}
	}
	if len(ab.cache) >= ab.limit {
		delete(ab.cache, oldest)
	}
}

// CachedCredentials is how many AWS credentials the reuse cache holds.
func (b *Broker) CachedCredentials() int {
	if b.aws == nil {
		return 0
	}
	b.aws.mu.Lock()
	defer b.aws.mu.Unlock()
	return len(b.aws.cache)
}
