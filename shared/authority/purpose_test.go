package authority_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/audit"
)

// TestContradictoryPurposeIsFlagged: a declared purpose whose intent is not the prompt's is
// flagged on the stored session and in the session.open record; an agreeing one is not,
// and its record carries no flag field at all.
func TestContradictoryPurposeIsFlagged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	tests := []struct {
		purpose string
		want    *api.PurposeFlag
	}{
		{"answer a support ticket: find the email address of customer 17", nil},
		{"delete customer 42 and all their data", &api.PurposeFlag{Intent: "customer_data.delete", OtherFamilies: true}},
	}
	for _, tt := range tests {
		s, err := f.auth.OpenSession(ctx, agent("demo-agent"), api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt, Purpose: tt.purpose})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := f.store.GetSession(ctx, s.SessionID)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := audit.VerifyChain(ctx, f.store, s.SessionID)
		if err != nil || len(rep.Records) == 0 || rep.Records[0].Prompt == nil {
			t.Fatalf("chain: %v", err)
		}
		recorded := rep.Records[0].Prompt.PurposeFlag
		for what, got := range map[string]*api.PurposeFlag{"session": stored.PurposeFlag, "record": recorded} {
			if got != nil {
				got = &api.PurposeFlag{Intent: got.Intent, OtherFamilies: got.OtherFamilies} // scores vary with the catalog
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("purpose %q: %s flag mismatch (-want +got):\n%s", tt.purpose, what, diff)
			}
		}
	}
}
