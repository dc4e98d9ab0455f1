package policy

import (
	"slices"

	"github.com/cedar-policy/cedar-go/types"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"

	"github.com/mandate-dev/mandate/shared/api"
)

// Beyond action and target, Evaluate narrows the candidates by what a policy's scope and its
// first conditions make certain about the request:
//
//   - the agent: `principal == Agent::"a"`, `principal in Agent::"a"` and
//     `principal is Agent in Agent::"a"` hold only for agent a (an agent has no parents in
//     the policy model, so `in` is equality);
//   - guards: the leading conjuncts of the conditions that test the operator's verification
//     (`context.operator.verified`, `== true`, `== false`, `!`), an intent
//     (`context.intents.contains("x")`, `context.intent_scores has "x"`) or the agent's kind
//     (`context.agent.kind == "k"`), or compare a Long the context always holds with a
//     literal (`context.session.actions < 20`, `context.session.age_s`,
//     `context.session.by_family.read`, `context.time.hour`, `context.time.weekday`, and
//     `context.intent_scores["x"]` once the guard has required intent x, so it is present),
//     in `when` or, negated, as the whole of an `unless`;
//   - guards joined by `||` or `&&`, negated or not (`context.time.weekday >= 6 ||
//     context.time.hour >= 18`, `unless { context.operator.verified && ... }`);
//   - a score read with no test of its intent before it: the guard tests the intent first,
//     softly (atom.soft), since a request without it makes the policy fail, not miss.
//
// Cedar evaluates a policy as its scopes, then its conditions in order, left to right, with
// `&&` short-circuiting. A guard is read only from the conditions' first conjuncts, up to
// the first conjunct that is not a guard, and a guard cannot fail (the attributes it reads
// are always in the context when some policy reads them, with the types it needs). So when
// a guard is false for a request, Cedar evaluates nothing after it: the policy neither
// matches nor reports an error, and leaving it out changes neither the verdict, nor the
// deciding policies, nor the errors. TestMixedSlicedEqualsUnsliced and
// TestSlicedEqualsUnsliced hold Evaluate to that.

// Facts of a request a guard can test.
const (
	factVerified uint8 = iota // context.operator.verified
	factIntent                // context.intents.contains(arg), context.intent_scores has arg
	factKind                  // context.agent.kind == arg
	// Comparisons of a Long attribute with a literal (atom.op, atom.n).
	factActions  // context.session.actions
	factAge      // context.session.age_s
	factByFamily // context.session.by_family.<arg>, arg a family
	factHour     // context.time.hour
	factWeekday  // context.time.weekday
	factScore    // context.intent_scores["<arg>"], only after the guard has asserted intent arg
	// Atoms joined: the fact holds when any of alts holds (`||`) or all of them (`&&`).
	factAny
	factAll
)

// Comparison operators of atoms.
const (
	opLess uint8 = iota
	opLessEq
	opGreater
	opGreaterEq
	opEq
	opNotEq
)

// atom is one guard: the fact must have the value want. bit, when not zero, is the bit of
// the fact in facts.bits (Set.factBits). alts are the atoms a factAny or factAll joins.
// soft marks the test of an intent that Cedar does not make but that the next atom needs:
// `context.intent_scores["x"] >= 50` with no test of intent x before it. When a soft atom
// is false, Cedar fails on the next atom: the policy reports an error. errs is then the
// candidate that reports it, for a certain policy (Set.index); any other stays a candidate
// and cedar-go decides it.
type atom struct {
	fact uint8
	arg  string
	want bool
	soft bool
	bit  uint64
	op   uint8
	n    int64
	alts guard
	errs *entry
}

// missingScore is the message of the error cedar-go reports when a policy reads the score
// of an intent the request lacks. TestSlicedEqualsUnsliced holds it to cedar-go's words.
func missingScore(intent string) string {
	return "record does not have the attribute `" + intent + "`"
}

// guard is what a policy's leading conditions require of a request; nil requires nothing.
type guard []atom

// facts are what guards test of one request: the facts with a bit as bits, the request for
// the others.
type facts struct {
	r    *Request
	bits uint64
}

// factKey names a fact with an argument: an intent or an agent kind.
type factKey struct {
	fact uint8
	arg  string
}

// What entry.verified requires of the operator's verification.
const (
	mustBeVerified   uint8 = 1
	mustBeUnverified uint8 = 2
)

