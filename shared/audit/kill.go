package audit

import "time"

// Record types of runtime control. A kill, its revocation and its lift are records in
// ControlChain; a session kill is also a record in the killed session's chain, so the
// session's own order says which of its decisions came after the kill:
//
//	kill -> kill.revoke -> (kill.lift.request, for a global kill) -> kill.lift
const (
	TypeKill            = "kill"
	TypeKillRevoke      = "kill.revoke"
	TypeKillLiftRequest = "kill.lift.request"
	TypeKillLift        = "kill.lift"
)

// ControlChain is the chain that holds kill switch events; it is not a session.
const ControlChain = "control"

// Kill is one kill switch event.
type Kill struct {
	Scope  string `json:"scope"`
	ID     string `json:"id"`
	Reason string `json:"reason"`
	// By are the humans behind the event: the one who killed, or the one or two who lifted.
	By []string `json:"by"`
	// At is when the kill took effect; it names the kill (a kill of the same scope and id
	// issued later is another kill) and bounds the revocation: credentials issued before it
	// are refused.
	At time.Time `json:"at"`
	// ExpiresAt is when a pending lift lapses (kill.lift.request).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Roles, Dropped, Published and Failed say what kill.revoke did.
	Roles     []string `json:"roles,omitempty"`
	Dropped   int      `json:"dropped,omitempty"`
	Published int      `json:"published,omitempty"`
	Failed    []string `json:"failed,omitempty"`
}
