package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/storetest"
)

func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "mandate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// The first base is copied in the background after Open; the committer's tests time
	// their writes (DeferDelay) and run without it beside them.
	s.rotation.Wait()
	return s
}

func count(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	if err := s.db.View(func(tx *bbolt.Tx) error { n = tx.Bucket(bucketClaims).Stats().KeyN; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGroupCommitSharesTransactions shows writes that arrive while a commit is in flight
// committed together in the next transaction, each write once. The commit in flight is held
// until all of them have queued, so the test does not depend on how fast the disk is: with
// the journal a commit can end before the scheduler has run the next writer, and a run under
// load once saw every write commit alone.
func TestGroupCommitSharesTransactions(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	const n = 64
	release, queued := holdCommitter(t, s)
	var mu sync.Mutex
	txs := map[int]bool{}
	errs := make(chan []error, 1)
	go func() {
		errs <- storetest.Race(n, func(i int) error {
			return s.group.do(func(tx *wtx) error {
				mu.Lock()
				txs[tx.tx.ID()] = true
				mu.Unlock()
				return tx.Bucket(bucketClaims).Put(fmt.Appendf(nil, "k%03d", i), []byte("v"))
			})
		})
	}()
	queued(n)
	release()
	for i, err := range <-errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if got := count(t, s); got != n {
		t.Fatalf("%d keys written, want %d", got, n)
	}
	if len(txs) != 1 {
		t.Fatalf("%d writes queued behind one commit took %d transactions, want 1", n, len(txs))
	}
}

// holdCommitter starts a commit that stays in flight until release is called (which waits
// for it to end), and returns that and queued, which waits until want writes are queued
// behind it.
func holdCommitter(t *testing.T, s *Store) (release func(), queued func(want int)) {
	t.Helper()
	hold := make(chan struct{})
	leader := make(chan error, 1)
	go func() {
		leader <- s.group.do(func(*wtx) error { <-hold; return nil })
	}()
	queued = func(want int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			s.group.mu.Lock()
			busy, q := s.group.busy, len(s.group.queue)
			s.group.mu.Unlock()
			if busy && q >= want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("busy %v with %d queued, want %d", busy, q, want)
			}
		}
	}
	queued(0)
	release = func() {
		close(hold)
		if err := <-leader; err != nil {
			t.Fatal(err)
		}
	}
	return release, queued
}

// TestGroupCommitIsolatesFailures shows that a failing or panicking write gets its own error
// and that the writes grouped with it are committed once, not lost and not doubled.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	const n = 48
	errBad := errors.New("bad write")
	var mu sync.Mutex
	runs := map[int]int{}
	errs := storetest.Race(n, func(i int) error {
		return s.group.do(func(tx *wtx) error {
			mu.Lock()
			runs[i]++
			mu.Unlock()
			b := tx.Bucket(bucketClaims)
			k := fmt.Appendf(nil, "k%03d", i)
			if b.Get(k) != nil {
				return fmt.Errorf("write %d sees its own earlier run", i)
			}
			if err := b.Put(k, []byte("v")); err != nil {
				return err
			}
			switch i % 8 {
			case 3:
				return errBad // after writing: the write must be rolled back
			case 5:
				panic("boom")
			}
			return nil
		})
	})
	want := 0
	for i, err := range errs {
		switch i % 8 {
		case 3:
			if !errors.Is(err, errBad) {
				t.Errorf("write %d: %v, want its own error", i, err)
			}
		case 5:
			if err == nil {
				t.Errorf("write %d panicked and succeeded", i)
			}
		default:
			want++
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}
	}
	if got := count(t, s); got != want {
		t.Fatalf("%d keys on disk, want %d (failed writes rolled back, the others kept)", got, want)
	}
	reran := 0
	for _, r := range runs {
		if r > 1 {
			reran++
		}
	}
	t.Logf("%d of %d writes ran more than once", reran, n)
}

// TestLoneWriterCommitsAtOnce shows a single write does not wait for company: it is on disk
// when do returns, and the committer is idle again.
func TestLoneWriterCommitsAtOnce(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	for i := range 3 {
		if err := s.group.do(func(tx *wtx) error {
			return tx.Bucket(bucketClaims).Put(fmt.Appendf(nil, "k%d", i), []byte("v"))
		}); err != nil {
			t.Fatal(err)
		}
		if got := count(t, s); got != i+1 {
			t.Fatalf("after write %d: %d keys", i, got)
		}
	}
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	if s.group.busy || len(s.group.queue) != 0 {
		t.Fatalf("committer busy %v with %d queued after the writes", s.group.busy, len(s.group.queue))
	}
}

