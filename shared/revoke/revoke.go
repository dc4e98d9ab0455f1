package revoke

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Session tag keys and the condition keys they are read by. They MUST equal the tags the
// broker sets on AssumeRole.
const (
	TagAgent   = "mandate:agent"
	TagSession = "mandate:session"
)

// Scopes, as in store.Scope*.
const (
	ScopeGlobal   = "global"
	ScopeAgent    = "agent"
	ScopeOperator = "operator"
	ScopeSession  = "session"
)

// PolicyPrefix starts the name of every inline policy this package writes.
const PolicyPrefix = "mandate-revoke-"

// iamAPI is the part of the IAM client revocation uses (*iam.Client fits it).
type iamAPI interface {
	PutRolePolicy(ctx context.Context, in *iam.PutRolePolicyInput, optFns ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
}

// sweepAPI is what Sweep needs besides iamAPI (*iam.Client fits it).
type sweepAPI interface {
	ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, optFns ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
}

// Revoker writes revocation policies on target roles.
type Revoker struct {
	iam      iamAPI
	sweep    sweepAPI
	lifetime time.Duration
	now      func() time.Time
}

// New returns a Revoker using client (an *iam.Client).
func New(client iamAPI) *Revoker { return &Revoker{iam: client, now: time.Now} }

// NewSweeping returns a Revoker that, before it puts a kill's deny on a role, removes the
// denies of earlier kills whose targeted credentials have all expired (Sweep), so a role's
// inline policies never fill IAM's quota. lifetime is the longest a credential of a target
// role can live (the roles' MaxSessionDuration).
func NewSweeping(client interface {
	iamAPI
	sweepAPI
}, lifetime time.Duration, now func() time.Time) *Revoker {
	return &Revoker{iam: client, sweep: client, lifetime: lifetime, now: now}
}

// ErrSweep wraps every failure to remove an expired deny; the kill's own deny is still put.
var ErrSweep = errors.New("revoke: expired denies not removed")

// Sweep removes from role the denies this package wrote whose kill is older than lifetime
// before now: every credential such a deny refuses was issued before the kill and has
// expired, so the deny refuses nothing. Denies it cannot read or date are kept.
func (r *Revoker) Sweep(ctx context.Context, roleARN string) error {
	if r.sweep == nil {
		return nil
	}
	role, err := roleName(roleARN)
	if err != nil {
		return err
	}
	var names []string
	var marker *string
	for {
		out, err := r.sweep.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role), Marker: marker})
		if err != nil {
			return fmt.Errorf("%w: list policies of role %q: %w", ErrSweep, role, err)
		}
		for _, n := range out.PolicyNames {
			if strings.HasPrefix(n, PolicyPrefix) {
				names = append(names, n)
			}
		}
		if !out.IsTruncated || out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	cutoff := r.now().Add(-r.lifetime)
	var errs []error
	for _, n := range names {
		out, err := r.sweep.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(n)})
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: read %s on role %q: %w", ErrSweep, n, role, err))
			continue
		}
		at, ok := killTime(aws.ToString(out.PolicyDocument))
		if !ok || !at.Before(cutoff) {
			continue
		}
		if _, err := r.sweep.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(n)}); err != nil {
			errs = append(errs, fmt.Errorf("%w: delete %s on role %q: %w", ErrSweep, n, role, err))
		}
	}
	return errors.Join(errs...)
}

// killTime returns the kill time of a deny Document wrote (IAM returns it URL-encoded).
func killTime(doc string) (time.Time, bool) {
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	var v struct {
		Statement []struct {
			Sid       string
			Effect    string
			Condition map[string]map[string]string
		}
	}
	if json.Unmarshal([]byte(doc), &v) != nil || len(v.Statement) != 1 || v.Statement[0].Sid != "MandateRevoke" || v.Statement[0].Effect != "Deny" {
		return time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339, v.Statement[0].Condition["DateLessThan"]["aws:TokenIssueTime"])
	return at, err == nil
}

// Kill names what to revoke: a scope, the value the credentials carry for it (the tag value
// or SourceIdentity exactly as the broker wrote it; empty for global) and the kill's time.
type Kill struct {
	Scope string
	Value string
	At    time.Time
}

// Document returns the policy document for k.
func Document(k Kill) ([]byte, error) {
	cond := map[string]map[string]string{
		"DateLessThan": {"aws:TokenIssueTime": k.At.UTC().Format(time.RFC3339)},
	}
	switch k.Scope {
	case ScopeGlobal:
	case ScopeAgent:
		cond["StringEquals"] = map[string]string{"aws:PrincipalTag/" + TagAgent: k.Value}
	case ScopeSession:
		cond["StringEquals"] = map[string]string{"aws:PrincipalTag/" + TagSession: k.Value}
	case ScopeOperator:
		cond["StringEquals"] = map[string]string{"aws:SourceIdentity": k.Value}
	default:
		return nil, fmt.Errorf("revoke: unknown scope %q", k.Scope)
	}
	if k.Scope != ScopeGlobal && k.Value == "" {
		return nil, fmt.Errorf("revoke: a %s kill needs the value its credentials carry", k.Scope)
	}
	if k.At.IsZero() {
		return nil, errors.New("revoke: the kill's time is required")
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       "MandateRevoke",
			"Effect":    "Deny",
			"Action":    []string{"*"},
			"Resource":  []string{"*"},
			"Condition": cond,
		}},
	}
	return json.Marshal(doc)
}

// PolicyName is the inline policy name for k: one per scope and value, so a second kill of
// the same scope replaces the first with the later time.
func PolicyName(k Kill) string {
	sum := sha256.Sum256([]byte(k.Scope + "\x00" + k.Value))
	return PolicyPrefix + k.Scope + "-" + hex.EncodeToString(sum[:8])
}

// Revoke puts k's deny policy on every role in roleARNs, after sweeping each (NewSweeping). It
// tries every role and returns the joined errors of those it could not update; a failed
// sweep is reported (wrapping ErrSweep) only when the put failed too.
func (r *Revoker) Revoke(ctx context.Context, k Kill, roleARNs []string) error {
	doc, err := Document(k)
	if err != nil {
		return err
	}
	name := PolicyName(k)
	var errs []error
	for _, arn := range roleARNs {
		role, err := roleName(arn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		swept := r.Sweep(ctx, arn)
		_, err = r.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
			RoleName: aws.String(role), PolicyName: aws.String(name), PolicyDocument: aws.String(string(doc)),
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("revoke: put %s on role %q: %w", name, role, err), swept)
		}
	}
	return errors.Join(errs...)
}

// roleName returns the name of the role in arn:aws:iam::ACCOUNT:role[/path]/NAME.
func roleName(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return "", fmt.Errorf("revoke: %q is not an IAM role ARN", arn)
	}
	res := parts[5]
	name := res[strings.LastIndex(res, "/")+1:]
	if name == "" {
		return "", fmt.Errorf("revoke: %q has no role name", arn)
	}
	return name, nil
}
