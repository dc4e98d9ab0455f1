package audit

import (
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
)

// TestCanonicalPurposeFlag: the fast encoder writes a session.open record's purpose flag as
// the reference encoder does, and a record without one as before (no field).
func TestCanonicalPurposeFlag(t *testing.T) {
	t.Parallel()
	for _, flag := range []*api.PurposeFlag{
		nil,
		{Intent: "customer_data.delete", Score: 0.7125, OtherFamilies: true},
		{Intent: "reporting.aggregate", Score: 1},
	} {
		r := Record{Session: "ses_1", Seq: 1, Type: TypeSessionOpen, Prompt: &Prompt{Masked: "m", SHA256: "h", Purpose: "p", PurposeFlag: flag}}
		fast, _, err := encodeRecord(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := canonicalReference(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(fast) != string(ref) {
			t.Errorf("flag %+v:\nfast %s\nref  %s", flag, fast, ref)
		}
	}
}
