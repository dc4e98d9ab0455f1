package checkpoint_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/checkpoint"
)

// The signed-note spec's example key and note (c2sp.org/signed-note, as golang.org/x/mod's
// note package documents it).
const (
	specVKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
	specNote = "If you think cryptography is the answer to your problem,\n" +
		"then you don't know what your problem is.\n" +
		"\n" +
		"— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
	// The C2SP tlog-checkpoint spec's example checkpoint.
	specCheckpoint = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n" +
		"— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)

// TestNoteKeysMatchTheSignedNoteSpec: a verifier built from the spec's raw public key names
// it with the spec's key hash and verifies the spec's note.
func TestNoteKeysMatchTheSignedNoteSpec(t *testing.T) {
	t.Parallel()
	raw, _ := base64.StdEncoding.DecodeString(specVKey[strings.LastIndex(specVKey, "+")+1:])
	v, err := checkpoint.NewVerifier(ed25519.PublicKey(raw[1:]))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v.VerifierKey("PeterNeumann"); got != specVKey {
		t.Fatalf("verifier key %q, want %q", got, specVKey)
	}
	nv, err := v.NoteVerifier("PeterNeumann")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open([]byte(specNote), note.VerifierList(nv)); err != nil {
		t.Fatalf("the spec's note: %v", err)
	}
	if _, err := note.Open([]byte(strings.Replace(specNote, "cryptography", "cryptographY", 1)), note.VerifierList(nv)); err == nil {
		t.Fatal("an edited note verified")
	}
}

// TestParseKeptReadsTheCheckpointSpecExample: the spec's example reads as origin, size and
// root, and does not verify with a key that did not sign it.
func TestParseKeptReadsTheCheckpointSpecExample(t *testing.T) {
	t.Parallel()
	c, err := checkpoint.ParseKept([]byte(specCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	root, _ := base64.StdEncoding.DecodeString("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
	if c.Origin != "example.com/behind-the-sofa" || c.Size != 20852163 || c.Root != hex.EncodeToString(root) {
		t.Fatalf("parsed %+v", c)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	v, _ := checkpoint.NewVerifier(pub)
	if _, err := checkpoint.OpenNote([]byte(specCheckpoint), "", v, nil, 0); !errors.Is(err, checkpoint.ErrSignature) {
		t.Fatalf("another key: %v", err)
	}
	for _, bad := range []string{
		"example.com/x\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— x AAAA\n",
		"example.com/x\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— x AAAA\n",
		"example.com/x\n12\nnot base64\n\n— x AAAA\n",
		"example.com/x\n12\nAAAA\n\n— x AAAA\n",
		"example.com/x\n12",
	} {
		if _, err := checkpoint.ParseKept([]byte(bad)); err == nil {
			t.Errorf("ParseKept(%q) accepted", bad)
		}
	}
}

// TestCheckpointNoteIsStandard: what the writer signs is a C2SP checkpoint any signed-note
// verifier checks with the log's verifier key, stating the checkpoint's size and root; a
// witness cosignature (cosignature/v1) is counted, and a required one that is missing fails.
func TestCheckpointNoteIsStandard(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.keep(t, 2)
	pub, _ := os.ReadFile(f.dir + "/" + checkpoint.PublicKeyFile)
	v, err := checkpoint.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	vkey, _ := v.VerifierKey(c.Origin)
	stock, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(c.Note), note.VerifierList(stock))
	if err != nil {
		t.Fatalf("stock verifier: %v\n%s", err, c.Note)
	}
	root, _ := hex.DecodeString(c.Root)
	if want := checkpoint.NoteBody(c.Origin, c.Size, root); n.Text != want || !strings.HasPrefix(c.Note, c.Origin+"\n21\n") {
		t.Fatalf("note text %q, want %q", n.Text, want)
	}

	// A witness cosigns.
	wskey, wvkey, err := note.GenerateKey(rand.Reader, "witness.example")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := fnote.NewSignerForCosignatureV1(wskey)
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, ws)
	if err != nil {
		t.Fatal(err)
	}
	wv, err := checkpoint.ParseWitnessKey(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := checkpoint.OpenNote(cosigned, "", v, []note.Verifier{wv}, 1)
	if err != nil || len(got.Cosigners) != 1 || got.Size != c.Size {
		t.Fatalf("cosigned: %+v, %v", got, err)
	}
	if _, err := checkpoint.OpenNote([]byte(c.Note), "", v, []note.Verifier{wv}, 1); !errors.Is(err, checkpoint.ErrCosignatures) {
		t.Fatalf("no cosignature, one required: %v", err)
	}
	// A cosignature by a key the verifier does not know does not count.
	_, other, _ := note.GenerateKey(rand.Reader, "other.example")
	ov, _ := checkpoint.ParseWitnessKey(other)
	if _, err := checkpoint.OpenNote(cosigned, "", v, []note.Verifier{ov}, 1); !errors.Is(err, checkpoint.ErrCosignatures) {
		t.Fatalf("unknown witness counted: %v", err)
	}
}

// FuzzParseKept: a kept checkpoint is read from wherever an operator kept it. Parsing never
// panics, and a note it accepts states its size and root in the C2SP body form.
func FuzzParseKept(f *testing.F) {
	f.Add([]byte(specCheckpoint))
	f.Add([]byte(`{"v":2,"index":1}`))
	f.Add([]byte("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := checkpoint.ParseKept(b)
		if err != nil || c.Signature != "" || c.Note == "" {
			return
		}
		root, err := hex.DecodeString(c.Root)
		if err != nil || len(root) != 32 {
			t.Fatalf("accepted root %q", c.Root)
		}
		if !strings.HasPrefix(string(b), checkpoint.NoteBody(c.Origin, c.Size, root)) {
			t.Fatalf("accepted %q as %+v", b, c)
		}
	})
}

// TestStoredCosignedNoteShowsACut: a note a known witness cosigned, kept in the archive's
// cosigned/ folder, shows a cut tail (newest checkpoint, its object and the store's tail
// deleted) as a break; a note no known witness cosigned is no evidence.
func TestStoredCosignedNoteShowsACut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.keep(t, 2)
	pub, _ := os.ReadFile(f.dir + "/" + checkpoint.PublicKeyFile)
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
	if err := f.bucket.Create(context.Background(), checkpoint.CosignedKey(2, "witness.example"), cosigned, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wv, _ := checkpoint.ParseWitnessKey(wvkey)
	_, otherKey, _ := note.GenerateKey(rand.Reader, "other.example")
	other, _ := checkpoint.ParseWitnessKey(otherKey)

	verify := func(ws ...note.Verifier) checkpoint.Report {
		rep, err := checkpoint.VerifyArchive(context.Background(), f.bucket, checkpoint.Options{Verifier: v, Store: f.store, Witnesses: ws, Cosignatures: 1})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := verify(wv); !rep.Intact() || rep.CosignShortfall || len(rep.Cosigners) != 1 {
		t.Fatalf("untouched: %v, cosigners %v", rep.Problems, rep.Cosigners)
	}
	keys := f.keys(t, archive.AuditPrefix)
	os.Remove(f.path(keys[len(keys)-1]))
	os.Remove(f.path(checkpoint.Key(2)))
	f.store = newStoreWith(t, f.store, 3)
	rep := verify(wv)
	if rep.Intact() || rep.Problems[0].Kind != checkpoint.Truncated || !strings.Contains(rep.Problems[0].Detail, "cosigned 21 records") {
		t.Fatalf("cut: %v", rep.Problems)
	}
	if rep := verify(other); !rep.Intact() || !rep.CosignShortfall {
		t.Fatalf("an unknown witness's note counted: %v", rep.Problems)
	}
}
