// Package broker mints the short-lived credential one allowed action runs with, scoped to
// exactly that action, and nothing else. Agents never see what it mints.
//
// Place in the flow: after the decision record is durably appended, before execute. The
// credential is used once by the executor and dropped.
//
// Contract: Mint MUST scope the credential to the one target, method and path (or the
// equivalent for other kinds), MUST bound its lifetime by the target's credential TTL, and
// MUST NOT expose the secret or the credential value in errors or in Credential.Describe.
package broker
