package racebuild_test

import (
	"testing"

	"github.com/mandate-dev/mandate/shared/racebuild"
)

func TestScale(t *testing.T) {
	want := map[bool][3]int{false: {20000, 5, 0}, true: {2000, 1, 1}}[racebuild.Enabled]
	for i, n := range []int{20000, 5, 0} {
		if got := racebuild.Scale(n); got != want[i] {
			t.Errorf("Scale(%d) = %d with the race detector %v, want %d", n, got, racebuild.Enabled, want[i])
		}
	}
}
