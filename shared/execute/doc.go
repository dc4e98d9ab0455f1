// Package execute performs one allowed action on its target with the credential the broker
// minted for it, and returns the raw response for masking.
//
// Place in the flow: after broker, before mask. Only this package talks to targets.
// Executors routes by kind: HTTP (no redirects, path checks), SQL (one statement over the
// extended protocol as the ephemeral role, read-only transaction for SELECT, statement
// timeout, rows as JSON capped by rows and bytes) and AWS (DynamoDB over its JSON protocol
// signed with the minted credential, TableName from the resource ARN; S3 through the SDK;
// any other operation of a JSON-protocol service in iamaction.JSONServices through the
// generic path, parameters as given, bounded by the credential's session policy).
//
// Contract: an executor MUST NOT follow redirects, MUST refuse paths that escape the target's
// base path or smuggle another host, MUST bound each call by the target's timeout and read at
// most the target's response cap (marking the result truncated), and MUST NOT put the
// credential in any error.
package execute
