package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestAnswers(t *testing.T) {
	t.Parallel()
	decision := func(seq uint64, verdict string) Record {
		return Record{Seq: seq, Type: TypeDecision, Verdict: &Verdict{Decision: verdict}}
	}
	result := func(seq, decision uint64) Record {
		return Record{Seq: seq, Type: TypeResult, Result: &Result{DecisionSeq: decision}}
	}
	open := Record{Seq: 1, Type: TypeSessionOpen}
	tests := []struct {
		name    string
		records []Record
		want    Unanswered
	}{
		{"every allow answered", []Record{open, decision(2, "allow"), result(3, 2), decision(4, "deny")}, Unanswered{}},
		{"results may come after later decisions", []Record{open, decision(2, "allow"), decision(3, "allow"), result(4, 3), result(5, 2)}, Unanswered{}},
		{"crash between execution and result", []Record{open, decision(2, "allow"), result(3, 2), decision(4, "allow")}, Unanswered{Incomplete: []uint64{4}}},
		{"result of no decision", []Record{open, result(2, 7)}, Unanswered{Orphans: []uint64{2}}},
		{"result of a denial", []Record{open, decision(2, "deny"), result(3, 2)}, Unanswered{Orphans: []uint64{3}}},
		{"result before its decision", []Record{open, result(2, 3), decision(3, "allow")}, Unanswered{Incomplete: []uint64{3}, Orphans: []uint64{2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(tc.want, Answers(tc.records), cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("Answers (-want +got):\n%s", d)
			}
		})
	}
}
