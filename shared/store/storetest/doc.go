// Package storetest is the conformance suite every store.Store implementation must pass, in
// the manner of go-cloud's drivertest: one exported Run function that a driver's own test calls
// with a constructor.
//
// The suite is the contract. It covers every method of the store interfaces and every
// sentinel error they return: create-once writes (ErrExists), absent items (ErrNotFound),
// optimistic and state-conditioned updates (ErrConflict), the size guard (ErrTooLarge), and
// the concurrency guarantees Mandate depends on — goroutines appending to one audit chain by
// "read the last record, append the next sequence, retry on ErrExists" never fork or skip a
// sequence, an approval is consumed once, an idempotency key is claimed once, and a read after
// a write sees the write.
//
// Every subtest uses its own random ids and runs in parallel against one store instance, so a
// driver backed by a shared server (DynamoDB) needs only one set of tables per run. Listing
// methods (ListControls, ListApprovals, Chains) are checked by inclusion and exclusion of the
// subtest's own items, never by exact equality.
//
// Values the suite treats as equal: time.Time values that are the same instant (the location
// and monotonic reading are not preserved), and nil and empty slices and maps.
package storetest