// assignBits gives the first 64 intents and kinds the guards name a bit each, and sets each
// entry's need, refuse and verified from its guard.
func (s *Set) assignBits() {
	s.factBits = map[factKey]uint64{}
	for i := range s.all {
		e := &s.all[i]
		g := e.guard
		soft := false // from a soft atom on, a false atom may be an error: not a refusal
		for j := range g {
			soft = soft || g[j].soft
			if g[j].fact == factAny || g[j].fact == factAll {
				s.joinedBits(g[j].alts)
				continue
			}
			if g[j].fact == factVerified {
				if soft {
					continue
				}
				if g[j].want {
					e.verified |= mustBeVerified
				} else {
					e.verified |= mustBeUnverified
				}
				continue
			}
			if g[j].fact != factIntent && g[j].fact != factKind {
				continue
			}
			b := s.factBit(factKey{g[j].fact, g[j].arg})
			g[j].bit = b
			switch {
			case soft:
			case g[j].want:
				e.need |= b
			default:
				e.refuse |= b
			}
		}
	}
}

// joinedBits gives the intents and kinds of joined atoms their bits; a joined atom sets no
// need or refuse of its entry.
func (s *Set) joinedBits(g guard) {
	for j := range g {
		switch g[j].fact {
		case factAny, factAll:
			s.joinedBits(g[j].alts)
		case factIntent, factKind:
			g[j].bit = s.factBit(factKey{g[j].fact, g[j].arg})
		}
	}
}

// factBit returns the bit of fact k, given one while fewer than 64 are; 0 after.
func (s *Set) factBit(k factKey) uint64 {
	b, ok := s.factBits[k]
	if !ok && len(s.factBits) < 64 {
		b = 1 << len(s.factBits)
		s.factBits[k] = b
	}
	return b
}

// admits returns the candidate e is for f: nil when its guard fails, e when it holds, and
// when it fails at a soft atom, the atom's errs (e itself when e is not certain). The tests
// kept in the entry come first: they are implied by the guard, so one that fails means the
// guard fails.
func (e *entry) admits(f *facts) *entry {
	if e.need&^f.bits != 0 || e.refuse&f.bits != 0 {
		return nil
	}
	if e.verified != 0 {
		v := f.r.OperatorVerified
		if v && e.verified&mustBeUnverified != 0 || !v && e.verified&mustBeVerified != 0 {
			return nil
		}
	}
	for i := range e.guard {
		if a := &e.guard[i]; a.value(f) != a.want {
			switch {
			case !a.soft:
				return nil
			case a.errs != nil:
				return a.errs
			}
			return e
		}
	}
	return e
}

// factsOf returns the facts of r.
func (s *Set) factsOf(r *Request) facts {
	f := facts{r: r}
	if len(s.factBits) > 0 {
		f.bits |= s.factBits[factKey{factKind, r.AgentKind}]
		for _, in := range r.Intents {
			f.bits |= s.factBits[factKey{factIntent, in.Name}]
		}
	}
	return f
}

// holds reports whether the request of f can satisfy every atom of g.
func (g guard) holds(f *facts) bool {
	for i := range g {
		if g[i].value(f) != g[i].want {
			return false
		}
	}
	return true
}

// value is the fact of a for the request of f, before want.
func (a *atom) value(f *facts) bool {
	switch {
	case a.fact == factAny:
		for i := range a.alts {
			if a.alts[i].value(f) == a.alts[i].want {
				return true
			}
		}
		return false
	case a.fact == factAll:
		return a.alts.holds(f)
	case a.fact == factVerified:
		return f.r.OperatorVerified
	case a.bit != 0:
		return f.bits&a.bit != 0
	case a.fact == factKind:
		return f.r.AgentKind == a.arg
	case a.fact == factIntent:
		return slices.ContainsFunc(f.r.Intents, func(in api.Intent) bool { return in.Name == a.arg })
	}
	return compare(f.long(a), a.op, a.n)
}

// long returns the Long attribute an atom compares, as the context holds it (cedarRequest).
func (f *facts) long(a *atom) int64 {
	r := f.r
	switch a.fact {
	case factActions:
		return int64(r.SessionActions)
	case factAge:
		return r.SessionAgeSeconds
	case factByFamily:
		return int64(r.SessionByFamily[a.arg])
	case factHour:
		return int64(r.Now.UTC().Hour())
	case factWeekday:
		w := int64(r.Now.UTC().Weekday())
		if w == 0 {
			w = 7
		}
		return w
	case factScore:
		best := int64(-1)
		for _, in := range r.Intents {
			if in.Name == a.arg {
				best = max(best, int64(scaledScore(in.Score)))
			}
		}
		return best
	}
	return 0
}

