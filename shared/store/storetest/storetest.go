package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mandate-dev/mandate/shared/store"
)

// Concurrency is how many goroutines the concurrency subtests run at once against one item.
const Concurrency = 8

// Option changes what Run runs.
type Option func(*options)

type options struct{ noTransactions, onlyTransactions bool }

// WithoutTransactions leaves out the Decisions subtests, for a test server that does not
// implement transactions (dynalite has no TransactWriteItems). The implementation MUST then
// run them against another server that does (OnlyTransactions).
func WithoutTransactions() Option { return func(o *options) { o.noTransactions = true } }

// OnlyTransactions runs the Decisions subtests alone, against a server that implements
// transactions but is too slow or partial for the rest of the suite.
func OnlyTransactions() Option { return func(o *options) { o.onlyTransactions = true } }

// Run runs the conformance suite against the store that open returns. open is called once;
// every subtest shares that store and runs in parallel with its own random ids. Run closes
// the store when the test and all its subtests have finished, before cleanups that open
// registered (such as removing a temporary directory).
func Run(t *testing.T, open func(t *testing.T) store.Store, opts ...Option) {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Sessions/CreateGet", testSessionCreateGet},
		{"Sessions/NotFound", testSessionNotFound},
		{"Sessions/Update", testSessionUpdate},
		{"Sessions/ConcurrentCreate", testSessionConcurrentCreate},
		{"Sessions/ConcurrentUpdate", testSessionConcurrentUpdate},
		{"Controls/PutFindDelete", testControlsPutFindDelete},
		{"Controls/List", testControlsList},
		{"Controls/Global", testControlsGlobal},
		{"Controls/Invalid", testControlsInvalid},
		{"Approvals/CreateGet", testApprovalCreateGet},
		{"Approvals/List", testApprovalList},
		{"Approvals/Decide", testApprovalDecide},
		{"Approvals/Consume", testApprovalConsume},
		{"Approvals/ConcurrentConsume", testApprovalConcurrentConsume},
		{"Approvals/ConcurrentDecide", testApprovalConcurrentDecide},
		{"Documents/PutGetLatest", testDocumentPutGetLatest},
		{"Documents/KindsAreSeparate", testDocumentKinds},
		{"Documents/Invalid", testDocumentInvalid},
		{"Documents/TooLarge", testDocumentTooLarge},
		{"Documents/ConcurrentPut", testDocumentConcurrentPut},
		{"Claims/ClaimOnce", testClaimOnce},
		{"Claims/ExpiredReplaced", testClaimExpired},
		{"Claims/Concurrent", testClaimConcurrent},
		{"Audit/AppendRead", testAuditAppendRead},
		{"Audit/SeqTakenOnce", testAuditSeqTakenOnce},
		{"Audit/SessionsAreSeparate", testAuditSessionsSeparate},
		{"Audit/Chains", testAuditChains},
		{"Audit/Invalid", testAuditInvalid},
		{"Audit/TooLarge", testAuditTooLarge},
		{"Audit/LargeBody", testAuditLargeBody},
		{"Audit/ConcurrentChain", testAuditConcurrentChain},
		{"Decisions/CommitTogether", testCommitTogether},
		{"Decisions/ConcurrentBudget", testCommitConcurrentBudget},
	}
	for _, tc := range tests {
		if decisions := strings.HasPrefix(tc.name, "Decisions/"); (o.noTransactions && decisions) || (o.onlyTransactions && !decisions) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, s)
		})
	}
}

// cmpOpts compares what a store returns with what was written: instants, not locations, and
// nil equal to empty.
var cmpOpts = []cmp.Option{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// newID returns a random id with a readable prefix, distinct for every call.
func newID(prefix string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + "-" + hex.EncodeToString(b[:])
}

// baseTime returns a time with nanoseconds and a non-UTC location, to catch stores that
// truncate or compare locations.
func baseTime() time.Time {
	return time.Now().Add(-time.Minute).In(time.FixedZone("X", 5*3600+1800)).Truncate(0)
}

// wantErr fails the test unless errors.Is(err, want) (or err is nil when want is nil).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: %v, want nil", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
}

// diff fails the test if got and want differ.
func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpOpts...); d != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// Race runs f(i) for i in [0, n) at once and returns their errors in order; implementations
// use it for their own concurrency tests too.
func Race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = f(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

// exactlyOne fails the test unless exactly one of errs is nil and every other one is loser.
func exactlyOne(t *testing.T, what string, errs []error, loser error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("%s: goroutines %d and %d both succeeded", what, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, loser):
			t.Fatalf("%s: goroutine %d: %v, want nil or %v", what, i, err, loser)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: no goroutine succeeded", what)
	}
	return winner
}

// chainHash is the hash the suite's audit records carry: SHA-256 over the previous hash and
// the body. The store does not interpret it; the suite uses it to prove linkage.
func chainHash(prev string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// sortedControls returns cs sorted by scope and id.
func sortedControls(cs []store.Control) []store.Control {
	out := append([]store.Control(nil), cs...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Scope != out[j].Scope {
			return out[i].Scope < out[j].Scope
		}
		return out[i].ID < out[j].ID
	})
	return out
}
