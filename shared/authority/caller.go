package authority

import (
	"encoding/json"

	"github.com/mandate-dev/mandate/shared/identity"
)

// Caller is what the edge knows about a request: the identity API Gateway (or the local
// adapter acting as it) verified, and request metadata.
type Caller struct {
	// IAM is the SigV4-verified principal from the request context; nil if none.
	IAM *identity.IAMContext
	// JWT holds the claims of a bearer token the JWT authorizer verified (requestContext.
	// authorizer.jwt.claims); nil if none. The edge has re-checked the issuer's trust.
	JWT       map[string]string
	RequestID string
	SourceIP  string
	// OperatorToken is the X-Mandate-Operator-Token header: proof of the human operator.
	OperatorToken string
	// Signature is the request's SigV4 signature, claimed once on mutating routes to refuse
	// exact replays; empty for bearer-token requests.
	Signature string
	// IdempotencyKey is the Idempotency-Key header.
	IdempotencyKey string
}

type principal struct {
	ID   string
	Kind string
	full identity.Principal
}

// authenticate establishes an agent: as authenticate, and for a role whose session names
// AWS binds to the workload (Roles.SessionBound), the role session is part of the agent's
// id, so two workloads assuming one role are two agents that never see each other's sessions.
func (a *Authority) authenticate(c Caller) (principal, error) {
	p, err := authenticate(c)
	if err != nil {
		return p, err
	}
	if a.roles.SessionBound[p.ID] {
		if p.full.Session == "" {
			return principal{}, fail(ErrUnauthenticated, "this role's callers are told apart by their role session; call through an assumed-role session", nil)
		}
		p.ID += "#" + p.full.Session
	}
	return p, nil
}

// authenticate is the first stage: establish the agent from the verified request context.
func authenticate(c Caller) (principal, error) {
	if c.IAM == nil && c.JWT != nil {
		p, err := identity.FromJWT(c.JWT)
		if err != nil {
			return principal{}, fail(ErrUnauthenticated, "the request's identity is not acceptable", err)
		}
		return principal{ID: p.ID, Kind: p.Kind, full: p}, nil
	}
	if c.IAM == nil {
		return principal{}, fail(ErrUnauthenticated, "the request carries no verified identity", nil)
	}
	p, err := identity.FromIAM(*c.IAM)
	if err != nil {
		return principal{}, fail(ErrUnauthenticated, "the request's identity is not acceptable", err)
	}
	return principal{ID: p.ID, Kind: p.Kind, full: p}, nil
}

// decodeResult returns the masked body as JSON when it is JSON, else as a string.
func decodeResult(body []byte, truncated bool) any {
	if len(body) == 0 {
		return nil
	}
	if !truncated && json.Valid(body) {
		return json.RawMessage(body)
	}
	return string(body)
}
