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
	doc, _ := mixedDocuments(m, n, seed)
	return doc
}

// mixedDocuments writes n policies of shape m from seed in Cedar, and the same policies in
// Rego (package mandate: permits and forbids are the sets of the ids of the policies that
// match, as Cedar's reasons; allow holds when some permit and no forbid matches). The Rego
// reads the input mixedInput builds from a Request. A Cedar policy that fails to evaluate is
// skipped; the Rego rule of the same policy is then undefined, which is skipping it too.
func mixedDocuments(m mixedShape, n int, seed uint64) (cedarDoc, regoDoc string) {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	var b, rb strings.Builder
	rb.WriteString("package mandate\n\nimport rego.v1\n\ndefault allow := false\n\nallow if {\n\tcount(permits) > 0\n\tcount(forbids) == 0\n}\n\n" +
		"decision := {\"allow\": allow, \"permits\": permits, \"forbids\": forbids}\n\n")
	type part struct{ c, r string } // a Cedar scope or condition and its Rego
	agentScope := func(p int) part {
		if rng.IntN(100) < p {
			a := m.agent(rng.IntN(m.agents))
			return part{fmt.Sprintf("principal == Agent::%q", a), fmt.Sprintf("input.agent == %q", a)}
		}
		return part{"principal", ""}
	}
	actionScope := func() part {
		switch rng.IntN(10) {
		case 0, 1:
			f := families[rng.IntN(len(families))]
			return part{fmt.Sprintf("action in Action::%q", f), fmt.Sprintf("input.family == %q", f)}
		case 2, 3:
			a1, a2 := m.action(rng.IntN(m.actions)), m.action(rng.IntN(m.actions))
			return part{fmt.Sprintf("action in [Action::%q, Action::%q]", a1, a2), fmt.Sprintf("input.action in {%q, %q}", a1, a2)}
		}
		a := m.action(rng.IntN(m.actions))
		return part{fmt.Sprintf("action == Action::%q", a), fmt.Sprintf("input.action == %q", a)}
	}
	resourceScope := func() part {
		if rng.IntN(4) == 0 {
			r := rng.IntN(m.resources)
			id := m.target(r%m.targets) + "/" + m.resource(r)
			return part{fmt.Sprintf("resource == Resource::%q", id), fmt.Sprintf("input.resource == %q", id)}
		}
		t := m.target(rng.IntN(m.targets))
		return part{fmt.Sprintf("resource in Target::%q", t), fmt.Sprintf("input.target == %q", t)}
	}
	extra := func() part {
		switch rng.IntN(4) {
		case 0:
			k := 5 + rng.IntN(100)
			return part{fmt.Sprintf(" && context.session.actions < %d", k), fmt.Sprintf("input.session.actions < %d", k)}
		case 1:
			h := rng.IntN(20)
			h2 := h + 1 + rng.IntN(23-h)
			return part{fmt.Sprintf(" && context.time.hour >= %d && context.time.hour < %d", h, h2), fmt.Sprintf("input.time.hour >= %d\n\tinput.time.hour < %d", h, h2)}
		case 2:
			return part{" && context.operator.verified", "input.operator.verified == true"}
		}
		return part{}
	}
	rule := func(set, id string, body ...string) {
		fmt.Fprintf(&rb, "%s contains %q if {\n", set, id)
		for _, l := range body {
			if l != "" {
				fmt.Fprintf(&rb, "\t%s\n", l)
			}
		}
		rb.WriteString("}\n\n")
	}
	for i := range n {
		id := fmt.Sprintf("m%d", i)
		fmt.Fprintf(&b, "@id(%q)\n", id)
		in := m.intent(rng.IntN(m.intents))
		score := 10 * rng.IntN(10)
		switch p := rng.IntN(100); {
		case p < 5:
			var cond, rcond string
			switch rng.IntN(3) {
			case 0:
				k := 10 + rng.IntN(200)
				cond, rcond = fmt.Sprintf("when { context.session.actions > %d }", k), fmt.Sprintf("input.session.actions > %d", k)
			case 1:
				h := rng.IntN(8)
				cond, rcond = fmt.Sprintf("when { context.time.hour < %d }", h), fmt.Sprintf("input.time.hour < %d", h)
			default:
				cond, rcond = "unless { context.operator.verified }", "input.operator.verified == false"
			}
			a := m.agent(rng.IntN(m.agents))
			fmt.Fprintf(&b, "forbid (principal == Agent::%q, action, resource) %s;\n", a, cond)
			rule("forbids", id, fmt.Sprintf("input.agent == %q", a), rcond)
		case p < 50:
			ag, ac, rs, ex := agentScope(50), actionScope(), resourceScope(), extra()
			fmt.Fprintf(&b, "permit (%s, %s, %s) when { context.intents.contains(%q) && context.intent_scores[%q] >= %d%s };\n",
				ag.c, ac.c, rs.c, in, in, score, ex.c)
			rule("permits", id, ag.r, ac.r, rs.r, fmt.Sprintf("%q in input.intents", in), fmt.Sprintf("input.intent_scores[%q] >= %d", in, score), ex.r)
		case p < 62:
			ag, ac, rs, ex := agentScope(50), actionScope(), resourceScope(), extra()
			fmt.Fprintf(&b, "permit (%s, %s, %s) when { context.intent_scores has %q && context.intent_scores[%q] >= %d%s };\n",
				ag.c, ac.c, rs.c, in, in, score, ex.c)
			rule("permits", id, ag.r, ac.r, rs.r, fmt.Sprintf("input.intent_scores[%q] >= %d", in, score), ex.r)
		case p < 65:
			// No `has` first: an error (skipped, reported) when the session lacks the intent.
			ag, ac, rs, ex := agentScope(50), actionScope(), resourceScope(), extra()
			fmt.Fprintf(&b, "permit (%s, %s, %s) when { context.intent_scores[%q] >= %d%s };\n",
				ag.c, ac.c, rs.c, in, score, ex.c)
			rule("permits", id, ag.r, ac.r, rs.r, fmt.Sprintf("input.intent_scores[%q] >= %d", in, score), ex.r)
		case p < 80:
			ac, rs := actionScope(), resourceScope()
			k := agentKinds[rng.IntN(len(agentKinds))]
			ex := extra()
			fmt.Fprintf(&b, "permit (principal, %s, %s) when { context.agent.kind == %q && context.operator.verified%s };\n",
				ac.c, rs.c, k, ex.c)
			rule("permits", id, ac.r, rs.r, fmt.Sprintf("input.agent_kind == %q", k), "input.operator.verified == true", ex.r)
		case p < 90:
			f, t := families[rng.IntN(len(families))], m.target(rng.IntN(m.targets))
			fmt.Fprintf(&b, "forbid (principal, action in Action::%q, resource in Target::%q) unless { context.operator.verified };\n", f, t)
			rule("forbids", id, fmt.Sprintf("input.family == %q", f), fmt.Sprintf("input.target == %q", t), "input.operator.verified == false")
		default:
			fam := families[rng.IntN(len(families))]
			k := rng.IntN(20)
			cond := fmt.Sprintf("context.session.by_family.%s > %d", fam, k)
			rconds := [][]string{{fmt.Sprintf("input.session.by_family.%s > %d", fam, k)}}
			if rng.IntN(2) == 0 {
				h := 18 + rng.IntN(6)
				cond = fmt.Sprintf("context.time.weekday >= 6 || context.time.hour >= %d", h)
				rconds = [][]string{{"input.time.weekday >= 6"}, {fmt.Sprintf("input.time.hour >= %d", h)}}
			}
			ag := agentScope(30)
			a, t := m.action(rng.IntN(m.actions)), m.target(rng.IntN(m.targets))
			fmt.Fprintf(&b, "forbid (%s, action == Action::%q, resource in Target::%q) when { %s };\n", ag.c, a, t, cond)
			for _, rc := range rconds {
				rule("forbids", id, append([]string{ag.r, fmt.Sprintf("input.action == %q", a), fmt.Sprintf("input.target == %q", t)}, rc...)...)
			}
		}
	}
	return b.String(), rb.String()
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
