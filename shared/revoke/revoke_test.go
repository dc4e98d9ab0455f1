package revoke

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

var killAt = time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)

// fakeIAM keeps roles and customer-managed policies as IAM does: five versions at most, the
// default version cannot be deleted, a document past 6,144 characters (whitespace not
// counted) is refused, and documents come back URL-encoded.
type fakeIAM struct {
	mu       sync.Mutex
	account  string
	roles    map[string]string // name -> permissions boundary ARN
	policies map[string]*fakePolicy
	// beforeRead, when set, runs before each GetPolicyVersion (outside the lock).
	beforeRead func()
	writes     int
}

type fakePolicy struct {
	versions map[int]string
	def      int
	next     int
}

func newFakeIAM(account string) *fakeIAM {
	return &fakeIAM{account: account, roles: map[string]string{}, policies: map[string]*fakePolicy{}}
}

// targetRole creates a role with a revocation policy holding EmptyDocument, as NewTargetRole
// does, and returns the role's ARN.
func (f *fakeIAM) targetRole(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	policy := "arn:aws:iam::" + f.account + ":policy" + PolicyPath + name + "-Revocation"
	f.policies[policy] = &fakePolicy{versions: map[int]string{1: string(EmptyDocument())}, def: 1, next: 2}
	f.roles[name] = policy
	return "arn:aws:iam::" + f.account + ":role/" + name
}

