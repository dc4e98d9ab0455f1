package authority_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/store"
)

// Humans of the tests: ada opens sessions through her agent, grace approves, root
// administers.
const (
	ada   = "ada@example.com"
	grace = "grace@example.com"
	root  = "root@example.com"
)

var roles = authority.Roles{
	Operators: map[string]string{identity.LocalARN(ada): ada, identity.LocalARN(grace): grace},
	Admins:    map[string]string{identity.LocalARN(root): root},
}

// export is the demo policies' action that needs approval.
var export = api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers"}}

// newRolesFixture is newFixture with the humans above known to the authority; its authority
// shares the fixture's store, clock, broker secret and target.
func newRolesFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	auth, err := authority.New(context.Background(), authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now),
		Executor: execute.NewHTTP(nil), Masker: mask.New(), Now: f.now, Roles: roles, Log: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth
	return f
}

func (f *fixture) openTTL(t *testing.T, ttl string) api.Session {
	t.Helper()
	s, err := f.auth.OpenSession(context.Background(), agent("demo-agent"), api.OpenSessionRequest{Operator: ada, Prompt: prompt, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) askApproval(t *testing.T, session string, req api.ActionRequest) api.ActionResponse {
	t.Helper()
	res, err := f.auth.Act(context.Background(), agent("demo-agent"), session, req)
	if err != nil {
		t.Fatalf("Act: %v", err)
	}
	if res.Verdict != api.VerdictApproval || res.ApprovalID == "" || res.ExpiresAt == nil {
		t.Fatalf("Act = %+v, want a pending approval", res)
	}
	return res
}

func (f *fixture) advance(d time.Duration) { f.clock.Add(int64(d)) }

// recordTypes lists the types of a session's records.
func recordTypes(t *testing.T, f *fixture, session string) []string {
	t.Helper()
	rep, err := audit.VerifyChain(context.Background(), f.store, session)
	if err != nil || rep.Break != nil {
		t.Fatalf("VerifyChain: %v %v", err, rep.Break)
	}
	var out []string
	for _, r := range rep.Records {
		out = append(out, r.Type)
	}
	return out
}

func TestApprovalLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	approve := func(f *fixture, who, id string) error {
		_, err := f.auth.DecideApproval(ctx, agent(who), id, true, api.DecideRequest{Note: "ok"})
		return err
	}
	deny := func(f *fixture, who, id string) error {
		_, err := f.auth.DecideApproval(ctx, agent(who), id, false, api.DecideRequest{})
		return err
	}
	tests := []struct {
		name string
		// run returns the error of the agent's retry; the session was opened with a TTL of
		// an hour and the export asked for approval (res).
		run      func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error
		wantKind error // nil: the retry runs
		wantRecs []string
	}{
		{
			name: "approved by another human runs once",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				if err := approve(f, grace, res.ApprovalID); err != nil {
					t.Fatal(err)
				}
				return retry(f, s.SessionID, export, res.ApprovalID)
			},
			wantRecs: []string{"decision", "approval.request", "approval.approve", "approval.consume", "decision", "result"},
		},
		{
			name: "reuse is refused",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				if err := approve(f, grace, res.ApprovalID); err != nil {
					t.Fatal(err)
				}
				if err := retry(f, s.SessionID, export, res.ApprovalID); err != nil {
					t.Fatal(err)
				}
				return retry(f, s.SessionID, export, res.ApprovalID)
			},
			wantKind: authority.ErrApprovalInvalid,
			wantRecs: []string{"decision", "approval.request", "approval.approve", "approval.consume", "decision", "result", "decision"},
		},
		{
			name: "denied",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				if err := deny(f, grace, res.ApprovalID); err != nil {
					t.Fatal(err)
				}
				if err := approve(f, grace, res.ApprovalID); !errors.Is(err, authority.ErrApprovalDecided) {
					t.Errorf("approve after deny: %v, want ErrApprovalDecided", err)
				}
				return retry(f, s.SessionID, export, res.ApprovalID)
			},
			wantKind: authority.ErrApprovalInvalid,
			wantRecs: []string{"decision", "approval.request", "approval.deny", "decision"},
		},
		{
			name: "still pending",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				return retry(f, s.SessionID, export, res.ApprovalID)
			},
			wantKind: authority.ErrApprovalPending,
			wantRecs: []string{"decision", "approval.request", "decision"},
		},
		{
			name: "expired before it was decided",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				f.advance(authority.DefaultApprovalTTL)
				if err := approve(f, grace, res.ApprovalID); !errors.Is(err, authority.ErrApprovalDecided) {
					t.Errorf("approve after expiry: %v, want ErrApprovalDecided", err)
				}
				return retry(f, s.SessionID, export, res.ApprovalID)
			},
			wantKind: authority.ErrApprovalInvalid,
			wantRecs: []string{"decision", "approval.request", "decision"},
		},
		{
			name: "expired after it was approved",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				if err := approve(f, grace, res.ApprovalID); err != nil {
					t.Fatal(err)
				}
				f.advance(authority.DefaultApprovalTTL)
				return retry(f, s.SessionID, export, res.ApprovalID)
			},
			wantKind: authority.ErrApprovalInvalid,
			wantRecs: []string{"decision", "approval.request", "approval.approve", "decision"},
		},
		{
			name: "another action's digest",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				if err := approve(f, grace, res.ApprovalID); err != nil {
					t.Fatal(err)
				}
				other := export
				other.Action.Body = map[string]any{"limit": 1000}
				return retry(f, s.SessionID, other, res.ApprovalID)
			},
			wantKind: authority.ErrApprovalInvalid,
			wantRecs: []string{"decision", "approval.request", "approval.approve", "decision"},
		},
		{
			name: "another session's approval",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				if err := approve(f, grace, res.ApprovalID); err != nil {
					t.Fatal(err)
				}
				other := f.openTTL(t, "1h")
				if err := retry(f, other.SessionID, export, res.ApprovalID); !errors.Is(err, authority.ErrApprovalInvalid) {
					t.Errorf("retry in another session: %v, want ErrApprovalInvalid", err)
				}
				return retry(f, s.SessionID, export, res.ApprovalID) // still good here
			},
			wantRecs: []string{"decision", "approval.request", "approval.approve", "approval.consume", "decision", "result"},
		},
		{
			name: "the session's own operator cannot approve",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				if err := approve(f, ada, res.ApprovalID); !errors.Is(err, authority.ErrForbidden) {
					t.Errorf("self approval: %v, want ErrForbidden", err)
				}
				return retry(f, s.SessionID, export, res.ApprovalID)
			},
			wantKind: authority.ErrApprovalPending,
			wantRecs: []string{"decision", "approval.request", "decision"},
		},
		{
			name: "neither the agent nor an administrator can approve",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				for _, who := range []string{"demo-agent", root} {
					if err := approve(f, who, res.ApprovalID); !errors.Is(err, authority.ErrForbidden) {
						t.Errorf("approval by %s: %v, want ErrForbidden", who, err)
					}
					if _, err := f.auth.ListApprovals(ctx, agent(who), ""); !errors.Is(err, authority.ErrForbidden) {
						t.Errorf("list by %s: %v, want ErrForbidden", who, err)
					}
				}
				return retry(f, s.SessionID, export, res.ApprovalID)
			},
			wantKind: authority.ErrApprovalPending,
			wantRecs: []string{"decision", "approval.request", "decision"},
		},
		{
			name: "an unknown id",
			run: func(t *testing.T, f *fixture, s api.Session, res api.ActionResponse) error {
				if err := approve(f, grace, "apr_aaaaaaaaaaaaaaaaaaaaaaaaaa"); !errors.Is(err, authority.ErrApprovalNotFound) {
					t.Errorf("approve unknown: %v, want ErrApprovalNotFound", err)
				}
				return retry(f, s.SessionID, export, "apr_../../x")
			},
			wantKind: authority.ErrApprovalInvalid,
			wantRecs: []string{"decision", "approval.request", "decision"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newRolesFixture(t)
			s := f.openTTL(t, "1h")
			res := f.askApproval(t, s.SessionID, export)
			served := f.crm.Served()
			err := tt.run(t, f, s, res)
			if kindOf(err) != tt.wantKind && !(tt.wantKind == nil && err == nil) {
				t.Fatalf("retry: %v, want %v", err, tt.wantKind)
			}
			ran := f.crm.Served() - served
			if want := int64(map[bool]int{true: 1, false: 0}[tt.wantKind == nil]); ran != want && tt.name != "reuse is refused" {
				t.Errorf("target served %d requests, want %d", ran, want)
			}
			got := recordTypes(t, f, s.SessionID)[1:] // after session.open
			if diff := cmp.Diff(tt.wantRecs, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func retry(f *fixture, session string, req api.ActionRequest, id string) error {
	req.ApprovalID = id
	res, err := f.auth.Act(context.Background(), agent("demo-agent"), session, req)
	if err == nil && res.Verdict != api.VerdictAllow {
		return errors.New("verdict " + res.Verdict)
	}
	return err
}

func TestApprovalListAndRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRolesFixture(t)
	s := f.openTTL(t, "1h")
	res := f.askApproval(t, s.SessionID, export)
	list, err := f.auth.ListApprovals(ctx, agent(grace), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Approvals) != 1 || list.Approvals[0].ApprovalID != res.ApprovalID || list.Approvals[0].Operator != ada ||
		list.Approvals[0].Status != store.ApprovalPending {
		t.Fatalf("ListApprovals = %+v", list)
	}
	if _, err := f.auth.ListApprovals(ctx, agent(grace), "bogus"); !errors.Is(err, authority.ErrInvalid) {
		t.Errorf("ListApprovals(bogus): %v", err)
	}
	got, err := f.auth.DecideApproval(ctx, agent(grace), res.ApprovalID, true, api.DecideRequest{Note: "quarterly review"})
	if err != nil || got.Status != store.ApprovalApproved || got.DecidedBy != grace {
		t.Fatalf("DecideApproval = %+v, %v", got, err)
	}
	rep, err := audit.VerifyChain(ctx, f.store, s.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	var approved *audit.Approval
	for _, r := range rep.Records {
		if r.Type == audit.TypeApprovalApprove {
			approved = r.Approval
		}
	}
	if approved == nil || approved.By != grace || approved.Note != "quarterly review" || approved.ID != res.ApprovalID {
		t.Fatalf("approve record: %+v", approved)
	}
}

func TestHumansCannotOpenSessions(t *testing.T) {
	t.Parallel()
	f := newRolesFixture(t)
	for _, who := range []string{ada, grace, root} {
		_, err := f.auth.OpenSession(context.Background(), agent(who), api.OpenSessionRequest{Operator: ada, Prompt: prompt})
		if !errors.Is(err, authority.ErrForbidden) {
			t.Errorf("OpenSession as %s: %v, want ErrForbidden", who, err)
		}
	}
}

var quiet = slog.New(slog.DiscardHandler)

func TestRolesFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		authority.EnvOperators:         "arn:aws:iam::123456789012:role/oncall=ada@example.com, arn:aws:iam::123456789012:user/grace",
		authority.EnvAdmins:            "arn:aws:iam::123456789012:role/policy-admin",
		authority.EnvSessionBoundRoles: " arn:aws:iam::123456789012:role/mandate-agent ,",
	}
	r, err := authority.RolesFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := authority.Roles{
		Operators:    map[string]string{"arn:aws:iam::123456789012:role/oncall": "ada@example.com", "arn:aws:iam::123456789012:user/grace": "grace"},
		Admins:       map[string]string{"arn:aws:iam::123456789012:role/policy-admin": "policy-admin"},
		SessionBound: map[string]bool{"arn:aws:iam::123456789012:role/mandate-agent": true},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	env[authority.EnvAdmins] = "root"
	if _, err := authority.RolesFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("a non-ARN admin was accepted")
	}
	env[authority.EnvAdmins], env[authority.EnvSessionBoundRoles] = "", "arn:aws:iam::123456789012:user/ada"
	if _, err := authority.RolesFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("a user ARN was accepted as a session-bound role")
	}
}

