package api

import "time"

// MaxBodyBytes is the default limit on a request body; larger bodies are refused with 413.
const MaxBodyBytes = 1 << 20

// OpenSessionRequest is the body of POST /v1/sessions.
type OpenSessionRequest struct {
	// Operator is the human behind the agent, as asserted by the agent (unverified).
	Operator string `json:"operator,omitempty"`
	// OperatorToken proves the operator (verified); it takes precedence over Operator.
	OperatorToken string `json:"operator_token,omitempty"`
	// Prompt is the human's originating prompt; it is classified and stored masked.
	Prompt string `json:"prompt"`
	// Purpose is an optional declared purpose.
	Purpose string `json:"purpose,omitempty"`
	// TTL is an optional requested lifetime ("15m"); it is bounded by the server.
	TTL string `json:"ttl,omitempty"`
}

// Intent is one classified intent of a prompt with the evidence that produced it.
type Intent struct {
	Name     string   `json:"name"`
	Score    float64  `json:"score"`
	Evidence []string `json:"evidence"`
}

// Session is the body returned by POST /v1/sessions and GET /v1/sessions/{id}.
type Session struct {
	SessionID string    `json:"session_id"`
	Agent     string    `json:"agent"`
	Operator  Operator  `json:"operator"`
	Intents   []Intent  `json:"intents"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Actions   int       `json:"actions"`
}

// Operator names the human behind an agent and whether that was proven.
type Operator struct {
	ID       string `json:"id"`
	Verified bool   `json:"verified"`
}

// Action kinds.
const (
	KindHTTP = "http"
	KindSQL  = "sql"
	KindAWS  = "aws"
)

// Action is one typed request an agent asks Mandate to perform. Which fields apply depends
// on Kind: http uses Method, Path and Body; sql uses Statement; aws uses Service, Operation,
// Resource and Params. Target always names an entry of the targets registry.
type Action struct {
	Kind      string         `json:"kind"`
	Target    string         `json:"target"`
	Method    string         `json:"method,omitempty"`
	Path      string         `json:"path,omitempty"`
	Body      any            `json:"body,omitempty"`
	Statement string         `json:"statement,omitempty"`
	Service   string         `json:"service,omitempty"`
	Operation string         `json:"operation,omitempty"`
	Resource  string         `json:"resource,omitempty"`
	Params    map[string]any `json:"params,omitempty"`
}

// ActionRequest is the body of POST /v1/sessions/{id}/actions.
type ActionRequest struct {
	Action         Action `json:"action"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	ApprovalID     string `json:"approval_id,omitempty"`
}

// Verdicts.
const (
	VerdictAllow    = "allow"
	VerdictDeny     = "deny"
	VerdictApproval = "approval"
)

// RecordRef points at an audit record: its sequence in the session chain and its hash.
type RecordRef struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// ActionResponse is the 200 body of an allowed, performed action.
type ActionResponse struct {
	Verdict string         `json:"verdict"`
	Reasons []string       `json:"reasons"`
	Status  int            `json:"status"`
	Result  any            `json:"result"`
	Masking map[string]int `json:"masking"`
	Record  RecordRef      `json:"record"`
	// ApprovalID and ExpiresAt are set when Verdict is "approval" (HTTP 202): a human must
	// approve this exact action before ExpiresAt; then retry it with ApprovalID.
	ApprovalID string     `json:"approval_id,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
}

// AuditResponse is the body of GET /v1/sessions/{id}/audit.
type AuditResponse struct {
	SessionID string   `json:"session_id"`
	Verified  bool     `json:"verified"`
	Records   []any    `json:"records"`
	Problems  []string `json:"problems,omitempty"`
}
