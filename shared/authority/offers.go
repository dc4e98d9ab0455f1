package authority

import (
	"context"
	"strings"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/iamaction"
	"github.com/mandate-dev/mandate/shared/policy"
	"github.com/mandate-dev/mandate/shared/target"
)

// Offer is what a front door (the MCP server, shared/mcpgate) may show an agent of one
// target: its name and kind and the policy actions some permit could allow on it, never its
// connection details.
type Offer struct {
	Target string
	Kind   string
	// Actions are policy action names ("http:GET", "sql:SELECT", "dynamodb:GetItem") that a
	// permit of the enforced set is scoped to on this target (policy.Set.CouldPermit): an
	// upper bound; each call is still decided in full.
	Actions []string
}

// offeredActions are the actions a front door offers per target kind; aws targets offer the
// supported operations of the services their resources belong to.
var offeredActions = map[string][]string{
	api.KindHTTP: {"http:GET", "http:POST", "http:PUT", "http:PATCH", "http:DELETE"},
	api.KindSQL:  {"sql:SELECT", "sql:INSERT", "sql:UPDATE", "sql:DELETE"},
}

// offersOf is Offers computed for one policy set and target registry: both are replaced, never
// changed, when a new version is active, so their pointers name what the offers were made of.
type offersOf struct {
	policies *policy.Set
	targets  *target.Registry
	offers   []Offer
}

// Offers returns, for every target, the actions policy could allow there. The answer is
// computed once per active policy set and target registry (a front door asks on every
// request); callers must not change it.
func (a *Authority) Offers(ctx context.Context) []Offer {
	cur := a.documents(ctx)
	if m := a.offers.Load(); m != nil && m.policies == cur.policies && m.targets == cur.targets {
		return m.offers
	}
	var out []Offer
	for _, t := range cur.targets.Targets() {
		candidates := offeredActions[t.Kind]
		if t.Kind == api.KindAWS {
			services := map[string]bool{}
			for _, arn := range t.AllowedResources {
				if parts := strings.SplitN(arn, ":", 4); len(parts) == 4 {
					services[parts[2]] = true
				}
			}
			for _, op := range iamaction.Operations() {
				if services[op.Service] {
					candidates = append(candidates, op.Service+":"+op.Name)
				}
			}
		}
		o := Offer{Target: t.Name, Kind: t.Kind}
		for _, act := range candidates {
			if cur.policies.CouldPermit(act, t.Name) {
				o.Actions = append(o.Actions, act)
			}
		}
		if len(o.Actions) > 0 {
			out = append(out, o)
		}
	}
	a.offers.Store(&offersOf{policies: cur.policies, targets: cur.targets, offers: out})
	return out
}

// AgentOf returns the agent id of a verified caller, as sessions record it; an error for a
// caller without one, or a human's identity.
func (a *Authority) AgentOf(c Caller) (string, error) {
	p, err := a.authenticate(c)
	if err != nil {
		return "", err
	}
	if err := a.refuseHumans(p); err != nil {
		return "", err
	}
	return p.ID, nil
}
