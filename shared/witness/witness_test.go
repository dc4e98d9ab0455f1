package witness_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/witness"
)

const origin = "mandate.audit/test"

// logFixture is a log (its key and leaves) and a witness process that knows it.
type logFixture struct {
	signer  *checkpoint.Ed25519
	v       *checkpoint.Verifier
	leaves  checkpoint.Leaves
	url     string
	wverify note.Verifier
	state   string
	wskey   string
}

func newLog(t *testing.T) *logFixture {
	t.Helper()
	signer, err := checkpoint.LoadOrCreateEd25519(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v, _ := checkpoint.NewVerifier(signer.Public())
	f := &logFixture{signer: signer, v: v, state: filepath.Join(t.TempDir(), "witness.json")}
	wskey, wvkey, err := note.GenerateKey(rand.Reader, "witness.example")
	if err != nil {
		t.Fatal(err)
	}
	f.wskey = wskey
	if f.wverify, err = checkpoint.ParseWitnessKey(wvkey); err != nil {
		t.Fatal(err)
	}
	f.url = f.startWitness(t)
	return f
}

// startWitness runs the witness as its own HTTP server over the state file.
func (f *logFixture) startWitness(t *testing.T) string {
	t.Helper()
	ws, err := fnote.NewSignerForCosignatureV1(f.wskey)
	if err != nil {
		t.Fatal(err)
	}
	vkey, _ := f.v.VerifierKey(origin)
	srv, err := witness.NewServer(ws, []witness.Log{{Origin: origin, VKey: vkey}}, f.state)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs.URL
}

func (f *logFixture) grow(n int) {
	for range n {
		h := sha256.Sum256([]byte{byte(len(f.leaves))})
		f.leaves = append(f.leaves, h[:])
	}
}

func (f *logFixture) note(t *testing.T, leaves checkpoint.Leaves, s checkpoint.Signer) []byte {
	t.Helper()
	root, err := leaves.Root(uint64(len(leaves)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := checkpoint.SignNote(context.Background(), s, origin, uint64(len(leaves)), root)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(n)
}

func (f *logFixture) cosign(t *testing.T, leaves checkpoint.Leaves, last uint64) ([]byte, error) {
	t.Helper()
	return witness.Cosign(context.Background(), http.DefaultClient, f.url, leaves, f.note(t, leaves, f.signer), last)
}

func TestWitnessCosignsAConsistentLog(t *testing.T) {
	t.Parallel()
	f := newLog(t)
	f.grow(5)
	if _, err := f.cosign(t, f.leaves, 0); err != nil {
		t.Fatal(err)
	}
	f.grow(4)
	cosigned, err := f.cosign(t, f.leaves, 5)
	if err != nil {
		t.Fatal(err)
	}
	got, err := checkpoint.OpenNote(cosigned, origin, f.v, []note.Verifier{f.wverify}, 1)
	if err != nil || got.Size != 9 || len(got.Cosigners) != 1 {
		t.Fatalf("cosigned note: %+v, %v\n%s", got, err, cosigned)
	}
	// The log forgot what was cosigned: the witness's 409 tells it, and the retry succeeds.
	f.grow(3)
	if _, err := f.cosign(t, f.leaves, 0); err != nil {
		t.Fatalf("after a conflict: %v", err)
	}
	// The same checkpoint again is cosigned again.
	if _, err := f.cosign(t, f.leaves, 12); err != nil {
		t.Fatalf("same checkpoint: %v", err)
	}
}

// TestWitnessRefusesWhatItDidNotSee: every way a log can change the history a witness saw is
// refused, and the witness remembers across restarts.
func TestWitnessRefusesWhatItDidNotSee(t *testing.T) {
	t.Parallel()
	other, _ := checkpoint.LoadOrCreateEd25519(t.TempDir())
	cases := []struct {
		name   string
		attack func(t *testing.T, f *logFixture) ([]byte, error)
		want   error
	}{
		{"rewritten record", func(t *testing.T, f *logFixture) ([]byte, error) {
			forged := append(checkpoint.Leaves{}, f.leaves...)
			forged[2] = bytes.Repeat([]byte{7}, 32)
			forged = append(forged, bytes.Repeat([]byte{8}, 32))
			return f.cosign(t, forged, 9)
		}, witness.ErrRefused},
		{"truncated", func(t *testing.T, f *logFixture) ([]byte, error) {
			return f.cosign(t, f.leaves[:7], 9)
		}, witness.ErrRefused},
		{"truncated, the log says so", func(t *testing.T, f *logFixture) ([]byte, error) {
			return f.cosign(t, f.leaves[:7], 7)
		}, witness.ErrConflict},
		{"same size, another root", func(t *testing.T, f *logFixture) ([]byte, error) {
			forged := append(checkpoint.Leaves{}, f.leaves...)
			forged[8] = bytes.Repeat([]byte{7}, 32)
			return f.cosign(t, forged, 9)
		}, witness.ErrRefused},
		{"re-keyed", func(t *testing.T, f *logFixture) ([]byte, error) {
			f.grow(1)
			return witness.Cosign(context.Background(), http.DefaultClient, f.url, f.leaves, f.note(t, f.leaves, other), 9)
		}, witness.ErrRefused},
		{"another log", func(t *testing.T, f *logFixture) ([]byte, error) {
			root, _ := f.leaves.Root(9)
			n, _ := checkpoint.SignNote(context.Background(), f.signer, "elsewhere.example/log", 9, root)
			return witness.Add(context.Background(), http.DefaultClient, f.url, witness.Request{Old: 0, Checkpoint: []byte(n)})
		}, witness.ErrRefused},
		{"rewritten, after the witness restarted", func(t *testing.T, f *logFixture) ([]byte, error) {
			f.url = f.startWitness(t)
			return f.cosign(t, f.leaves[:5], 9)
		}, witness.ErrRefused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newLog(t)
			f.grow(9)
			if _, err := f.cosign(t, f.leaves, 0); err != nil {
				t.Fatal(err)
			}
			if out, err := tc.attack(t, f); !errors.Is(err, tc.want) {
				t.Fatalf("got %v (%s), want %v", err, out, tc.want)
			}
		})
	}
}

func TestWitnessRejectsMalformedRequests(t *testing.T) {
	t.Parallel()
	f := newLog(t)
	for _, body := range []string{"", "old 1\n", "old x\n\ncp", "old 01\n\ncp", "old 1\nnot base64\n\ncp", "old 1\nAAAA\n\ncp", "new 1\n\ncp"} {
		resp, err := http.Post(f.url+witness.Path, "text/plain", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%q: %d, want 400", body, resp.StatusCode)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("old 0\n\nmandate.audit/x\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— x AAAA\n"))
	f.Add([]byte("old 5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\ncp"))
	f.Add([]byte("old 1\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := witness.ParseRequest(b)
		if err != nil {
			if !errors.Is(err, witness.ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		// A parsed request encodes back to a body that parses to the same request.
		again, err := witness.ParseRequest(r.Encode())
		if err != nil || again.Old != r.Old || len(again.Proof) != len(r.Proof) || !bytes.Equal(again.Checkpoint, r.Checkpoint) {
			t.Fatalf("round trip: %+v, %v; was %+v", again, err, r)
		}
	})
}
