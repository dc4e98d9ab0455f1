// Package client is the Go client agents use to call Mandate: it signs each request with the
// AWS SDK v2 SigV4 signer (service execute-api), exactly as it would for API Gateway, and
// returns problem responses as *ProblemError so callers can act on the verdict and reasons.
package client
