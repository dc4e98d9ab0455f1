package intent

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/api"
)

// TestCheckPurpose: a declared purpose whose top intent is not the prompt's is flagged, and
// more strongly when it leads to other action families; an agreeing, empty or
// unclassifiable purpose is not.
func TestCheckPurpose(t *testing.T) {
	t.Parallel()
	c := loadDemo(t)
	const (
		lookup = "look up the contact details of customer 42 to answer their ticket"
		erase  = "delete customer 42 and all their data"
		report = "how many customers signed up last month"
	)
	tests := []struct {
		name, prompt, purpose string
		want                  *api.PurposeFlag
	}{
		{"agrees", lookup, "find the email address of customer 17, they opened a support ticket", nil},
		{"empty purpose", erase, "", nil},
		{"unclassifiable purpose", erase, "general housekeeping", nil},
		{"other intent, same family", lookup, report, &api.PurposeFlag{Intent: "reporting.aggregate"}},
		{"read purpose for a delete", erase, lookup, &api.PurposeFlag{Intent: "customer_support.lookup", OtherFamilies: true}},
		{"delete purpose for a read", lookup, erase, &api.PurposeFlag{Intent: "customer_data.delete", OtherFamilies: true}},
		{"purpose for an unclassified prompt", "what is the weather like", lookup, &api.PurposeFlag{Intent: "customer_support.lookup", OtherFamilies: true}},
	}
	for _, tt := range tests {
		got := c.CheckPurpose(c.Classify(tt.prompt), tt.purpose)
		if got != nil {
			if got.Score <= 0 || got.Score > 1 {
				t.Errorf("%s: score %v out of (0, 1]", tt.name, got.Score)
			}
			got.Score = 0
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: CheckPurpose mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}
