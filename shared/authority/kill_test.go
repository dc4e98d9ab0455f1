package authority_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
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
	"github.com/mandate-dev/mandate/shared/revocation"
	"github.com/mandate-dev/mandate/shared/revoke"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/target"
)

// capture performs actions with the real HTTP executor and keeps every credential it was
// handed, as a target that logs its Authorization headers would.
type capture struct {
	next   *execute.HTTP
	mu     sync.Mutex
	tokens []string
}

func (c *capture) Do(ctx context.Context, t target.Target, cred broker.Credential, a api.Action) (execute.Result, error) {
	c.mu.Lock()
	c.tokens = append(c.tokens, cred.Value)
	c.mu.Unlock()
	return c.next.Do(ctx, t, cred, a)
}

func (c *capture) last() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens[len(c.tokens)-1]
}

type killFixture struct {
	*fixture
	list *revocation.List
	exec *capture
}

// newKillFixture is newRolesFixture with runtime control configured by cfg, the fixture's
// demo target consulting the revocation list the authority publishes to, and extra targets
// (YAML list items) added to the registry.
func newKillFixture(t *testing.T, cfg authority.ControlConfig, extraTargets string) *killFixture {
	t.Helper()
	f := newFixture(t)
	ctx := context.Background()
	if extraTargets != "" {
		reg, err := f.store.LatestDocument(ctx, store.KindTargets, authority.DocumentName)
		if err != nil {
			t.Fatal(err)
		}
		body := append(reg.Body, extraTargets...)
		if err := f.store.PutDocument(ctx, store.Document{Kind: store.KindTargets, Name: authority.DocumentName, Version: 2, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	k := &killFixture{fixture: f, list: revocation.New(), exec: &capture{next: execute.NewHTTP(nil)}}
	f.crm.UseRevocations(k.list)
	cfg.Revocations = append(cfg.Revocations, k.list)
	auth, err := authority.New(ctx, authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now), Executor: k.exec,
		Masker: mask.New(), Now: f.now, Roles: roles, Log: quiet, Control: cfg,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth
	return k
}

func human(name string) authority.Caller { return agent(name) } // humans sign like agents; roles tell them apart

// replay presents a captured action token to the demo target directly.
func (k *killFixture) replay(t *testing.T, tok string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/customers/42", nil)
	req.Header.Set("Authorization", tok)
	w := httptest.NewRecorder()
	k.crm.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

// TestKillEveryScope: a kill refuses the next request it covers, naming itself and its
// reason, leaves what it does not cover alone, makes the target refuse a token minted before
// it, and its lift lets the covered requests through again.
func TestKillEveryScope(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		scope string
		id    func(s api.Session) string
	}{
		{"agent", func(s api.Session) string { return s.Agent }},
		{"operator", func(s api.Session) string { return s.Operator.ID }},
		{"session", func(s api.Session) string { return s.SessionID }},
		{"global", func(api.Session) string { return "" }},
	}
	for _, tc := range cases {
		t.Run(tc.scope, func(t *testing.T) {
			t.Parallel()
			k := newKillFixture(t, authority.ControlConfig{}, "")
			s := k.open(t)
			other, err := k.auth.OpenSession(ctx, agent("other-agent"), api.OpenSessionRequest{Operator: grace, Prompt: prompt})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := k.auth.Act(ctx, agent("demo-agent"), s.SessionID, read); err != nil {
				t.Fatal(err)
			}
			tok := k.exec.last()
			if code, _ := k.replay(t, tok); code != http.StatusOK {
				t.Fatalf("before the kill the captured token gets %d, want 200", code)
			}

			kill, err := k.auth.Kill(ctx, human(grace), api.KillRequest{Scope: tc.scope, ID: tc.id(s), Reason: "incident 7: runaway agent"})
			if err != nil {
				t.Fatalf("Kill: %v", err)
			}
			if kill.Record == nil || kill.Revocation == nil || kill.Revocation.Published != 1 || len(kill.Revocation.Failed) != 0 {
				t.Fatalf("Kill = %+v", kill)
			}
			served := k.crm.Served()
			_, err = k.auth.Act(ctx, agent("demo-agent"), s.SessionID, read)
			var e *authority.Error
			if !errors.As(err, &e) || e.Kind != authority.ErrKilled || !strings.Contains(e.Detail, "incident 7: runaway agent") ||
				!strings.Contains(e.Detail, tc.scope) || e.Record == nil {
				t.Fatalf("Act after the kill = %v", err)
			}
			if want := []string{"kill:" + kill.Scope + ":" + kill.ID}; !cmp.Equal(e.Reasons, want) {
				t.Fatalf("reasons %v, want %v", e.Reasons, want)
			}
			if k.crm.Served() != served {
				t.Fatal("the target served a killed request")
			}
			code, body := k.replay(t, tok)
			if code != http.StatusUnauthorized || !strings.Contains(body, "revoked by a "+tc.scope+" kill switch") {
				t.Fatalf("the token minted before the kill gets %d %s, want 401 revoked", code, body)
			}
			_, err = k.auth.Act(ctx, agent("other-agent"), other.SessionID, read)
			if covered := tc.scope == "global"; covered != (kindOf(err) == authority.ErrKilled) {
				t.Fatalf("another agent's session of another operator: covered %v, Act = %v", covered, err)
			}
			if _, err := k.auth.OpenSession(ctx, agent("demo-agent"), api.OpenSessionRequest{Operator: ada, Prompt: prompt}); (tc.scope != "session") != (kindOf(err) == authority.ErrKilled) {
				t.Fatalf("OpenSession under a %s kill = %v", tc.scope, err)
			}

			k.advance(time.Second) // credentials issued in the kill's second count as issued before it
			lifter := ada
			if tc.scope == "operator" {
				// The person the kill stops cannot lift it, nor approve, nor confirm.
				if _, err := k.auth.LiftKill(ctx, human(ada), kill.Scope, kill.ID, api.LiftRequest{Reason: "it was me"}); kindOf(err) != authority.ErrKilled {
					t.Fatalf("the killed person lifting their own kill = %v", err)
				}
				lifter = grace
			}
			lift, err := k.auth.LiftKill(ctx, human(lifter), kill.Scope, kill.ID, api.LiftRequest{Reason: "contained"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.scope == "global" {
				if lift.Status != api.LiftPending {
					t.Fatalf("first lift of a global kill = %+v, want pending", lift)
				}
				if lift, err = k.auth.LiftKill(ctx, human(grace), kill.Scope, kill.ID, api.LiftRequest{}); err != nil {
					t.Fatal(err)
				}
			}
			if lift.Status != api.LiftDone {
				t.Fatalf("lift = %+v", lift)
			}
			if res, err := k.auth.Act(ctx, agent("demo-agent"), s.SessionID, read); err != nil || res.Status != http.StatusOK {
				t.Fatalf("Act after the lift: %+v %v", res, err)
			}
			if code, _ := k.replay(t, tok); code != http.StatusUnauthorized {
				t.Fatalf("a lift un-revoked a token minted before the kill: %d", code)
			}
			if code, _ := k.replay(t, k.exec.last()); code != http.StatusOK {
				t.Fatalf("a token minted after the lift gets %d", code)
			}
		})
	}
}

func TestKillRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKillFixture(t, authority.ControlConfig{}, "")
	s := k.open(t)
	kill, err := k.auth.Kill(ctx, human(grace), api.KillRequest{Scope: "session", ID: s.SessionID, Reason: "stop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.auth.LiftKill(ctx, human(ada), "session", s.SessionID, api.LiftRequest{Reason: "ok"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"kill", "kill.revoke", "kill.lift"}, recordTypes(t, k.fixture, audit.ControlChain)); diff != "" {
		t.Fatalf("control chain (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"session.open", "kill", "kill.lift"}, recordTypes(t, k.fixture, s.SessionID)); diff != "" {
		t.Fatalf("session chain (-want +got):\n%s", diff)
	}
	rep, _ := audit.VerifyChain(ctx, k.store, audit.ControlChain)
	r := rep.Records[0]
	if r.Kill == nil || r.Kill.Scope != "session" || r.Kill.ID != s.SessionID || r.Kill.Reason != "stop" ||
		!cmp.Equal(r.Kill.By, []string{grace}) || !r.Kill.At.Equal(kill.CreatedAt) || r.Identity.Operator != grace {
		t.Fatalf("kill record = %+v %+v", r, r.Kill)
	}
	if lift := rep.Records[2].Kill; !cmp.Equal(lift.By, []string{ada}) || !lift.At.Equal(kill.CreatedAt) {
		t.Fatalf("lift record = %+v", lift)
	}
	list, err := k.auth.ListKills(ctx, human(ada))
	if err != nil || len(list.Kills) != 0 {
		t.Fatalf("ListKills = %+v, %v", list, err)
	}
}

func TestKillIsForHumanOperatorsOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKillFixture(t, authority.ControlConfig{}, "")
	s := k.open(t)
	for name, c := range map[string]authority.Caller{"agent": agent("demo-agent"), "administrator": human(root), "nobody": {}} {
		_, err := k.auth.Kill(ctx, c, api.KillRequest{Scope: "session", ID: s.SessionID, Reason: "x"})
		_, lerr := k.auth.LiftKill(ctx, c, "global", "*", api.LiftRequest{})
		_, gerr := k.auth.ListKills(ctx, c)
		want := authority.ErrForbidden
		if name == "nobody" {
			want = authority.ErrUnauthenticated
		}
		for _, e := range []error{err, lerr, gerr} {
			if kindOf(e) != want {
				t.Errorf("%s: %v, want %v", name, e, want)
			}
		}
	}
	if _, err := k.auth.Act(ctx, agent("demo-agent"), s.SessionID, read); err != nil {
		t.Fatalf("a refused kill took effect: %v", err)
	}
}

func TestKillRefusesBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKillFixture(t, authority.ControlConfig{}, "")
	for _, req := range []api.KillRequest{
		{Scope: "galaxy", ID: "x", Reason: "r"},
		{Scope: "global", ID: "someone", Reason: "r"},
		{Scope: "session", ID: "ses_nope", Reason: "r"},
		{Scope: "agent", ID: "", Reason: "r"},
		{Scope: "agent", ID: "a\x00b", Reason: "r"},
		{Scope: "agent", ID: strings.Repeat("a", authority.MaxKillIDBytes+1), Reason: "r"},
		{Scope: "operator", ID: "ada", Reason: " "},
		{Scope: "operator", ID: "ada", Reason: strings.Repeat("r", authority.MaxReasonBytes+1)},
	} {
		if _, err := k.auth.Kill(ctx, human(ada), req); kindOf(err) != authority.ErrInvalid {
			t.Errorf("Kill(%q, %.20q, %.20q) = %v, want invalid", req.Scope, req.ID, req.Reason, err)
		}
	}
	if _, err := k.auth.LiftKill(ctx, human(ada), "agent", "nobody", api.LiftRequest{}); kindOf(err) != authority.ErrNotFound {
		t.Fatalf("lifting a kill that is not in force = %v", err)
	}
}

// TestGlobalLiftNeedsTwoHumans: the two-person rule with the authority's clock.
func TestGlobalLiftNeedsTwoHumans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const window = 10 * time.Minute
	k := newKillFixture(t, authority.ControlConfig{LiftWindow: window}, "")
	if _, err := k.auth.Kill(ctx, human(ada), api.KillRequest{Scope: "global", Reason: "breach"}); err != nil {
		t.Fatal(err)
	}
	// stillKilled also checks what --list shows of a lift that waits: who asked and until when.
	var waiting *api.Pending
	stillKilled := func() {
		t.Helper()
		list, err := k.auth.ListKills(ctx, human(ada))
		if err != nil || len(list.Kills) != 1 {
			t.Fatalf("the global kill is not in force: %+v %v", list, err)
		}
		if !cmp.Equal(list.Kills[0].PendingLift, waiting) {
			t.Fatalf("pending lift listed as %+v, want %+v", list.Kills[0].PendingLift, waiting)
		}
	}
	stillKilled()
	first, err := k.auth.LiftKill(ctx, human(ada), "global", "*", api.LiftRequest{Reason: "fixed"})
	if err != nil || first.Status != api.LiftPending || first.ExpiresAt == nil || !first.ExpiresAt.Equal(k.now().UTC().Add(window)) {
		t.Fatalf("first lift = %+v, %v", first, err)
	}
	waiting = &api.Pending{By: ada, ExpiresAt: *first.ExpiresAt}
	stillKilled()
	if _, err := k.auth.LiftKill(ctx, human(ada), "global", "*", api.LiftRequest{}); kindOf(err) != authority.ErrForbidden {
		t.Fatalf("the same human twice = %v, want forbidden", err)
	}
	stillKilled()

	// The window lapses: grace's request is a new first request, not a confirmation.
	k.advance(window)
	second, err := k.auth.LiftKill(ctx, human(grace), "global", "*", api.LiftRequest{})
	if err != nil || second.Status != api.LiftPending || !cmp.Equal(second.By, []string{grace}) {
		t.Fatalf("after the window = %+v, %v; want a new pending lift", second, err)
	}
	waiting = &api.Pending{By: grace, ExpiresAt: *second.ExpiresAt}
	stillKilled()
	k.advance(window - time.Nanosecond) // the last instant of grace's window
	done, err := k.auth.LiftKill(ctx, human(ada), "global", "*", api.LiftRequest{})
	if err != nil || done.Status != api.LiftDone || !cmp.Equal(done.By, []string{grace, ada}) {
		t.Fatalf("confirmation = %+v, %v", done, err)
	}
	if list, _ := k.auth.ListKills(ctx, human(ada)); len(list.Kills) != 0 {
		t.Fatalf("still killed: %+v", list)
	}
	if diff := cmp.Diff([]string{"kill", "kill.revoke", "kill.lift.request", "kill.lift.request", "kill.lift"}, recordTypes(t, k.fixture, audit.ControlChain)); diff != "" {
		t.Fatalf("control chain (-want +got):\n%s", diff)
	}

	// A new global kill starts over: an old pending request does not carry over.
	if _, err := k.auth.Kill(ctx, human(ada), api.KillRequest{Scope: "global", Reason: "again"}); err != nil {
		t.Fatal(err)
	}
	if l, err := k.auth.LiftKill(ctx, human(grace), "global", "*", api.LiftRequest{}); err != nil || l.Status != api.LiftPending {
		t.Fatalf("lift of the new kill = %+v, %v", l, err)
	}
}

// TestKillRace: a session kill issued while actions are in flight. The session's chain
// orders every decision against the kill record; no action whose decision record comes after
// the kill record is performed, and every action performed has its decision before it.
func TestKillRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKillFixture(t, authority.ControlConfig{MaxActions: 10_000}, "")
	s := k.open(t)
	var wg sync.WaitGroup
	var performed atomic.Int64
	stop := make(chan struct{})
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := k.auth.Act(ctx, agent("demo-agent"), s.SessionID, read)
				switch kindOf(err) {
				case nil:
					performed.Add(1)
				case authority.ErrDenied: // the demo policies' rate limits
				case authority.ErrKilled:
					return
				default:
					t.Errorf("Act: %v", err)
					return
				}
			}
		}()
	}
	for performed.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	if _, err := k.auth.Kill(ctx, human(grace), api.KillRequest{Scope: "session", ID: s.SessionID, Reason: "race"}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(stop)

	rep, err := audit.VerifyChain(ctx, k.store, s.SessionID)
	if err != nil || rep.Break != nil {
		t.Fatal(err, rep.Break)
	}
	var killSeq uint64
	decisions := map[uint64]audit.Record{}
	okResults, refusedAfterDecision := 0, 0
	for _, r := range rep.Records {
		switch {
		case r.Type == audit.TypeKill:
			killSeq = r.Seq
		case r.Type == audit.TypeDecision:
			decisions[r.Seq] = r
		case r.Type == audit.TypeResult && r.Result.Outcome == "ok":
			okResults++
			if killSeq != 0 && r.Result.DecisionSeq > killSeq {
				t.Errorf("result #%d performed decision #%d, which comes after the kill #%d", r.Seq, r.Result.DecisionSeq, killSeq)
			}
		case r.Type == audit.TypeResult && r.Result.Outcome == "killed":
			// Refused after its decision: allowed either side of the kill record (a decision
			// just before it may meet the stored kill on its second check).
			refusedAfterDecision++
		}
	}
	if killSeq == 0 {
		t.Fatal("no kill record in the session's chain")
	}
	after := 0
	for seq, d := range decisions {
		if seq > killSeq {
			after++
			if d.Verdict.Decision == api.VerdictAllow {
				// allowed by policy but decided after the kill: its result must say killed
				found := false
				for _, r := range rep.Records {
					if r.Type == audit.TypeResult && r.Result.DecisionSeq == seq {
						found = r.Result.Outcome == "killed"
					}
				}
				if !found {
					t.Errorf("decision #%d after the kill has no killed result", seq)
				}
			}
		}
	}
	if int64(okResults) != performed.Load() || k.crm.Served() != performed.Load() {
		t.Fatalf("performed %d, ok results %d, target served %d", performed.Load(), okResults, k.crm.Served())
	}
	t.Logf("%d actions performed before the kill (#%d), %d decisions after it, none performed; %d refused after their decision",
		performed.Load(), killSeq, after, refusedAfterDecision)
}

