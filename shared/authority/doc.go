// Package authority is the pipeline: the one place where a request to Mandate reads top to
// bottom. For an action:
//
//	authenticate -> load session, check kill switches -> validate the action -> evaluate
//	policy -> append the decision record (fail closed) -> broker a credential -> execute ->
//	mask -> append the result record -> respond
//
// Opening a session authenticates, checks kill switches, classifies the intent of the
// operator's prompt, masks the prompt, and appends the session's first record.
//
// Contract: nothing is brokered or executed unless the decision record is durably appended;
// any store error fails closed (ErrUnavailable). Every refusal of an action in a session
// whose agent is authenticated is itself recorded. Errors are *Error values whose Kind is one
// of the sentinels below; their Detail is safe to show the caller, their cause is not.
package authority