// TestHumanRoutesRefuseReplays: a signed approve or upload is honoured once; an exact copy of
// it is refused as a replay before anything is decided or stored.
func TestHumanRoutesRefuseReplays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newRolesFixture(t)
	s := f.openTTL(t, "1h")
	res := f.askApproval(t, s.SessionID, export)
	signed := agent(grace)
	signed.Signature = "5f1c0b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807f6e5d4c3b2a19080"
	if _, err := f.auth.DecideApproval(ctx, signed, res.ApprovalID, true, api.DecideRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.DecideApproval(ctx, signed, res.ApprovalID, true, api.DecideRequest{}); !errors.Is(err, authority.ErrReplayed) {
		t.Fatalf("replayed approve = %v, want ErrReplayed", err)
	}
	admin := agent(root)
	admin.Signature = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	if _, err := f.auth.PutPolicies(ctx, admin, api.PolicyUpload{Policies: "@id(\"x\") permit(principal, action, resource) when { false };", Mode: "log-only"}); err != nil && errors.Is(err, authority.ErrReplayed) {
		t.Fatalf("first upload refused as a replay: %v", err)
	}
	if _, err := f.auth.PutPolicies(ctx, admin, api.PolicyUpload{Policies: "@id(\"x\") permit(principal, action, resource) when { false };", Mode: "log-only"}); !errors.Is(err, authority.ErrReplayed) {
		t.Fatalf("replayed upload = %v, want ErrReplayed", err)
	}
}

