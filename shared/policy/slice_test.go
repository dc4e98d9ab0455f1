package policy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cedar-policy/cedar-go"
	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/racebuild"
)

// genActions are the action ids generated policies and requests draw from: concrete actions
// of every family, the family entities themselves, and odd ids without a family.
var genActions = []string{
	"http:GET", "http:POST", "http:DELETE", "sql:SELECT", "sql:DROP", "dynamodb:GetItem",
	"dynamodb:PutItem", "lambda:Invoke", "read", "write", "delete", "weird", "",
}

// genRequestActions adds actions no generated policy names, so the family lists are used.
var genRequestActions = append(slices.Clone(genActions), "http:PATCH", "s3:DeleteObject", "s3:ListBuckets", "x:")

var genConditions = []string{
	`context.intents.contains("i1")`,
	`context.intents.contains("i2")`,
	`context.operator.verified`,
	`context.intent_scores.i1 >= 50`, // an error when i1 is absent
	`context.intent_scores has i2 && context.intent_scores.i2 < 70`,
	`action in Action::"read"`,
	`action in [Action::"delete", Action::"http:POST"]`,
	`action == Action::"weird"`,
	`resource in Target::"t2"`,
	`resource == Resource::"t3/r2"`,
	`context.session.actions < 3`,
	`context.session.age_s + 1 > 10`,
	`context.time.hour >= 12`,
	`principal.level == 1`, // an error: entities carry no attributes
	`context.agent.kind == "oidc"`,
	// Context attributes read in every way a policy can: Evaluate builds only what the set
	// reads, and must decide as the full context does.
	`context has sql && context.sql.type == "SELECT"`,
	`context.sql.tables.contains("public.orders")`,
	`context.session.by_family.read >= 2`,
	`context.session has age_s`,
	`context.session != {"actions": 1}`, // the session record as a whole
	`{"c": context}.c has time`,         // the whole context
	`context.target.name == "t1" && context.target.kind == "sql"`,
	`context.intent_scores has i1`,
	`context.time.weekday == 7 || context.time.unix < 0`,
	`context.time.unix > 1767312000`, // 2026-01-02: some generated requests are before it
	`context.time has unix`,
	`context.time != {"hour": 3, "weekday": 4}`, // the time record as a whole
	// Guards joined by || and &&, negated, and scores read with no test of the intent.
	`context.intents.contains("i1") || context.operator.verified`,
	`!(context.agent.kind == "oidc" || context.session.actions >= 4)`,
	`context.intents.contains("i2") && (context.intent_scores.i2 > 50 || context.time.hour < 6)`,
	`(context.intents.contains("i1") && context.intent_scores.i1 > 20) || context.time.hour > 20`,
	`context.session.actions > 4 || context.intent_scores.i2 > 30`, // an error when i2 is absent
	`context.intent_scores.i2 < 40 && context.operator.verified`,   // an error when i2 is absent
	`!(context.operator.verified && context.time.weekday < 6)`,
}

func genActionEntity(rng *rand.Rand) string {
	if rng.IntN(10) == 0 {
		return `Other::"read"` // never an ancestor of an action
	}
	return fmt.Sprintf("Action::%q", genActions[rng.IntN(len(genActions))])
}

// genPolicySet writes a random Cedar document of n policies with ids p0..p(n-1).
func genPolicySet(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		effect := "permit"
		if rng.IntN(3) == 0 {
			effect = "forbid"
		}
		principal := "principal"
		switch rng.IntN(4) {
		case 0:
			principal = `principal == Agent::"a"`
		case 1:
			principal = `principal in Agent::"b"`
		}
		action := "action"
		switch rng.IntN(5) {
		case 0:
			action = "action == " + genActionEntity(rng)
		case 1, 2:
			action = "action in " + genActionEntity(rng)
		case 3:
			ents := make([]string, 1+rng.IntN(3))
			for j := range ents {
				ents[j] = genActionEntity(rng)
			}
			action = "action in [" + strings.Join(ents, ", ") + "]"
		}
		resource := "resource"
		switch rng.IntN(13) {
		case 0, 1:
			resource = fmt.Sprintf("resource in Target::\"t%d\"", 1+rng.IntN(3))
		case 2:
			resource = `resource == Resource::"t2/r1"`
		case 3:
			resource = `resource in Resource::"t1/r2"`
		case 4:
			resource = `resource is Resource in Target::"t2"`
		case 5:
			resource = `resource is Other in Target::"t2"`
		case 6:
			resource = `resource in Other::"t1"`
		case 7:
			resource = `resource is Resource in Resource::"t2/r1"`
		case 8:
			// The same id from two requests: target "t1" with resource "r2/x", and target
			// "t1/r2" with resource "x".
			resource = `resource == Resource::"t1/r2/x"`
		case 9:
			resource = `resource == Target::"t1"` // never a request's resource
		case 10:
			resource = `resource in Resource::"t3"` // a target's id, as a Resource: none
		}
		fmt.Fprintf(&b, "@id(\"p%d\")\n%s (%s, %s, %s)", i, effect, principal, action, resource)
		for range rng.IntN(3) {
			kw := "when"
			if rng.IntN(4) == 0 {
				kw = "unless"
			}
			fmt.Fprintf(&b, " %s { %s }", kw, genConditions[rng.IntN(len(genConditions))])
		}
		b.WriteString(";\n")
	}
	return b.String()
}

