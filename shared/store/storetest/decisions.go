package storetest

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/store"
)

// decisionRecord is the record at seq of a chain whose previous hash is prev.
func decisionRecord(session string, seq uint64, prev string) store.Record {
	body := fmt.Appendf(nil, `{"type":"decision","seq":%d}`, seq)
	return store.Record{SessionID: session, Seq: seq, Hash: chainHash(prev, body), PrevHash: prev, Body: body}
}

// counted is s with one more action of family, as a decision counts it.
func counted(s store.Session, family string) store.Session {
	s.ByFamily = maps.Clone(s.ByFamily)
	if s.ByFamily == nil {
		s.ByFamily = map[string]int{}
	}
	s.Actions++
	s.ByFamily[family]++
	return s
}

// testCommitTogether: a commit writes its claim, counters and record together, and a commit
// whose condition fails (claim held, counters moved on, sequence taken, no session) writes
// none of them.
func testCommitTogether(t *testing.T, s store.Store) {
	ctx := t.Context()
	sess := newSession() // Actions 2, ByFamily {crm: 1, sql: 1}, Version 1
	wantErr(t, "CreateSession", s.CreateSession(ctx, sess), nil)
	claim := func() *store.Claim {
		return &store.Claim{Key: newID("sig"), Digest: "replay", ExpiresAt: time.Now().Add(time.Hour)}
	}
	first := claim()
	rec1 := decisionRecord(sess.ID, 1, "")
	wantErr(t, "Commit", s.Commit(ctx, store.Decision{Claim: first, Counted: new(counted(sess, "crm")), Record: rec1}), nil)

	want := counted(sess, "crm")
	want.Version++
	got, err := s.GetSession(ctx, sess.ID)
	wantErr(t, "GetSession after Commit", err, nil)
	diff(t, "session after Commit", want, got)
	recs, err := s.Records(ctx, sess.ID, 1, 0)
	wantErr(t, "Records after Commit", err, nil)
	diff(t, "records after Commit", []store.Record{rec1}, recs)
	_, err = s.ClaimKey(ctx, *first)
	wantErr(t, "ClaimKey of the committed claim", err, store.ErrExists)

	// Each failing condition alone: nothing of the commit is written.
	rec2 := decisionRecord(sess.ID, 2, rec1.Hash)
	stale := counted(sess, "crm") // counted from Version 1, which is gone
	other := newSession()
	cases := []struct {
		name string
		d    store.Decision
		want error
	}{
		{"claim held", store.Decision{Claim: first, Counted: new(counted(got, "crm")), Record: rec2}, store.ErrClaimed},
		{"counters moved on", store.Decision{Claim: claim(), Counted: &stale, Record: rec2}, store.ErrConflict},
		{"sequence taken", store.Decision{Claim: claim(), Counted: new(counted(got, "crm")), Record: decisionRecord(sess.ID, 1, "")}, store.ErrExists},
		{"the identical record is taken too", store.Decision{Claim: claim(), Counted: new(counted(got, "crm")), Record: rec1}, store.ErrExists},
		{"no session", store.Decision{Claim: claim(), Counted: new(counted(other, "crm")), Record: decisionRecord(other.ID, 1, "")}, store.ErrNotFound},
	}
	for _, tc := range cases {
		wantErr(t, "Commit with "+tc.name, s.Commit(ctx, tc.d), tc.want)
		after, err := s.GetSession(ctx, sess.ID)
		wantErr(t, "GetSession after "+tc.name, err, nil)
		diff(t, "session after "+tc.name, got, after)
		recs, err := s.Records(ctx, sess.ID, 1, 0)
		wantErr(t, "Records after "+tc.name, err, nil)
		diff(t, "records after "+tc.name, []store.Record{rec1}, recs)
		if tc.d.Claim != first {
			_, err := s.ClaimKey(ctx, *tc.d.Claim)
			wantErr(t, "the claim of a failed commit is free: "+tc.name, err, nil)
		}
		if tc.want == store.ErrNotFound {
			recs, err := s.Records(ctx, other.ID, 1, 0)
			wantErr(t, "Records of the missing session", err, nil)
			diff(t, "records of the missing session", []store.Record(nil), recs)
		}
	}

	// A refusal commits a claim and a record without counters; an expired claim is replaced.
	expired := &store.Claim{Key: newID("sig"), Digest: "replay", ExpiresAt: time.Now().Add(-time.Second)}
	_, err = s.ClaimKey(ctx, *expired)
	wantErr(t, "ClaimKey of an expired claim", err, nil)
	expired.ExpiresAt = time.Now().Add(time.Hour)
	wantErr(t, "Commit of a refusal over an expired claim", s.Commit(ctx, store.Decision{Claim: expired, Record: rec2}), nil)
	after, err := s.GetSession(ctx, sess.ID)
	wantErr(t, "GetSession after the refusal", err, nil)
	diff(t, "session after the refusal", got, after)
	_, err = s.ClaimKey(ctx, *expired)
	wantErr(t, "ClaimKey of the refusal's claim", err, store.ErrExists)
	wantErr(t, "Commit of a record alone", s.Commit(ctx, store.Decision{Record: decisionRecord(sess.ID, 3, rec2.Hash)}), nil)
	last, err := s.LastRecord(ctx, sess.ID)
	wantErr(t, "LastRecord", err, nil)
	if last.Seq != 3 {
		t.Fatalf("last record %d, want 3", last.Seq)
	}
}

