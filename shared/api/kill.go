package api

import "time"

// Kill switch scopes (POST /v1/kill).
const (
	ScopeGlobal   = "global"
	ScopeAgent    = "agent"
	ScopeOperator = "operator"
	ScopeSession  = "session"
)

// Lift statuses (DELETE /v1/kill/{scope}/{id+}).
const (
	// LiftDone: the kill is lifted.
	LiftDone = "lifted"
	// LiftPending: a global kill's lift is recorded and waits for a second, different human
	// before it expires (two-person rule); the answer is 202.
	LiftPending = "pending"
)

// ProblemBudgetExhausted: the session has used its action budget; open a new session.
const ProblemBudgetExhausted = "urn:mandate:problem:budget-exhausted"

// KillRequest is the body of POST /v1/kill.
type KillRequest struct {
	// Scope is global, agent, operator or session.
	Scope string `json:"scope"`
	// ID names what the scope covers: the agent's identity as sessions show it (an ARN or
	// issuer#subject), the operator's name, or the session id; empty or "*" for global.
	ID string `json:"id,omitempty"`
	// Reason is shown in every refusal the kill causes (at most 1,024 bytes).
	Reason string `json:"reason"`
}

// LiftRequest is the optional body of DELETE /v1/kill/{scope}/{id+}.
type LiftRequest struct {
	Reason string `json:"reason,omitempty"`
}

// Kill is one kill switch in force (POST /v1/kill, GET /v1/kill).
type Kill struct {
	Scope     string    `json:"scope"`
	ID        string    `json:"id"`
	Reason    string    `json:"reason"`
	By        string    `json:"by"`
	CreatedAt time.Time `json:"created_at"`
	// Record points at the kill record in the control chain (POST only).
	Record *RecordRef `json:"record,omitempty"`
	// Revocation says what was done about credentials minted before the kill (POST only).
	Revocation *Revocation `json:"revocation,omitempty"`
	// PendingLift is a request to lift this (global) kill that waits for a second human
	// (GET only).
	PendingLift *Pending `json:"pending_lift,omitempty"`
}

// Pending is a two-person change asked for by one human that waits for a second, different
// human until ExpiresAt.
type Pending struct {
	By        string    `json:"by"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Revocation is what a kill did to credentials already minted.
type Revocation struct {
	// Roles are the aws target roles that got the deny on credentials issued before the kill.
	Roles []string `json:"roles"`
	// Dropped is how many live credentials of actions in flight were dropped (ephemeral
	// database roles).
	Dropped int `json:"dropped"`
	// Published says the kill reached the revocation lists targets consult (local demo
	// tokens).
	Published int `json:"published"`
	// Failed names what could not be revoked, and why; the kill itself is in force
	// regardless.
	Failed []string `json:"failed,omitempty"`
	// Status is RevocationComplete, or RevocationDegraded when Failed names anything:
	// credentials minted before the kill may keep working there until they expire.
	Status string `json:"status"`
}

// Revocation statuses.
const (
	RevocationComplete = "complete"
	RevocationDegraded = "degraded"
)

// KillList is the body of GET /v1/kill.
type KillList struct {
	Kills []Kill `json:"kills"`
}

// Lift is the answer to DELETE /v1/kill/{scope}/{id+}.
type Lift struct {
	Scope  string `json:"scope"`
	ID     string `json:"id"`
	Status string `json:"status"` // lifted, pending
	// By are the humans who asked for the lift, in order.
	By []string `json:"by"`
	// ExpiresAt is when a pending lift lapses unless a second human confirms it.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Record    *RecordRef `json:"record,omitempty"`
}
