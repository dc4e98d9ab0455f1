package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/mandate-dev/mandate/shared/store"
)

// chain builds n linked records for session, starting at sequence 1.
func chain(session string, n int) []store.Record {
	out := make([]store.Record, 0, n)
	prev := ""
	for i := 1; i <= n; i++ {
		body := []byte(fmt.Sprintf(`{"session":%q,"seq":%d,"kind":"decision"}`, session, i))
		r := store.Record{SessionID: session, Seq: uint64(i), PrevHash: prev, Hash: chainHash(prev, body), Body: body}
		out = append(out, r)
		prev = r.Hash
	}
	return out
}

func appendAll(t *testing.T, s store.Store, rs []store.Record) {
	t.Helper()
	for _, r := range rs {
		wantErr(t, fmt.Sprintf("AppendRecord %s#%d", r.SessionID, r.Seq), s.AppendRecord(t.Context(), r), nil)
	}
}

func testAuditAppendRead(t *testing.T, s store.Store) {
	ctx := t.Context()
	session := newID("ses")
	_, err := s.LastRecord(ctx, session)
	wantErr(t, "LastRecord of an empty chain", err, store.ErrNotFound)
	got, err := s.Records(ctx, session, 1, 0)
	wantErr(t, "Records of an empty chain", err, nil)
	diff(t, "Records of an empty chain", []store.Record(nil), got)

	rs := chain(session, 12)
	appendAll(t, s, rs)
	last, err := s.LastRecord(ctx, session)
	wantErr(t, "LastRecord", err, nil)
	diff(t, "LastRecord", rs[11], last)

	for _, tc := range []struct {
		name  string
		from  uint64
		limit int
		want  []store.Record
	}{
		{"all from 1", 1, 0, rs},
		{"all from 0", 0, 0, rs},
		{"negative limit is all", 1, -1, rs},
		{"window", 2, 2, rs[1:3]},
		{"from the middle", 9, 0, rs[8:]},
		{"past 10 (numeric order)", 10, 5, rs[9:]},
		{"limit beyond the end", 11, 100, rs[10:]},
		{"last only", 12, 1, rs[11:]},
		{"past the end", 13, 0, nil},
		{"limit exactly all", 1, 12, rs},
	} {
		got, err := s.Records(ctx, session, tc.from, tc.limit)
		wantErr(t, "Records "+tc.name, err, nil)
		diff(t, "Records "+tc.name, tc.want, got)
	}
}

func testAuditSeqTakenOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	session := newID("ses")
	rs := chain(session, 3)
	appendAll(t, s, rs)

	// The same record again is an idempotent retry.
	wantErr(t, "AppendRecord of the identical record", s.AppendRecord(ctx, rs[2]), nil)
	wantErr(t, "AppendRecord of the identical first record", s.AppendRecord(ctx, rs[0]), nil)

	// Anything else at a taken sequence number is refused.
	fork := rs[2]
	fork.Body = []byte(`{"forged":true}`)
	fork.Hash = chainHash(fork.PrevHash, fork.Body)
	sameBodyOtherHash := rs[2]
	sameBodyOtherHash.Hash = chainHash("x", rs[2].Body)
	otherPrev := rs[1]
	otherPrev.PrevHash = "00"
	for name, r := range map[string]store.Record{"fork": fork, "same body, other hash": sameBodyOtherHash, "other prev hash": otherPrev} {
		wantErr(t, "AppendRecord "+name, s.AppendRecord(ctx, r), store.ErrExists)
	}
	got, err := s.Records(ctx, session, 1, 0)
	wantErr(t, "Records", err, nil)
	diff(t, "Records after refused appends", rs, got)
}

func testAuditSessionsSeparate(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newID("ses")
	// Session ids that extend one another must not share records in any key design.
	ids := []string{a, a + "1", a + "-1", a + "#1", a[:len(a)-1]}
	chains := map[string][]store.Record{}
	for i, id := range ids {
		chains[id] = chain(id, i+1)
		appendAll(t, s, chains[id])
	}
	for _, id := range ids {
		got, err := s.Records(ctx, id, 0, 0)
		wantErr(t, "Records "+id, err, nil)
		diff(t, "Records "+id, chains[id], got)
		last, err := s.LastRecord(ctx, id)
		wantErr(t, "LastRecord "+id, err, nil)
		diff(t, "LastRecord "+id, chains[id][len(chains[id])-1], last)
	}
}

