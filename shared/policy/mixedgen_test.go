package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
)

// The mixed policy set: a seeded generator of policy documents shaped like a deployment with
// many agents, so that slicing by action and target alone leaves many candidates. The
// property tests decide its requests against unsliced cedar-go, and the benchmarks measure
// it (BenchmarkMixed). Same seed, same size: same document, byte for byte.
//
// Vocabulary (mixedShape): 50 agents a00..a49, each of one kind (sigv4, oidc, iam by index);
// 50 resources r00..r49 spread over 10 targets t0..t9 (resource rNN is in target tN%10);
// 50 actions (the first 50 of benchActions, every family); 20 intents intent00..intent19.
//
// Policies, by share of the set:
//
//   - 5%: per-agent forbids with no action scope, `forbid (principal == Agent::"aNN",
//     action, resource)` when a counter, the hour or the operator says so.
//   - 45%: permits of one action, a few actions, or a family, on one target or one resource,
//     for one intent (`context.intents.contains`, then its score), with a session counter or
//     an hour window; half of them for one agent.
//   - 15%: the same with the intent's score tested first (`context.intent_scores has ...`),
//     which no index can read; one in five without `has`, an error when the intent is absent.
//   - 15%: permits for an agent kind (`context.agent.kind == "oidc"`) with a verified operator.
//   - 10%: forbids of a family on a target unless the operator is verified.
//   - 10%: forbids of one action on a target when a family counter or the hour says so,
//     some for one agent.
type mixedShape struct {
	agents, resources, targets, actions, intents int
}

// mixedFull is the shape of issue #18's mixed set.
var mixedFull = mixedShape{agents: 50, resources: 50, targets: 10, actions: 50, intents: 20}

// mixedSmall draws from a small vocabulary, so random requests often match.
var mixedSmall = mixedShape{agents: 4, resources: 6, targets: 3, actions: 12, intents: 3}

var agentKinds = []string{"sigv4", "oidc", "iam"}

func (m mixedShape) agent(i int) string    { return fmt.Sprintf("a%02d", i) }
func (m mixedShape) kind(i int) string     { return agentKinds[i%len(agentKinds)] }
func (m mixedShape) target(i int) string   { return fmt.Sprintf("t%d", i) }
func (m mixedShape) resource(i int) string { return fmt.Sprintf("r%02d", i) }
func (m mixedShape) intent(i int) string   { return fmt.Sprintf("intent%02d", i) }
func (m mixedShape) action(i int) string   { return benchActions[i%len(benchActions)] }

// mixedPolicySet writes n policies of shape m, ids m0..m(n-1), from seed.
func mixedPolicySet(m mixedShape, n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	var b strings.Builder
	agentScope := func(p int) string {
		if rng.IntN(100) < p {
			return fmt.Sprintf("principal == Agent::%q", m.agent(rng.IntN(m.agents)))
		}
		return "principal"
	}
	actionScope := func() string {
		switch rng.IntN(10) {
		case 0, 1:
			return fmt.Sprintf("action in Action::%q", families[rng.IntN(len(families))])
		case 2, 3:
			return fmt.Sprintf("action in [Action::%q, Action::%q]", m.action(rng.IntN(m.actions)), m.action(rng.IntN(m.actions)))
		}
		return fmt.Sprintf("action == Action::%q", m.action(rng.IntN(m.actions)))
	}
	resourceScope := func() string {
		if rng.IntN(4) == 0 {
			r := rng.IntN(m.resources)
			return fmt.Sprintf("resource == Resource::\"%s/%s\"", m.target(r%m.targets), m.resource(r))
		}
		return fmt.Sprintf("resource in Target::%q", m.target(rng.IntN(m.targets)))
	}
	extra := func() string {
		switch rng.IntN(4) {
		case 0:
			return fmt.Sprintf(" && context.session.actions < %d", 5+rng.IntN(100))
		case 1:
			h := rng.IntN(20)
			return fmt.Sprintf(" && context.time.hour >= %d && context.time.hour < %d", h, h+1+rng.IntN(23-h))
		case 2:
			return " && context.operator.verified"
		}
		return ""
	}
	for i := range n {
		fmt.Fprintf(&b, "@id(\"m%d\")\n", i)
		in := m.intent(rng.IntN(m.intents))
		score := 10 * rng.IntN(10)
		switch p := rng.IntN(100); {
		case p < 5:
			var cond string
			switch rng.IntN(3) {
			case 0:
				cond = fmt.Sprintf("when { context.session.actions > %d }", 10+rng.IntN(200))
			case 1:
				cond = fmt.Sprintf("when { context.time.hour < %d }", rng.IntN(8))
			default:
				cond = "unless { context.operator.verified }"
			}
			fmt.Fprintf(&b, "forbid (principal == Agent::%q, action, resource) %s;\n", m.agent(rng.IntN(m.agents)), cond)
		case p < 50:
			fmt.Fprintf(&b, "permit (%s, %s, %s) when { context.intents.contains(%q) && context.intent_scores[%q] >= %d%s };\n",
				agentScope(50), actionScope(), resourceScope(), in, in, score, extra())
		case p < 62:
			fmt.Fprintf(&b, "permit (%s, %s, %s) when { context.intent_scores has %q && context.intent_scores[%q] >= %d%s };\n",
				agentScope(50), actionScope(), resourceScope(), in, in, score, extra())
		case p < 65:
			// No `has` first: an error (skipped, reported) when the session lacks the intent.
			fmt.Fprintf(&b, "permit (%s, %s, %s) when { context.intent_scores[%q] >= %d%s };\n",
				agentScope(50), actionScope(), resourceScope(), in, score, extra())
		case p < 80:
			fmt.Fprintf(&b, "permit (principal, %s, %s) when { context.agent.kind == %q && context.operator.verified%s };\n",
				actionScope(), resourceScope(), agentKinds[rng.IntN(len(agentKinds))], extra())
		case p < 90:
			fmt.Fprintf(&b, "forbid (principal, action in Action::%q, resource in Target::%q) unless { context.operator.verified };\n",
				families[rng.IntN(len(families))], m.target(rng.IntN(m.targets)))
		default:
			fam := families[rng.IntN(len(families))]
			cond := fmt.Sprintf("context.session.by_family.%s > %d", fam, rng.IntN(20))
			if rng.IntN(2) == 0 {
				cond = fmt.Sprintf("context.time.weekday >= 6 || context.time.hour >= %d", 18+rng.IntN(6))
			}
			fmt.Fprintf(&b, "forbid (%s, action == Action::%q, resource in Target::%q) when { %s };\n",
				agentScope(30), m.action(rng.IntN(m.actions)), m.target(rng.IntN(m.targets)), cond)
		}
	}
	return b.String()
}

