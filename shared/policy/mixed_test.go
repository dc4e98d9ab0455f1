package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/racebuild"
)

// TestMixedSlicedEqualsUnsliced decides thousands of generated requests over generated mixed
// policy sets (mixedgen_test.go) through the runtime path (Evaluate: the index, the cached
// context) and over every policy with a context built afresh, and through cedar-go's own
// PolicyMap: verdict, deciding policies, errors and variants must be identical.
func TestMixedSlicedEqualsUnsliced(t *testing.T) {
	t.Parallel()
	runs := []struct {
		name       string
		shape      mixedShape
		sets, size int
		requests   int
	}{
		{"small", mixedSmall, 40, 120, 150},
		// More intents than guard bits: the rest are tested by name.
		{"many-intents", mixedShape{agents: 4, resources: 6, targets: 3, actions: 12, intents: 90}, 4, 800, 400},
		{"full-1000", mixedFull, 1, 1000, 3000},
		{"full-10000", mixedFull, 1, 10000, 200},
	}
	if testing.Short() || racebuild.Enabled {
		runs = runs[:3]
	}
	if racebuild.Enabled { // full-10000 and most of full-1000 run in the plain build
		runs[2].requests = racebuild.Scale(runs[2].requests)
	}
	for _, run := range runs {
		allows, forbids, errs := 0, 0, 0
		for i := range run.sets {
			doc := mixedPolicySet(run.shape, run.size, uint64(i+1))
			s, err := Compile("mixed.cedar", []byte(doc))
			if err != nil {
				t.Fatalf("%s set %d: Compile: %v", run.name, i, err)
			}
			for _, r := range mixedRequests(run.shape, run.requests, uint64(100+i)) {
				got := s.Evaluate(r)
				want := unsliced(s, r)
				s.qualify(&want)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s set %d, request %+v: sliced differs from unsliced (-unsliced +sliced):\n%s", run.name, i, r, diff)
				}
				assertCedarAgrees(t, s, r, got)
				switch {
				case got.Verdict != verdictDeny:
					allows++
				case got.Reasons[0] != ReasonDefaultDeny:
					forbids++
				}
				if len(got.Errors) > 0 {
					errs++
				}
			}
		}
		// The property must have met allows, denials by a forbid and evaluation errors.
		total := run.sets * run.requests
		t.Logf("%s: %d requests, %d allowed, %d denied by a forbid, %d with errors", run.name, total, allows, forbids, errs)
		if allows == 0 || forbids == 0 || errs == 0 {
			t.Errorf("%s: %d allowed, %d forbidden, %d with errors of %d: the generator no longer exercises every outcome", run.name, allows, forbids, errs, total)
		}
	}
}
