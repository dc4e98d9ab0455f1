// Package dynamo is the DynamoDB implementation of store.Store, used by the Lambda functions
// in AWS and runnable against any DynamoDB-compatible server (dynalite in tests) through an
// endpoint override.
//
// Tables (key attributes are the Attr constants; infra/ creates the tables with them):
//
//	sessions   id (S)                      TTL attribute expires_at (epoch seconds)
//	controls   pk (S) = scope "#" id
//	approvals  id (S)                      a request (apr_...), its decision#, its use#
//	policies   name (S), version (N)
//	intents    name (S), version (N)
//	targets    name (S), version (N)
//	claims     key (S)                     TTL attribute expires_at (epoch seconds)
//	audit      session_id (S), seq (N)
//
// Every partition key is an id with high cardinality, so load spreads across partitions:
// each session has its own audit chain and no item is a global head. The exception is the
// one global control, which is read (strongly consistent, in one BatchGetItem with the
// other scopes) on every request and written only by an operator.
//
// Contract:
//   - Invariants are conditional writes on one item, except a decision (Commit): its claim,
//     counters and record are one TransactWriteItems, tested on minidyn and moto since
//     dynalite has no transactions. Single-item conditions: attribute_not_exists for create-once items (sessions, approvals,
//     document versions, audit sequence numbers, approval decisions and uses), a version
//     check for session updates, and "absent or expired" for claims. An approval's decision
//     and its use are items of their own, put once each, so that IAM can let the action
//     function write requests and uses and only the approval function write decisions
//     (dynamodb:LeadingKeys); consumption checks the decision's digest and expiry, then puts
//     the use. A failed condition maps to store.ErrExists, store.ErrConflict or
//     store.ErrNotFound after at most one consistent read to tell which.
//   - An audit record appended again with identical contents is success: on a failed
//     condition the stored record is read and compared.
//   - Every read is strongly consistent, so a read after a nil write sees it.
//   - TTL is housekeeping only: expiry is always judged in code (sessions by the caller,
//     claims and approvals by exact nanosecond expiry attributes in conditions).
//   - Throttling (ProvisionedThroughputExceededException, ThrottlingException,
//     RequestLimitExceeded) and 5xx answers are retried by the SDK's retryer; when retries
//     are exhausted, and on network failure or timeout, the error wraps store.ErrUnavailable.
//   - An item whose size (attribute names plus values, as DynamoDB counts it) exceeds
//     store.MaxItemBytes is refused with store.ErrTooLarge before anything is sent.
//   - Listing operations (ListControls, ListApprovals, Chains) scan their table. They serve
//     operators and offline verification, never the request path.
//
// The DynamoDB client is used by this package only, through an unexported interface with
// the SDK's own method signatures: *dynamodb.Client fits it as is.
package dynamo