// TestActionBudget: the budget's boundary with the store's concurrency control.
func TestActionBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKillFixture(t, authority.ControlConfig{MaxActions: 3}, "")
	s := k.open(t)
	for i := range 3 {
		if _, err := k.auth.Act(ctx, agent("demo-agent"), s.SessionID, read); err != nil {
			t.Fatalf("action %d: %v", i+1, err)
		}
	}
	served := k.crm.Served()
	_, err := k.auth.Act(ctx, agent("demo-agent"), s.SessionID, read)
	var e *authority.Error
	if !errors.As(err, &e) || e.Kind != authority.ErrBudgetExhausted || e.Record == nil || !strings.Contains(e.Detail, "budget of 3 actions") {
		t.Fatalf("fourth action = %v", err)
	}
	if k.crm.Served() != served {
		t.Fatal("the target served an action over budget")
	}

	// Concurrent actions never exceed the budget.
	k2 := newKillFixture(t, authority.ControlConfig{MaxActions: 5}, "")
	s2 := k2.open(t)
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = k2.auth.Act(ctx, agent("demo-agent"), s2.SessionID, read)
		}()
	}
	wg.Wait()
	got, err := k2.auth.GetSession(ctx, agent("demo-agent"), s2.SessionID)
	if err != nil || got.Actions > 5 || k2.crm.Served() > 5 {
		t.Fatalf("session counted %d actions, target served %d; budget 5 (%v)", got.Actions, k2.crm.Served(), err)
	}
}

