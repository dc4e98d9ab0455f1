package revoke

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzParseDocument: IAM hands back whatever the revocation policy holds. ParseDocument never
// panics, refuses what Render would not write with ErrForeign, and what it accepts renders
// to a document that parses back to the same rendering.
func FuzzParseDocument(f *testing.F) {
	d := NewDocument(time.Hour)
	for _, k := range []Kill{
		{Scope: ScopeGlobal, At: killAt},
		{Scope: ScopeAgent, Value: "arn:aws:iam::123456789012:role/agent", At: killAt},
		{Scope: ScopeOperator, Value: "asserted.ada@example.com", At: killAt.Add(90 * time.Minute)},
		{Scope: ScopeSession, Value: "ses_1", At: killAt},
	} {
		if err := d.Add(k); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(string(d.Render()))
	f.Add(string(EmptyDocument()))
	f.Add(`%7B%22Version%22%3A%222012-10-17%22%7D`)
	f.Add(`{"Version":"2012-10-17","Statement":[{"Sid":"MandateTargetPermissions","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"MandateRevokeAgent-1","Effect":"Deny","Action":"*","Resource":"*"}]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		d, err := ParseDocument(raw, time.Hour)
		if err != nil {
			if !errors.Is(err, ErrForeign) {
				t.Fatalf("error %v is not ErrForeign", err)
			}
			return
		}
		out := d.Render()
		again, err := ParseDocument(string(out), time.Hour)
		if err != nil {
			t.Fatalf("the rendering %s does not parse: %v", out, err)
		}
		if !bytes.Equal(again.Render(), out) {
			t.Fatalf("rendering changed:\n%s\n%s", out, again.Render())
		}
	})
}
