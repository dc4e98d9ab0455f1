package authority

import (
	"fmt"
)

// Roles names the humans among the identities that can call Mandate. Three kinds of caller
// never mix: agents (sessions and actions), operators (humans who approve and operate:
// approvals, kill switches) and administrators (policies, intents, targets). An identity
// listed in neither map is an agent; an agent can never call a human's route, whatever policy
// says, and a listed human can never open a session.
//
// Keys are the verified identity as the authority sees it (identity.Principal.ID: an IAM user
// or role ARN; locally identity.LocalARN(name)); values are the human's name as policies,
// approvals and records show it. The same human may be both an operator and an
// administrator.
type Roles struct {
	Operators map[string]string
	Admins    map[string]string
}

// Role names, as records and logs show them.
const (
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// human is an authenticated human caller.
type human struct {
	ID   string // the verified identity
	Name string // the human's name
	Role string
}

// isHuman reports whether id is listed as an operator or an administrator.
func (r Roles) isHuman(id string) bool {
	_, op := r.Operators[id]
	_, ad := r.Admins[id]
	return op || ad
}

// authenticateHuman establishes a human caller in role: the verified identity must be listed
// for that role. An agent (any identity not listed) gets ErrForbidden.
func (a *Authority) authenticateHuman(c Caller, role string) (human, error) {
	p, err := authenticate(c)
	if err != nil {
		return human{}, err
	}
	var names map[string]string
	switch role {
	case RoleOperator:
		names = a.roles.Operators
	case RoleAdmin:
		names = a.roles.Admins
	default:
		return human{}, fail(ErrForbidden, "no such role", fmt.Errorf("authority: unknown role %q", role))
	}
	name, ok := names[p.ID]
	if !ok {
		return human{}, fail(ErrForbidden, fmt.Sprintf("this route is for %ss; the caller is not one", role), nil)
	}
	if sess := p.full.Session; sess != "" {
		// A role that several people assume (in AWS, the operator and admin caller roles):
		// the person is the role session, which the identity provider names (AWS IAM
		// Identity Center sets it to the user name). Each session is a different human, so
		// approvals and the two-person rule tell them apart.
		return human{ID: p.ID + "#" + sess, Name: sess, Role: role}, nil
	}
	return human{ID: p.ID, Name: name, Role: role}, nil
}

// refuseHumans refuses a human's identity on an agent's route.
func (a *Authority) refuseHumans(p principal) error {
	if a.roles.isHuman(p.ID) {
		return fail(ErrForbidden, "this identity belongs to a human; only agents open sessions", nil)
	}
	return nil
}
