package authority_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/authority"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/crm"
	"github.com/mandate-dev/mandate/shared/execute"
	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

const prompt = "look up the contact details of customer 42 to answer their ticket"

// faultyStore fails audit appends (and decision commits, which append), decision commits
// alone, or session reads on demand.
type faultyStore struct {
	store.Store
	failAppend atomic.Bool
	failCommit atomic.Bool
	failGet    atomic.Bool
}

func (f *faultyStore) Commit(ctx context.Context, d store.Decision) error {
	if f.failAppend.Load() || f.failCommit.Load() {
		return store.ErrUnavailable
	}
	return f.Store.Commit(ctx, d)
}

func (f *faultyStore) AppendRecord(ctx context.Context, r store.Record) error {
	if f.failAppend.Load() {
		return store.ErrUnavailable
	}
	return f.Store.AppendRecord(ctx, r)
}

func (f *faultyStore) GetSession(ctx context.Context, id string) (store.Session, error) {
	if f.failGet.Load() {
		return store.Session{}, errors.New("connection reset")
	}
	return f.Store.GetSession(ctx, id)
}

type fixture struct {
	auth  *authority.Authority
	store *faultyStore
	crm   *crm.Service
	clock *atomic.Int64
	dir   string // holds the target's secret
}

func (f *fixture) now() time.Time { return time.Unix(0, f.clock.Load()) }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	secret := bytes.Repeat([]byte("k"), 32)
	if err := os.WriteFile(filepath.Join(dir, "crm.key"), secret, 0o600); err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: &faultyStore{Store: db}, clock: &atomic.Int64{}, dir: dir}
	f.clock.Store(time.Now().UnixNano())
	f.crm = crm.New(secret, f.now)
	srv := httptest.NewServer(f.crm)
	t.Cleanup(srv.Close)
	pol, err := os.ReadFile("../local/defaults/policies.cedar")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := os.ReadFile("../local/defaults/intents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tgt := []byte("targets:\n- {name: customers, kind: http, base_url: '" + srv.URL + "', secret_ref: 'file:crm.key'}\n")
	for kind, body := range map[string][]byte{store.KindPolicies: pol, store.KindIntents: cat, store.KindTargets: tgt} {
		if err := db.PutDocument(ctx, store.Document{Kind: kind, Name: authority.DocumentName, Version: 1, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	f.auth, err = authority.New(ctx, authority.Config{
		Store: f.store, Broker: broker.New(broker.NewFileSecrets(dir), f.now),
		Executor: execute.NewHTTP(nil), Masker: mask.New(), Now: f.now, Log: quiet, MaskKey: testMaskKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// testMaskKey is the fixture's deployment key.
var testMaskKey = bytes.Repeat([]byte("m"), 32)

func agent(name string) authority.Caller {
	iam := identity.Principal{Kind: "iam", ID: identity.LocalARN(name), Name: name, AccountID: "000000000000", AccessKeyID: "AKIAEXAMPLE"}.IAMContext()
	return authority.Caller{IAM: &iam, RequestID: "r1"}
}

var (
	read = api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/customers/42"}}
	del  = api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "DELETE", Path: "/customers/42"}}
)

func (f *fixture) open(t *testing.T) api.Session {
	t.Helper()
	s, err := f.auth.OpenSession(context.Background(), agent("demo-agent"), api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func kindOf(err error) error {
	var e *authority.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return err
}

func TestAllowedReadIsMaskedAndRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.open(t)
	res, err := f.auth.Act(context.Background(), agent("demo-agent"), s.SessionID, read)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(res.Result)
	for _, raw := range []string{"grace.hopper@example.org", "5500-0000-0000-0004", "(415) 555-0142"} {
		if strings.Contains(string(body), raw) {
			t.Errorf("response leaks %q: %s", raw, body)
		}
	}
	if res.Verdict != api.VerdictAllow || res.Status != 200 || len(res.Reasons) == 0 || res.Masking["email"] != 1 {
		t.Fatalf("response = %+v", res)
	}
	rep, err := audit.VerifyChain(context.Background(), f.store, s.SessionID)
	if err != nil || rep.Break != nil {
		t.Fatalf("chain: %v %v", err, rep.Break)
	}
	var types []string
	for _, r := range rep.Records {
		types = append(types, r.Type)
	}
	if got := strings.Join(types, ","); got != "session.open,decision,result" {
		t.Fatalf("chain = %s", got)
	}
	if rep.Records[2].Result.Credential == "" || strings.Contains(rep.Records[2].Result.Credential, "mdt1.") {
		t.Fatalf("result record credential description = %q", rep.Records[2].Result.Credential)
	}
	if id := rep.Records[0].Identity; id.OperatorMethod != authority.OperatorAsserted || id.OperatorVerified || id.OperatorIssuer != "" {
		t.Fatalf("opening record identity = %+v, want an asserted operator", id)
	}
	if p := rep.Records[0].Prompt; !strings.Contains(p.Masked, "42") || len(p.HMAC) != 64 || p.SHA256 != "" {
		t.Fatalf("prompt record = %+v", rep.Records[0].Prompt)
	}
}

func TestDenyNamesPoliciesAndNeverReachesTarget(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.open(t)
	_, err := f.auth.Act(context.Background(), agent("demo-agent"), s.SessionID, del)
	var e *authority.Error
	if !errors.As(err, &e) || e.Kind != authority.ErrDenied {
		t.Fatalf("Act(delete) = %v, want denied", err)
	}
	if len(e.Reasons) == 0 || e.Record == nil || e.Record.Seq != 2 {
		t.Fatalf("denial = %+v", e)
	}
	if f.crm.Requests() != 0 {
		t.Fatalf("target saw %d requests", f.crm.Requests())
	}
}

// TestFailedAuditAppendPreventsExecution is the fail-closed guarantee: if the decision
// record cannot be written, nothing is brokered or executed.
func TestFailedAuditAppendPreventsExecution(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.open(t)
	f.store.failAppend.Store(true)
	_, err := f.auth.Act(context.Background(), agent("demo-agent"), s.SessionID, read)
	if kindOf(err) != authority.ErrUnavailable {
		t.Fatalf("Act = %v, want ErrUnavailable", err)
	}
	if f.crm.Requests() != 0 {
		t.Fatalf("the target saw %d request(s) although the decision was not recorded", f.crm.Requests())
	}
	f.store.failAppend.Store(false)
	if _, err := f.auth.Act(context.Background(), agent("demo-agent"), s.SessionID, read); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if f.crm.Served() != 1 {
		t.Fatalf("served = %d", f.crm.Served())
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name     string
		setup    func(t *testing.T, f *fixture, s api.Session)
		caller   authority.Caller
		req      api.ActionRequest
		want     error
		recorded bool
	}{
		{"other agent's session looks missing", nil, agent("other-agent"), read, authority.ErrSessionNotFound, true},
		{"no identity", nil, authority.Caller{}, read, authority.ErrUnauthenticated, false},
		{"unknown target", nil, agent("demo-agent"), api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "payroll", Method: "GET", Path: "/"}}, authority.ErrUnknownTarget, true},
		{"unsupported kind", nil, agent("demo-agent"), api.ActionRequest{Action: api.Action{Kind: "ftp", Target: "customers"}}, authority.ErrUnsupported, true},
		{"path traversal", nil, agent("demo-agent"), api.ActionRequest{Action: api.Action{Kind: api.KindHTTP, Target: "customers", Method: "GET", Path: "/../admin"}}, authority.ErrNonCanonical, true},
		{"expired session", func(_ *testing.T, f *fixture, _ api.Session) { f.clock.Add(int64(authority.DefaultSessionTTL)) }, agent("demo-agent"), read, authority.ErrSessionExpired, true},
		{"closed session", func(t *testing.T, f *fixture, s api.Session) {
			if _, err := f.auth.CloseSession(ctx, agent("demo-agent"), s.SessionID); err != nil {
				t.Fatal(err)
			}
		}, agent("demo-agent"), read, authority.ErrSessionClosed, true},
		{"session kill switch", func(t *testing.T, f *fixture, s api.Session) {
			if err := f.store.PutControl(ctx, store.Control{Scope: store.ScopeSession, ID: s.SessionID, Reason: "investigating"}); err != nil {
				t.Fatal(err)
			}
		}, agent("demo-agent"), read, authority.ErrKilled, true},
		{"global kill switch", func(t *testing.T, f *fixture, _ api.Session) {
			if err := f.store.PutControl(ctx, store.Control{Scope: store.ScopeGlobal, ID: store.GlobalID, Reason: "incident"}); err != nil {
				t.Fatal(err)
			}
		}, agent("demo-agent"), read, authority.ErrKilled, true},
		{"store down", func(_ *testing.T, f *fixture, _ api.Session) { f.store.failGet.Store(true) }, agent("demo-agent"), read, authority.ErrUnavailable, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			s := f.open(t)
			if tc.setup != nil {
				tc.setup(t, f, s)
			}
			_, err := f.auth.Act(ctx, tc.caller, s.SessionID, tc.req)
			if kindOf(err) != tc.want {
				t.Fatalf("Act = %v, want %v", err, tc.want)
			}
			var e *authority.Error
			errors.As(err, &e)
			if tc.recorded != (e.Record != nil) {
				t.Fatalf("recorded = %v, want %v", e.Record != nil, tc.recorded)
			}
			if f.crm.Requests() != 0 {
				t.Fatalf("target saw %d request(s)", f.crm.Requests())
			}
		})
	}
}

func TestOpenSessionValidates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cases := []struct {
		name string
		req  api.OpenSessionRequest
	}{
		{"no prompt", api.OpenSessionRequest{Operator: "ada@example.com"}},
		{"no operator", api.OpenSessionRequest{Prompt: prompt}},
		{"ttl too long", api.OpenSessionRequest{Operator: "a", Prompt: prompt, TTL: "48h"}},
		{"ttl garbage", api.OpenSessionRequest{Operator: "a", Prompt: prompt, TTL: "soon"}},
		{"prompt too long", api.OpenSessionRequest{Operator: "a", Prompt: strings.Repeat("x", authority.MaxPromptBytes+1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.auth.OpenSession(context.Background(), agent("demo-agent"), tc.req)
			if kindOf(err) != authority.ErrInvalid {
				t.Fatalf("OpenSession = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestPromptIsStoredMasked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s, err := f.auth.OpenSession(context.Background(), agent("demo-agent"), api.OpenSessionRequest{
		Operator: "ada@example.com", Prompt: "email grace.hopper@example.org about customer 42's ticket",
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := f.store.Records(context.Background(), s.SessionID, 1, 0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records: %v %d", err, len(recs))
	}
	if bytes.Contains(recs[0].Body, []byte("grace.hopper@example.org")) {
		t.Fatalf("prompt stored unmasked: %s", recs[0].Body)
	}
}

// TestConcurrentActionsInOneSessionAllCount: actions racing in one session all get their
// answer and all count; none is refused because another took the session's version.
func TestConcurrentActionsInOneSessionAllCount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.open(t)
	const n = 16
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := f.auth.Act(context.Background(), agent("demo-agent"), s.SessionID, del)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; kindOf(err) != authority.ErrDenied {
			t.Errorf("Act = %v, want a policy denial", err)
		}
	}
	got, err := f.auth.GetSession(context.Background(), agent("demo-agent"), s.SessionID)
	if err != nil || got.Actions != n {
		t.Fatalf("session counts %d actions, want %d (%v)", got.Actions, n, err)
	}
}
