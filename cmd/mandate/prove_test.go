package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/checkpoint"
)

// TestProveInclusion: `mandate prove` prints a proof that an independent RFC 6962 verifier
// accepts against the root the printed checkpoint note signs, and refuses records that are not
// in the log.
func TestProveInclusion(t *testing.T) {
	dir := archivedFolder(t)
	key := pinKey(t, dir)
	code, out, errOut := runCLI(t, "prove", "--data", dir, "--key", key, "ses_a", "2")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var p inclusionProof
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	dec := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var hashes [][]byte
	for _, h := range p.Proof {
		hashes = append(hashes, dec(h))
	}
	pub, _ := os.ReadFile(key)
	v, _ := checkpoint.ParsePublicKey(pub)
	n, err := checkpoint.OpenNote([]byte(p.Checkpoint), "", v, nil, 0)
	if err != nil || n.Size != p.TreeSize || base64.StdEncoding.EncodeToString(n.Root) != p.Root {
		t.Fatalf("checkpoint note %+v, %v; proof %+v", n, err, p)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.LeafIndex, p.TreeSize, dec(p.LeafHash), hashes, n.Root); err != nil {
		t.Fatalf("independent verification: %v", err)
	}
	if p.Session != "ses_a" || p.Seq != 2 || p.TreeSize != 3 {
		t.Fatalf("proof of %s#%d in %d", p.Session, p.Seq, p.TreeSize)
	}
	for _, args := range [][]string{
		{"prove", "--data", dir, "--key", key, "ses_a", "9"},
		{"prove", "--data", dir, "--key", key, "ses_nope", "1"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitFailed {
			t.Errorf("%q: exit %d, want %d", args, code, exitFailed)
		}
	}
	for _, args := range [][]string{
		{"prove", "--data", dir, "ses_a", "1"},
		{"prove", "--data", dir, "--key", key, "ses_a", "0"},
		{"prove", "--data", dir, "--key", key, "ses_a"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// TestVerifySinceCosignedNote: a checkpoint note kept with a witness's cosignature anchors
// verify like the checkpoint object does, the required number of cosignatures is enforced,
// and a rewrite by the folder's key holder is a break against it.
func TestVerifySinceCosignedNote(t *testing.T) {
	dir := archivedFolder(t)
	kept := keepCheckpoint(t, dir)
	body, _ := os.ReadFile(kept)
	c, err := checkpoint.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	// A witness cosigns the log's note.
	pub, _ := os.ReadFile(pinKey(t, dir))
	v, _ := checkpoint.ParsePublicKey(pub)
	lv, _ := v.NoteVerifier(c.Origin)
	n, err := note.Open([]byte(c.Note), note.VerifierList(lv))
	if err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "witness.example")
	ws, _ := fnote.NewSignerForCosignatureV1(wskey)
	cosigned, err := note.Sign(n, ws)
	if err != nil {
		t.Fatal(err)
	}
	notePath := filepath.Join(t.TempDir(), "kept.note")
	os.WriteFile(notePath, cosigned, 0o600)

	base := []string{"verify", "--data", dir, "--since", notePath, "--witness", wvkey}
	if code, out, errOut := runCLI(t, append(base, "--cosignatures", "1")...); code != exitOK || !strings.Contains(out, "witness.example") {
		t.Fatalf("one cosignature required: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, append(base, "--cosignatures", "2")...); code != exitUnverifiable {
		t.Fatalf("two required: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "verify", "--data", dir, "--since", kept, "--cosignatures", "1"); code != exitUnverifiable {
		t.Fatalf("cosignatures required of a checkpoint object: exit %d\n%s", code, out)
	}
	rewrite(t, dir, func(c map[string][]audit.Record) { c["ses_a"][0].Verdict.Decision = "allow" }, false)
	if code, out, _ := runCLI(t, append(base, "--cosignatures", "1")...); code != exitFailed {
		t.Fatalf("rewritten after the witness saw it: exit %d\n%s", code, out)
	}
	rewrite(t, dir, func(map[string][]audit.Record) {}, true)
	if code, out, _ := runCLI(t, append(base, "--cosignatures", "1")...); code != exitFailed {
		t.Fatalf("re-keyed after the witness saw it: exit %d\n%s", code, out)
	}
}
