// Package client is the Go client agents use to call Mandate. It authenticates each request
// either with SigV4 (New: the AWS SDK v2 signer, service execute-api, exactly as for API
// Gateway) or with an OIDC bearer token (NewBearer), proves the human operator with a
// delegation or ID token when asked (WithOperatorToken), and returns outcomes typed: Submit
// tells an allowed action from one waiting for approval (202) and one denied by policy (403);
// every other refusal is a *ProblemError carrying the stable problem type.
//
// Mutating requests carry a random signed nonce header, because Mandate refuses an exact
// replay of a signed mutating request; retries of an action are made safe with an
// idempotency key (NewIdempotencyKey).
package client
