// Package revoke makes credentials that Mandate already minted stop working when a kill
// switch is set. STS credentials cannot be recalled, so revocation is a deny in the shape of
// the console's "revoke active sessions" (AWSRevokeOlderSessions): deny everything to
// sessions issued before the kill — all of them for a global kill, or only those whose
// session tags (mandate:agent, mandate:session) or SourceIdentity (the operator) match the
// killed scope.
//
// The denies live in one customer-managed policy per target role, under PolicyPath, which is
// the role's permissions boundary (infra's NewTargetRole creates both). A boundary grants
// nothing, so the kill switch, which may write versions of these policies and nothing else,
// can take permissions away from a target role but never give it any. A kill writes a new
// default version; IAM keeps five, and the oldest that is not the default is deleted first.
//
// The document is compact by construction (Document): one deny per scope and window, a
// window being as long as the longest credential lifetime, listing the subjects killed in it
// and refusing credentials issued before the latest of those kills. A later kill of the same
// subject moves the time on; a statement whose latest kill is a window old refuses nothing
// and is swept on the next write. A lifted subject's credentials issued before a later kill
// of the same window are refused too: over-revocation bounded by one credential lifetime,
// which costs the next action a fresh credential from the broker.
//
// Limits: a policy holds 6,144 characters, about 150 killed subjects an hour per role (500
// kills of agents, sessions and operators within an hour: 147 held). A kill that does not
// fit is ErrFull: it is in force in Mandate (nothing new is minted for the subject), but
// credentials minted before it keep working on that role until they expire (at most
// config.MaxTargetCredentialLifetime); the caller MUST report the revocation as degraded.
// Concurrent kills of one role each merge the versions written between the one they read
// and their own, so none is lost unless more than four versions are written meanwhile, or
// IAM, which is eventually consistent, does not yet list a version another kill wrote in the
// same second (a known limit: such a kill is still in force in Mandate).
//
// A target role in another account is written through that account's revocation role
// (RevocationRoleName, infra's NewRevocationRole), which trusts only the kill switch; a role
// whose account has none is ErrAccount.
//
// Contract: Revoke MUST write the kill on every target role and report every role it could
// not update, with the reason (ErrFull, ErrNoPolicy, ErrAccount, ErrForeign); it MUST NOT
// remove a deny whose credentials may still live, nor write over a statement it did not
// write; the condition keys MUST match the tags and SourceIdentity the broker sets.
package revoke
