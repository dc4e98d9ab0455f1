package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bbolt "go.etcd.io/bbolt"

	"github.com/mandate-dev/mandate/shared/store"
)

// dump returns every bucket and key of db: what replaying the journal must reproduce.
func dump(t *testing.T, db *bbolt.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(prefix string, b *bbolt.Bucket) error
	walk = func(prefix string, b *bbolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			name := fmt.Sprintf("%s/%q", prefix, k)
			if v == nil {
				out[name] = "(bucket)"
				return walk(name, b.Bucket(k))
			}
			out[name] = string(v)
			return nil
		})
	}
	err := db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			p := fmt.Sprintf("%q", name)
			out[p] = "(bucket)"
			return walk(p, b)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// openBased opens the store at path and waits for its first base.
func openBased(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.rotation.Wait()
	return s
}

// holds fails the test unless db holds exactly want, the state acknowledged before what.
func holds(t *testing.T, db *bbolt.DB, want map[string]string, what string) {
	t.Helper()
	if diff := cmp.Diff(want, dump(t, db)); diff != "" {
		t.Errorf("%s (-acknowledged +read):\n%s", what, diff)
	}
}

// abandon stops s as a crash would: no final fsync, the journal and the base left in place.
func abandon(t *testing.T, s *Store) {
	t.Helper()
	s.group.sync()
	s.stopRotation()
	s.jmu.Lock()
	if s.j != nil {
		s.j.f.Close()
	}
	s.jmu.Unlock()
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
	s.lock.Close()
}

// workload makes every kind of write the store has, some of which fail (and must leave
// nothing behind), for round r.
func workload(t *testing.T, s *Store, r int) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	sid := fmt.Sprintf("ses-%02d", r)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("round %d: %s: %v", r, what, err)
		}
	}
	must("create session", s.CreateSession(ctx, store.Session{ID: sid, Agent: "agent", PromptMasked: strings.Repeat("p", 200)}))
	if err := s.CreateSession(ctx, store.Session{ID: sid}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("round %d: the session again: %v", r, err)
	}
	must("update session", s.UpdateSession(ctx, store.Session{ID: sid, Agent: "agent", Status: "active"}))
	must("put control", s.PutControl(ctx, store.Control{Scope: store.ScopeAgent, ID: fmt.Sprintf("agent-%d", r), Reason: "r"}))
	if r%3 == 2 {
		must("delete control", s.DeleteControl(ctx, store.ScopeAgent, fmt.Sprintf("agent-%d", r-1)))
	}
	aid := fmt.Sprintf("apr-%02d", r)
	must("create approval", s.CreateApproval(ctx, store.Approval{ID: aid, SessionID: sid, Digest: "d", Status: store.ApprovalPending, ExpiresAt: now.Add(time.Hour)}))
	a, err := s.GetApproval(ctx, aid)
	must("get approval", err)
	must("decide approval", s.DecideApproval(ctx, a, store.ApprovalApproved, "admin", now))
	must("put document", s.PutDocument(ctx, store.Document{Kind: store.KindPolicies, Name: fmt.Sprintf("p%d", r%4), Version: int64(r/4 + 1), Body: []byte("permit (principal, action, resource);")}))
	exp := now.Add(-time.Minute) // expired: the sweep deletes it
	if r%2 == 0 {
		exp = time.Now().Add(time.Hour)
	}
	_, err = s.ClaimKey(ctx, store.Claim{Key: fmt.Sprintf("claim-%02d", r), Digest: "d", ExpiresAt: exp})
	must("claim", err)
	counted := store.Session{ID: sid, Version: 1, Actions: 1, ByFamily: map[string]int{"read": 1}}
	rec1 := store.Record{SessionID: sid, Seq: 1, Hash: "h1", Body: []byte(`{"seq":1}`)}
	must("commit", s.Commit(ctx, store.Decision{Claim: &store.Claim{Key: "req-" + sid, Digest: "d", ExpiresAt: time.Now().Add(time.Hour)}, Counted: &counted, Record: rec1}))
	must("append", s.AppendRecord(ctx, store.Record{SessionID: sid, Seq: 2, PrevHash: "h1", Hash: "h2", Body: []byte(`{"seq":2}`)}))
	done := make(chan error, 1)
	must("append later", s.AppendRecordLater(store.Record{SessionID: sid, Seq: 3, PrevHash: "h2", Hash: "h3", Body: []byte(`{"seq":3}`)}, func(err error) { done <- err }))
	must("deferred append", <-done)
	_, err = s.SweepClaims(ctx, 1000)
	must("sweep", err)
}

