//go:build !race

package racebuild

// Enabled is true when the race detector is compiled in.
const Enabled = false
