package audit

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gowebpki/jcs"

	"github.com/mandate-dev/mandate/shared/api"
)

// referenceSeal is the stored encoding by definition: the record with its hash, through JSON
// and RFC 8785.
func referenceSeal(t testing.TB, r Record) []byte {
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jcs.Transform(raw)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSealMatchesTheReferenceEncoding(t *testing.T) {
	t.Parallel()
	recs := []Record{
		benchRecord(),
		{Session: "s", Seq: 1, Type: TypeSessionOpen, Time: t0, Prompt: &Prompt{Masked: `he said "hash": {x}, \\ "identity":`, SHA256: "x"}},
		{Session: "admin", Seq: 1, Type: TypeAdminChange, Time: t0, Admin: &Admin{Kind: "policies", Name: `"hash":"z"`, Version: 2}},
		{Session: "s", Seq: 3, Type: TypeApprovalApprove, Time: t0, Approval: &Approval{ID: "a", Note: "}{][\"hash\""}},
		{Session: "s", Seq: 4, Type: TypeResult, Time: t0, Result: &Result{Masking: map[string]int{"hash": 1, "a\u2028b": 2}}},
		{Session: "s", Seq: 5, Type: TypeDecision, Time: t0, Intents: []api.Intent{{Name: "<&>", Score: 1e-7}}},
	}
	for i, r := range recs {
		got, err := Seal(&r)
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceSeal(t, r); !bytes.Equal(got, want) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func FuzzSealMatchesTheReferenceEncoding(f *testing.F) {
	f.Add("ses_x", "look up \"hash\" {", "http:GET", `/a"b\c`, "ada@example.com")
	f.Fuzz(func(t *testing.T, session, prompt, action, resource, operator string) {
		r := Record{Session: session, Seq: 1, Type: TypeDecision, Time: t0, Identity: Identity{Operator: operator},
			Prompt: &Prompt{Masked: prompt}, Action: &Action{Name: action, Resource: resource}}
		got, err := Seal(&r)
		if err != nil {
			return
		}
		if want := referenceSeal(t, r); !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
