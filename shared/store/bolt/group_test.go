package bolt

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/mandate-dev/mandate/shared/store/storetest"
)

func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "mandate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
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

// TestGroupCommitSharesTransactions shows concurrent writes committed in fewer transactions
// than writes, each write once.
func TestGroupCommitSharesTransactions(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	const n = 64
	var mu sync.Mutex
	txs := map[int]bool{}
	errs := storetest.Race(n, func(i int) error {
		return s.group.do(func(tx *bbolt.Tx) error {
			mu.Lock()
			txs[tx.ID()] = true
			mu.Unlock()
			return tx.Bucket(bucketClaims).Put(fmt.Appendf(nil, "k%03d", i), []byte("v"))
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if got := count(t, s); got != n {
		t.Fatalf("%d keys written, want %d", got, n)
	}
	if len(txs) >= n {
		t.Fatalf("%d transactions for %d concurrent writes: nothing was grouped", len(txs), n)
	}
	t.Logf("%d writes in %d transactions", n, len(txs))
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
		return s.group.do(func(tx *bbolt.Tx) error {
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
		if err := s.group.do(func(tx *bbolt.Tx) error {
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
