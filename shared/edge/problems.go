package edge

import (
	"errors"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
)

// statusOf is the one table from authority error kinds to HTTP status and problem type.
var statusOf = []struct {
	kind   error
	status int
	typ    string
	title  string
}{
	{authority.ErrUnauthenticated, 401, api.ProblemUnauthenticated, "Not authenticated"},
	{authority.ErrInvalid, 400, api.ProblemMalformed, "Invalid request"},
	{authority.ErrSessionNotFound, 404, api.ProblemSessionNotFound, "No such session"},
	{authority.ErrSessionExpired, 403, api.ProblemSessionExpired, "Session expired"},
	{authority.ErrSessionClosed, 403, api.ProblemSessionClosed, "Session closed"},
	{authority.ErrKilled, 403, api.ProblemKilled, "Stopped by a kill switch"},
	{authority.ErrBudgetExhausted, 403, api.ProblemBudgetExhausted, "Action budget exhausted"},
	{authority.ErrDenied, 403, api.ProblemDenied, "Denied by policy"},
	{authority.ErrNonCanonical, 400, api.ProblemNonCanonicalPath, "Non-canonical path"},
	{authority.ErrUnknownTarget, 400, api.ProblemUnknownTarget, "Unknown target"},
	{authority.ErrUnsupported, 400, api.ProblemUnsupported, "Unsupported action"},
	{authority.ErrTargetFailed, 502, api.ProblemTargetFailed, "Target failed"},
	{authority.ErrUnavailable, 503, api.ProblemUnavailable, "Temporarily unavailable"},
	{authority.ErrForbidden, 403, api.ProblemForbidden, "Forbidden"},
	{authority.ErrApprovalNotFound, 404, api.ProblemApprovalNotFound, "No such approval"},
	{authority.ErrApprovalPending, 409, api.ProblemApprovalPending, "Approval pending"},
	{authority.ErrApprovalInvalid, 403, api.ProblemApprovalInvalid, "Approval not valid for this action"},
	{authority.ErrApprovalDecided, 409, api.ProblemApprovalDecided, "Approval already decided"},
	{authority.ErrInvalidDocument, 422, api.ProblemInvalidDocument, "Document rejected"},
	{authority.ErrConflict, 409, api.ProblemConflict, "Conflict"},
	{authority.ErrNotFound, 404, api.ProblemNotFound, "Not found"},
	{authority.ErrReplayed, 409, api.ProblemReplayed, "Replayed request"},
	{authority.ErrIdempotencyConflict, 409, api.ProblemIdempotencyConflict, "Idempotency key reused"},
	{authority.ErrIdempotencyInProgress, 409, api.ProblemIdempotencyInProgress, "Request in progress"},
}

// problemFor maps an error to the problem the caller sees.
func problemFor(err error) api.Problem {
	var re *requestError
	if errors.As(err, &re) {
		return api.Problem{Type: re.typ, Title: "Invalid request", Status: re.status, Detail: re.detail, Record: re.record}
	}
	var ae *authority.Error
	if errors.As(err, &ae) {
		for _, s := range statusOf {
			if errors.Is(ae.Kind, s.kind) {
				p := api.Problem{Type: s.typ, Title: s.title, Status: s.status, Detail: ae.Detail, Reasons: ae.Reasons, Record: ae.Record, Errors: ae.Problems}
				if ae.Kind == authority.ErrDenied || ae.Kind == authority.ErrKilled {
					p.Verdict = api.VerdictDeny
				}
				if ae.Kind == authority.ErrUnauthenticated {
					p.Type = AuthProblemType(ae.Cause) // tokens.go
				}
				return p
			}
		}
	}
	return api.Problem{Type: api.ProblemInternal, Title: "Internal error", Status: 500}
}