func (f *fakeIAM) defaultDoc(t *testing.T, role string) *Document {
	t.Helper()
	f.mu.Lock()
	p := f.policies[f.roles[role]]
	raw := p.versions[p.def]
	f.mu.Unlock()
	d, err := ParseDocument(raw, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func noSuchEntity(what string) error {
	return &types.NoSuchEntityException{Message: aws.String(what + " not found")}
}

func (f *fakeIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.roles[*in.RoleName]
	if !ok {
		return nil, noSuchEntity("role " + *in.RoleName)
	}
	r := &types.Role{RoleName: in.RoleName, Arn: aws.String("arn:aws:iam::" + f.account + ":role/" + *in.RoleName)}
	if b != "" {
		r.PermissionsBoundary = &types.AttachedPermissionsBoundary{PermissionsBoundaryArn: aws.String(b), PermissionsBoundaryType: types.PermissionsBoundaryAttachmentTypePolicy}
	}
	return &iam.GetRoleOutput{Role: r}, nil
}

func (f *fakeIAM) policy(arn *string) (*fakePolicy, error) {
	p, ok := f.policies[aws.ToString(arn)]
	if !ok {
		return nil, noSuchEntity("policy " + aws.ToString(arn))
	}
	return p, nil
}

func (f *fakeIAM) ListPolicyVersions(_ context.Context, in *iam.ListPolicyVersionsInput, _ ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, err := f.policy(in.PolicyArn)
	if err != nil {
		return nil, err
	}
	out := &iam.ListPolicyVersionsOutput{}
	for n := p.next - 1; n > 0; n-- { // newest first, as IAM lists them
		if _, ok := p.versions[n]; ok {
			out.Versions = append(out.Versions, types.PolicyVersion{VersionId: aws.String(fmt.Sprint("v", n)), IsDefaultVersion: n == p.def})
		}
	}
	return out, nil
}

func (f *fakeIAM) GetPolicyVersion(_ context.Context, in *iam.GetPolicyVersionInput, _ ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error) {
	if f.beforeRead != nil {
		f.beforeRead()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, err := f.policy(in.PolicyArn)
	if err != nil {
		return nil, err
	}
	d, ok := p.versions[versionNumber(aws.ToString(in.VersionId))]
	if !ok {
		return nil, noSuchEntity("version " + aws.ToString(in.VersionId))
	}
	return &iam.GetPolicyVersionOutput{PolicyVersion: &types.PolicyVersion{Document: aws.String(url.QueryEscape(d)), VersionId: in.VersionId}}, nil
}

func (f *fakeIAM) CreatePolicyVersion(_ context.Context, in *iam.CreatePolicyVersionInput, _ ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, err := f.policy(in.PolicyArn)
	if err != nil {
		return nil, err
	}
	if len(p.versions) >= maxVersions {
		return nil, &types.LimitExceededException{Message: aws.String("A managed policy can have up to 5 versions")}
	}
	if n := len(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, *in.PolicyDocument)); n > DocumentQuota {
		return nil, &types.LimitExceededException{Message: aws.String(fmt.Sprintf("Cannot exceed quota for PolicySize: %d", DocumentQuota))}
	}
	n := p.next
	p.next++
	p.versions[n] = *in.PolicyDocument
	if in.SetAsDefault {
		p.def = n
	}
	f.writes++
	return &iam.CreatePolicyVersionOutput{PolicyVersion: &types.PolicyVersion{VersionId: aws.String(fmt.Sprint("v", n)), IsDefaultVersion: in.SetAsDefault}}, nil
}

func (f *fakeIAM) DeletePolicyVersion(_ context.Context, in *iam.DeletePolicyVersionInput, _ ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, err := f.policy(in.PolicyArn)
	if err != nil {
		return nil, err
	}
	n := versionNumber(aws.ToString(in.VersionId))
	if n == p.def {
		return nil, &types.DeleteConflictException{Message: aws.String("Cannot delete the default version")}
	}
	if _, ok := p.versions[n]; !ok {
		return nil, noSuchEntity("version")
	}
	delete(p.versions, n)
	return &iam.DeletePolicyVersionOutput{}, nil
}

var _ IAM = (*fakeIAM)(nil)
var _ IAM = (*iam.Client)(nil)

// subject is a credential's session tags and SourceIdentity.
type subject struct{ agent, session, operator string }

func (s subject) of(scope string) string {
	return map[string]string{ScopeAgent: s.agent, ScopeSession: s.session, ScopeOperator: s.operator}[scope]
}

func clock(t *time.Time) func() time.Time { return func() time.Time { return *t } }

// TestRevokeRefusesEarlierCredentialsOfTheKilledSubject: for each scope, the document written
// on every role refuses the killed subject's credentials issued before the kill, and allows
// those issued at or after it and those of every other subject.
func TestRevokeRefusesEarlierCredentialsOfTheKilledSubject(t *testing.T) {
	t.Parallel()
	killed := subject{"arn:aws:iam::123456789012:role/agent", "ses_01jd", "ada@example.com"}
	other := subject{"arn:aws:iam::123456789012:role/other", "ses_02xy", "grace@example.com"}
	for _, scope := range []string{ScopeGlobal, ScopeAgent, ScopeSession, ScopeOperator} {
		t.Run(scope, func(t *testing.T) {
			t.Parallel()
			f := newFakeIAM("123456789012")
			roles := []string{f.targetRole("orders"), f.targetRole("billing")}
			now := killAt
			k := Kill{Scope: scope, Value: killed.of(scope), At: killAt.Add(300 * time.Millisecond)}
			if err := New(f, time.Hour, clock(&now)).Revoke(context.Background(), []Kill{k}, roles); err != nil {
				t.Fatal(err)
			}
			for _, role := range []string{"orders", "billing"} {
				d := f.defaultDoc(t, role)
				before, at := killAt, killAt.Add(time.Second) // issue times have whole seconds
				if !d.Refuses(killed.agent, killed.session, killed.operator, before) {
					t.Errorf("%s: a credential issued before the kill is allowed", role)
				}
				if d.Refuses(killed.agent, killed.session, killed.operator, at) {
					t.Errorf("%s: a credential issued after the kill is refused", role)
				}
				if got := d.Refuses(other.agent, other.session, other.operator, before); got != (scope == ScopeGlobal) {
					t.Errorf("%s: another subject's earlier credential refused = %v", role, got)
				}
			}
		})
	}
}

// TestFiveHundredKillsInAnHour: 500 kills of distinct agents, sessions and operators within
// one hour never take a document past IAM's quota; every kill either makes the subject's
// earlier credentials refused, and they stay refused through every later kill, or is
// reported as ErrFull (the caller reports the revocation degraded); a full document leaves
// room again once its kills' credentials have expired.
func TestFiveHundredKillsInAnHour(t *testing.T) {
	t.Parallel()
	f := newFakeIAM("123456789012")
	role := f.targetRole("orders")
	now := killAt.Add(-40 * time.Minute) // the hour straddles two windows
	r := New(f, time.Hour, clock(&now))
	type done struct {
		k   Kill
		sub subject
	}
	var revoked []done
	full := 0
	for i := range 500 {
		now = now.Add(7 * time.Second)
		sub := subject{
			agent:    fmt.Sprintf("arn:aws:iam::123456789012:role/agents/agent-%03d", i),
			session:  fmt.Sprintf("ses_01jdq5x8m4r7t2w9k3n6p%05d", i),
			operator: fmt.Sprintf("operator-%03d@example.com", i),
		}
		scope := []string{ScopeAgent, ScopeSession, ScopeOperator}[i%3]
		k := Kill{Scope: scope, Value: sub.of(scope), At: now}
		err := r.Revoke(context.Background(), []Kill{k}, []string{role})
		switch {
		case errors.Is(err, ErrFull):
			full++
		case err != nil:
			t.Fatalf("kill %d: %v", i, err)
		default:
			revoked = append(revoked, done{k, sub})
		}
		d := f.defaultDoc(t, "orders")
		if n := len(d.Render()); n > DocumentQuota {
			t.Fatalf("kill %d: the document has %d characters", i, n)
		}
		if err == nil && d.Refuses(sub.agent, sub.session, sub.operator, now) {
			t.Fatalf("kill %d: the subject's credential issued at the kill is refused", i)
		}
	}
	d := f.defaultDoc(t, "orders")
	for _, x := range revoked {
		if !d.Refuses(x.sub.agent, x.sub.session, x.sub.operator, x.k.At.Add(-time.Second)) {
			t.Fatalf("the %s kill of %q no longer refuses its earlier credentials", x.k.Scope, x.k.Value)
		}
	}
	if full == 0 || len(revoked) < 60 {
		t.Fatalf("%d kills revoked, %d full: want the document to hold at least 60 and fill before 500", len(revoked), full)
	}
	t.Logf("one document held %d of 500 kills in an hour; %d reported full", len(revoked), full)

	// Two windows later every earlier deny has expired and is swept.
	now = now.Add(2 * time.Hour)
	k := Kill{Scope: ScopeAgent, Value: "arn:aws:iam::123456789012:role/late", At: now}
	if err := r.Revoke(context.Background(), []Kill{k}, []string{role}); err != nil {
		t.Fatalf("after the sweep: %v", err)
	}
	if n := len(f.defaultDoc(t, "orders").st); n != 1 {
		t.Fatalf("%d statements after the sweep, want 1", n)
	}
}

// TestKillsWithoutEndNeverFill: one kill of another agent every five minutes for two days
// never fills the document (the sweep keeps at most two windows), and a deny whose
// credentials may still live is never swept.
func TestKillsWithoutEndNeverFill(t *testing.T) {
	t.Parallel()
	f := newFakeIAM("123456789012")
	role := f.targetRole("orders")
	now := killAt
	r := New(f, time.Hour, clock(&now))
	agent := func(i int) string { return fmt.Sprintf("arn:aws:iam::123456789012:role/agent-%03d", i) }
	for i := range 576 {
		now = killAt.Add(time.Duration(i) * 5 * time.Minute)
		if err := r.Revoke(context.Background(), []Kill{{Scope: ScopeAgent, Value: agent(i), At: now}}, []string{role}); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		d := f.defaultDoc(t, "orders")
		for j := max(0, i-11); j <= i; j++ { // every kill of the last hour
			at := killAt.Add(time.Duration(j) * 5 * time.Minute)
			if !d.Refuses(agent(j), "", "", at.Add(-time.Second)) {
				t.Fatalf("kill %d: the deny of kill %d (%v old) was swept", i, j, now.Sub(at))
			}
		}
		if n := len(d.st); n > 2 {
			t.Fatalf("kill %d: %d statements", i, n)
		}
	}
}

// TestConcurrentKillsAreNotLost: kills of the same role written at the same time, each from
// the version all of them read, all end in the default version.
func TestConcurrentKillsAreNotLost(t *testing.T) {
	t.Parallel()
	f := newFakeIAM("123456789012")
	role := f.targetRole("orders")
	const n = 3
	var arrived sync.WaitGroup
	arrived.Add(n)
	var reads atomic.Int32
	f.beforeRead = func() {
		// The first n reads (one per writer: a waiting writer reads nothing else) wait for
		// each other, so every writer starts from the same version.
		if reads.Add(1) <= n {
			arrived.Done()
			arrived.Wait()
		}
	}
	now := killAt
	r := New(f, time.Hour, clock(&now))
	var kills []Kill
	for i := range n {
		kills = append(kills, Kill{Scope: ScopeAgent, Value: fmt.Sprint("agent-", i), At: killAt})
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, k := range kills {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.Revoke(context.Background(), []Kill{k}, []string{role})
		}()
	}
	wg.Wait()
	f.beforeRead = nil
	d := f.defaultDoc(t, "orders")
	for i, k := range kills {
		if errs[i] != nil {
			t.Fatalf("kill %d: %v", i, errs[i])
		}
		if !d.Covers(k) {
			t.Errorf("the kill of %s was lost", k.Value)
		}
	}
}

// TestRevokeAcrossAccounts: a role in another account is written through that account's
// revocation role; when that role cannot be assumed, the error says so (ErrAccount) and the
// home account's roles are still written.
func TestRevokeAcrossAccounts(t *testing.T) {
	t.Parallel()
	home, far := newFakeIAM("111111111111"), newFakeIAM("222222222222")
	homeRole, farRole := home.targetRole("orders"), far.targetRole("ledger")
	var assumed []string
	assume := func(_ context.Context, roleARN string) (IAM, error) {
		assumed = append(assumed, roleARN)
		if strings.Contains(roleARN, "::222222222222:") {
			return far, nil
		}
		return nil, errors.New("AccessDenied: not authorized to perform sts:AssumeRole")
	}
	now := killAt
	r := New(home, time.Hour, clock(&now)).CrossAccount("111111111111", assume)
	k := Kill{Scope: ScopeGlobal, At: killAt}
	gone := "arn:aws:iam::333333333333:role/payments"
	err := r.Revoke(context.Background(), []Kill{k}, []string{homeRole, farRole, gone})
	if !errors.Is(err, ErrAccount) || !strings.Contains(err.Error(), gone) || strings.Contains(err.Error(), "ledger") {
		t.Fatalf("Revoke = %v, want ErrAccount for %s only", err, gone)
	}
	if !home.defaultDoc(t, "orders").Covers(k) || !far.defaultDoc(t, "ledger").Covers(k) {
		t.Fatal("a reachable role was not written")
	}
	if home.writes != 1 || far.writes != 1 {
		t.Fatalf("writes: home %d, far %d", home.writes, far.writes)
	}
	want := []string{"arn:aws:iam::222222222222:role/" + RevocationRoleName, "arn:aws:iam::333333333333:role/" + RevocationRoleName}
	if fmt.Sprint(assumed) != fmt.Sprint(want) {
		t.Fatalf("assumed %v, want %v", assumed, want)
	}
}

// TestRevokeRefuses: a role without a revocation policy, a policy holding a statement
// Mandate did not write, an unknown role, and bad kills are errors, and nothing is written
// over a foreign policy.
func TestRevokeRefuses(t *testing.T) {
	t.Parallel()
	f := newFakeIAM("123456789012")
	f.roles["plain"] = ""
	f.roles["elsewhere"] = "arn:aws:iam::123456789012:policy/team/boundary"
	foreign := f.targetRole("foreign")
	f.policies[f.roles["foreign"]].versions[1] = `{"Version":"2012-10-17","Statement":[{"Sid":"MandateTargetPermissions","Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`
	r := New(f, time.Hour, nil)
	k := Kill{Scope: ScopeGlobal, At: killAt}
	for _, tc := range []struct {
		role string
		want error
	}{
		{"arn:aws:iam::123456789012:role/plain", ErrNoPolicy},
		{"arn:aws:iam::123456789012:role/elsewhere", ErrNoPolicy},
		{foreign, ErrForeign},
	} {
		if err := r.Revoke(context.Background(), []Kill{k}, []string{tc.role}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.role, err, tc.want)
		}
	}
	if err := r.Revoke(context.Background(), []Kill{k}, []string{"arn:aws:iam::123456789012:role/missing", "not-an-arn"}); err == nil ||
		!strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), "not-an-arn") {
		t.Errorf("unknown roles: %v", err)
	}
	if f.writes != 0 {
		t.Fatalf("%d versions written", f.writes)
	}
	for _, bad := range []Kill{{Scope: "galaxy", At: killAt}, {Scope: ScopeSession, At: killAt}, {Scope: ScopeGlobal}, {Scope: ScopeGlobal, Value: "x", At: killAt}} {
		if err := r.Revoke(context.Background(), []Kill{bad}, []string{foreign}); err == nil {
			t.Errorf("Revoke(%+v) accepted", bad)
		}
	}
}

