package authority_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/target"
)

// writeCounter counts every durable write made through the store, by method.
type writeCounter struct {
	store.Store
	mu     sync.Mutex
	writes []string
}

func (w *writeCounter) note(name string) {
	w.mu.Lock()
	w.writes = append(w.writes, name)
	w.mu.Unlock()
}

func (w *writeCounter) taken() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.writes...)
}

func (w *writeCounter) CreateSession(ctx context.Context, s store.Session) error {
	w.note("CreateSession")
	return w.Store.CreateSession(ctx, s)
}

func (w *writeCounter) UpdateSession(ctx context.Context, s store.Session) error {
	w.note("UpdateSession")
	return w.Store.UpdateSession(ctx, s)
}

func (w *writeCounter) ClaimKey(ctx context.Context, c store.Claim) (store.Claim, error) {
	w.note("ClaimKey")
	return w.Store.ClaimKey(ctx, c)
}

func (w *writeCounter) AppendRecord(ctx context.Context, r store.Record) error {
	w.note("AppendRecord")
	return w.Store.AppendRecord(ctx, r)
}

func (w *writeCounter) Commit(ctx context.Context, d store.Decision) error {
	name := "Commit(record"
	if d.Claim != nil {
		name += ", claim"
	}
	if d.Counted != nil {
		name += ", counters"
	}
	w.note(name + ")")
	return w.Store.Commit(ctx, d)
}

// mintSpy notes the writes made before the credential is minted.
type mintSpy struct {
	broker *broker.Broker
	writes *writeCounter
	before atomic.Pointer[[]string]
}

func (m *mintSpy) Mint(ctx context.Context, t target.Target, a api.Action, sc broker.Scope) (broker.Credential, error) {
	w := m.writes.taken()
	m.before.Store(&w)
	return m.broker.Mint(ctx, t, a, sc)
}

// TestOneDurableWriteBeforeMint: between the request and the minted credential an allowed,
// signed action makes exactly one durable write, holding the replay claim, the counters and
// the decision record; its result record follows the action.
func TestOneDurableWriteBeforeMint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	wc := &writeCounter{Store: f.store}
	spy := &mintSpy{broker: broker.New(broker.NewFileSecrets(f.dir), f.now), writes: wc}
	auth, err := authority.New(ctx, authority.Config{Store: wc, Broker: spy, Executor: execute.NewHTTP(nil), Masker: mask.New(), Now: f.now, Log: quiet, MaskKey: testMaskKey})
	if err != nil {
		t.Fatal(err)
	}
	s := f.open(t)
	c := agent("demo-agent")
	c.Signature = "6e672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	if _, err := auth.Act(ctx, c, s.SessionID, read); err != nil {
		t.Fatal(err)
	}
	before := spy.before.Load()
	if before == nil || len(*before) != 1 || (*before)[0] != "Commit(record, claim, counters)" {
		t.Fatalf("writes before the credential was minted: %v; want exactly one Commit(record, claim, counters)", before)
	}
	if all := wc.taken(); len(all) != 2 || all[1] != "AppendRecord" {
		t.Fatalf("writes of the action: %v; want the commit, then the result record", all)
	}
	if got := recordTypes(t, f, s.SessionID); len(got) != 3 || got[1] != audit.TypeDecision || got[2] != audit.TypeResult {
		t.Fatalf("chain %v", got)
	}
}

// TestDenialIsOneWrite: a denied, signed action is one write, the deny record with the
// claim and the counters; the same signature again is refused as a replay.
func TestDenialIsOneWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	wc := &writeCounter{Store: f.store}
	auth, err := authority.New(ctx, authority.Config{Store: wc, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now),
		Executor: execute.NewHTTP(nil), Masker: mask.New(), Now: f.now, Log: quiet, MaskKey: testMaskKey})
	if err != nil {
		t.Fatal(err)
	}
	s := f.open(t)
	c := agent("demo-agent")
	c.Signature = "7f672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	if _, err := auth.Act(ctx, c, s.SessionID, del); kindOf(err) != authority.ErrDenied {
		t.Fatalf("delete = %v, want ErrDenied", err)
	}
	if w := wc.taken(); len(w) != 1 || w[0] != "Commit(record, claim, counters)" {
		t.Fatalf("writes of a denial: %v", w)
	}
	if _, err := auth.Act(ctx, c, s.SessionID, del); kindOf(err) != authority.ErrReplayed {
		t.Fatalf("replayed delete = %v, want ErrReplayed", err)
	}
	if _, err := auth.Act(ctx, c, s.SessionID, read); kindOf(err) != authority.ErrReplayed {
		t.Fatalf("the denial's signature on a read = %v, want ErrReplayed", err)
	}
	if f.crm.Requests() != 0 {
		t.Fatalf("the target saw %d requests", f.crm.Requests())
	}
}

