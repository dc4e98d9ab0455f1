package revoke

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
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

// PolicyPath is the IAM path of every revocation policy: the customer-managed policy that is
// a target role's permissions boundary (infra's NewTargetRole creates it). The kill switch
// may write policy versions under this path and nowhere else.
const PolicyPath = "/mandate/revocation/"

// RevocationRoleName is the name of the role the kill switch assumes in another account to
// revoke on that account's target roles (infra's NewRevocationRole creates it).
const RevocationRoleName = "mandate-revocation"

// maxVersions is how many versions IAM keeps of a managed policy.
const maxVersions = 5

// maxRounds bounds how often one revocation rewrites a policy that concurrent kills changed.
const maxRounds = 4

// maxRoomAttempts bounds how often one write makes room again after concurrent kills filled
// the policy's versions first.
const maxRoomAttempts = 12

// ErrNoPolicy: the target role has no revocation policy (a permissions boundary under
// PolicyPath); nothing can be revoked on it until it gets one (NewTargetRole).
var ErrNoPolicy = errors.New("revoke: the role has no revocation policy")

// ErrAccount: the revocation role of the target role's account could not be assumed; nothing
// was revoked on it. Deploy NewRevocationRole in that account.
var ErrAccount = errors.New("revoke: the revocation role of the role's account could not be assumed")

// IAM is the part of the IAM client revocation uses (*iam.Client fits it).
type IAM interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	ListPolicyVersions(ctx context.Context, in *iam.ListPolicyVersionsInput, optFns ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error)
	GetPolicyVersion(ctx context.Context, in *iam.GetPolicyVersionInput, optFns ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
	CreatePolicyVersion(ctx context.Context, in *iam.CreatePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
	DeletePolicyVersion(ctx context.Context, in *iam.DeletePolicyVersionInput, optFns ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
}

// AssumeFunc returns an IAM client acting as the revocation role roleARN of another account.
type AssumeFunc func(ctx context.Context, roleARN string) (IAM, error)

// Revoker writes kills into the revocation policies of target roles.
type Revoker struct {
	home     IAM
	account  string
	assume   AssumeFunc
	lifetime time.Duration
	now      func() time.Time

	mu      sync.Mutex
	clients map[string]IAM // by account, for other accounts
}

// New returns a Revoker writing through client (an *iam.Client of the kill switch's own
// account). lifetime is the longest a credential of a target role can live (the roles'
// MaxSessionDuration): a document's windows are that long, and denies older than it are
// swept on the next write.
func New(client IAM, lifetime time.Duration, now func() time.Time) *Revoker {
	if now == nil {
		now = time.Now
	}
	return &Revoker{home: client, lifetime: lifetime, now: now, clients: map[string]IAM{}}
}

// CrossAccount makes r revoke on target roles of accounts other than home through each
// account's revocation role (RevocationRoleARN), assumed with assume. Without it every role
// is written through the home client.
func (r *Revoker) CrossAccount(home string, assume AssumeFunc) *Revoker {
	r.account, r.assume = home, assume
	return r
}

// RevocationRoleARN is the revocation role of the account a target role belongs to.
func RevocationRoleARN(targetRoleARN string) (string, error) {
	parts := strings.SplitN(targetRoleARN, ":", 6)
	if _, err := roleName(targetRoleARN); err != nil {
		return "", err
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + RevocationRoleName, nil
}

// Kill names what to revoke: a scope, the value the credentials carry for it (the tag value
// or SourceIdentity exactly as the broker wrote it; empty for global) and the kill's time.
type Kill struct {
	Scope string
	Value string
	At    time.Time
}

// Revoke writes kills (one kill switch's: an operator's is two, verified and asserted) into
// the revocation policy of every role in roleARNs, in one version per role. It tries every
// role and returns the joined errors of those it could not update: ErrFull when the document
// cannot hold the kills, ErrNoPolicy, ErrAccount, ErrForeign, or IAM's own.
func (r *Revoker) Revoke(ctx context.Context, kills []Kill, roleARNs []string) error {
	if len(kills) == 0 {
		return errors.New("revoke: no kill")
	}
	for _, k := range kills {
		if err := k.valid(); err != nil {
			return err
		}
	}
	var errs []error
	for _, arn := range roleARNs {
		if err := r.revokeRole(ctx, kills, arn); err != nil {
			errs = append(errs, fmt.Errorf("revoke: role %q: %w", arn, err))
		}
	}
	return errors.Join(errs...)
}

// revokeRole writes kills into one role's revocation policy: read the default version, add them,
// sweep, and write a new default version. A kill written at the same time by another
// function can make a version this write did not see; every version created between the one
// read and the one written is merged in and written again, so no kill is lost.
func (r *Revoker) revokeRole(ctx context.Context, kills []Kill, arn string) error {
	name, err := roleName(arn)
	if err != nil {
		return err
	}
	client, err := r.client(ctx, arn)
	if err != nil {
		return err
	}
	out, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("read the role: %w", err)
	}
	var policy string
	if b := out.Role.PermissionsBoundary; b != nil {
		policy = aws.ToString(b.PermissionsBoundaryArn)
	}
	if !strings.Contains(policy, ":policy"+PolicyPath) {
		return ErrNoPolicy
	}
	versions, err := listVersions(ctx, client, policy)
	if err != nil {
		return err
	}
	base := defaultVersion(versions)
	doc, err := readVersion(ctx, client, policy, base, r.lifetime)
	if err != nil {
		return err
	}
	now := r.now()
	for round := range maxRounds {
		before := string(doc.Render())
		doc.Sweep(now)
		for _, k := range kills {
			if !doc.Covers(k) {
				if err := doc.Add(k); err != nil {
					return err
				}
			}
		}
		if round == 0 && string(doc.Render()) == before && base != "" {
			return nil // already refused, and nothing to sweep: no new version
		}
		body := doc.Render()
		if len(body) > DocumentQuota { // a merge of concurrent kills can pass what Add checked
			return ErrFull
		}
		created, err := createVersion(ctx, client, policy, body, versions)
		if err != nil {
			return err
		}
		mine := aws.ToString(created.PolicyVersion.VersionId)
		if versions, err = listVersions(ctx, client, policy); err != nil {
			return err
		}
		// A version between the one read and this one was written by a concurrent kill that
		// did not see this one; a later version's writer sees this one and merges it.
		concurrent := false
		for _, v := range versions {
			n := versionNumber(aws.ToString(v.VersionId))
			if n <= versionNumber(base) || n >= versionNumber(mine) {
				continue
			}
			other, err := readVersion(ctx, client, policy, aws.ToString(v.VersionId), r.lifetime)
			if err != nil {
				return err
			}
			merged := NewDocument(r.lifetime)
			merged.Merge(doc)
			merged.Merge(other)
			if !merged.Equal(doc) {
				concurrent = true
				doc = merged
			}
		}
		if !concurrent {
			return nil
		}
		base = mine
	}
	return fmt.Errorf("write %s: changed by %d concurrent kills in a row", policy, maxRounds)
}

// client returns the IAM client for the account of role arn.
func (r *Revoker) client(ctx context.Context, arn string) (IAM, error) {
	account := strings.SplitN(arn, ":", 6)[4]
	if r.assume == nil || account == r.account {
		return r.home, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[account]; ok {
		return c, nil
	}
	role, err := RevocationRoleARN(arn)
	if err != nil {
		return nil, err
	}
	c, err := r.assume(ctx, role)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrAccount, role, err)
	}
	r.clients[account] = c
	return c, nil
}

func listVersions(ctx context.Context, client IAM, policy string) ([]iamVersion, error) {
	var out []iamVersion
	var marker *string
	for {
		page, err := client.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(policy), Marker: marker})
		if err != nil {
			return nil, fmt.Errorf("list the versions of %s: %w", policy, err)
		}
		for _, v := range page.Versions {
			out = append(out, iamVersion{VersionId: v.VersionId, IsDefaultVersion: v.IsDefaultVersion})
		}
		if !page.IsTruncated || page.Marker == nil {
			break
		}
		marker = page.Marker
	}
	slices.SortFunc(out, func(a, b iamVersion) int {
		return versionNumber(aws.ToString(a.VersionId)) - versionNumber(aws.ToString(b.VersionId))
	})
	return out, nil
}