// TestSessionExpiryBoundary: the hard expiry with the injected clock.
func TestSessionExpiryBoundary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKillFixture(t, authority.ControlConfig{}, "")
	s := k.openTTL(t, "1m")
	k.advance(time.Minute - time.Nanosecond)
	if _, err := k.auth.Act(ctx, agent("demo-agent"), s.SessionID, read); err != nil {
		t.Fatalf("one nanosecond before expiry: %v", err)
	}
	k.advance(time.Nanosecond)
	if _, err := k.auth.Act(ctx, agent("demo-agent"), s.SessionID, read); kindOf(err) != authority.ErrSessionExpired {
		t.Fatalf("at expiry: %v", err)
	}
}

// roleRevoker records the kills it is asked to revoke and fails with err.
type roleRevoker struct {
	mu    sync.Mutex
	kills []revoke.Kill
	roles [][]string
	err   error
}

func (r *roleRevoker) Revoke(_ context.Context, kills []revoke.Kill, roles []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kills = append(r.kills, kills...)
	r.roles = append(r.roles, roles)
	return r.err
}

func (r *roleRevoker) take() ([]revoke.Kill, [][]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, roles := r.kills, r.roles
	r.kills, r.roles = nil, nil
	return k, roles
}

const ordersTarget = "- {name: orders, kind: aws, account: '123456789012', role_arn: 'arn:aws:iam::123456789012:role/mandate-orders', region: us-east-1, allowed_resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders']}\n"

