package audit

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)

func openStore(t *testing.T) store.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestCanonicalEncodingNeverChanges pins the encoding and hash of one record. If this test
// fails, every stored chain would stop verifying: do not update the expected values.
func TestCanonicalEncodingNeverChanges(t *testing.T) {
	t.Parallel()
	r := Record{
		Version: 1, Session: "ses_x", Seq: 2, PrevHash: "ab", Type: TypeDecision, Time: t0,
		Identity: Identity{Agent: "arn:aws:iam::000000000000:user/demo-agent", AgentKind: "iam", Operator: "ada@example.com"},
		Intents:  []api.Intent{{Name: "customer_support.lookup", Score: 0.75, Evidence: []string{"phrase:contact details"}}},
		Action:   &Action{Kind: "http", Target: "customers", Name: "http:GET", Resource: "/customers/42", Digest: "d"},
		Verdict:  &Verdict{Decision: "allow", Reasons: []string{"permit-support-read"}, PolicyVersion: 1},
	}
	c, err := Canonical(r)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"action":{"digest":"d","kind":"http","name":"http:GET","resource":"/customers/42","target":"customers"},"identity":{"agent":"arn:aws:iam::000000000000:user/demo-agent","agent_kind":"iam","operator":"ada@example.com","operator_verified":false},"intents":[{"evidence":["phrase:contact details"],"name":"customer_support.lookup","score":0.75}],"prev_hash":"ab","seq":2,"session":"ses_x","time":"2026-11-25T12:00:00.123456789Z","type":"decision","v":1,"verdict":{"decision":"allow","policy_version":1,"reasons":["permit-support-read"]}}`
	if diff := cmp.Diff(want, string(c)); diff != "" {
		t.Fatalf("canonical encoding changed (-want +got):\n%s", diff)
	}
	// SHA-256 of 0x00 followed by the canonical bytes above.
	if got, want := LeafHash(c), leafHashOf(want); got != want {
		t.Fatalf("leaf hash = %s, want %s", got, want)
	}
}

func TestChainAppendAndVerify(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	c := NewChain(s, func() time.Time { return t0 })
	var prev string
	for i, typ := range []string{TypeSessionOpen, TypeDecision, TypeResult} {
		r, err := c.Append(ctx, Record{Session: "ses_a", Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		if r.Seq != uint64(i+1) || r.PrevHash != prev || r.Hash == "" {
			t.Fatalf("record %d: seq %d prev %q hash %q", i, r.Seq, r.PrevHash, r.Hash)
		}
		prev = r.Hash
	}
	rep, err := VerifyChain(ctx, s, "ses_a")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Break != nil || len(rep.Records) != 3 || rep.Head != prev {
		t.Fatalf("report = %+v", rep)
	}
}

func TestConcurrentAppendsNeverForkOrSkip(t *testing.T) {
	t.Parallel()
	s := openStore(t)
	ctx := context.Background()
	// Two chains over one store stand for two processes (two Lambda instances): they are
	// serialised only by the store's conditional write.
	chains := []*Chain{NewChain(s, time.Now), NewChain(s, time.Now)}
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := chains[w%len(chains)]
			for range each {
				if _, err := c.Append(ctx, Record{Session: "ses_c", Type: TypeDecision}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rep, err := VerifyChain(ctx, s, "ses_c")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Break != nil || len(rep.Records) != writers*each {
		t.Fatalf("%d records, break %v", len(rep.Records), rep.Break)
	}
}

// chainOf builds a stored chain of n records.
func chainOf(t *testing.T, n int) []store.Record {
	t.Helper()
	var out []store.Record
	prev := ""
	for i := 1; i <= n; i++ {
		r := Record{Version: 1, Session: "ses_t", Seq: uint64(i), PrevHash: prev, Type: TypeDecision, Time: t0.Add(time.Duration(i) * time.Second)}
		body, err := Seal(&r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, store.Record{SessionID: "ses_t", Seq: r.Seq, Hash: r.Hash, PrevHash: r.PrevHash, Body: body})
		prev = r.Hash
	}
	return out
}

func TestVerifyNamesTheFirstBrokenRecord(t *testing.T) {
	t.Parallel()
	reseal := func(t *testing.T, s store.Record, edit func(*Record)) store.Record {
		var r Record
		if err := jsonUnmarshal(s.Body, &r); err != nil {
			t.Fatal(err)
		}
		edit(&r)
		body, err := Seal(&r)
		if err != nil {
			t.Fatal(err)
		}
		return store.Record{SessionID: s.SessionID, Seq: r.Seq, Hash: r.Hash, PrevHash: r.PrevHash, Body: body}
	}
	cases := []struct {
		name      string
		tamper    func(t *testing.T, c []store.Record) []store.Record
		wantSeq   uint64
		wantKind  string
		wantCause string
	}{
		{"intact", func(_ *testing.T, c []store.Record) []store.Record { return c }, 0, "", ""},
		{"modified content", func(_ *testing.T, c []store.Record) []store.Record {
			c[2].Body = bytes.Replace(c[2].Body, []byte(`"decision"`), []byte(`"result"`), 1)
			return c
		}, 3, BrokenHash, Modified},
		{"deleted record", func(_ *testing.T, c []store.Record) []store.Record { return append(c[:1], c[2:]...) }, 2, BrokenSequence, Deleted},
		{"reordered", func(_ *testing.T, c []store.Record) []store.Record { c[1], c[2] = c[2], c[1]; return c }, 2, BrokenSequence, Reordered},
		{"forged and re-hashed", func(t *testing.T, c []store.Record) []store.Record {
			c[1] = reseal(t, c[1], func(r *Record) { r.Type = TypeResult })
			return c
		}, 3, BrokenLink, Modified},
		{"renumbered after a deletion", func(t *testing.T, c []store.Record) []store.Record {
			c = append(c[:1], c[2:]...)
			c[1] = reseal(t, c[1], func(r *Record) { r.Seq = 2 })
			return c
		}, 2, BrokenLink, Modified},
		{"not canonical", func(_ *testing.T, c []store.Record) []store.Record {
			c[0].Body = append([]byte(" "), c[0].Body...)
			return c
		}, 1, BrokenEncoding, Modified},
		{"garbage", func(_ *testing.T, c []store.Record) []store.Record { c[3].Body = []byte("{"); return c }, 4, BrokenEncoding, Modified},
		{"stored under another key", func(_ *testing.T, c []store.Record) []store.Record {
			c[0].Body, c[1].Body = c[1].Body, c[0].Body
			return c
		}, 1, BrokenKey, Reordered},
		{"repeated", func(_ *testing.T, c []store.Record) []store.Record { return append(c[:3], c[1:]...) }, 4, BrokenSequence, Reordered},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := VerifyRecords("ses_t", tc.tamper(t, chainOf(t, 5)))
			if tc.wantKind == "" {
				if rep.Break != nil {
					t.Fatalf("intact chain reported broken: %v", rep.Break)
				}
				return
			}
			if rep.Break == nil {
				t.Fatal("tampering not detected")
			}
			if rep.Break.Seq != tc.wantSeq || rep.Break.Kind != tc.wantKind || rep.Break.Cause() != tc.wantCause {
				t.Fatalf("break = %v (%s), want seq %d kind %s (%s)", rep.Break, rep.Break.Cause(), tc.wantSeq, tc.wantKind, tc.wantCause)
			}
		})
	}
}

func FuzzVerifyRecords(f *testing.F) {
	r := Record{Version: 1, Session: "s", Seq: 1, Type: TypeDecision, Time: t0}
	body, _ := Seal(&r)
	f.Add(body)
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep := VerifyRecords("s", []store.Record{{SessionID: "s", Seq: 1, Hash: r.Hash, Body: b}})
		if rep.Break == nil && !bytes.Equal(b, body) {
			// Anything else that verifies must be a correctly sealed first record.
			var got Record
			if err := jsonUnmarshal(b, &got); err != nil {
				t.Fatalf("undecodable body verified: %q", b)
			}
			check := got
			if _, err := Seal(&check); err != nil || check.Hash != got.Hash || got.Seq != 1 || got.PrevHash != "" {
				t.Fatalf("invalid record verified: %q", b)
			}
		}
	})
}

// headReads counts LastRecord calls.
type headReads struct {
	store.Store
	n atomic.Int64
}

func (h *headReads) LastRecord(ctx context.Context, session string) (store.Record, error) {
	h.n.Add(1)
	return h.Store.LastRecord(ctx, session)
}

// TestChainKnowsItsHead: a chain reads a session's head once and then remembers what it
// wrote; when another process appended in between, the store refuses the stale sequence
// number and the chain reads the head again, so the chain neither forks nor skips.
func TestChainKnowsItsHead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &headReads{Store: openStore(t)}
	a, b := NewChain(s, time.Now), NewChain(s, time.Now)
	for range 3 {
		if _, err := a.Append(ctx, Record{Session: "ses_h", Type: TypeDecision}); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.n.Load(); n != 1 {
		t.Fatalf("%d head reads for three appends by one chain, want 1", n)
	}
	if _, err := b.Append(ctx, Record{Session: "ses_h", Type: TypeDecision}); err != nil {
		t.Fatal(err)
	}
	r, err := a.Append(ctx, Record{Session: "ses_h", Type: TypeDecision})
	if err != nil || r.Seq != 5 {
		t.Fatalf("append after another chain's: seq %d, %v; want 5", r.Seq, err)
	}
	rep, err := VerifyChain(ctx, s, "ses_h")
	if err != nil || rep.Break != nil || len(rep.Records) != 5 {
		t.Fatalf("chain: %d records, break %v, %v", len(rep.Records), rep.Break, err)
	}
}
