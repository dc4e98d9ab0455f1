// Package revocation is the list of kill switches that targets consult to refuse
// credentials minted before a kill.
//
// In AWS a kill puts a deny conditioned on aws:TokenIssueTime (and a session tag or the
// source identity) on the target roles, and IAM refuses the older credentials (shared/revoke).
// Targets that take Mandate's own action tokens (the local demo target, shared/crm) get the
// same guarantee from this list: the authority publishes each kill to it (List.Revoke) and the
// target refuses a token whose agent, operator or session a kill covers, or any token under a
// global kill, when the token was issued before the kill (List.Revoked).
//
// Contract: a kill is published before the kill request is answered; a credential issued in
// the same second as the kill, or earlier, is refused (issue times are whole seconds, so the
// kill time is rounded up); a credential without an issue time is refused by any kill that
// covers it (fail closed). Lifting a kill does not un-revoke what it revoked, exactly like
// the IAM deny: credentials issued before the kill stay refused until they expire.
package revocation