// TestKillRevokesOnTargetRoles: the kill path asks shared/revoke to refuse, on every target
// role, the credentials issued before it whose tags or SourceIdentity the broker wrote for
// the killed scope, and answers that the revocation is complete.
func TestKillRevokesOnTargetRoles(t *testing.T) {
	t.Parallel()
	rr := &roleRevoker{}
	ctx := context.Background()
	k := newKillFixture(t, authority.ControlConfig{IAM: rr}, ordersTarget)
	s := k.open(t)
	agentID := identity.LocalARN("demo-agent")
	cases := []struct {
		scope, id string
		want      []revoke.Kill // At is filled in
	}{
		{"session", s.SessionID, []revoke.Kill{{Scope: "session", Value: broker.TagValue(s.SessionID)}}},
		{"agent", agentID, []revoke.Kill{{Scope: "agent", Value: broker.TagValue(agentID)}}},
		{"operator", ada, []revoke.Kill{{Scope: "operator", Value: ada}, {Scope: "operator", Value: "asserted." + ada}}},
		{"global", "", []revoke.Kill{{Scope: "global"}}},
	}
	for _, tc := range cases {
		kill, err := k.auth.Kill(ctx, human(grace), api.KillRequest{Scope: tc.scope, ID: tc.id, Reason: "r"})
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(kill.Revocation.Roles, []string{"arn:aws:iam::123456789012:role/mandate-orders"}) || len(kill.Revocation.Failed) != 0 ||
			kill.Revocation.Status != api.RevocationComplete {
			t.Fatalf("%s: revocation %+v", tc.scope, kill.Revocation)
		}
		at := kill.CreatedAt.Truncate(time.Second).Add(time.Second) // issue times have whole seconds
		got, roles := rr.take()
		for i := range tc.want {
			tc.want[i].At = at
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Fatalf("%s: kills (-want +got):\n%s", tc.scope, diff)
		}
		if len(roles) != 1 || !cmp.Equal(roles[0], []string{"arn:aws:iam::123456789012:role/mandate-orders"}) {
			t.Fatalf("%s: revoked in %d calls on %v, want one on the target role", tc.scope, len(roles), roles)
		}
	}

	// Without an IAM client the kill is in force and says what it could not revoke.
	k2 := newKillFixture(t, authority.ControlConfig{}, ordersTarget)
	kill, err := k2.auth.Kill(ctx, human(grace), api.KillRequest{Scope: "global", Reason: "r"})
	if err != nil || len(kill.Revocation.Failed) != 1 || !strings.Contains(kill.Revocation.Failed[0], "no IAM client") || kill.Revocation.Status != api.RevocationDegraded {
		t.Fatalf("Kill without IAM = %+v, %v", kill, err)
	}
}