func testAuditChains(t *testing.T, s store.Store) {
	ctx := t.Context()
	mine := []string{newID("ses"), newID("ses"), newID("ses")}
	for _, id := range mine {
		appendAll(t, s, chain(id, 2))
	}
	empty := newID("ses")
	got, err := s.Chains(ctx)
	wantErr(t, "Chains", err, nil)
	if !sort.StringsAreSorted(got) {
		t.Fatalf("Chains is not sorted: %q", got)
	}
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, id := range mine {
		if seen[id] != 1 {
			t.Errorf("Chains lists %s %d times, want once", id, seen[id])
		}
	}
	if seen[empty] != 0 {
		t.Errorf("Chains lists %s, which has no records", empty)
	}
}

func testAuditInvalid(t *testing.T, s store.Store) {
	ctx := t.Context()
	session := newID("ses")
	zero := chain(session, 1)[0]
	zero.Seq = 0
	if err := s.AppendRecord(ctx, zero); err == nil {
		t.Errorf("AppendRecord with Seq 0 = nil, want an error")
	}
	noSession := chain(session, 1)[0]
	noSession.SessionID = ""
	if err := s.AppendRecord(ctx, noSession); err == nil {
		t.Errorf("AppendRecord without a session = nil, want an error")
	}
	_, err := s.LastRecord(ctx, session)
	wantErr(t, "LastRecord after refused appends", err, store.ErrNotFound)
}

func testAuditTooLarge(t *testing.T, s store.Store) {
	ctx := t.Context()
	session := newID("ses")
	r := chain(session, 1)[0]
	r.Body = bytes.Repeat([]byte("a"), store.MaxItemBytes+1)
	r.Hash = chainHash("", r.Body)
	wantErr(t, "AppendRecord too large", s.AppendRecord(ctx, r), store.ErrTooLarge)
	_, err := s.LastRecord(ctx, session)
	wantErr(t, "LastRecord after a refused append", err, store.ErrNotFound)
}

func testAuditLargeBody(t *testing.T, s store.Store) {
	ctx := t.Context()
	session := newID("ses")
	r := chain(session, 1)[0]
	r.Body = bytes.Repeat([]byte(`{"k":"v"}`), 200*1024/9)
	r.Hash = chainHash("", r.Body)
	wantErr(t, "AppendRecord of about 200 KiB", s.AppendRecord(ctx, r), nil)
	got, err := s.LastRecord(ctx, session)
	wantErr(t, "LastRecord", err, nil)
	diff(t, "LastRecord of about 200 KiB", r, got)
}

// testAuditConcurrentChain has Concurrency writers append to one chain the way the audit
// package does: read the head, append the next sequence linked to it, retry on ErrExists. The
// result must be one unbroken chain holding every writer's records.
func testAuditConcurrentChain(t *testing.T, s store.Store) {
	ctx := t.Context()
	session := newID("ses")
	const perWriter = 6
	errs := Race(Concurrency, func(w int) error {
		for n := range perWriter {
			body := []byte(fmt.Sprintf(`{"writer":%d,"n":%d}`, w, n))
			for {
				r := store.Record{SessionID: session, Seq: 1, Body: body}
				last, err := s.LastRecord(ctx, session)
				switch {
				case errors.Is(err, store.ErrNotFound):
				case err != nil:
					return err
				default:
					r.Seq, r.PrevHash = last.Seq+1, last.Hash
				}
				r.Hash = chainHash(r.PrevHash, r.Body)
				err = s.AppendRecord(ctx, r)
				if errors.Is(err, store.ErrExists) {
					continue
				}
				if err != nil {
					return err
				}
				break
			}
		}
		return nil
	})
	for i, err := range errs {
		wantErr(t, fmt.Sprintf("writer %d", i), err, nil)
	}
	got, err := s.Records(ctx, session, 1, 0)
	wantErr(t, "Records", err, nil)
	if len(got) != Concurrency*perWriter {
		t.Fatalf("chain holds %d records, want %d", len(got), Concurrency*perWriter)
	}
	bodies := map[string]bool{}
	prev := ""
	for i, r := range got {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has Seq %d: the chain skips", i, r.Seq)
		}
		if r.PrevHash != prev || r.Hash != chainHash(prev, r.Body) {
			t.Fatalf("record %d does not link to its predecessor: the chain forked", r.Seq)
		}
		if bodies[string(r.Body)] {
			t.Fatalf("record %d repeats body %s", r.Seq, r.Body)
		}
		bodies[string(r.Body)] = true
		prev = r.Hash
	}
	last, err := s.LastRecord(ctx, session)
	wantErr(t, "LastRecord", err, nil)
	diff(t, "LastRecord after the race", got[len(got)-1], last)
}
