// Package store declares the persistence ports of Mandate — sessions, controls (kill
// switches), approvals, versioned documents (policies, intents, targets), idempotency claims
// and the audit chain — and the sentinel errors every implementation returns.
//
// Two implementations exist: store/bolt, an embedded store in one local file used by
// `mandate local`, and store/dynamo, DynamoDB in AWS. Both MUST pass the one conformance
// suite in store/storetest; behaviour that suite does not pin down is not part of the
// contract.
//
// Contract, for every implementation:
//   - A write that returns nil is durable: a read that follows sees it.
//   - Invariants are enforced by conditional writes inside the store, never by a read
//     followed by a write in the caller: an audit sequence number, a document version and an
//     idempotency key can each be taken once; an approval is decided once and consumed once.
//   - A decision (Commit: replay claim, session counters, decision record) is written whole or
//     not at all, in one transaction; its counters are stored only if the session's version is
//     still the one they were counted from.
//   - Errors are the sentinels below (wrapped with context) so callers can act on them with
//     errors.Is; any other error means the store could not answer and callers MUST fail closed.
package store
