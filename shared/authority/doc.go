// Package authority is the pipeline: the one place where a request to Mandate reads top to
// bottom. For an action:
//
//	authenticate -> load session, check kill switches -> validate the action -> evaluate
//	policy -> append the decision record (fail closed) -> broker a credential -> execute ->
//	mask -> append the result record (on the embedded store it rides the next commit) -> respond
//
// A permit carrying @approval makes the verdict "approval": after the decision record, the
// authority records and stores a pending approval bound to a digest of the session and the
// exact action, and answers 202 (approvals.go). A human operator, never an agent and not the
// session's own operator unless policy allows it, approves or denies it; the agent's retry
// with approval_id spends it once, recorded, before the allow is recorded. Callers are
// agents, operators or administrators (roles.go), never mixed. Policy sets and the intent
// catalog are versioned documents validated before they are stored, reloaded on change, with
// an optional log-only set whose verdicts are recorded beside the enforced ones
// (documents.go).
//
// Opening a session authenticates, checks kill switches, classifies the intent of the
// operator's prompt, masks the prompt, and appends the session's first record.
//
// Contract: nothing is brokered or executed unless the decision record is durably appended;
// any store error fails closed (ErrUnavailable). Every refusal of an action in a session
// whose agent is authenticated is itself recorded. Errors are *Error values whose Kind is one
// of the sentinels below; their Detail is safe to show the caller, their cause is not.
package authority