func rec(session string, seq uint64, prev, hash string) store.Record {
	return store.Record{SessionID: session, Seq: seq, PrevHash: prev, Hash: hash, Body: []byte(`{}`)}
}

// TestDeferredAppendRidesTheNextCommit: a deferred record and the write after it share one
// transaction (one fsync), and the record is on disk when that write returns. Both queue
// behind a commit held in flight, so the deferred record's own timer (DeferDelay) cannot
// fire between them however slowly the test is scheduled.
func TestDeferredAppendRidesTheNextCommit(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	ctx := context.Background()
	if err := s.AppendRecord(ctx, rec("s", 1, "", "h1")); err != nil {
		t.Fatal(err)
	}
	release, queued := holdCommitter(t, s)
	got := make(chan error, 1)
	if err := s.AppendRecordLater(rec("s", 2, "h1", "h2"), func(err error) { got <- err }); err != nil {
		t.Fatal(err)
	}
	next := make(chan error, 1)
	go func() { next <- s.AppendRecord(ctx, rec("s", 3, "h2", "h3")) }()
	queued(2)
	before := s.Stats().Commits
	release() // the held commit, counted
	if err := <-next; err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("the deferred record was not committed with the write after it")
	}
	if n := s.Stats().Commits - before; n != 2 {
		t.Fatalf("%d commits for the held one, a deferred record and the write after it, want 2", n)
	}
}

// TestDeferredAppendCommitsAlone: with nothing to ride, a deferred record is committed on its
// own within DeferDelay; and Close commits what is still queued.
func TestDeferredAppendCommitsAlone(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mandate.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	if err := s.AppendRecordLater(rec("s", 1, "", "h1"), func(err error) { got <- err }); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(100 * DeferDelay):
		t.Fatal("a lone deferred record was never committed")
	}
	if err := s.AppendRecordLater(rec("s", 2, "h1", "h2"), func(error) {}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	last, err := ro.LastRecord(context.Background(), "s")
	if err != nil || last.Seq != 2 {
		t.Fatalf("after Close the chain ends at %d (%v), want the deferred record 2", last.Seq, err)
	}
}

// TestAppendRefusesARecordThatDoesNotFollow: a record whose predecessor is missing or has
// another hash is refused (what was built on a lost deferred record never lands); a
// malformed deferred record is refused at once.
func TestAppendRefusesARecordThatDoesNotFollow(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	ctx := context.Background()
	if err := s.AppendRecord(ctx, rec("s", 1, "", "h1")); err != nil {
		t.Fatal(err)
	}
	for _, r := range []store.Record{rec("s", 2, "other", "h2"), rec("s", 3, "h2", "h3"), rec("t", 2, "", "x")} {
		if err := s.AppendRecord(ctx, r); !errors.Is(err, store.ErrExists) {
			t.Errorf("%s#%d after %q: %v, want store.ErrExists", r.SessionID, r.Seq, r.PrevHash, err)
		}
	}
	if err := s.AppendRecordLater(store.Record{SessionID: "s"}, func(error) { t.Error("called back for a refused record") }); err == nil {
		t.Fatal("a record without a sequence was accepted")
	}
}

// TestCrashLosesOnlyTheDeferredTail: a process that dies with a deferred record still queued
// (os.Exit, no Close) leaves the records it had waited for and nothing broken: the chain ends
// before the lost record, and the next writer continues from that end.
func TestCrashLosesOnlyTheDeferredTail(t *testing.T) {
	if path := os.Getenv("MANDATE_TEST_CRASH_DB"); path != "" {
		s, err := Open(path)
		if err != nil {
			os.Exit(3)
		}
		if err := s.AppendRecord(context.Background(), rec("s", 1, "", "h1")); err != nil {
			os.Exit(4)
		}
		if err := s.AppendRecordLater(rec("s", 2, "h1", "h2"), func(error) {}); err != nil {
			os.Exit(5)
		}
		os.Exit(0) // dies before the deferred record's commit
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mandate.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashLosesOnlyTheDeferredTail$")
	cmd.Env = append(os.Environ(), "MANDATE_TEST_CRASH_DB="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the crashing process: %v: %s", err, out)
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	recs, err := s.Records(ctx, "s", 1, 0)
	if err != nil || len(recs) == 0 || recs[0].Hash != "h1" {
		t.Fatalf("after the crash: %+v %v; want the record written before it", recs, err)
	}
	t.Logf("after the crash the chain holds %d record(s)", len(recs))
	last := recs[len(recs)-1]
	if err := s.AppendRecord(ctx, rec("s", last.Seq+1, last.Hash, "next")); err != nil {
		t.Fatalf("the next writer cannot continue the chain: %v", err)
	}
}