func compare(v int64, op uint8, n int64) bool {
	switch op {
	case opLess:
		return v < n
	case opLessEq:
		return v <= n
	case opGreater:
		return v > n
	case opGreaterEq:
		return v >= n
	case opEq:
		return v == n
	}
	return v != n
}

// longAtom reads `<Long attribute> <op> <literal>`.
func longAtom(op uint8, left, right xast.IsNode) (atom, bool) {
	val, ok := right.(xast.NodeValue)
	if !ok {
		return atom{}, false
	}
	n, ok := val.Value.(types.Long)
	if !ok {
		return atom{}, false
	}
	a := atom{op: op, n: int64(n), want: true}
	acc, ok := left.(xast.NodeTypeAccess)
	if !ok {
		return atom{}, false
	}
	switch {
	case isContextPath(acc, "session", "actions"):
		a.fact = factActions
	case isContextPath(acc, "session", "age_s"):
		a.fact = factAge
	case isContextPath(acc, "time", "hour"):
		a.fact = factHour
	case isContextPath(acc, "time", "weekday"):
		a.fact = factWeekday
	default:
		inner, ok := acc.Arg.(xast.NodeTypeAccess)
		switch {
		case ok && isContextPath(inner, "session", "by_family") && slices.Contains(families[:], string(acc.Value)):
			a.fact, a.arg = factByFamily, string(acc.Value)
		case ok && isContextPath(inner, "intent_scores"):
			a.fact, a.arg = factScore, string(acc.Value)
		default:
			return atom{}, false
		}
	}
	return a, true
}

// asserts reports whether g already requires intent name.
func (g guard) asserts(name string) bool {
	for _, a := range g {
		if a.fact == factIntent && a.arg == name && a.want { // soft or not
			return true
		}
	}
	return false
}

// covers reports whether g asserts the intent of every score a reads: only then is the
// score in the context whenever Cedar reads it, and a cannot fail.
func (g guard) covers(a *atom) bool {
	switch a.fact {
	case factScore:
		return g.asserts(a.arg)
	case factAny, factAll:
		for i := range a.alts {
			if !g.covers(&a.alts[i]) {
				return false
			}
		}
	}
	return true
}

// readGuard returns the guard of a policy's conditions, and whether the guard is all of
// them (then, scopes aside, the policy matches exactly when its guard holds).
func readGuard(p *xast.Policy) (guard, bool) {
	var g guard
	for _, c := range p.Conditions {
		var leaves []xast.IsNode
		if c.Condition == xast.ConditionUnless {
			leaves = append(leaves, c.Body)
		} else {
			conjuncts(c.Body, &leaves)
		}
		for _, n := range leaves {
			a, ok := guardAtom(n)
			if !ok {
				return g, false
			}
			if a.fact == factScore && !g.asserts(a.arg) {
				g = append(g, atom{fact: factIntent, arg: a.arg, want: true, soft: true})
			}
			if !g.covers(&a) {
				return g, false
			}
			if c.Condition == xast.ConditionUnless {
				a.want = !a.want
			}
			g = append(g, a)
		}
	}
	return g, true
}

// conjuncts lists the operands of a chain of `&&`, in evaluation order.
func conjuncts(n xast.IsNode, out *[]xast.IsNode) {
	if and, ok := n.(xast.NodeTypeAnd); ok {
		conjuncts(and.Left, out)
		conjuncts(and.Right, out)
		return
	}
	*out = append(*out, n)
}

// disjuncts lists the operands of a chain of `||`, in evaluation order.
func disjuncts(n xast.IsNode, out *[]xast.IsNode) {
	if or, ok := n.(xast.NodeTypeOr); ok {
		disjuncts(or.Left, out)
		disjuncts(or.Right, out)
		return
	}
	*out = append(*out, n)
}

