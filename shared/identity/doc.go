// Package identity establishes who is calling Mandate: the first stage of every request.
//
// # Place in the flow
//
//	agent --SigV4--> API Gateway (IAM authorizer) --request context--> edge --FromIAM-------> Principal --> authority
//	agent --SigV4--> mandate local --SigV4Verifier.Verify--> Principal.IAMContext() --> edge --FromIAM--> ...
//
// In AWS, API Gateway verifies the signature and puts the caller in the request context; the
// edge copies those fields into an IAMContext and FromIAM turns them into a Principal. Locally,
// nothing stands in front of Mandate, so the local adapter verifies the signature itself with a
// SigV4Verifier over the agents' keys from the local config, then writes Principal.IAMContext()
// into the API Gateway v2 event it builds, exactly where API Gateway would. The handlers
// therefore read the caller the same way in both modes. This package does not import the Lambda
// event types: the edge converts.
//
// # Contract
//
//   - A Principal is returned only with a nil error; any error wraps ErrUnauthenticated and
//     exactly one of ErrUnsigned, ErrMalformed, ErrUnknownKey, ErrBadSignature and ErrExpired,
//     so the edge can pick a 401 problem type with errors.Is. Callers MUST NOT send an error's
//     text to the client; it names the failed check for logs and never holds a secret or an
//     expected signature.
//   - Principal.ID is the stable agent identity policies and audit records use: an IAM user ARN
//     (LocalARN(name) for local agents, in LocalAccountID) or, for an assumed role, the role ARN
//     without its IAM path; the role session name is kept apart in Principal.Session.
//   - Verify accepts only the Authorization-header form of SigV4 with HMAC-SHA256, service
//     Service (execute-api) in the verifier's region, X-Amz-Date within MaxSkew of the clock
//     (inclusive), host and x-amz-date signed, a body covered by the signature
//     (UNSIGNED-PAYLOAD refused) and no session token. The signature is recomputed with the AWS
//     SDK v2 signer (the reference client) and compared in constant time.
//   - Verify reads the body from its argument and never from r.Body; the caller reads the body
//     once, under its size limit, and passes the same bytes to the handler.
//
// SigV4 has no nonce: a captured request verifies again until its X-Amz-Date is MaxSkew old.
// Replay protection of mutating requests belongs to the stages that own idempotency.
//
// Canonical URIs: the AWS SDKs escape the escaped path once more, while API Gateway and curl
// sign it escaped once; Verify accepts both for paths whose forms cannot be confused (see
// SigV4Verifier.Verify). One ambiguity is in the protocol itself and cannot be closed by a
// verifier: a client that signs a path holding a literal '%' with single encoding produces a
// signature that the SDK convention reads as another path. Mandate's routes never contain '%'.
package identity
