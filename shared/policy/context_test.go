package policy

import (
	"fmt"
	"testing"

	"github.com/cedar-policy/cedar-go"
	"github.com/google/go-cmp/cmp"
)

// TestContextUse pins which context attributes Evaluate builds for a set: those its
// policies read, all of them when a policy uses the context or the session record whole.
func TestContextUse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		conditions []string
		want       uint16
		wantSub    uint8
	}{
		{nil, 0, 0},
		{[]string{`context.intents.contains("x")`}, ctxIntents, 0},
		{[]string{`context has time`, `context.operator.verified`}, ctxTime | ctxOperator, 0},
		{[]string{`context.session.actions > 3`}, ctxSession, sessActions},
		{[]string{`context.session has by_family && context.session.by_family.read > 1`}, ctxSession, sessByFamily},
		{[]string{`context.session == {"actions": 1}`}, ctxSession, sessAll},
		{[]string{`context has session`}, ctxSession, 0},
		{[]string{`context.time.hour < 9`, `context.time has weekday`}, ctxTime, timeHour | timeWeekday},
		{[]string{`context.time.unix > 0`}, ctxTime, timeUnix},
		{[]string{`context.time == {"hour": 1}`}, ctxTime, timeAll},
		{[]string{`[context.time].contains({})`, `context.session.actions > 1`}, ctxTime | ctxSession, timeAll | sessActions},
		{[]string{`context.sql.type == "x"`, `context.nonesuch == 1`}, ctxSQL, 0},
		{[]string{`context == {}`}, ctxAll, subAll},
		{[]string{`[context].contains({})`}, ctxAll, subAll},
		{[]string{`if context.target.name == "a" then context.agent.id == "b" else context.intent_scores has c`}, ctxTarget | ctxAgent | ctxIntentScores, 0},
		{[]string{`{"c": context}.c has time`}, ctxAll, subAll},
		{[]string{`principal.context == 1`, `resource has session`}, 0, 0}, // not the context variable
	}
	for i, tt := range tests {
		doc := ""
		for j, c := range tt.conditions {
			doc += fmt.Sprintf("@id(\"p%d\") permit (principal, action, resource) when { %s };\n", j, c)
		}
		s, err := Compile("use.cedar", []byte(doc))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if s.ctxUsed != tt.want || s.subUsed != tt.wantSub {
			t.Errorf("%v: used %09b/%06b, want %09b/%06b", tt.conditions, s.ctxUsed, s.subUsed, tt.want, tt.wantSub)
		}
	}
}

// TestManyTargets goes past the target cache's bound: targets beyond it are built per
// request and decide as the full context does.
func TestManyTargets(t *testing.T) {
	t.Parallel()
	s, err := Compile("t.cedar", []byte(`
@id("t7") permit (principal, action, resource in Target::"t7") when { context.target.kind == "http" };
@id("t1500") permit (principal, action, resource in Target::"t1500");
@id("kind") forbid (principal, action, resource) when { context.target.kind == "aws" };
`))
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		for i := range maxCachedTargets + 600 {
			r := benchRequest()
			r.Target, r.TargetKind = fmt.Sprintf("t%d", i), []string{"http", "aws"}[(i+round)%2]
			if got, want := s.Evaluate(r), unsliced(s, r); !cmp.Equal(got, want) {
				t.Fatalf("round %d, target %s/%s: got %+v, want %+v", round, r.Target, r.TargetKind, got, want)
			}
		}
	}
	if n := len(*s.cache.targets.Load()); n != maxCachedTargets {
		t.Errorf("%d targets cached, want the bound %d", n, maxCachedTargets)
	}
}

// TestRecordCopiesItsMap: cedarRequest reuses the map it builds a record from, which is
// safe only because cedar.NewRecord copies it.
func TestRecordCopiesItsMap(t *testing.T) {
	t.Parallel()
	m := cedar.RecordMap{"a": cedar.Long(1)}
	rec := cedar.NewRecord(m)
	want := cedar.NewRecord(cedar.RecordMap{"a": cedar.Long(1)})
	m["a"] = cedar.Long(2)
	m["b"] = cedar.Long(3)
	clear(m)
	if !rec.Equal(want) {
		t.Fatalf("the record changed with its map: %v", rec)
	}
}

// An error's text reads "<policy> at <file>:<line>:<column>: <message>", as the audit
// records and `mandate explain` have always shown it, whatever the numbers' size.
func TestErrorText(t *testing.T) {
	for _, e := range []cedar.DiagnosticError{
		{PolicyID: "p1", Position: cedar.Position{Filename: "policies.cedar", Line: 3, Column: 7}, Message: "attribute `score` not found"},
		{PolicyID: "forbid-more-than-20-reads-a-session", Position: cedar.Position{Filename: "", Line: 100000, Column: 256}, Message: ""},
		{PolicyID: "", Position: cedar.Position{Line: -1, Column: 0}, Message: "ü \"quoted\""},
	} {
		want := fmt.Sprintf("%s at %s:%d:%d: %s", e.PolicyID, e.Position.Filename, e.Position.Line, e.Position.Column, e.Message)
		if got := errorText(e); got != want {
			t.Errorf("errorText = %q, want %q", got, want)
		}
	}
}
