// Package audit builds, hashes, appends and verifies the per-session hash chain that links
// prompt -> intent -> verdict -> session -> action -> result.
//
// Each record is encoded as canonical JSON (RFC 8785) without its hash field, prefixed with
// the RFC 6962 leaf domain byte 0x00 and hashed with SHA-256; the record carries the previous
// record's hash (prev_hash) and its sequence in the session (from 1, without gaps). The
// encoding and the hash construction MUST never change: every stored chain depends on them.
// A change of record schema bumps Version and keeps old records verifiable.
//
// Place in the flow: the authority appends a decision record before anything is brokered or
// executed, and a result record after; if an append fails, the caller MUST fail closed. The
// result record may ride the store's next commit (Chain.AppendLater, store.DeferredAudit): a
// crash before it lands leaves an allowed decision without a result, which verification
// reports as incomplete, and never a result without its decision or a broken chain.
// Records never hold a secret or an unmasked value: prompts are stored masked with the
// SHA-256 of the original, responses only by digest and masking counts.
package audit