// TestJournalReplaysWithoutTheStoreFile: once a base is on disk the store file is not
// trusted after an unclean stop (bbolt commits without fsyncs), so the base and the journal
// alone must rebuild every write that was acknowledged, through new bases written while the
// writes went on. The store file is overwritten with garbage before the reopen.
func TestJournalReplaysWithoutTheStoreFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mandate.db")
	s := openBased(t, path)
	s.journalLimit = 4 << 10 // a new base every few rounds
	if err := s.RotateErr(); err != nil {
		t.Fatal(err)
	}
	for r := range 40 {
		workload(t, s, r)
	}
	s.group.sync()
	s.rotation.Wait()
	if err := s.RotateErr(); err != nil {
		t.Fatal(err)
	}
	want := dump(t, s.db)
	before := s.Stats()
	abandon(t, s)
	if _, err := os.Stat(path + baseSuffix); err != nil {
		t.Fatalf("no base after the writes: %v", err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte{0xA5}, 64<<10), FileMode); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path)
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	holds(t, s.db, want, "after replay")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path + journalSuffix, path + baseSuffix} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after a clean Close: %v, want it removed", filepath.Base(p), err)
		}
	}
	t.Logf("%d writes in %d commits, %d fsyncs", before.Writes, before.Commits, before.Fsyncs)
}

// TestJournalBeforeTheFirstBase: until the first base is on disk bbolt fsyncs every commit,
// and a commit whose journal entry is on disk but whose bbolt commit never happened is
// replayed into the store file.
func TestJournalBeforeTheFirstBase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mandate.db")
	s := openBased(t, path)
	workload(t, s, 0)
	// Back to the state before any base: bbolt fsyncs, the journal holds what follows.
	s.jmu.Lock()
	if err := os.Remove(path + baseSuffix); err != nil {
		t.Fatal(err)
	}
	s.db.NoSync = false
	s.jmu.Unlock()
	if err := s.db.Sync(); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path) // the store file before round 1
	if err != nil {
		t.Fatal(err)
	}
	workload(t, s, 1)
	want := dump(t, s.db)
	abandon(t, s)
	if err := os.WriteFile(path, old, FileMode); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	holds(t, s.db, want, "after replay onto the store file")
}

// TestJournalCrashBetweenRenames: a new base replaces the old pair with two renames; a crash
// between them leaves the new base beside the old, longer journal, which must replay to the
// same state.
func TestJournalCrashBetweenRenames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "mandate.db")
	s := openBased(t, path)
	crashed := filepath.Join(t.TempDir(), "mandate.db")
	var want map[string]string
	s.afterBaseRename = func() {
		if want != nil {
			return
		}
		want = dump(t, s.db) // jmu is held: no commit can come between
		for _, suffix := range []string{baseSuffix, journalSuffix} {
			data, err := os.ReadFile(path + suffix)
			if err != nil {
				t.Error(err)
				return
			}
			if err := os.WriteFile(crashed+suffix, data, FileMode); err != nil {
				t.Error(err)
			}
		}
	}
	for r := range 6 {
		workload(t, s, r)
	}
	s.jmu.Lock()
	s.journalLimit = 1 // the next write starts a new base
	s.jmu.Unlock()
	workload(t, s, 6)
	s.group.sync()
	s.rotation.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if want == nil {
		t.Fatal("no new base was written")
	}
	if err := os.WriteFile(crashed, []byte("torn"), FileMode); err != nil {
		t.Fatal(err)
	}
	c, err := Open(crashed)
	if err != nil {
		t.Fatalf("open the pair left between the renames: %v", err)
	}
	defer c.Close()
	holds(t, c.db, want, "new base + old journal")
}

