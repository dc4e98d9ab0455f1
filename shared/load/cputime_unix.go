//go:build unix

package load

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used, agents and target
// included: beside the wall clock it says whether a phase is bound by CPU or by waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
