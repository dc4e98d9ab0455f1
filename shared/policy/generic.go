package policy

import (
	"slices"

	"github.com/cedar-policy/cedar-go"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
)

// maxAncestors bounds the walk up an action hierarchy in Authorize; a deeper (or cyclic)
// hierarchy hands cedar-go every policy instead of a slice, which is always exact.
const maxAncestors = 1024

// generic indexes a set's policies by the action entities their scopes name, for requests
// outside Mandate's policy model (Authorize): any entity types, any action hierarchy.
type generic struct {
	// unscoped are the policies whose action scope names no entity.
	unscoped []int
	// byAction are the policies whose action scope names the entity (==, in, or in a set).
	byAction map[cedar.EntityUID][]int
}

func (s *Set) indexGeneric() {
	g := generic{byAction: map[cedar.EntityUID][]int{}}
	for i, e := range s.all {
		switch sc := e.ast.Action.(type) {
		case xast.ScopeTypeEq:
			g.byAction[sc.Entity] = append(g.byAction[sc.Entity], i)
		case xast.ScopeTypeIn:
			g.byAction[sc.Entity] = append(g.byAction[sc.Entity], i)
		case xast.ScopeTypeInSet:
			for _, ent := range slices.Compact(slices.Clone(sc.Entities)) {
				g.byAction[ent] = append(g.byAction[ent], i)
			}
		default:
			g.unscoped = append(g.unscoped, i)
		}
	}
	s.generic = g
}

// Authorize decides a request in Cedar's own terms, with the entities it names: the path
// `mandate policy test` takes for Cedar's integration-test corpora. It slices the set the way
// Evaluate does, by the request's action: a policy is a candidate when its action scope is
// empty or names the action or one of the action's ancestors in ents. The decision equals
// cedar.Authorize over every policy of the set. It never panics.
func (s *Set) Authorize(ents cedar.EntityGetter, req cedar.Request) (d Decision) {
	defer func() {
		if v := recover(); v != nil {
			d = failed(v)
		}
	}()
	if s == nil {
		return Decision{Verdict: verdictDeny, Reasons: []string{ReasonDefaultDeny}, Errors: []string{"no policy set is loaded"}}
	}
	if ents == nil {
		ents = cedar.EntityMap{}
	}
	d = decideGeneric(s.genericCandidates(ents, req.Action), req, ents)
	s.qualify(&d)
	return d
}

// genericCandidates returns the policies that can apply to action, in document order.
func (s *Set) genericCandidates(ents cedar.EntityGetter, action cedar.EntityUID) slice {
	g := &s.generic
	pos := slices.Clone(g.unscoped)
	seen := map[cedar.EntityUID]bool{action: true}
	queue := []cedar.EntityUID{action}
	for len(queue) > 0 {
		if len(seen) > maxAncestors {
			return s.all
		}
		uid := queue[0]
		queue = queue[1:]
		pos = append(pos, g.byAction[uid]...)
		ent, ok := ents.Get(uid)
		if !ok {
			continue
		}
		for p := range ent.Parents.All() {
			if !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	slices.Sort(pos)
	pos = slices.Compact(pos)
	out := make(slice, len(pos))
	for i, p := range pos {
		out[i] = s.all[p]
	}
	return out
}

// decideGeneric is decide with any entity getter.
func decideGeneric(policies cedar.PolicyIterator, req cedar.Request, ents cedar.EntityGetter) (d Decision) {
	defer func() {
		if v := recover(); v != nil {
			d = failed(v)
		}
	}()
	dec, diag := cedar.Authorize(policies, ents, req)
	return fromDiagnostic(dec, diag)
}