// TestHumansBehindOneRoleAreTold apart: in AWS the operators share the operator caller role;
// each role session is a different person, so one may approve what another's session asked.
func TestHumansBehindOneRoleAreToldApart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	role := "arn:aws:iam::123456789012:role/mandate-prod-operator"
	f := newFixture(t)
	auth, err := authority.New(ctx, authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now), Executor: execute.NewHTTP(nil),
		Masker: mask.New(), Now: f.now, Log: quiet, Roles: authority.Roles{Operators: map[string]string{role: "operators"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth
	s, err := f.auth.OpenSession(ctx, agent("demo-agent"), api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt, TTL: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	res := f.askApproval(t, s.SessionID, export)
	as := func(session string) authority.Caller {
		iam := identity.IAMContext{AccessKey: "ASIAEXAMPLE", AccountID: "123456789012", CallerID: "AROAEXAMPLE:" + session,
			UserARN: "arn:aws:sts::123456789012:assumed-role/mandate-prod-operator/" + session, UserID: "AROAEXAMPLE:" + session}
		return authority.Caller{IAM: &iam, RequestID: "r"}
	}
	if _, err := f.auth.DecideApproval(ctx, as("ada@example.com"), res.ApprovalID, true, api.DecideRequest{}); !errors.Is(err, authority.ErrForbidden) {
		t.Fatalf("the session's own operator, through the shared role, approved: %v", err)
	}
	got, err := f.auth.DecideApproval(ctx, as("grace@example.com"), res.ApprovalID, true, api.DecideRequest{})
	if err != nil || got.DecidedBy != "grace@example.com" {
		t.Fatalf("a second person through the shared role: %+v, %v", got, err)
	}
}
