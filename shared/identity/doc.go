// Package identity establishes who is calling Mandate: the first stage of every request. It
// proves two parties: the agent (a workload identity) and the human operator behind it.
//
// # Place in the flow
//
//	agent --SigV4--> API Gateway (IAM authorizer) --request context--> edge --FromIAM--> Principal --> authority
//	agent --Bearer-> API Gateway (JWT authorizer) --claims----------> edge --FromJWT--> Principal --> authority
//	agent --SigV4--> mandate local --SigV4Verifier.Verify--> Principal.IAMContext() --> edge --FromIAM--> ...
//	agent --Bearer-> mandate local --TokenVerifier.Verify--> Token.AuthorizerClaims() --> edge --FromJWT--> ...
//	operator token (X-Mandate-Operator-Token) --> authority --TokenVerifier.VerifyOperator--> Operator
//
// In AWS, API Gateway verifies the agent's credential and puts the caller in the request
// context; the edge turns it into a Principal (FromIAM, FromJWT) and re-checks what an
// authorizer cannot (the issuer's trust for agents, the act claim of a delegation token).
// Locally nothing stands in front of Mandate, so the local adapter verifies with a
// SigV4Verifier (agents' keys from the local config) or a TokenVerifier (the configured
// issuers) and writes the context API Gateway would have written. The handlers read the
// caller the same way in both modes. This package does not import the Lambda event types.
//
// # Contract
//
//   - A Principal is returned only with a nil error; any error wraps ErrUnauthenticated and
//     exactly one of ErrUnsigned, ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrExpired,
//     ErrTokenExpired, ErrWrongAudience, ErrUntrustedIssuer and ErrActorMismatch, so the edge
//     can pick a 401 problem type with errors.Is. Callers MUST NOT send an error's text to the
//     client; it names the failed check for logs and never holds a secret, a token or an
//     expected signature.
//   - Principal.ID is the stable agent identity policies and audit records use: an IAM user ARN
//     (LocalARN(name) for local agents, in LocalAccountID), for an assumed role the role ARN
//     without its IAM path (the session name in Principal.Session), for an OIDC agent
//     "ISSUER#SUBJECT" with the workload's attributes in Principal.OIDC (Kubernetes namespace
//     and service account; GitHub Actions repository, workflow and ref; a generic client id).
//
// # SigV4
//
// Verify accepts the Authorization-header form and the presigned (query-string) form, with
// HMAC-SHA256, service Service (execute-api) in the verifier's region, and recomputes the
// signature with the AWS SDK v2 signer (the reference client), comparing in constant time.
//
//   - Time: X-Amz-Date within MaxSkew of the clock (inclusive). A presigned request is accepted
//     from up to MaxSkew before its X-Amz-Date until X-Amz-Date + X-Amz-Expires, which may be at
//     most MaxPresignExpiry (15 minutes; AWS allows 7 days, but a URL that authenticates an
//     agent is a bearer credential).
//   - The Date header is not a fallback for X-Amz-Date: every SigV4 client Mandate supports
//     (AWS SDKs, botocore, curl) sends X-Amz-Date, and the SDK signer cannot reproduce a
//     signature over Date alone, so accepting one would need a second canonicaliser for no
//     client. Such a request is ErrMalformed.
//   - Payload: the body's SHA-256. UNSIGNED-PAYLOAD is accepted only for a request without a
//     body, where there is nothing to sign (presigned GETs use it); a body with UNSIGNED-PAYLOAD
//     is ErrMalformed. Streaming (chunked) payload signatures are refused.
//   - Session tokens (X-Amz-Security-Token): AWS temporary credentials are verified by API
//     Gateway's IAM authorizer, whose context names the assumed role (FromIAM). Local agents
//     hold long-term keys and nothing issues local temporary credentials, so locally a signed
//     session token is ErrUnknownKey and an unsigned one ErrMalformed.
//   - Verify reads the body from its argument and never from r.Body.
//
// SigV4 has no nonce: a captured request verifies again until it expires. The authority claims
// the signature of each mutating request once (a conditional write), so an exact replay is
// refused; clients add a random signed header so that two identical requests in the same
// second differ.
//
// Canonical URIs: the AWS SDKs escape the escaped path once more, while API Gateway and curl
// sign it escaped once; Verify accepts both for paths whose forms cannot be confused (see
// SigV4Verifier.Verify). One ambiguity is in the protocol itself and cannot be closed by a
// verifier: a client that signs a path holding a literal '%' with single encoding produces a
// signature that the SDK convention reads as another path. Mandate's routes never contain '%'.
//
// # OIDC tokens
//
// TokenVerifier checks JWS compact tokens from allow-listed issuers (IssuerConfig): the
// algorithm against the issuer's allow-list (asymmetric only: no HMAC, no none), the signature
// against the issuer's key set (a file, a URL, or discovery; never a URL the token names: jku,
// x5u, jwk and x5c are ignored), exp (required), nbf and iat with a bounded leeway, aud
// (required, one of the issuer's audiences), typ where the issuer sets one, and the issuer's
// trust (agent or operator). Key sets are cached and refreshed on an unknown kid at most once
// per MinRefreshInterval, so a storm of made-up kids cannot turn into a storm of fetches.
// Verified tokens are cached by their hash until they expire or the key set changes.
//
// An operator is verified by an RFC 8693 delegation token (sub the human, act.sub this agent)
// or by the operator's own ID token; a delegation token naming another agent is
// ErrActorMismatch.
//
// FailureLimiter counts failed authentications per source so that the local adapter can
// answer 429 to a source that keeps failing; in AWS that is a WAF rate-based rule.
package identity
