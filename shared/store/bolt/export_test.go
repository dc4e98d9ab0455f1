package bolt

// Write modes the benchmarks compare.
const (
	WritesGroup = writesGroup
	WritesSolo  = writesSolo
)

// OpenUnjournaled opens the store as Open does, with bbolt fsyncing every commit itself (two
// fsyncs) and no journal: the baseline the journal is measured against.
func OpenUnjournaled(path string) (*Store, error) {
	return open(path, false)
}

// SetWrites chooses how s commits chain appends and session updates, before it is used
// (benchmarks only).
func (s *Store) SetWrites(mode int) {
	s.writes = mode
}

// WaitForBase waits until the store's first base is written and returns why it was not.
func (s *Store) WaitForBase() error {
	s.rotation.Wait()
	return s.RotateErr()
}