type iamVersion struct {
	VersionId        *string
	IsDefaultVersion bool
}

func defaultVersion(vs []iamVersion) string {
	for _, v := range vs {
		if v.IsDefaultVersion {
			return aws.ToString(v.VersionId)
		}
	}
	return ""
}

func readVersion(ctx context.Context, client IAM, policy, id string, window time.Duration) (*Document, error) {
	if id == "" {
		return NewDocument(window), nil
	}
	out, err := client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(policy), VersionId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", policy, id, err)
	}
	return ParseDocument(aws.ToString(out.PolicyVersion.Document), window)
}

// createVersion writes body as the policy's new default version, making room first when
// versions (as last listed) are as many as IAM keeps. Concurrent kills of the role each make
// room from their own list and may fill the last place between one's list and its write:
// IAM's LimitExceeded with the policy full is answered by listing again and making room again.
func createVersion(ctx context.Context, client IAM, policy string, body []byte, versions []iamVersion) (*iam.CreatePolicyVersionOutput, error) {
	for attempt := 0; ; attempt++ {
		if len(versions) >= maxVersions {
			if err := deleteOldest(ctx, client, policy, versions); err != nil {
				return nil, err
			}
		}
		created, err := client.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
			PolicyArn: aws.String(policy), PolicyDocument: aws.String(string(body)), SetAsDefault: true,
		})
		if err == nil {
			return created, nil
		}
		var full *types.LimitExceededException
		if !errors.As(err, &full) || attempt == maxRoomAttempts {
			return nil, fmt.Errorf("write %s: %w", policy, err)
		}
		// Writers that made room from the same list wait apart before making room again.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(1+rand.IntN(10*(attempt+1))) * time.Millisecond):
		}
		fresh, lerr := listVersions(ctx, client, policy)
		if lerr != nil {
			return nil, lerr
		}
		if len(fresh) < maxVersions { // the document's own quota, not the number of versions
			return nil, fmt.Errorf("write %s: %w", policy, err)
		}
		versions = fresh
	}
}

// deleteOldest makes room for a new version: IAM keeps five.
func deleteOldest(ctx context.Context, client IAM, policy string, vs []iamVersion) error {
	for _, v := range vs {
		if v.IsDefaultVersion {
			continue
		}
		_, err := client.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(policy), VersionId: v.VersionId})
		var gone *types.NoSuchEntityException
		if err != nil && !errors.As(err, &gone) { // gone: a concurrent kill made the same room
			return fmt.Errorf("delete %s %s: %w", policy, aws.ToString(v.VersionId), err)
		}
		return nil
	}
	return nil
}

// versionNumber reads IAM's version id "v7" as 7 (0 for none).
func versionNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil {
		return 0
	}
	return n
}

// roleName returns the name of the role in arn:aws:iam::ACCOUNT:role[/path]/NAME.
func roleName(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") || parts[4] == "" {
		return "", fmt.Errorf("revoke: %q is not an IAM role ARN", arn)
	}
	res := parts[5]
	name := res[strings.LastIndex(res, "/")+1:]
	if name == "" {
		return "", fmt.Errorf("revoke: %q has no role name", arn)
	}
	return name, nil
}
