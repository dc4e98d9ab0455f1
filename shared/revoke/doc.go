// Package revoke makes credentials that Mandate already minted stop working when a kill
// switch is set. STS credentials cannot be recalled, so revocation is an inline deny policy
// on each target role, in the shape of the console's "revoke active sessions"
// (AWSRevokeOlderSessions): deny everything to sessions issued before the kill — all of them
// for a global kill, or only those whose session tags (mandate:agent, mandate:session) or
// SourceIdentity (the operator) match the killed scope.
//
// Every statement is bounded by aws:TokenIssueTime, so credentials minted after a kill is
// lifted work again without removing anything, and the deny is harmless once the last
// credential it targets has expired (at most 15 minutes, STS's minimum lifetime).
//
// A Revoker made by NewSweeping removes, before each put, the denies of earlier kills older
// than the longest credential lifetime: they refuse nothing, and left in place they would fill
// the role's inline policy quota (10,240 characters, about 37 denies) and stop revocation.
// A deny it cannot read or date is kept; a failed sweep never stops the kill's own deny.
//
// Contract: Revoke MUST put the policy on every target role and report every role it could
// not update (the caller keeps the kill in force and retries); the policy document MUST match
// the tags and SourceIdentity the broker sets.
package revoke
