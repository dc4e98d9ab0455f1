package bolt

import (
	"errors"
	"fmt"
	"os"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrInUse means another process (a running `mandate local`) holds the store file; stop it or
// wait, then retry.
var ErrInUse = errors.New("bolt: store file is in use by another process")

// OpenReadOnly opens an existing store file for reading, for verification while nothing else
// writes. Writes through the returned store fail. A store an unclean stop left with a journal
// is brought up to date first, as Open does, which needs write access to its folder.
func OpenReadOnly(path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	if _, err := os.Stat(path + journalSuffix); err == nil {
		// Recovery alone, under the writers' lock: an Open would also start a new base.
		lock, err := lockWriter(path)
		if err != nil {
			return nil, err
		}
		err = recoverJournal(path)
		lock.Close()
		if err != nil {
			return nil, fmt.Errorf("bolt: open %s: recover: %w", path, err)
		}
	}
	// No lock file: no journaling writer has opened this store, so there is no journal.
	lock, err := lockFile(path+lockSuffix, false, DefaultOpenTimeout)
	if errors.Is(err, ErrInUse) {
		return nil, fmt.Errorf("%w: %s", ErrInUse, path)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	db, err := bbolt.Open(path, FileMode, &bbolt.Options{Timeout: DefaultOpenTimeout, ReadOnly: true})
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s", ErrInUse, path)
		}
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	s := newStore(db, path)
	s.lock = lock
	return s, nil
}