// TestFailedDecisionCommitPreventsExecution: when the one write of the decision fails,
// nothing is brokered or executed and nothing of it is stored: not the record, not the
// counters, not the replay claim, so the same signed request succeeds once the store is back.
func TestFailedDecisionCommitPreventsExecution(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	s := f.open(t)
	c := agent("demo-agent")
	c.Signature = "8a672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	f.store.failCommit.Store(true)
	if _, err := f.auth.Act(ctx, c, s.SessionID, read); kindOf(err) != authority.ErrUnavailable {
		t.Fatalf("Act = %v, want ErrUnavailable", err)
	}
	if f.crm.Requests() != 0 {
		t.Fatalf("the target saw %d request(s) although the decision was not durable", f.crm.Requests())
	}
	got, err := f.store.GetSession(ctx, s.SessionID)
	if err != nil || got.Actions != 0 {
		t.Fatalf("session after the failed commit: %d actions, %v", got.Actions, err)
	}
	if types := recordTypes(t, f, s.SessionID); len(types) != 1 {
		t.Fatalf("chain after the failed commit: %v", types)
	}
	f.store.failCommit.Store(false)
	if _, err := f.auth.Act(ctx, c, s.SessionID, read); err != nil {
		t.Fatalf("the same request once the store is back: %v", err)
	}
	if f.crm.Served() != 1 {
		t.Fatalf("served = %d", f.crm.Served())
	}
}

// TestParallelActionsHoldTheBudget: parallel actions of one session against its action
// budget, through two authorities over one store (two processes, which only the decision
// commit's condition keeps apart), never exceed it, and every one of them is accounted for:
// decided and counted, or refused for the budget, each with its record.
func TestParallelActionsHoldTheBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	const n, budget = 24, 10
	var auths [2]*authority.Authority
	for i := range auths {
		var err error
		auths[i], err = authority.New(ctx, authority.Config{Store: f.store, Broker: broker.New(broker.NewFileSecrets(f.dir), f.now),
			Executor: execute.NewHTTP(nil), Masker: mask.New(), Now: f.now, Log: quiet, MaskKey: testMaskKey,
			Control: authority.ControlConfig{MaxActions: budget}})
		if err != nil {
			t.Fatal(err)
		}
	}
	s := f.open(t)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = auths[i%2].Act(ctx, agent("demo-agent"), s.SessionID, read)
		}()
	}
	wg.Wait()
	allowed, refused := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			allowed++
		case kindOf(err) == authority.ErrBudgetExhausted:
			refused++
		default:
			t.Fatalf("action %d: %v", i, err)
		}
	}
	got, err := f.store.GetSession(ctx, s.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyChain(ctx, f.store, s.SessionID)
	if err != nil || rep.Break != nil {
		t.Fatalf("chain: %v %v", err, rep.Break)
	}
	decisions, results := 0, 0
	for _, r := range rep.Records {
		switch r.Type {
		case audit.TypeDecision:
			decisions++
		case audit.TypeResult:
			results++
		}
	}
	if allowed != budget || refused != n-budget || got.Actions != budget || decisions != n || results != budget || f.crm.Served() != budget {
		t.Fatalf("allowed %d, refused %d, session counted %d, %d decision and %d result records, target served %d; want %d allowed of %d",
			allowed, refused, got.Actions, decisions, results, f.crm.Served(), budget, n)
	}
}