// testCommitConcurrentBudget: parallel deciders each read the session and the chain head,
// decide on a count that includes their action, refuse at the limit, and commit; on a
// conflict they re-read and decide again. The counters end exactly at the limit, every
// committed decision has its own record, and no count is lost.
func testCommitConcurrentBudget(t *testing.T, s store.Store) {
	ctx := t.Context()
	sess := newSession()
	sess.Actions, sess.ByFamily, sess.Version = 0, nil, 0
	wantErr(t, "CreateSession", s.CreateSession(ctx, sess), nil)
	// At most 9 records: minidyn orders numeric sort keys as text, so its last record after
	// 9 would be 9 again.
	const n, limit, attempts = 16, 9, 200
	errRefused := errors.New("budget reached")
	errs := Race(n, func(i int) error {
		var lost error
		for attempt := range attempts {
			if attempt > 0 { // lost a race: back off a little, with jitter, as callers do
				time.Sleep(time.Duration(rand.Int64N(int64(attempt) * int64(100*time.Microsecond))))
			}
			cur, err := s.GetSession(ctx, sess.ID)
			if err != nil {
				return err
			}
			c := counted(cur, []string{"read", "write"}[i%2])
			if c.Actions > limit {
				return errRefused
			}
			seq, prev := uint64(1), ""
			if last, err := s.LastRecord(ctx, sess.ID); err == nil {
				seq, prev = last.Seq+1, last.Hash
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			err = s.Commit(ctx, store.Decision{Claim: &store.Claim{Key: fmt.Sprintf("%s-%d", sess.ID, i), ExpiresAt: time.Now().Add(time.Hour)},
				Counted: &c, Record: decisionRecord(sess.ID, seq, prev)})
			if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) {
				lost = err
				continue
			}
			return err
		}
		return fmt.Errorf("no commit in %d attempts: %w", attempts, lost)
	})
	committed := 0
	for i, err := range errs {
		switch {
		case err == nil:
			committed++
		case errors.Is(err, errRefused):
		default:
			t.Fatalf("decider %d: %v", i, err)
		}
	}
	got, err := s.GetSession(ctx, sess.ID)
	wantErr(t, "GetSession", err, nil)
	recs, err := s.Records(ctx, sess.ID, 1, 0)
	wantErr(t, "Records", err, nil)
	if committed != limit || got.Actions != limit || got.ByFamily["read"]+got.ByFamily["write"] != limit || got.Version != limit || len(recs) != limit {
		t.Fatalf("committed %d, session %d actions %v version %d, %d records; want exactly %d of each",
			committed, got.Actions, got.ByFamily, got.Version, len(recs), limit)
	}
	for i, r := range recs {
		prev := ""
		if i > 0 {
			prev = recs[i-1].Hash
		}
		if r.Seq != uint64(i+1) || r.PrevHash != prev {
			t.Fatalf("record %d: seq %d prev %q, want %d %q", i, r.Seq, r.PrevHash, i+1, prev)
		}
	}
}
