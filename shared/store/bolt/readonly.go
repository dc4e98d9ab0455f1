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
// writes. Writes through the returned store fail.
func OpenReadOnly(path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	db, err := bbolt.Open(path, FileMode, &bbolt.Options{Timeout: DefaultOpenTimeout, ReadOnly: true})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrInUse, path)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	return newStore(db), nil
}