// TestKillWithDegradedRevocation: when a target role's revocation policy is full, or its
// account's revocation role cannot be assumed, the kill is still in force in Mandate, and
// its answer and its record say the revocation is degraded and why, without IAM's text.
func TestKillWithDegradedRevocation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("revoke: role %q: %w", "arn:aws:iam::123456789012:role/mandate-orders", revoke.ErrFull), "revocation policy is full"},
		{fmt.Errorf("revoke: role %q: %w: AccessDenied secret-ish text", "arn:aws:iam::123456789012:role/mandate-orders", revoke.ErrAccount), "revocation role of its account could not be assumed"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			k := newKillFixture(t, authority.ControlConfig{IAM: &roleRevoker{err: tc.err}}, ordersTarget)
			s := k.open(t)
			kill, err := k.auth.Kill(ctx, human(grace), api.KillRequest{Scope: "session", ID: s.SessionID, Reason: "r"})
			if err != nil {
				t.Fatal(err)
			}
			rev := kill.Revocation
			if rev.Status != api.RevocationDegraded || len(rev.Roles) != 0 || len(rev.Failed) != 1 ||
				!strings.Contains(rev.Failed[0], "mandate-orders") || !strings.Contains(rev.Failed[0], tc.want) || strings.Contains(rev.Failed[0], "AccessDenied") {
				t.Fatalf("revocation %+v", rev)
			}
			if _, err := k.auth.Act(ctx, agent("demo-agent"), s.SessionID, read); kindOf(err) != authority.ErrKilled {
				t.Fatalf("Act after the kill = %v, want killed", err)
			}
			recs, err := k.store.Records(ctx, audit.ControlChain, 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, r := range recs {
				var rec audit.Record
				if json.Unmarshal(r.Body, &rec) == nil && rec.Type == audit.TypeKillRevoke && rec.Kill != nil &&
					len(rec.Kill.Failed) == 1 && strings.Contains(rec.Kill.Failed[0], tc.want) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no kill-revoke record names the failure: %+v", recs)
			}
		})
	}
}

