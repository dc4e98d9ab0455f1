//go:build unix

package bolt

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockFile takes an advisory lock on the file at path, exclusive or shared, waiting up to
// timeout; ErrInUse when another process holds it. Closing the returned file releases it. A
// shared lock does not create the file: an error that wraps os.ErrNotExist says no writer
// ever locked it.
func lockFile(path string, exclusive bool, timeout time.Duration) (*os.File, error) {
	how, flag := syscall.LOCK_SH, os.O_RDONLY
	if exclusive {
		how, flag = syscall.LOCK_EX, os.O_RDWR|os.O_CREATE
	}
	f, err := os.OpenFile(path, flag, FileMode)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, ErrInUse
			}
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
