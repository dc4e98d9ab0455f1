//go:build !unix

package bolt

import (
	"os"
	"time"
)

// lockFile opens the lock file at path; without flock, bbolt's own lock on the store file is
// what keeps a second process out.
func lockFile(path string, exclusive bool, _ time.Duration) (*os.File, error) {
	if !exclusive {
		return os.Open(path)
	}
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
}
