package api

// Problem is an RFC 9457 problem details body (media type application/problem+json).
// Detail is written for the caller and MUST NOT carry internal error text.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Verdict and Reasons are set on a policy denial (403).
	Verdict string   `json:"verdict,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
	// Record points at the audit record that holds the refusal, where one was written.
	Record *RecordRef `json:"record,omitempty"`
	// Errors lists the problems of a rejected policy set or intent catalog (422).
	Errors []ValidationError `json:"errors,omitempty"`
	// RequestID ties the problem to the server's logs.
	RequestID string `json:"request_id,omitempty"`
}

// ProblemContentType is the media type of every error response.
const ProblemContentType = "application/problem+json"

// Problem types. Each is stable: clients and tests match on it, so never change one.
const (
	ProblemUnauthenticated  = "urn:mandate:problem:unauthenticated"
	ProblemBadSignature     = "urn:mandate:problem:bad-signature"
	ProblemUnknownKey       = "urn:mandate:problem:unknown-key"
	ProblemExpiredSignature = "urn:mandate:problem:expired-signature"
	ProblemForbidden        = "urn:mandate:problem:forbidden"
	ProblemMalformed        = "urn:mandate:problem:malformed-request"
	ProblemTooLarge         = "urn:mandate:problem:body-too-large"
	ProblemNotFound         = "urn:mandate:problem:not-found"
	ProblemSessionNotFound  = "urn:mandate:problem:session-not-found"
	ProblemSessionExpired   = "urn:mandate:problem:session-expired"
	ProblemSessionClosed    = "urn:mandate:problem:session-closed"
	ProblemKilled           = "urn:mandate:problem:killed"
	ProblemDenied           = "urn:mandate:problem:denied"
	ProblemUnknownTarget    = "urn:mandate:problem:unknown-target"
	ProblemUnsupported      = "urn:mandate:problem:unsupported-action"
	ProblemMethodNotAllowed = "urn:mandate:problem:method-not-allowed"
	ProblemTargetFailed     = "urn:mandate:problem:target-failed"
	ProblemUnavailable      = "urn:mandate:problem:unavailable"
	ProblemInternal         = "urn:mandate:problem:internal"
	ProblemApprovalNotFound = "urn:mandate:problem:approval-not-found"
	ProblemApprovalPending  = "urn:mandate:problem:approval-pending"
	ProblemApprovalInvalid  = "urn:mandate:problem:approval-invalid"
	ProblemApprovalDecided  = "urn:mandate:problem:approval-decided"
	ProblemInvalidDocument  = "urn:mandate:problem:invalid-document"
	ProblemConflict         = "urn:mandate:problem:conflict"
	// ProblemTooManySessions (429): the agent holds as many MCP sessions as one agent may.
	ProblemTooManySessions = "urn:mandate:problem:too-many-mcp-sessions"
	// ProblemNonCanonicalPath: an http action's path or query is spelled in a way a target
	// could read differently from policy (shared/action); send the canonical spelling.
	ProblemNonCanonicalPath = "urn:mandate:problem:non-canonical-path"
	// Authentication failures (401 unless noted), one type per failed check, none saying
	// which part of a secret was wrong.
	ProblemMalformedCredentials = "urn:mandate:problem:malformed-credentials"
	ProblemExpiredToken         = "urn:mandate:problem:expired-token"
	ProblemWrongAudience        = "urn:mandate:problem:wrong-audience"
	ProblemUntrustedIssuer      = "urn:mandate:problem:untrusted-issuer"
	ProblemActorMismatch        = "urn:mandate:problem:actor-mismatch"
	ProblemTooManyFailures      = "urn:mandate:problem:too-many-failures" // 429
	// Replay and idempotency (409).
	ProblemReplayed              = "urn:mandate:problem:replayed-request"
	ProblemIdempotencyConflict   = "urn:mandate:problem:idempotency-conflict"
	ProblemIdempotencyInProgress = "urn:mandate:problem:idempotency-in-progress"
)
