// Package api holds the wire types of Mandate's HTTP API: the JSON bodies agents send and
// receive, and the RFC 9457 problem types every error is reported with.
//
// These types are the contract of DESIGN.md section 8. Fields MUST NOT be renamed or removed
// without changing the README, the demo and the tests at once. Decoders of these types MUST
// reject unknown fields, so a misspelt field is a 400, not a silently ignored control.
package api
