package authority

import (
	"errors"

	"github.com/mandate-dev/mandate/shared/api"
)

// Kinds of failure. The edge maps each to one HTTP status and problem type.
var (
	// ErrUnauthenticated: no verified identity; 401.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrInvalid: the request is malformed or names something invalid; 400.
	ErrInvalid = errors.New("invalid request")
	// ErrSessionNotFound: no such session for this agent; 404.
	ErrSessionNotFound = errors.New("session not found")
	// ErrSessionExpired: the session's hard expiry has passed; 403 (open a new session).
	ErrSessionExpired = errors.New("session expired")
	// ErrSessionClosed: the session was closed; 403 (open a new session).
	ErrSessionClosed = errors.New("session closed")
	// ErrKilled: a kill switch covers this request; 403 until it is lifted.
	ErrKilled = errors.New("killed")
	// ErrDenied: policy denied the action; 403 with the deciding policies.
	ErrDenied = errors.New("denied")
	// ErrNonCanonical: an http action's path or query is not in, and cannot be read as, its
	// canonical form (shared/action); 400 non-canonical-path.
	ErrNonCanonical = errors.New("non-canonical path")
	// ErrUnknownTarget: the action names no registered target; 400.
	ErrUnknownTarget = errors.New("unknown target")
	// ErrUnsupported: the action kind or operation is not supported; 400.
	ErrUnsupported = errors.New("unsupported action")
	// ErrTargetFailed: the target could not be reached or timed out; 502.
	ErrTargetFailed = errors.New("target failed")
	// ErrUnavailable: the store or audit chain could not be written; nothing was executed
	// that was not recorded; 503 with Retry-After.
	ErrUnavailable = errors.New("unavailable")
)

// Error is what every authority method returns on failure.
type Error struct {
	Kind    error          // one of the sentinels above
	Detail  string         // safe to show the caller
	Reasons []string       // the deciding policies of a denial, the kill of a refusal
	Record  *api.RecordRef // the record that holds the refusal, if one was written
	// Problems are the validation problems of a rejected document (ErrInvalidDocument).
	Problems []api.ValidationError
	Cause    error // internal; logged, never shown
}

func (e *Error) Error() string {
	msg := e.Kind.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap lets errors.Is match both the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

func fail(kind error, detail string, cause error) *Error {
	return &Error{Kind: kind, Detail: detail, Cause: cause}
}

// reasons are what a record of the refusal names: the deciding policies or kill, else the
// kind of refusal.
func (e *Error) reasons() []string {
	if len(e.Reasons) > 0 {
		return e.Reasons
	}
	return []string{slug(e.Kind)}
}