// mixedRequests returns n requests of shape m from seed, as sessions send them: a session
// is a random agent with its kind, an operator verified half the time and one or two
// intents with scores; it asks for 1 to 20 actions, each one of the actions (or, one time in
// ten, an action no policy names) on a resource in its target, its counters counting and
// its clock advancing a few seconds per action. Up to four sessions run interleaved. With
// fresh set, every request is a session of its own (the context caches never help).
func mixedRequests(m mixedShape, n int, seed uint64) []Request {
	return mixedSessions(m, n, seed, false)
}

func mixedSessions(m mixedShape, n int, seed uint64, fresh bool) []Request {
	rng := rand.New(rand.NewPCG(seed, 0x6d69786564))
	type session struct {
		r    Request
		left int
	}
	newSession := func() *session {
		a := rng.IntN(m.agents)
		s := &session{left: 1 + rng.IntN(20), r: Request{
			Agent: m.agent(a), AgentKind: m.kind(a), Operator: "op", OperatorVerified: rng.IntN(2) == 0,
			SessionAgeSeconds: rng.Int64N(3600), SessionActions: rng.IntN(150),
			SessionByFamily: map[string]int{FamilyRead: rng.IntN(20), FamilyWrite: rng.IntN(20), FamilyDelete: rng.IntN(20)},
			Now:             time.Date(2026, 3, 2+rng.IntN(7), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC),
		}}
		for range 1 + rng.IntN(2) {
			s.r.Intents = append(s.r.Intents, api.Intent{Name: m.intent(rng.IntN(m.intents)), Score: rng.Float64()})
		}
		return s
	}
	var live []*session
	out := make([]Request, n)
	for i := range out {
		if fresh || len(live) < 4 {
			live = append(live, newSession())
		}
		k := rng.IntN(len(live))
		s := live[k]
		res := rng.IntN(m.resources)
		action := m.action(rng.IntN(m.actions))
		if rng.IntN(10) == 0 {
			action = []string{"http:OPTIONS", "s3:RestoreObject", "read", "custom"}[rng.IntN(4)]
		}
		r := s.r
		r.Action, r.Target, r.TargetKind, r.Resource = action, m.target(res%m.targets), "http", m.resource(res)
		r.SessionByFamily = map[string]int{}
		for f, c := range s.r.SessionByFamily {
			r.SessionByFamily[f] = c
		}
		if f := Family(action); f != "" {
			r.SessionByFamily[f]++
		}
		r.SessionActions++
		out[i] = r
		s.r = r
		s.r.Now = r.Now.Add(time.Duration(1+rng.IntN(5)) * time.Second)
		s.r.SessionAgeSeconds += int64(s.r.Now.Sub(r.Now) / time.Second)
		if s.left--; s.left == 0 || fresh {
			live = append(live[:k], live[k+1:]...)
		}
	}
	return out
}
