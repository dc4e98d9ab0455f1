package authority_test

import (
	"context"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/mask"
)

// roleSession is a human calling through a shared caller role, as API Gateway's IAM
// authorizer reports an assumed-role session.
func roleSession(role, session string) authority.Caller {
	return authority.Caller{RequestID: "r1", IAM: &identity.IAMContext{
		AccountID: "123456789012", UserARN: "arn:aws:sts::123456789012:assumed-role/" + role + "/" + session,
		UserID: "AROAEXAMPLE:" + session, CallerID: "AROAEXAMPLE:" + session, AccessKey: "ASIAEXAMPLE",
	}}
}

// In AWS a person is the role session AWS binds to them, and the directory says which: a
// second session under a name of one's choosing is nobody, and cannot be a second human.
func TestRoleSessionsAreNotSecondPeople(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := map[string]string{
		authority.EnvOperators: "arn:aws:iam::123456789012:role/mandate-operator",
		authority.EnvPeople: `[{"id":"alice@example.com","iam":["arn:aws:sts::123456789012:assumed-role/mandate-operator/alice"]},
			{"id":"bob@example.com","iam":["arn:aws:sts::123456789012:assumed-role/mandate-operator/bob"]},
			{"id":"ada@example.com"}]`,
	}
	roles, err := authority.RolesFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	f.auth, err = authority.New(ctx, authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now),
		Executor: execute.NewHTTP(nil), Masker: mask.New(), Now: f.now, Roles: roles, Log: quiet, MaskKey: testMaskKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	alice, alice2, bob := roleSession("mandate-operator", "alice"), roleSession("mandate-operator", "alice-2nd-session"), roleSession("mandate-operator", "bob")

	if _, err := f.auth.Kill(ctx, alice, api.KillRequest{Scope: "global", Reason: "incident"}); err != nil {
		t.Fatal(err)
	}
	lift, err := f.auth.LiftKill(ctx, alice, "global", "", api.LiftRequest{Reason: "contained"})
	if err != nil || lift.Status != api.LiftPending {
		t.Fatalf("first lift = %+v %v", lift, err)
	}
	if _, err := f.auth.LiftKill(ctx, alice2, "global", "", api.LiftRequest{Reason: "me again"}); kindOf(err) != authority.ErrForbidden {
		t.Fatalf("alice's second role session confirming her own lift = %v, want forbidden", err)
	}
	if lift, err = f.auth.LiftKill(ctx, bob, "global", "", api.LiftRequest{Reason: "agreed"}); err != nil || lift.Status != api.LiftDone {
		t.Fatalf("bob's confirmation = %+v %v", lift, err)
	}

	// alice cannot approve a session whose agent named her, under any spelling.
	s, err := f.auth.OpenSession(ctx, agent("demo-agent"), api.OpenSessionRequest{Operator: " ALICE@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.auth.Act(ctx, agent("demo-agent"), s.SessionID, export)
	if err != nil || res.ApprovalID == "" {
		t.Fatalf("export = %+v %v", res, err)
	}
	for _, who := range []authority.Caller{alice, alice2} {
		if _, err := f.auth.DecideApproval(ctx, who, res.ApprovalID, true, api.DecideRequest{}); kindOf(err) != authority.ErrForbidden {
			t.Errorf("approval by %s = %v, want forbidden", who.IAM.UserARN, err)
		}
	}
	if _, err := f.auth.DecideApproval(ctx, bob, res.ApprovalID, true, api.DecideRequest{}); err != nil {
		t.Fatalf("bob's approval: %v", err)
	}
}
