// Package token mints and verifies the short-lived action tokens Mandate uses as the
// credential for local HTTP targets (the demo customer service): a token is an HMAC-SHA256
// over its claims with a secret the broker and the target share, valid for one method on one
// path for a few seconds.
//
// Contract: Verify MUST compare MACs in constant time, MUST refuse a token whose expiry has
// passed or whose method, path or audience differ from the request, and MUST NOT put the
// token or secret in any error text.
package token