// TestJournalTornTailAndDamage: an append a crash cut short is the journal's last bytes and
// is dropped; a damaged entry with an intact one after it is not a cut, and Open refuses the
// store, leaving every file as it was.
func TestJournalTornTailAndDamage(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mandate.db")
	s := openBased(t, path)
	workload(t, s, 0)
	workload(t, s, 1)
	want := dump(t, s.db)
	abandon(t, s)
	jpath := path + journalSuffix
	good, err := os.ReadFile(jpath)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := readJournal(good)
	if err != nil || len(entries) < 4 {
		t.Fatalf("the journal holds %d entries (%v)", len(entries), err)
	}
	saved := t.TempDir()
	for _, suffix := range []string{"", baseSuffix} {
		data, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(saved, "mandate.db"+suffix), data, FileMode); err != nil {
			t.Fatal(err)
		}
	}

	// Damage inside the first entry: intact entries follow.
	damaged := bytes.Clone(good)
	damaged[len(journalMagic)+entryHeader+2] ^= 0xFF
	if err := os.WriteFile(jpath, damaged, FileMode); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path); !errors.Is(err, errJournalDamaged) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open with a damaged first entry: %v, want errJournalDamaged", err)
	}
	if got, _ := os.ReadFile(jpath); !bytes.Equal(got, damaged) {
		t.Error("the refused journal was changed")
	}
	if _, err := os.Stat(path + baseSuffix); err != nil {
		t.Errorf("the base after a refused Open: %v", err)
	}

	// Cuts of one more entry at every length, and zeros where an append's blocks were
	// allocated but never written.
	extra := appendEntry(nil, []byte{opPut, 1, 6, 'c', 'l', 'a', 'i', 'm', 's', 1, 'k', 1, 'v'})
	tails := [][]byte{bytes.Repeat([]byte{0}, 4096)}
	for n := 1; n < len(extra); n += 3 {
		tails = append(tails, extra[:n])
	}
	for i, tail := range tails {
		for _, suffix := range []string{"", baseSuffix} {
			data, _ := os.ReadFile(filepath.Join(saved, "mandate.db"+suffix))
			if err := os.WriteFile(path+suffix, data, FileMode); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(jpath, append(bytes.Clone(good), tail...), FileMode); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path)
		if err != nil {
			t.Fatalf("tail %d (%d bytes): %v", i, len(tail), err)
		}
		holds(t, s.db, want, fmt.Sprintf("tail %d (%d bytes)", i, len(tail)))
		abandon(t, s)
	}
}

// TestJournalFailureFailsClosed: a write whose journal append fails is refused and not
// visible, every later write is refused, and what was acknowledged before survives.
func TestJournalFailureFailsClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mandate.db")
	s := openBased(t, path)
	workload(t, s, 0)
	want := dump(t, s.db)
	s.jmu.Lock()
	s.j.f.Close() // the next append fails
	s.jmu.Unlock()
	if err := s.CreateSession(ctx, store.Session{ID: "lost"}); err == nil {
		t.Fatal("a write whose journal append failed succeeded")
	}
	if _, err := s.GetSession(ctx, "lost"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused session: %v, want ErrNotFound", err)
	}
	rec := store.Record{SessionID: "ses-00", Seq: 4, PrevHash: "h3", Hash: "h4", Body: []byte("{}")}
	if err := s.AppendRecord(ctx, rec); err == nil || !strings.Contains(err.Error(), "journal") {
		t.Errorf("a later write: %v, want a journal error", err)
	}
	holds(t, s.db, want, "the store changed after the failure")
	if err := s.Close(); err != nil {
		t.Logf("Close: %v", err)
	}
	if _, err := os.Stat(path + journalSuffix); err != nil {
		t.Fatalf("the journal of a failed store was removed: %v", err)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	holds(t, s.db, want, "after reopening")
}