func genRequest(rng *rand.Rand) Request {
	r := Request{
		Agent:             []string{"a", "b", "c"}[rng.IntN(3)],
		AgentKind:         []string{"sigv4", "oidc"}[rng.IntN(2)],
		Operator:          "op",
		OperatorVerified:  rng.IntN(2) == 0,
		Action:            genRequestActions[rng.IntN(len(genRequestActions))],
		Target:            []string{"t1", "t2", "t3", "t1/r2"}[rng.IntN(4)],
		Resource:          []string{"r1", "r2", "r2/x", "x"}[rng.IntN(4)],
		SessionAgeSeconds: rng.Int64N(20),
		SessionActions:    rng.IntN(6),
		SessionByFamily:   map[string]int{FamilyRead: rng.IntN(4), FamilyWrite: rng.IntN(2)},
		Now:               time.Date(2026, 1, 1+rng.IntN(7), rng.IntN(24), 0, rng.IntN(2), 0, time.UTC),
	}
	if rng.IntN(2) == 0 {
		r.TargetKind = "sql"
	}
	if rng.IntN(3) == 0 {
		r.SQL = &SQL{Type: []string{"SELECT", "DELETE"}[rng.IntN(2)], Tables: []string{"public.orders"}[:rng.IntN(2)]}
	}
	for _, name := range []string{"i1", "i2"} {
		if rng.IntN(2) == 0 {
			r.Intents = append(r.Intents, api.Intent{Name: name, Score: rng.Float64()})
		}
	}
	return r
}

// TestSlicedEqualsUnsliced is the property that makes slicing safe: for generated policy
// sets and requests, Evaluate (candidates only) decides exactly as evaluating every policy,
// and as cedar-go does over its own PolicyMap.
func TestSlicedEqualsUnsliced(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(2, 5))
	sets, requests := racebuild.Scale(300), 60
	sliced, pruned := 0, 0
	for i := range sets {
		doc := genPolicySet(rng, 1+rng.IntN(40))
		s, err := Compile("gen.cedar", []byte(doc))
		if err != nil {
			t.Fatalf("set %d: Compile: %v\n%s", i, err, doc)
		}
		var prev Request
		for j := range requests {
			r := genRequest(rng)
			if j > 0 && rng.IntN(2) == 0 {
				// The next action of the same session: the cached context part is reused.
				r.Agent, r.AgentKind, r.Operator, r.OperatorVerified, r.Intents = prev.Agent, prev.AgentKind, prev.Operator, prev.OperatorVerified, prev.Intents
			}
			prev = r
			got := s.Evaluate(r)
			want := unsliced(s, r)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("set %d, request %+v: sliced differs from unsliced (-unsliced +sliced):\n%s\n%s", i, r, diff, doc)
			}
			if s.candidates(r.Action, r.Target).Len() < s.Len() {
				sliced++
			}
			if s.ctxUsed != ctxAll || s.subUsed != subAll {
				pruned++
			}
			assertCedarAgrees(t, s, r, got)
		}
	}
	// The property must have been exercised on real slices, not only on full sets.
	if sliced < sets*requests/2 {
		t.Errorf("only %d of %d evaluations used a strict slice", sliced, sets*requests)
	}
	// ... and on contexts that leave out attributes no policy reads, as well as full ones.
	if pruned < sets*requests/4 || pruned == sets*requests {
		t.Errorf("%d of %d evaluations used a pruned context", pruned, sets*requests)
	}
}

// unsliced evaluates r over every policy of s, with a context built afresh: the reference
// Evaluate must equal.
func unsliced(s *Set, r Request) Decision {
	req, ents := cedarRequest(r, nil, 0, 0)
	return decide(s.all, req, ents)
}

