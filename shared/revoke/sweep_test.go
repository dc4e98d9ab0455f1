package revoke

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// fakeIAM keeps each role's inline policies as IAM does (documents come back URL-encoded,
// lists are paged) and refuses a put past IAM's 10,240-character quota.
type fakeIAM struct {
	roles    map[string]map[string]string
	page     int
	failList bool
}

const inlineQuota = 10240

func (f *fakeIAM) PutRolePolicy(_ context.Context, in *iam.PutRolePolicyInput, _ ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	ps := f.roles[*in.RoleName]
	if ps == nil {
		ps = map[string]string{}
		f.roles[*in.RoleName] = ps
	}
	total := len(*in.PolicyDocument)
	for n, d := range ps {
		if n != *in.PolicyName {
			total += len(d)
		}
	}
	if total > inlineQuota {
		return nil, errors.New("LimitExceeded: Maximum policy size of 10240 bytes exceeded")
	}
	ps[*in.PolicyName] = *in.PolicyDocument
	return &iam.PutRolePolicyOutput{}, nil
}

func (f *fakeIAM) ListRolePolicies(_ context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	if f.failList {
		return nil, errors.New("AccessDenied")
	}
	var names []string
	for n := range f.roles[*in.RoleName] {
		names = append(names, n)
	}
	slices.Sort(names)
	start := 0
	if in.Marker != nil {
		fmt.Sscan(*in.Marker, &start)
	}
	end := min(start+f.page, len(names))
	out := &iam.ListRolePoliciesOutput{PolicyNames: names[start:end]}
	if end < len(names) {
		out.IsTruncated, out.Marker = true, aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (f *fakeIAM) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	d, ok := f.roles[*in.RoleName][*in.PolicyName]
	if !ok {
		return nil, errors.New("NoSuchEntity")
	}
	return &iam.GetRolePolicyOutput{PolicyDocument: aws.String(url.QueryEscape(d))}, nil
}

func (f *fakeIAM) DeleteRolePolicy(_ context.Context, in *iam.DeleteRolePolicyInput, _ ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error) {
	delete(f.roles[*in.RoleName], *in.PolicyName)
	return &iam.DeleteRolePolicyOutput{}, nil
}

const sweepRole = "arn:aws:iam::123456789012:role/mandate-orders"

// TestSweepKeepsTheQuota: kills without end (one every five minutes, each of another agent)
// never fill the role's inline policy quota, which about 37 kills did without the sweep; a
// deny whose credentials may still live is never removed; other policies are never touched.
func TestSweepKeepsTheQuota(t *testing.T) {
	t.Parallel()
	for _, sweeping := range []bool{false, true} {
		t.Run(fmt.Sprint("sweeping=", sweeping), func(t *testing.T) {
			t.Parallel()
			f := &fakeIAM{roles: map[string]map[string]string{"mandate-orders": {
				"app-permissions":           `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}`,
				PolicyPrefix + "unreadable": `not json`,
			}}, page: 3}
			now := killAt
			r := New(f)
			if sweeping {
				r = NewSweeping(f, time.Hour, func() time.Time { return now })
			}
			var failedAt int
			for i := range 200 {
				now = killAt.Add(time.Duration(i) * 5 * time.Minute)
				k := Kill{Scope: ScopeAgent, Value: fmt.Sprintf("arn:aws:iam::123456789012:role/agent-%03d", i), At: now}
				if err := r.Revoke(context.Background(), k, []string{sweepRole}); err != nil {
					failedAt = i + 1
					break
				}
				// Every deny of the last hour is still there.
				for j := max(0, i-11); j <= i; j++ {
					name := PolicyName(Kill{Scope: ScopeAgent, Value: fmt.Sprintf("arn:aws:iam::123456789012:role/agent-%03d", j)})
					if _, ok := f.roles["mandate-orders"][name]; !ok {
						t.Fatalf("kill %d: the deny of kill %d (%v old) was removed", i, j, now.Sub(killAt.Add(time.Duration(j)*5*time.Minute)))
					}
				}
			}
			if !sweeping {
				if failedAt == 0 || failedAt > 60 {
					t.Fatalf("without the sweep the quota filled at kill %d; the fake does not hold the quota", failedAt)
				}
				return
			}
			if failedAt != 0 {
				t.Fatalf("the quota filled at kill %d", failedAt)
			}
			ps := f.roles["mandate-orders"]
			if _, ok := ps["app-permissions"]; !ok {
				t.Error("the sweep removed a policy it did not write")
			}
			if _, ok := ps[PolicyPrefix+"unreadable"]; !ok {
				t.Error("the sweep removed a deny it could not date")
			}
			if len(ps) > 2+13 {
				t.Errorf("%d inline policies remain, want at most an hour's kills", len(ps))
			}
		})
	}
}

// TestSweepFailureDoesNotStopTheKill: a role whose policies cannot be listed still gets the
// kill's deny, and no error is reported for it.
func TestSweepFailureDoesNotStopTheKill(t *testing.T) {
	t.Parallel()
	f := &fakeIAM{roles: map[string]map[string]string{}, page: 10, failList: true}
	r := NewSweeping(f, time.Hour, func() time.Time { return killAt })
	k := Kill{Scope: ScopeGlobal, At: killAt}
	if err := r.Revoke(context.Background(), k, []string{sweepRole}); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, ok := f.roles["mandate-orders"][PolicyName(k)]; !ok {
		t.Fatal("the kill's deny was not put")
	}
	if err := r.Sweep(context.Background(), sweepRole); !errors.Is(err, ErrSweep) {
		t.Fatalf("sweep: %v, want ErrSweep", err)
	}
}
