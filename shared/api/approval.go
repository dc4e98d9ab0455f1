package api

import "time"

// Approval is one approval as humans see it (GET /v1/approvals, POST .../approve|deny).
type Approval struct {
	ApprovalID string    `json:"approval_id"`
	SessionID  string    `json:"session_id"`
	Status     string    `json:"status"` // pending, approved, denied, consumed
	Agent      string    `json:"agent"`
	Operator   string    `json:"operator"`
	Action     any       `json:"action"`  // the exact action, as the agent sent it
	Reasons    []string  `json:"reasons"` // the policies that asked for approval
	Digest     string    `json:"digest"`
	DecidedBy  string    `json:"decided_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	DecidedAt  time.Time `json:"decided_at,omitzero"`
}

// ApprovalList is the body of GET /v1/approvals.
type ApprovalList struct {
	Approvals []Approval `json:"approvals"`
}

// DecideRequest is the optional body of POST /v1/approvals/{id}/approve|deny.
type DecideRequest struct {
	// Note is the approver's comment, kept in the audit record (at most 1,024 bytes).
	Note string `json:"note,omitempty"`
}

// PolicyUpload is the body of PUT /v1/policies.
type PolicyUpload struct {
	// Mode is "enforce" (the default: the policy set that decides) or "log-only" (a set
	// whose verdicts are recorded beside the enforced ones and never enforced).
	Mode string `json:"mode,omitempty"`
	// Policies is the Cedar document. Exactly one of Policies and RollbackTo is set.
	Policies string `json:"policies,omitempty"`
	// RollbackTo stores the body of that earlier version again, as a new version.
	RollbackTo int64 `json:"rollback_to,omitempty"`
	// Tests are cases the new version must pass before it becomes active (the format of
	// `mandate policy test`).
	Tests []PolicyCase `json:"tests,omitempty"`
}

// IntentUpload is the body of PUT /v1/intents.
type IntentUpload struct {
	// Catalog is the intent catalog (YAML or JSON). Exactly one of Catalog and RollbackTo
	// is set.
	Catalog    string `json:"catalog,omitempty"`
	RollbackTo int64  `json:"rollback_to,omitempty"`
}

// PeopleUpload is the body of PUT /v1/people: a new version of the directory of people.
type PeopleUpload struct {
	// People is the directory (YAML or JSON): a list of {id, aliases, iam, oidc}. Exactly one
	// of People and RollbackTo is set.
	People     string `json:"people,omitempty"`
	RollbackTo int64  `json:"rollback_to,omitempty"`
}

// TargetsUpload is the body of PUT /v1/targets: a new version of the target registry.
type TargetsUpload struct {
	// Targets is the registry (YAML or JSON: {targets: [...]}, the format of
	// shared/target). Exactly one of Targets and RollbackTo is set.
	Targets    string `json:"targets,omitempty"`
	RollbackTo int64  `json:"rollback_to,omitempty"`
}

// Document is one version of a policy set or intent catalog (GET and PUT answers).
type Document struct {
	Kind      string    `json:"kind"` // policies, intents, targets
	Name      string    `json:"name"`
	Mode      string    `json:"mode,omitempty"`
	Version   int64     `json:"version"`
	SHA256    string    `json:"sha256"`
	Body      string    `json:"body"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	// Record points at the admin.change record of a PUT.
	Record *RecordRef `json:"record,omitempty"`
}

// PolicyCase is one policy test case: a request and the verdict (and optionally the
// reasons) expected of it.
type PolicyCase struct {
	Name    string            `json:"name" yaml:"name"`
	Request PolicyCaseRequest `json:"request" yaml:"request"`
	Expect  PolicyCaseExpect  `json:"expect" yaml:"expect"`
}

// PolicyCaseRequest is the request of a PolicyCase, in the terms of the policy model.
type PolicyCaseRequest struct {
	Agent            string `json:"agent" yaml:"agent"`
	AgentKind        string `json:"agent_kind,omitempty" yaml:"agent_kind"`
	Operator         string `json:"operator" yaml:"operator"`
	OperatorVerified bool   `json:"operator_verified,omitempty" yaml:"operator_verified"`
	// OperatorPerson is who the operator is in the directory of people; "" for nobody.
	OperatorPerson string `json:"operator_person,omitempty" yaml:"operator_person"`
	Action         string `json:"action" yaml:"action"`
	Target         string `json:"target" yaml:"target"`
	TargetKind     string `json:"target_kind,omitempty" yaml:"target_kind"`
	Resource       string `json:"resource" yaml:"resource"`
	// Query is an http action's query ("page=1&limit=5"), read as the authority reads it.
	Query           string             `json:"query,omitempty" yaml:"query"`
	Intents         []string           `json:"intents,omitempty" yaml:"intents"`
	IntentScores    map[string]float64 `json:"intent_scores,omitempty" yaml:"intent_scores"`
	SessionAge      int64              `json:"session_age_s,omitempty" yaml:"session_age_s"`
	SessionActions  int                `json:"session_actions,omitempty" yaml:"session_actions"`
	SessionByFamily map[string]int     `json:"session_by_family,omitempty" yaml:"session_by_family"`
	Time            *time.Time         `json:"time,omitempty" yaml:"time"`
}

// PolicyCaseExpect is what a PolicyCase expects.
type PolicyCaseExpect struct {
	Verdict string `json:"verdict" yaml:"verdict"`
	// Reasons, when set, must equal the deciding policies in document order.
	Reasons []string `json:"reasons,omitempty" yaml:"reasons"`
}

// ValidationError is one problem of a rejected document (422).
type ValidationError struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	PolicyID string `json:"policy_id,omitempty"`
	Message  string `json:"message"`
}
