// Package bolt is the embedded implementation of store.Store used by `mandate local`: every
// kind of item in one local file, over go.etcd.io/bbolt.
//
// Layout (this is the on-disk format; changing it needs a migration):
//
//	sessions   id                 -> JSON session
//	controls   scope "#" id       -> JSON control
//	approvals  id                 -> JSON approval
//	policies   name -> bucket of  big-endian uint64 version -> JSON document
//	intents    (same as policies)
//	targets    (same as policies)
//	claims     key                -> JSON claim
//	audit      session id -> bucket of big-endian uint64 seq -> JSON record
//
// Nested buckets per document name and per session keep every chain and version list apart
// whatever bytes the names contain, and big-endian keys make cursor order numeric order, so
// LastRecord and LatestDocument are one Last() and Records is one Seek.
//
// Contract: every write is in a bbolt read-write transaction whose changes are appended to
// the store's journal and fsynced before bbolt commits them (journal.go), so a nil error
// means the write is on disk and every later read sees it: one fsync per commit, where bbolt
// alone fsyncs twice. After an unclean stop, Open rebuilds the store from its last base and
// its journal rather than trusting the file. Chain appends and session updates from
// concurrent callers share transactions (group commit, group.go): one fsync per group, each
// write's checks still made inside the transaction that commits it. Invariants (create-once,
// version checks, approval states, claim expiry) are checked and written inside that one
// transaction. Items larger than store.MaxItemBytes are
// refused with store.ErrTooLarge, measured close to the way DynamoDB measures them (the raw
// bytes of string and byte fields plus a fixed allowance for names and numbers, not the JSON
// encoding), so both implementations accept the same items short of the exact boundary.
// One process at a time may open the file (its lock is FILE-lock); a second Open fails after
// DefaultOpenTimeout.
package bolt