// assertCedarAgrees checks got against cedar-go evaluating a plain PolicyMap (its own
// iteration, no slicing), comparing reasons and errors as sets.
func assertCedarAgrees(t *testing.T, s *Set, r Request, got Decision) {
	t.Helper()
	pm := cedar.PolicyMap{}
	for _, e := range s.all {
		pm[e.id] = e.policy()
	}
	req, ents := cedarRequest(r, nil, 0, 0)
	dec, diag := cedar.Authorize(pm, ents, req)
	wantVerdict := api.VerdictDeny
	if dec == cedar.Allow {
		wantVerdict = api.VerdictAllow
	}
	var reasons []string
	for _, d := range diag.Reasons {
		reasons = append(reasons, string(d.PolicyID))
	}
	if len(reasons) == 0 {
		reasons = []string{ReasonDefaultDeny}
	}
	slices.Sort(reasons)
	gotReasons := slices.Sorted(slices.Values(got.Reasons))
	if got.Verdict != wantVerdict || !slices.Equal(reasons, gotReasons) || len(diag.Errors) != len(got.Errors) {
		t.Fatalf("request %+v: Evaluate = %+v, cedar-go over a PolicyMap = %v %v %v", r, got, dec, reasons, diag.Errors)
	}
}

// TestEvaluateConcurrent runs sessions in parallel on one Set (run it with -race): the
// reused session context never leaks from one session into another.
func TestEvaluateConcurrent(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	s, err := Compile("gen.cedar", []byte(genPolicySet(rng, 40)))
	if err != nil {
		t.Fatal(err)
	}
	reqs := make([]Request, 200)
	for i := range reqs {
		reqs[i] = genRequest(rng)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for w := range 4 {
		wg.Go(func() {
			for k := range 300 {
				r := reqs[(w*31+k)%len(reqs)]
				if got, want := s.Evaluate(r), unsliced(s, r); !cmp.Equal(got, want) {
					select {
					case errs <- fmt.Sprintf("request %+v: got %+v, want %+v", r, got, want):
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSliceSizes pins what slicing keeps.
func TestSliceSizes(t *testing.T) {
	t.Parallel()
	s, err := Compile("s.cedar", []byte(`
@id("any") forbid (principal, action, resource) when { context.session.actions > 100 };
@id("get") permit (principal, action == Action::"http:GET", resource);
@id("reads") permit (principal, action in Action::"read", resource in Target::"customers");
@id("deletes") forbid (principal, action in [Action::"delete", Action::"sql:SELECT"], resource is Resource in Target::"orders");
@id("other-type") permit (principal, action in Other::"read", resource);
@id("one-record") permit (principal, action == Action::"http:GET", resource == Resource::"orders/7");
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		action, target string
		want           []string
	}{
		{"http:GET", "customers", []string{"any", "get", "reads", "one-record"}},
		{"http:GET", "orders", []string{"any", "get", "one-record"}},
		{"http:HEAD", "customers", []string{"any", "reads"}},
		{"http:HEAD", "elsewhere", []string{"any"}},
		{"sql:SELECT", "customers", []string{"any", "reads"}},
		{"sql:SELECT", "orders", []string{"any", "deletes"}},
		{"http:DELETE", "orders", []string{"any", "deletes"}},
		{"http:DELETE", "customers", []string{"any"}},
		{"http:POST", "customers", []string{"any"}},
		{"read", "customers", []string{"any", "reads"}},
		{"no-family", "customers", []string{"any"}},
		{"dynamodb:Scan", "customers", []string{"any", "reads"}},
	}
	for _, tt := range tests {
		var got []string
		for id := range s.candidates(tt.action, tt.target).All() {
			got = append(got, string(id))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("candidates(%q, %q) mismatch (-want +got):\n%s", tt.action, tt.target, diff)
		}
	}
}

// TestCandidatesByResource pins what Evaluate keeps of policies scoped to one resource: each
// is a candidate only for the request whose resource id ("<target>/<resource>") it names,
// whichever way the request splits that id, and with its conditions all guards it is
// decided without cedar-go.
func TestCandidatesByResource(t *testing.T) {
	t.Parallel()
	s, err := Compile("s.cedar", []byte(`
@id("get") permit (principal, action == Action::"http:GET", resource);
@id("eq") permit (principal, action == Action::"http:GET", resource == Resource::"orders/7") when { context.session.actions < 5 };
@id("in") forbid (principal, action in Action::"read", resource in Resource::"orders/8");
@id("is-in") permit (principal == Agent::"a", action, resource is Resource in Resource::"orders/7");
@id("deep") permit (principal, action == Action::"http:GET", resource == Resource::"orders/7/lines");
@id("target-id") permit (principal, action == Action::"http:GET", resource == Resource::"orders");
@id("other-type") permit (principal, action == Action::"http:GET", resource == Target::"orders");
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		agent, target, resource string
		want                    []string
	}{
		{"a", "orders", "7", []string{"get", "eq", "is-in", "other-type"}},
		{"b", "orders", "7", []string{"get", "eq", "other-type"}},
		{"a", "orders", "8", []string{"get", "in", "other-type"}},
		{"a", "orders", "9", []string{"get", "other-type"}},
		{"a", "orders", "7/lines", []string{"get", "deep", "other-type"}},
		{"a", "orders/7", "lines", []string{"get", "deep", "other-type"}},
		{"a", "ORDERS", "7", []string{"get", "other-type"}},
		{"a", "orders", "", []string{"get", "other-type"}},
		{"a", "", "orders", []string{"get", "other-type"}},
	}
	for _, tt := range tests {
		r := Request{Agent: tt.agent, Action: "http:GET", Target: tt.target, Resource: tt.resource}
		b, _ := s.bucket(r.Action)
		f := s.factsOf(&r)
		var got []string
		for _, e := range b.requestCandidates(&f).collect(nil) {
			got = append(got, string(e.id))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s on %q / %q: candidates mismatch (-want +got):\n%s", tt.agent, tt.target, tt.resource, diff)
		}
		if d, want := s.Evaluate(r), unsliced(s, r); !cmp.Equal(d, want) {
			t.Errorf("%s on %q / %q: Evaluate = %+v, unsliced %+v", tt.agent, tt.target, tt.resource, d, want)
		}
	}
	for _, id := range []string{"eq", "in", "is-in", "deep"} {
		if e := &s.all[s.byID[id]]; !e.certain {
			t.Errorf("%s: not decided without cedar-go", id)
		}
	}
}

// TestJoinedAndSoftGuards pins which conditions Evaluate decides without cedar-go: guards
// joined by || or && (negated or not), and a score read with no test of its intent first:
// with the intent the policy is decided by its guard; without it, the policy reports the
// error cedar-go would.
func TestJoinedAndSoftGuards(t *testing.T) {
	t.Parallel()
	s, err := Compile("s.cedar", []byte(`
@id("or") forbid (principal, action, resource in Target::"t") when { context.time.weekday >= 6 || context.time.hour >= 18 };
@id("unless-and") forbid (principal, action, resource in Target::"t") unless { context.operator.verified && context.agent.kind == "oidc" };
@id("not-or") permit (principal, action, resource in Target::"t") when { !(context.session.actions > 9 || context.intents.contains("i1")) };
@id("nested") permit (principal, action, resource in Target::"t") when { context.intents.contains("i2") && (context.intent_scores.i2 > 50 || context.time.hour < 6) };
@id("soft") permit (principal, action, resource in Target::"t") when { context.intent_scores.i1 >= 50 && context.operator.verified };
@id("soft-unless") permit (principal, action, resource in Target::"t") unless { context.intent_scores.i1 < 50 };
@id("nested-score") permit (principal, action, resource in Target::"t") when { context.session.actions > 4 || context.intent_scores.i2 > 30 };
@id("not-guard") permit (principal, action, resource in Target::"t") when { context.time.hour < 3 || principal.level == 1 };
@id("odd-score") forbid (principal, action, resource in Target::"t") when { context.intent_scores["é \"x\"\u{1F600}"] > 1 };
`))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{
		"or": true, "unless-and": true, "not-or": true, "nested": true, "soft": true, "soft-unless": true,
		"nested-score": false, "not-guard": false, "odd-score": true,
	} {
		if got := s.all[s.byID[id]].certain; got != want {
			t.Errorf("%s: decided without cedar-go = %v, want %v", id, got, want)
		}
	}
	// A soft policy is a candidate that reports its error when the request lacks its intent.
	for _, tt := range []struct {
		intents []api.Intent
		want    map[string]string // candidate: its error, "" for none
	}{
		{nil, map[string]string{
			"soft":        "soft at s.cedar:6:1: record does not have the attribute `i1`",
			"soft-unless": "soft-unless at s.cedar:7:1: record does not have the attribute `i1`",
		}},
		{[]api.Intent{{Name: "i1", Score: 0.7}}, map[string]string{"soft": "", "soft-unless": ""}},
		{[]api.Intent{{Name: "i1", Score: 0.2}}, map[string]string{}},
	} {
		r := Request{Agent: "a", Action: "http:GET", Target: "t", Resource: "r", OperatorVerified: true,
			SessionActions: 20, Intents: tt.intents, Now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)}
		b, _ := s.bucket(r.Action)
		f := s.factsOf(&r)
		got := map[string]string{}
		for _, e := range b.requestCandidates(&f).collect(nil) {
			if strings.HasPrefix(string(e.id), "soft") {
				if !e.certain {
					t.Errorf("intents %v: %s left to cedar-go", tt.intents, e.id)
				}
				got[string(e.id)] = e.errText
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("intents %v: soft candidates mismatch (-want +got):\n%s", tt.intents, diff)
		}
		if d, want := s.Evaluate(r), unsliced(s, r); !cmp.Equal(d, want) {
			t.Errorf("intents %v: Evaluate = %+v, unsliced %+v", tt.intents, d, want)
		}
	}
}
