package identity

import "errors"

// ErrUnauthenticated is the root of every authentication failure in this package: the
// caller's identity could not be established. Callers MUST refuse the request with 401 and
// MUST NOT tell the client more than the kind of failure (use errors.Is with the more
// specific sentinels below to choose the problem type). Every sentinel of this package wraps
// it, so errors.Is(err, ErrUnauthenticated) is the one test an edge needs.
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrUnsigned means the request carries no credentials at all (no Authorization header, or
// no IAM identity in the request context). Callers should answer 401 and invite the client to
// sign the request.
var ErrUnsigned error = &reasonError{"unsigned request"}

// ErrMalformed means the credentials are present but cannot be parsed or are inconsistent
// with the request (bad Authorization syntax, bad X-Amz-Date, a scope date that differs from
// X-Amz-Date, an unsigned security token, a malformed ARN). The client has a bug; callers
// should answer 401 and not retry.
var ErrMalformed error = &reasonError{"malformed credentials"}

// ErrUnknownKey means the access key id (or session token) is not one this verifier holds.
// Callers should answer 401; the client is using the wrong or a revoked key.
var ErrUnknownKey error = &reasonError{"unknown access key"}

// ErrBadSignature means the signature does not match the request: the request was altered
// after signing, signed with another secret, or signed for another region or service.
// Callers should answer 401 and treat repeated occurrences as a possible attack.
var ErrBadSignature error = &reasonError{"signature does not match"}

// ErrExpired means the signing time (X-Amz-Date) is further than MaxSkew from the server's
// clock, in either direction. Callers should answer 401; the client should check its clock
// and sign again.
var ErrExpired error = &reasonError{"signature expired or not yet valid"}

// ErrTokenExpired means a bearer token's exp is past, or its nbf or iat is in the future,
// beyond the issuer's leeway. Callers should answer 401; the client should get a new token.
var ErrTokenExpired error = &reasonError{"token expired or not yet valid"}

// ErrUntrustedIssuer means a bearer token comes from an issuer that is not configured, or not
// configured for this use (an agent token from an operator issuer, or the reverse). Callers
// should answer 401; the client is presenting the wrong token.
var ErrUntrustedIssuer error = &reasonError{"untrusted token issuer"}

// ErrWrongAudience means a bearer token is not addressed to Mandate (no aud, or none of the
// issuer's configured audiences). Callers should answer 401: the token was minted for another
// service and must not be accepted here.
var ErrWrongAudience error = &reasonError{"token audience not accepted"}

// ErrActorMismatch means an operator's delegation token names another agent in act.sub than
// the one that authenticated the request. Callers should answer 401 and treat it as a possible
// theft of the operator's token.
var ErrActorMismatch error = &reasonError{"delegation token names another agent"}

// ErrTooManyFailures means a source failed authentication too often in a window. Callers should
// answer 429 with Retry-After and not try to authenticate the request at all.
var ErrTooManyFailures error = &reasonError{"too many failed authentications"}

// reasonError is a sentinel that is itself an ErrUnauthenticated.
type reasonError struct{ msg string }

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return ErrUnauthenticated }
