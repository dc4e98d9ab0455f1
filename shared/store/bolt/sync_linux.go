package bolt

import (
	"os"
	"syscall"
)

// datasync makes f's data and size durable (fdatasync, as bbolt does on Linux).
func datasync(f *os.File) error {
	return syscall.Fdatasync(int(f.Fd()))
}
