// Package racebuild says whether the race detector is compiled in. make tests runs every
// test under the detector, then the packages whose tests are about volume (a property over
// thousands of cases, a stream past a size limit) once more in the plain build: there they
// run in full, in a tenth to a twentieth of the time, and under the detector small or not
// at all.
package racebuild

import "testing"

// Scale is n in the plain build and a tenth of it, at least 1, under the race detector.
func Scale(n int) int {
	if !Enabled {
		return n
	}
	return max(1, n/10)
}

// Heavy skips t under the race detector: the plain run of make tests runs it.
func Heavy(t testing.TB) {
	t.Helper()
	if Enabled {
		t.Skip("a test of volume: make tests runs it in the plain build, without the race detector")
	}
}
