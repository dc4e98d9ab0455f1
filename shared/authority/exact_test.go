package authority_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/store/storetest"
)

// N parallel actions against a budget of L: exactly L run; every other one is one deny
// record with the reason budget-exhausted, and no record says allow for something that did
// not run.
func TestParallelActionsAgainstTheBudget(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	auth, err := authority.New(context.Background(), authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now), Executor: execute.NewHTTP(nil),
		Masker: mask.New(), Now: f.now, Log: quiet, MaskKey: testMaskKey, Control: authority.ControlConfig{MaxActions: 4},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.auth = auth
	s := f.open(t)
	const n, budget = 16, 4
	errs := storetest.Race(n, func(int) error {
		_, err := f.auth.Act(context.Background(), agent("demo-agent"), s.SessionID, read)
		return err
	})
	ran := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ran++
		case errors.Is(err, authority.ErrBudgetExhausted):
			var e *authority.Error
			if errors.As(err, &e); e.Record == nil {
				t.Errorf("a budget refusal without a record: %v", err)
			}
		default:
			t.Errorf("Act: %v", err)
		}
	}
	if ran != budget || f.crm.Served() != budget {
		t.Fatalf("ran %d, target served %d; want exactly %d", ran, f.crm.Served(), budget)
	}
	rep, err := audit.VerifyChain(context.Background(), f.store, s.SessionID)
	if err != nil || rep.Break != nil {
		t.Fatalf("chain: %v %v", err, rep.Break)
	}
	results := map[uint64]bool{}
	for _, r := range rep.Records {
		if r.Type == audit.TypeResult {
			results[r.Result.DecisionSeq] = r.Result.Outcome == "ok"
		}
	}
	allows, denies := 0, 0
	for _, r := range rep.Records {
		if r.Type != audit.TypeDecision {
			continue
		}
		switch r.Verdict.Decision {
		case api.VerdictAllow:
			allows++
			if !results[r.Seq] {
				t.Errorf("decision #%d says allow and has no result that ran", r.Seq)
			}
		case api.VerdictDeny:
			denies++
			if strings.Join(r.Verdict.Reasons, ",") != "budget-exhausted" {
				t.Errorf("decision #%d denied for %v, want budget-exhausted", r.Seq, r.Verdict.Reasons)
			}
		}
	}
	if allows != budget || denies != n-budget {
		t.Fatalf("%d allow and %d deny records; want %d and %d", allows, denies, budget, n-budget)
	}
}

// A refused session open is recorded in the agent's chain with its reason, masked.
func TestRefusedOpenIsRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.auth.OpenSession(context.Background(), agent("demo-agent"), api.OpenSessionRequest{
		Operator: "ada@example.com", Prompt: "mail grace.hopper@example.org her card 4111 1111 1111 1111", TTL: "10h"})
	var e *authority.Error
	if !errors.As(err, &e) || e.Kind != authority.ErrInvalid || e.Record == nil {
		t.Fatalf("OpenSession = %v, want a recorded refusal", err)
	}
	id := agent("demo-agent").IAM.UserARN
	rep, err := audit.VerifyChain(context.Background(), f.store, audit.AgentChain(id))
	if err != nil || rep.Break != nil || len(rep.Records) != 1 {
		t.Fatalf("agent chain: %v %v %d", err, rep.Break, len(rep.Records))
	}
	r := rep.Records[0]
	if r.Type != audit.TypeSessionRefuse || r.Verdict.Decision != api.VerdictDeny || r.Prompt == nil ||
		strings.Contains(r.Prompt.Masked, "grace.hopper") || strings.Contains(r.Prompt.Masked, "4111") || len(r.Prompt.HMAC) != 64 {
		t.Fatalf("record = %+v %+v %+v", r, r.Verdict, r.Prompt)
	}
}

// The declared purpose is stored and recorded masked, like the prompt.
func TestPurposeIsMasked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s, err := f.auth.OpenSession(context.Background(), agent("demo-agent"), api.OpenSessionRequest{
		Operator: "ada@example.com", Prompt: prompt, Purpose: "ticket from grace.hopper@example.org about card 4111 1111 1111 1111"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyChain(context.Background(), f.store, s.SessionID)
	if err != nil || len(rep.Records) != 1 {
		t.Fatal(err)
	}
	stored, err := f.store.GetSession(context.Background(), s.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{rep.Records[0].Prompt.Purpose, stored.Purpose} {
		if strings.Contains(p, "grace.hopper") || strings.Contains(p, "4111") || !strings.Contains(p, "ticket from") {
			t.Errorf("purpose kept as %q", p)
		}
	}
}