// hookStore runs a function once, right after the next FindControls returns.
type hookStore struct {
	store.Store
	next atomic.Pointer[func()]
}

func (h *hookStore) FindControls(ctx context.Context, keys []store.ControlKey) ([]store.Control, error) {
	out, err := h.Store.FindControls(ctx, keys)
	if fn := h.next.Swap(nil); fn != nil {
		(*fn)()
	}
	return out, err
}

// TestKillBetweenCheckAndDecision: the kill lands after the action's first kill check and
// before its decision record. The decision comes after the kill record in the session's
// chain, so the action must not be performed: the check after the decision refuses it and
// its result record says so.
func TestKillBetweenCheckAndDecision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKillFixture(t, authority.ControlConfig{}, "")
	hs := &hookStore{Store: k.store}
	auth, err := authority.New(ctx, authority.Config{
		Store: hs, Broker: broker.New(broker.NewFileSecrets(k.dir), k.now), Executor: k.exec,
		Masker: mask.New(), Now: k.now, Roles: roles, Log: quiet, Control: authority.ControlConfig{Revocations: []*revocation.List{k.list}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := k.open(t)
	kill := func() {
		if _, err := auth.Kill(ctx, human(grace), api.KillRequest{Scope: "session", ID: s.SessionID, Reason: "mid-flight"}); err != nil {
			t.Error(err)
		}
	}
	hs.next.Store(&kill)
	_, err = auth.Act(ctx, agent("demo-agent"), s.SessionID, read)
	if kindOf(err) != authority.ErrKilled || !strings.Contains(err.Error(), "decided but not performed") {
		t.Fatalf("Act = %v", err)
	}
	if k.crm.Served() != 0 {
		t.Fatal("the target served the action")
	}
	if diff := cmp.Diff([]string{"session.open", "kill", "decision", "result"}, recordTypes(t, k.fixture, s.SessionID)); diff != "" {
		t.Fatalf("session chain (-want +got):\n%s", diff)
	}
	rep, _ := audit.VerifyChain(ctx, k.store, s.SessionID)
	if d, r := rep.Records[2], rep.Records[3]; d.Verdict.Decision != api.VerdictAllow || r.Result.Outcome != "killed" || r.Result.DecisionSeq != d.Seq {
		t.Fatalf("decision %+v, result %+v", d.Verdict, r.Result)
	}
}
