//go:build cgo

package duck_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/query"
	"github.com/mandate-dev/mandate/shared/query/duck"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

var t0 = time.Date(2026, 11, 25, 23, 59, 0, 0, time.UTC)

// archiveFixture writes two sessions over two days: ada's with an allowed read (completed),
// a denied delete and an allowed update without a result; bob's with an approval.
func archiveFixture(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(dir, "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := t0
	c := audit.NewChain(st, func() time.Time { clock = clock.Add(20 * time.Second); return clock })
	id := func(op string) audit.Identity {
		return audit.Identity{Agent: "arn:aws:iam::111122223333:role/agent", AgentKind: "iam", Operator: op}
	}
	act := func(name, res string) *audit.Action {
		return &audit.Action{Kind: "http", Target: "customers", Name: name, Resource: res, Digest: "d"}
	}
	verdict := func(d, why string) *audit.Verdict {
		return &audit.Verdict{Decision: d, Reasons: []string{why}, PolicyVersion: 1}
	}
	recs := []audit.Record{
		{Session: "ses_ada", Type: audit.TypeSessionOpen, Identity: id("ada@example.com"),
			Prompt:  &audit.Prompt{Masked: "call [PHONE]", SHA256: "p", Masking: map[string]int{"phone": 1}},
			Intents: []api.Intent{{Name: "customer_support.lookup", Score: 0.8, Evidence: []string{"phrase:contact"}}}},
		{Session: "ses_ada", Type: audit.TypeDecision, Identity: id("ada@example.com"), Action: act("http:GET", "/customers/42"), Verdict: verdict("allow", "permit-read")},
		{Session: "ses_ada", Type: audit.TypeResult, Identity: id("ada@example.com"), Result: &audit.Result{DecisionSeq: 2, Status: 200, Outcome: "ok", Masking: map[string]int{"email": 1, "phone": 2}}},
		{Session: "ses_ada", Type: audit.TypeDecision, Identity: id("ada@example.com"), Action: act("http:DELETE", "/customers/42"), Verdict: verdict("deny", "forbid-delete")},
		{Session: "ses_ada", Type: audit.TypeDecision, Identity: id("ada@example.com"), Action: act("http:PUT", "/customers/42"), Verdict: verdict("allow", "permit-update")},
		{Session: "ses_bob", Type: audit.TypeSessionOpen, Identity: id("bob@example.com"), Prompt: &audit.Prompt{Masked: "refund", SHA256: "q"}},
		{Session: "ses_bob", Type: audit.TypeDecision, Identity: id("bob@example.com"), Action: act("http:POST", "/refunds"), Verdict: verdict("approval", "approve-refunds")},
		{Session: "ses_bob", Type: audit.TypeResult, Identity: id("bob@example.com"), Result: &audit.Result{DecisionSeq: 2, Status: 200, Outcome: "ok", Masking: map[string]int{}}},
		{Session: "ses_bob", Type: audit.TypeApprovalRequest, Identity: id("bob@example.com"), Approval: &audit.Approval{ID: "apr_1", Status: "pending", DecisionSeq: 2, Note: "refunds need a second person"}},
		{Session: "ses_bob", Type: audit.TypeApprovalApprove, Identity: id("bob@example.com"), Approval: &audit.Approval{ID: "apr_1", Status: "approved", DecisionSeq: 2, By: "grace@example.com"}},
	}
	for _, r := range recs {
		if _, err := c.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(dir, "archive")
	tail, err := archive.NewTail(ctx, st, archive.NewShipper(archive.Dir{Root: root}, time.Hour, time.Now))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := tail.Flush(ctx); err != nil || n != len(recs) {
		t.Fatalf("flush: %d, %v", n, err)
	}
	return root
}

func rowsOf(res duck.Result) []string {
	var out []string
	for _, r := range res.Rows {
		var cells []string
		for _, v := range r {
			cells = append(cells, fmt.Sprint(v))
		}
		out = append(out, strings.Join(cells, " "))
	}
	return out
}

func TestNamedQueriesRunLocally(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := duck.Open(ctx, archiveFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string][]string{
		"actions_by_operator": {"ada@example.com allow 2", "ada@example.com deny 1", "bob@example.com approval 1"},
		"denied_actions":      {"2026-11-26 ses_ada 4 2026-11-26T00:00:20Z arn:aws:iam::111122223333:role/agent ada@example.com http:DELETE /customers/42 [forbid-delete]"},
		"approvals": {
			"2026-11-26 ses_bob 2 2026-11-26T00:01:20Z decision bob@example.com http:POST /refunds approval <nil> <nil> <nil> <nil> <nil>",
			"2026-11-26 ses_bob 4 2026-11-26T00:02:00Z approval.request bob@example.com <nil> <nil> <nil> apr_1 pending <nil> 2 refunds need a second person",
			"2026-11-26 ses_bob 5 2026-11-26T00:02:20Z approval.approve bob@example.com <nil> <nil> <nil> apr_1 approved grace@example.com 2 <nil>",
		},
		"masked_data_events": {
			"ses_ada#1 session.open <nil> OrderedMap{phone: 1}",
			"ses_ada#3 result OrderedMap{email: 1, phone: 2} <nil>",
		},
		"session_timeline":   {"1 session.open", "2 decision", "3 result", "4 decision", "5 decision"},
		"incomplete_actions": {"2026-11-26 ses_ada 5 2026-11-26T00:00:40Z ada@example.com http:PUT /customers/42"},
	}
	for _, n := range query.NamedQueries {
		t.Run(n.Name, func(t *testing.T) {
			var args []any
			for _, p := range n.Params {
				args = append(args, map[string]string{"session": "ses_ada", "from_dt": "2026-11-25", "to_dt": "2026-11-26"}[p])
			}
			res, err := db.Query(ctx, n.SQL, args...)
			if err != nil {
				t.Fatalf("%s: %v", n.Name, err)
			}
			got := rowsOf(res)
			switch n.Name {
			case "session_timeline":
				got = nil
				for _, r := range res.Rows {
					got = append(got, fmt.Sprint(r[0], " ", r[2]))
				}
			case "masked_data_events":
				got = nil
				for _, r := range res.Rows {
					got = append(got, fmt.Sprint(r[1], "#", r[2], " ", r[4], " ", r[6], " ", r[7]))
				}
			}
			if diff := cmp.Diff(want[n.Name], got); diff != "" {
				t.Fatalf("%s (-want +got):\n%s", n.Name, diff)
			}
		})
	}
}

func TestEmptyArchiveHasTheColumns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := duck.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, n := range query.NamedQueries {
		args := make([]any, len(n.Params))
		for i := range args {
			args[i] = "x"
		}
		if res, err := db.Query(ctx, n.SQL, args...); err != nil || len(res.Rows) != 0 {
			t.Fatalf("%s over an empty archive: %v, %v", n.Name, res.Rows, err)
		}
	}
}

// TestSessionTimelineReadsOnlyTheDaysGiven: the timeline's partition predicate is applied, so
// Athena reads only those days' partitions; a day range leaves out records of other days.
func TestSessionTimelineReadsOnlyTheDaysGiven(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := duck.Open(ctx, archiveFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, _ := query.Find("session_timeline")
	if !strings.Contains(n.SQL, "WHERE dt BETWEEN ? AND ?") {
		t.Fatalf("no partition predicate: %s", n.SQL)
	}
	res, err := db.Query(ctx, n.SQL, "2026-11-25", "2026-11-25", "ses_ada")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, fmt.Sprint(r[0], " ", r[2]))
	}
	if diff := cmp.Diff([]string{"1 session.open", "2 decision"}, got); diff != "" {
		t.Fatalf("one day (-want +got):\n%s", diff)
	}
}