// joined reads the operands of `&&` or `||` (leaves) as one atom of fact factAll or factAny.
// Cedar stops at the first operand that decides, and no atom fails, so the atom is exactly
// the condition.
func joined(fact uint8, leaves []xast.IsNode) (atom, bool) {
	a := atom{fact: fact, want: true, alts: make(guard, 0, len(leaves))}
	for _, n := range leaves {
		x, ok := guardAtom(n)
		if !ok {
			return atom{}, false
		}
		a.alts = append(a.alts, x)
	}
	return a, true
}

// guardAtom reads a condition that is a guard, with want true when it must hold.
func guardAtom(n xast.IsNode) (atom, bool) {
	switch v := n.(type) {
	case xast.NodeTypeNot:
		a, ok := guardAtom(v.Arg)
		a.want = !a.want
		return a, ok
	case xast.NodeTypeOr:
		var leaves []xast.IsNode
		disjuncts(v, &leaves)
		return joined(factAny, leaves)
	case xast.NodeTypeAnd:
		var leaves []xast.IsNode
		conjuncts(v, &leaves)
		return joined(factAll, leaves)
	case xast.NodeTypeAccess:
		if isContextPath(v, "operator", "verified") {
			return atom{fact: factVerified, want: true}, true
		}
	case xast.NodeTypeHas:
		// intent_scores has a key for every intent of the session, and no other.
		if acc, ok := v.Arg.(xast.NodeTypeAccess); ok && isContextPath(acc, "intent_scores") {
			return atom{fact: factIntent, arg: string(v.Value), want: true}, true
		}
	case xast.NodeTypeContains:
		if acc, ok := v.Left.(xast.NodeTypeAccess); ok && isContextPath(acc, "intents") {
			if s, ok := stringValue(v.Right); ok {
				return atom{fact: factIntent, arg: s, want: true}, true
			}
		}
	case xast.NodeTypeLessThan:
		return longAtom(opLess, v.Left, v.Right)
	case xast.NodeTypeLessThanOrEqual:
		return longAtom(opLessEq, v.Left, v.Right)
	case xast.NodeTypeGreaterThan:
		return longAtom(opGreater, v.Left, v.Right)
	case xast.NodeTypeGreaterThanOrEqual:
		return longAtom(opGreaterEq, v.Left, v.Right)
	case xast.NodeTypeNotEquals:
		return longAtom(opNotEq, v.Left, v.Right)
	case xast.NodeTypeEquals:
		if a, ok := longAtom(opEq, v.Left, v.Right); ok {
			return a, true
		}
		for _, side := range [][2]xast.IsNode{{v.Left, v.Right}, {v.Right, v.Left}} {
			acc, ok := side[0].(xast.NodeTypeAccess)
			if !ok {
				continue
			}
			val, ok := side[1].(xast.NodeValue)
			if !ok {
				continue
			}
			if s, ok := val.Value.(types.String); ok && isContextPath(acc, "agent", "kind") {
				return atom{fact: factKind, arg: string(s), want: true}, true
			}
			if b, ok := val.Value.(types.Boolean); ok && isContextPath(acc, "operator", "verified") {
				return atom{fact: factVerified, want: bool(b)}, true
			}
		}
	}
	return atom{}, false
}

// isContextPath reports whether acc is context.<path...>, e.g. context.operator.verified.
func isContextPath(acc xast.NodeTypeAccess, path ...string) bool {
	n := xast.IsNode(acc)
	for i := len(path) - 1; i >= 0; i-- {
		a, ok := n.(xast.NodeTypeAccess)
		if !ok || string(a.Value) != path[i] {
			return false
		}
		n = a.Arg
	}
	v, ok := n.(xast.NodeTypeVariable)
	return ok && v.Name == "context"
}

func stringValue(n xast.IsNode) (string, bool) {
	if v, ok := n.(xast.NodeValue); ok {
		if s, ok := v.Value.(types.String); ok {
			return string(s), true
		}
	}
	return "", false
}

// principalAgent returns the one agent a policy's principal scope can hold for, if any.
func principalAgent(p *xast.Policy) (string, bool) {
	switch sc := p.Principal.(type) {
	case xast.ScopeTypeEq:
		if sc.Entity.Type == agentType {
			return string(sc.Entity.ID), true
		}
	case xast.ScopeTypeIn:
		if sc.Entity.Type == agentType {
			return string(sc.Entity.ID), true
		}
	case xast.ScopeTypeIsIn:
		if sc.Type == agentType && sc.Entity.Type == agentType {
			return string(sc.Entity.ID), true
		}
	}
	return "", false
}
