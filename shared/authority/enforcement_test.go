package authority_test

import (
	"context"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/mask"
)

const auditor = "auditor@example.com"

// newEnforcementFixture has two administrators (root and auditor) and one operator (grace).
func newEnforcementFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	auth, err := authority.New(context.Background(), authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now), Executor: execute.NewHTTP(nil),
		Masker: mask.New(), Now: f.now, Log: quiet,
		Roles: authority.Roles{
			Operators: map[string]string{identity.LocalARN(grace): grace},
			Admins:    map[string]string{identity.LocalARN(root): root, identity.LocalARN(auditor): auditor},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth
	return f
}

func TestTurningEnforcementOffTakesTwoAdministrators(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newEnforcementFixture(t)
	s := f.open(t)
	off := api.EnforcementRequest{Mode: api.EnforcementLogOnly, Reason: "monitor the new policy set for a day"}

	for who, want := range map[string]error{"demo-agent": authority.ErrForbidden, grace: authority.ErrForbidden} {
		if _, err := f.auth.SetEnforcement(ctx, agent(who), off); kindOf(err) != want {
			t.Errorf("%s switched enforcement: %v", who, err)
		}
	}
	first, err := f.auth.SetEnforcement(ctx, agent(root), off)
	if err != nil || first.Status != "pending" || first.Mode != api.EnforcementOn || first.ExpiresAt == nil || first.Record == nil {
		t.Fatalf("first request = %+v, %v; want pending", first, err)
	}
	if got, err := f.auth.GetEnforcement(ctx, agent(auditor)); err != nil || got.Mode != api.EnforcementOn || got.Status != "pending" ||
		len(got.By) != 1 || got.By[0] != root || got.ExpiresAt == nil || !got.ExpiresAt.Equal(*first.ExpiresAt) {
		t.Fatalf("GET while a request waits = %+v, %v; want it pending, asked by %s", got, err, root)
	}
	if _, err := f.auth.SetEnforcement(ctx, agent(root), off); kindOf(err) != authority.ErrForbidden {
		t.Fatalf("the same administrator confirmed their own request: %v", err)
	}
	if _, err := f.auth.Act(ctx, agent("demo-agent"), s.SessionID, del); kindOf(err) != authority.ErrDenied {
		t.Fatalf("a pending request already turned enforcement off: %v", err)
	}

	done, err := f.auth.SetEnforcement(ctx, agent(auditor), off)
	if err != nil || done.Status != "done" || done.Mode != api.EnforcementLogOnly || len(done.By) != 2 || done.By[0] != root || done.By[1] != auditor {
		t.Fatalf("second administrator = %+v, %v", done, err)
	}
	res, err := f.auth.Act(ctx, agent("demo-agent"), s.SessionID, del)
	if err != nil || res.Verdict != api.VerdictAllow || len(res.Reasons) != 1 || res.Reasons[0] != authority.ReasonEnforcementOff {
		t.Fatalf("log-only delete = %+v, %v", res, err)
	}
	rep, err := audit.VerifyChain(ctx, f.store, s.SessionID)
	if err != nil || rep.Break != nil {
		t.Fatal(err, rep.Break)
	}
	var recorded *audit.Verdict
	for _, r := range rep.Records {
		if r.Type == audit.TypeDecision && r.Verdict.Decision == api.VerdictAllow && r.Action.Name == "http:DELETE" {
			recorded = r.Verdict
		}
	}
	if recorded == nil || len(recorded.Shadow) != 1 || recorded.Shadow[0].Decision != api.VerdictDeny || recorded.Shadow[0].Reasons[0] != "forbid-delete-customers" {
		t.Fatalf("the decision record does not keep the verdict that was not enforced: %+v", recorded)
	}

	// Turning it back on takes one administrator, at once.
	on, err := f.auth.SetEnforcement(ctx, agent(root), api.EnforcementRequest{Mode: api.EnforcementOn, Reason: "done monitoring"})
	if err != nil || on.Status != "done" || on.Mode != api.EnforcementOn {
		t.Fatalf("enforce = %+v, %v", on, err)
	}
	if _, err := f.auth.Act(ctx, agent("demo-agent"), s.SessionID, del); kindOf(err) != authority.ErrDenied {
		t.Fatalf("enforcement back on, delete = %v", err)
	}
	got, err := f.auth.GetEnforcement(ctx, agent(auditor))
	if err != nil || got.Mode != api.EnforcementOn || got.Version != 2 || got.Status != "done" {
		t.Fatalf("GetEnforcement = %+v, %v", got, err)
	}
}

func TestALapsedRequestConfirmsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newEnforcementFixture(t)
	off := api.EnforcementRequest{Mode: api.EnforcementLogOnly, Reason: "monitor"}
	if r, err := f.auth.SetEnforcement(ctx, agent(root), off); err != nil || r.Status != "pending" {
		t.Fatalf("first = %+v, %v", r, err)
	}
	f.advance(authority.DefaultLiftWindow + time.Second)
	r, err := f.auth.SetEnforcement(ctx, agent(auditor), off)
	if err != nil || r.Status != "pending" || r.Mode != api.EnforcementOn {
		t.Fatalf("after the window lapsed the second administrator's request = %+v, %v; want a new pending request", r, err)
	}
	if _, err := f.auth.SetEnforcement(ctx, agent(auditor), api.EnforcementRequest{Mode: "off", Reason: "x"}); kindOf(err) != authority.ErrInvalid {
		t.Fatalf("bad mode: %v", err)
	}
}

// TestOtherAuthoritiesFollowTheSwitch: another authority on the same store (another Lambda
// instance) picks the mode up within its reload interval.
func TestOtherAuthoritiesFollowTheSwitch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newEnforcementFixture(t)
	other, err := authority.New(ctx, authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now), Executor: execute.NewHTTP(nil),
		Masker: mask.New(), Now: f.now, Log: quiet, ReloadInterval: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := f.open(t)
	off := api.EnforcementRequest{Mode: api.EnforcementLogOnly, Reason: "monitor"}
	if _, err := f.auth.SetEnforcement(ctx, agent(root), off); err != nil {
		t.Fatal(err)
	}
	if r, err := f.auth.SetEnforcement(ctx, agent(auditor), off); err != nil || r.Status != "done" {
		t.Fatalf("%+v %v", r, err)
	}
	f.advance(2 * time.Second)
	if res, err := other.Act(ctx, agent("demo-agent"), s.SessionID, del); err != nil || res.Reasons[0] != authority.ReasonEnforcementOff {
		t.Fatalf("the other authority still enforces: %+v %v", res, err)
	}
}
