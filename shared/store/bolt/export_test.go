package bolt

import "time"

// Write modes the benchmarks compare.
const (
	WritesGroup = writesGroup
	WritesSolo  = writesSolo
	WritesBatch = writesBatch
)

// SetWrites chooses how s commits chain appends and session updates, before it is used
// (benchmarks only); delay is bbolt's MaxBatchDelay for WritesBatch.
func (s *Store) SetWrites(mode int, delay time.Duration) {
	s.writes = mode
	s.db.MaxBatchDelay = delay
}