// TestVersionsAreRecycled: IAM keeps five versions; each write after the fifth deletes the
// oldest that is not the default.
func TestVersionsAreRecycled(t *testing.T) {
	t.Parallel()
	f := newFakeIAM("123456789012")
	role := f.targetRole("orders")
	now := killAt
	r := New(f, time.Hour, clock(&now))
	for i := range 12 {
		now = now.Add(time.Minute)
		if err := r.Revoke(context.Background(), []Kill{{Scope: ScopeSession, Value: fmt.Sprint("ses_", i), At: now}}, []string{role}); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
	}
	if f.writes != 12 || len(f.policies[f.roles["orders"]].versions) != maxVersions {
		t.Fatalf("%d writes, %d versions", f.writes, len(f.policies[f.roles["orders"]].versions))
	}
	// The same kill again writes nothing.
	if err := r.Revoke(context.Background(), []Kill{{Scope: ScopeSession, Value: "ses_11", At: now}}, []string{role}); err != nil || f.writes != 12 {
		t.Fatalf("repeat: %v, %d writes", err, f.writes)
	}
}

// TestOneVersionPerKillSwitch: an operator's kill (the verified and the asserted spelling of
// the operator) is one new version of each role's policy, holding both.
func TestOneVersionPerKillSwitch(t *testing.T) {
	t.Parallel()
	f := newFakeIAM("123456789012")
	role := f.targetRole("orders")
	kills := []Kill{{Scope: ScopeOperator, Value: "ada@example.com", At: killAt}, {Scope: ScopeOperator, Value: "asserted.ada@example.com", At: killAt}}
	if err := New(f, time.Hour, nil).Revoke(context.Background(), kills, []string{role}); err != nil {
		t.Fatal(err)
	}
	d := f.defaultDoc(t, "orders")
	if f.writes != 1 || !d.Covers(kills[0]) || !d.Covers(kills[1]) {
		t.Fatalf("%d writes: %s", f.writes, d.Render())
	}
	if err := New(f, time.Hour, nil).Revoke(context.Background(), nil, []string{role}); err == nil {
		t.Fatal("no kill accepted")
	}
}
