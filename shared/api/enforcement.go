package api

import "time"

// Enforcement modes.
const (
	EnforcementOn      = "enforce"
	EnforcementLogOnly = "log-only"
)

// EnforcementRequest is the body of PUT /v1/policies/enforcement.
type EnforcementRequest struct {
	// Mode is "enforce" or "log-only". Switching to log-only takes two different
	// administrators within a window; switching back to enforce takes one.
	Mode   string `json:"mode"`
	Reason string `json:"reason"`
}

// Enforcement is whether the enforced policy set blocks actions, and the state of a change.
type Enforcement struct {
	Mode string `json:"mode"`
	// Status is "done", or "pending" while a switch to log-only waits for a second
	// administrator until ExpiresAt (By names who asked). GET says "pending" too while such
	// a request waits, with Mode still the mode in force.
	Status    string     `json:"status"`
	By        []string   `json:"by,omitempty"`
	Version   int64      `json:"version"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Record    *RecordRef `json:"record,omitempty"`
}
