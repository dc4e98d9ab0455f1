// Package archive writes audit records to write-once storage in the layout Athena reads, and
// reads them back.
//
// Layout (the contract with the Glue table in shared/query and with `mandate query`):
//
//	audit/dt=YYYY-MM-DD/HHMMSS.nnnnnnnnn-<first record hash, 32 hex>.json.gz
//	checkpoints/<index, 20 digits>.json
//
// Each audit object is gzip-compressed text with one record per line: the record's stored
// canonical JSON (shared/audit), byte for byte, so every line can be re-hashed and checked
// against its chain. dt is the UTC date of the records' time; the object name starts with the
// time of day of its first record and ends with that record's hash.
//
// Place in the flow: in AWS the shipper function (functions/shipper) feeds Ship with the audit
// table's stream; locally Tail follows the embedded store and ships to DATA/archive/ through
// the same code, so both archives have the same layout and the same object names.
//
// Contract: an object is written once and never replaced. Every write is conditional
// (If-None-Match: *) and, on S3, carries ObjectLockMode COMPLIANCE and a RetainUntilDate. An
// object name depends only on the first record it holds, so a retried batch finds its objects
// already there: Ship reads them back and treats "the same records are already there" as
// success, ships only what is missing, and refuses (ErrConflict) when different records hold
// the name. Nothing is skipped: Ship reports the first record it could not make durable and
// everything after it stays unshipped, to be retried.
package archive
