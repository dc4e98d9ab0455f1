package audit

import "time"

// Record types of the approval chain, the policy store, and shadow evaluation. Each step of
// an approval is a record in the chain of the session that asked for it:
//
//	decision (verdict approval) -> approval.request -> approval.approve | approval.deny
//	-> (the agent's retry) approval.consume -> decision (verdict allow) -> result
const (
	TypeApprovalRequest = "approval.request"
	TypeApprovalApprove = "approval.approve"
	TypeApprovalDeny    = "approval.deny"
	TypeApprovalConsume = "approval.consume"
	// TypeAdminChange records a new version of a policy set or intent catalog, in the chain
	// AdminChain.
	TypeAdminChange = "admin.change"
)

// AdminChain is the chain that holds administrative changes; it is not a session.
const AdminChain = "admin"

// Approval is one step of an approval.
type Approval struct {
	ID string `json:"id"`
	// Digest binds the approval to one exact action of one session.
	Digest    string    `json:"digest"`
	Status    string    `json:"status"` // pending, approved, denied, consumed
	ExpiresAt time.Time `json:"expires_at"`
	// DecisionSeq is the decision that asked for the approval.
	DecisionSeq uint64 `json:"decision_seq,omitempty"`
	// By is the human who approved or denied; empty for the request and the consumption.
	By string `json:"by,omitempty"`
	// Note is the approver's comment, or the policy's @approval text on the request.
	Note string `json:"note,omitempty"`
}

// Admin is one administrative change.
type Admin struct {
	Kind    string `json:"kind"` // policies, intents
	Name    string `json:"name"` // the document name
	Version int64  `json:"version"`
	SHA256  string `json:"sha256"` // of the document body
	By      string `json:"by"`
	// RollbackOf is the version whose body this version restores, 0 for a new body.
	RollbackOf int64 `json:"rollback_of,omitempty"`
}

// Shadow is the verdict a log-only policy set would have given.
type Shadow struct {
	Set      string   `json:"set"`
	Version  int64    `json:"version"`
	Decision string   `json:"decision"`
	Reasons  []string `json:"reasons"`
}