// TestOneFsyncPerCommit: with a base on disk a commit waits for one fsync (the journal's);
// without the journal bbolt's two.
func TestOneFsyncPerCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, journaled := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "mandate.db")
		s, err := open(path, journaled)
		if err != nil {
			t.Fatal(err)
		}
		s.rotation.Wait()
		before := s.Stats()
		for i := range 10 {
			if err := s.AppendRecord(ctx, store.Record{SessionID: "s", Seq: uint64(i + 1), Hash: fmt.Sprint(i + 1), PrevHash: fmt.Sprint(i), Body: []byte("{}")}); err != nil && i > 0 {
				t.Fatal(err)
			}
		}
		after := s.Stats()
		s.Close()
		want := uint64(2)
		if journaled {
			want = 1
		}
		if c, f := after.Commits-before.Commits, after.Fsyncs-before.Fsyncs; c == 0 || f != want*c {
			t.Errorf("journaled=%v: %d commits took %d fsyncs, want %d each", journaled, c, f, want)
		}
	}
}

// TestOpenReadOnlyReplaysTheJournal: `mandate verify` after a crash reads what was
// acknowledged, not a store file a power loss may have torn.
func TestOpenReadOnlyReplaysTheJournal(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mandate.db")
	s := openBased(t, path)
	workload(t, s, 0)
	want := dump(t, s.db)
	abandon(t, s)
	if err := os.WriteFile(path, nil, FileMode); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	holds(t, ro.db, want, "read-only after the crash")
}

// FuzzJournal: reading and replaying any journal bytes never panics.
func FuzzJournal(f *testing.F) {
	f.Add([]byte(journalMagic))
	f.Add(append([]byte(journalMagic), appendEntry(nil, []byte{opPut, 2, 1, 'a', 1, 'b', 1, 'k', 1, 'v'})...))
	f.Add(append([]byte(journalMagic), appendEntry(nil, []byte{opDelete, 1, 1, 'a', 1, 'k', opBucket, 1, 1, 'a', 1, 'c'})...))
	f.Add(append([]byte(journalMagic), appendEntry(nil, []byte{opPut, 0})...))
	db, err := bbolt.Open(filepath.Join(f.TempDir(), "fuzz.db"), FileMode, &bbolt.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := readJournal(data)
		if err != nil {
			return
		}
		_ = db.Update(func(tx *bbolt.Tx) error {
			for _, e := range entries {
				if err := replay(tx, e); err != nil {
					break
				}
			}
			return errors.New("roll back")
		})
	})
}

// TestAFailedFirstBaseIsTriedAgain: a store whose first base could not be written stays
// safe (bbolt fsyncs every commit) and tries again once its journal passes the limit, so the
// journal does not grow for good.
func TestAFailedFirstBaseIsTriedAgain(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mandate.db")
	s := openBased(t, path)
	defer s.Close()
	// As if the first base had failed: no base, bbolt fsyncing, an error on record.
	s.jmu.Lock()
	if err := os.Remove(path + baseSuffix); err != nil {
		t.Fatal(err)
	}
	s.db.NoSync = false
	s.journalLimit = 2 << 10
	s.jmu.Unlock()
	s.rotateMu.Lock()
	s.rotateErr = errors.New("disk full")
	s.rotateMu.Unlock()
	for r := 0; s.RotateErr() != nil || !s.db.NoSync; r++ {
		if r == 20 {
			t.Fatalf("after %d rounds: no new base (%v)", r, s.RotateErr())
		}
		workload(t, s, r)
		s.rotation.Wait()
	}
	if _, err := os.Stat(path + baseSuffix); err != nil {
		t.Fatalf("no base after the retry: %v", err)
	}
}
