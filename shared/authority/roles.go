package authority

import (
	"context"
	"fmt"

	"github.com/mandate-dev/mandate/shared/identity"
	"github.com/mandate-dev/mandate/shared/person"
	"github.com/mandate-dev/mandate/shared/store"
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
	// People is the directory of humans (shared/person): separation-of-duties checks compare
	// the people it resolves, never the strings a caller sent. Nil knows nobody: names are
	// then compared in their normalised form.
	People *person.Directory
	// Agents maps the names and access key ids agents are known by to their ids, so that a
	// kill may name an agent any of those ways; nil: kills name agents by id alone.
	Agents map[string]string
	// SessionBound are role ARNs that several workloads assume with role session names AWS
	// binds to each (a trust condition on sts:RoleSessionName or sts:SourceIdentity): each
	// role session is its own agent, "ROLE_ARN#SESSION".
	SessionBound map[string]bool
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
	// Person is who the human is: the directory id, or for someone the directory does not
	// know, their normalised name.
	Person string
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
		h := human{ID: p.ID + "#" + sess, Name: sess, Role: role}
		return a.personOf(h, c.IAM)
	}
	return a.personOf(human{ID: p.ID, Name: name, Role: role}, c.IAM)
}

// personOf resolves who a human caller is: by the exact IAM principal ARN the request was
// signed as (an assumed-role session ARN for a shared role), else by name. With a directory,
// a caller who is nobody in it is refused: a second role session under a new name is not a
// second person.
func (a *Authority) personOf(h human, iam *identity.IAMContext) (human, error) {
	known := false
	if iam != nil {
		h.Person, known = a.directory().ByIAM(iam.UserARN)
	}
	if !known {
		h.Person, known = a.personKey(h.Name)
	}
	if !known && a.directory().Len() > 0 {
		return human{}, fail(ErrForbidden, "the caller is nobody in the directory of people; an administrator adds each person once", nil)
	}
	return h, nil
}

// checkHumanKills refuses a human whom an operator kill covers: a person stopped from
// operating cannot approve, lift or confirm anything, their own kill included.
func (a *Authority) checkHumanKills(ctx context.Context, h human) error {
	kills, err := a.store.FindControls(ctx, []store.ControlKey{{Scope: store.ScopeOperator, ID: h.Person}})
	if err != nil {
		return fail(ErrUnavailable, "kill switches could not be read", err)
	}
	if len(kills) > 0 {
		return &Error{Kind: ErrKilled, Detail: "you are stopped by an operator kill switch: " + kills[0].Reason + "; another human must lift it",
			Reasons: []string{"kill:operator:" + h.Person}}
	}
	return nil
}

// refuseHumans refuses a human's identity on an agent's route.
func (a *Authority) refuseHumans(p principal) error {
	if a.roles.isHuman(p.ID) || a.roles.isHuman(p.full.ID) {
		return fail(ErrForbidden, "this identity belongs to a human; only agents open sessions", nil)
	}
	return nil
}
