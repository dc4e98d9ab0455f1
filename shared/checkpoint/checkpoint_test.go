package checkpoint_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

// fixture is a data folder with a store, an archive with two checkpoints and a signing key.
type fixture struct {
	dir    string
	store  store.Store
	bucket archive.Dir
	signer *checkpoint.Ed25519
	writer *checkpoint.Writer
	// now is the verifier's clock (time.Now when nil); since, a checkpoint kept earlier.
	now   func() time.Time
	since *checkpoint.Checkpoint
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(dir, "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	signer, err := checkpoint.LoadOrCreateEd25519(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, store: st, bucket: archive.Dir{Root: filepath.Join(dir, "archive")}, signer: signer}
	f.writer = &checkpoint.Writer{Bucket: f.bucket, Signer: signer, Now: time.Now}
	tail, err := archive.NewTail(ctx, st, archive.NewShipper(f.bucket, time.Hour, time.Now))
	if err != nil {
		t.Fatal(err)
	}
	c := audit.NewChain(st, time.Now)
	for round := range 2 {
		for _, s := range []string{"ses_a", "ses_b", "ses_c"} {
			for range 3 + round {
				if _, err := c.Append(ctx, audit.Record{Session: s, Type: audit.TypeDecision}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := tail.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		cp, err := f.writer.Run(ctx)
		if err != nil || cp == nil {
			t.Fatalf("checkpoint: %v, %v", cp, err)
		}
	}
	return f
}

func (f *fixture) verify(t *testing.T) checkpoint.Report {
	t.Helper()
	pub, err := os.ReadFile(filepath.Join(f.dir, checkpoint.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	v, err := checkpoint.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := checkpoint.VerifyArchive(context.Background(), f.bucket, checkpoint.Options{Verifier: v, Store: f.store, Now: f.now, Since: f.since})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// keep returns checkpoint i as an auditor would have copied it out of the archive.
func (f *fixture) keep(t *testing.T, i uint64) *checkpoint.Checkpoint {
	t.Helper()
	body, err := os.ReadFile(f.path(checkpoint.Key(i)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := checkpoint.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return &c
}

func (f *fixture) path(key string) string {
	return filepath.Join(f.bucket.Root, filepath.FromSlash(key))
}

func (f *fixture) keys(t *testing.T, prefix string) []string {
	t.Helper()
	keys, err := f.bucket.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// rewrite replaces an audit object with edit applied to its lines, as an insider with write
// access to the folder would.
func (f *fixture) rewrite(t *testing.T, key string, edit func([][]byte) [][]byte) {
	t.Helper()
	obj, err := os.ReadFile(f.path(key))
	if err != nil {
		t.Fatal(err)
	}
	_, lines, err := archive.Decode(obj)
	if err != nil {
		t.Fatal(err)
	}
	var out []archive.Line
	for _, l := range edit(lines) {
		out = append(out, archive.Line{Body: l})
	}
	body, err := archive.Encode(out)
	if err != nil {
		t.Fatal(err)
	}
	f.overwrite(t, key, body)
}

func (f *fixture) overwrite(t *testing.T, key string, body []byte) {
	t.Helper()
	p := f.path(key)
	_ = os.Chmod(p, 0o600)
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
}

func reseal(t *testing.T, line []byte, edit func(*audit.Record)) []byte {
	t.Helper()
	var r audit.Record
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatal(err)
	}
	edit(&r)
	body, err := audit.Seal(&r)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestIntactArchiveVerifies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rep := f.verify(t)
	if !rep.Intact() || rep.Records != 21 || rep.Sessions != 3 || rep.Checkpoints != 2 || rep.Uncovered != 0 {
		t.Fatalf("report %+v", rep)
	}
	// Nothing new: no checkpoint is written.
	if cp, err := f.writer.Run(context.Background()); cp != nil || err != nil {
		t.Fatalf("empty checkpoint written: %v, %v", cp, err)
	}
}

func TestTamperingIsNamed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		tamper  func(t *testing.T, f *fixture)
		kind    string
		session string
		seq     uint64
		object  bool
	}{
		{"record modified", func(t *testing.T, f *fixture) {
			f.rewrite(t, f.keys(t, archive.AuditPrefix)[0], func(ls [][]byte) [][]byte {
				ls[1] = bytes.Replace(ls[1], []byte(`"decision"`), []byte(`"result"`), 1)
				return ls
			})
		}, checkpoint.Modified, "ses_a", 2, false},
		{"record modified and re-hashed", func(t *testing.T, f *fixture) {
			f.rewrite(t, f.keys(t, archive.AuditPrefix)[0], func(ls [][]byte) [][]byte {
				ls[1] = reseal(t, ls[1], func(r *audit.Record) { r.Type = audit.TypeResult })
				return ls
			})
		}, checkpoint.Modified, "ses_a", 3, false},
		{"record deleted", func(t *testing.T, f *fixture) {
			f.rewrite(t, f.keys(t, archive.AuditPrefix)[0], func(ls [][]byte) [][]byte { return append(ls[:1], ls[2:]...) })
		}, checkpoint.Deleted, "ses_a", 2, false},
		{"records reordered", func(t *testing.T, f *fixture) {
			f.rewrite(t, f.keys(t, archive.AuditPrefix)[0], func(ls [][]byte) [][]byte { ls[0], ls[1] = ls[1], ls[0]; return ls })
		}, checkpoint.Reordered, "ses_a", 1, false},
		{"object truncated", func(t *testing.T, f *fixture) {
			k := f.keys(t, archive.AuditPrefix)[0]
			obj, _ := os.ReadFile(f.path(k))
			f.overwrite(t, k, obj[:len(obj)/2])
		}, checkpoint.Truncated, "", 0, true},
		{"chain tail truncated", func(t *testing.T, f *fixture) {
			keys := f.keys(t, archive.AuditPrefix)
			f.rewrite(t, keys[len(keys)-1], func(ls [][]byte) [][]byte { return ls[:len(ls)-1] })
		}, checkpoint.Truncated, "", 0, true},
		{"last object and checkpoint deleted, past the lag bound: the store shows it", func(t *testing.T, f *fixture) {
			keys := f.keys(t, archive.AuditPrefix)
			os.Remove(f.path(keys[len(keys)-1]))
			cps := f.keys(t, archive.CheckpointPrefix)
			os.Remove(f.path(cps[len(cps)-1]))
			f.now = func() time.Time { return time.Now().Add(checkpoint.DefaultLagBound + time.Minute) }
		}, checkpoint.Truncated, "ses_a", 4, false},
		{"last object, checkpoint and store tail deleted, a checkpoint kept earlier", func(t *testing.T, f *fixture) {
			f.since = f.keep(t, 2)
			keys := f.keys(t, archive.AuditPrefix)
			os.Remove(f.path(keys[len(keys)-1]))
			os.Remove(f.path(checkpoint.Key(2)))
			f.store = newStoreWith(t, f.store, 3) // only the first round of each session
		}, checkpoint.Truncated, "", 0, false},
		{"every checkpoint deleted, a checkpoint kept earlier", func(t *testing.T, f *fixture) {
			f.since = f.keep(t, 1)
			for _, k := range f.keys(t, archive.CheckpointPrefix) {
				os.Remove(f.path(k))
			}
		}, checkpoint.Truncated, "", 0, false},
		{"object deleted", func(t *testing.T, f *fixture) {
			keys := f.keys(t, archive.AuditPrefix)
			os.Remove(f.path(keys[len(keys)-1]))
		}, checkpoint.Deleted, "", 0, true},
		{"checkpoint root forged", func(t *testing.T, f *fixture) {
			k := f.keys(t, archive.CheckpointPrefix)[1]
			body, _ := os.ReadFile(f.path(k))
			var c checkpoint.Checkpoint
			json.Unmarshal(body, &c)
			c.Root = strings.Repeat("0", 64)
			body, _ = json.Marshal(c)
			f.overwrite(t, k, body)
		}, checkpoint.Forged, "", 0, false},
		{"checkpoint re-signed with another key", func(t *testing.T, f *fixture) {
			// Replace the last checkpoint with one signed by a key the verifier does not trust.
			cps := f.keys(t, archive.CheckpointPrefix)
			os.Remove(f.path(cps[1]))
			other, err := checkpoint.LoadOrCreateEd25519(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			w := &checkpoint.Writer{Bucket: f.bucket, Signer: other, Now: time.Now}
			if _, err := w.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
		}, checkpoint.Forged, "", 0, false},
		{"checkpoint deleted", func(t *testing.T, f *fixture) {
			os.Remove(f.path(f.keys(t, archive.CheckpointPrefix)[0]))
		}, checkpoint.Deleted, "", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			tc.tamper(t, f)
			rep := f.verify(t)
			if rep.Intact() {
				t.Fatalf("tampering not detected: %+v", rep)
			}
			first := rep.Problems[0]
			if first.Kind != tc.kind || first.Session != tc.session || first.Seq != tc.seq || (tc.object && first.Object == "") {
				t.Fatalf("first problem %v; want %s at %s#%d; all: %v", first, tc.kind, tc.session, tc.seq, rep.Problems)
			}
		})
	}
}

// newStoreWith copies the first n records of each chain of st into a new store: what an
// insider leaves after cutting the store's tail.
func newStoreWith(t *testing.T, st store.Store, n uint64) store.Store {
	t.Helper()
	ctx := context.Background()
	out, err := bolt.Open(filepath.Join(t.TempDir(), "cut.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	ids, err := st.Chains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		recs, err := st.Records(ctx, id, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[:min(n, uint64(len(recs)))] {
			if err := out.AppendRecord(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// TestLagIsNotTampering: records the store holds and the archive does not yet are reported as
// not archived, with the oldest one's time, and are no problem within the bound.
func TestLagIsNotTampering(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	keys := f.keys(t, archive.AuditPrefix)
	os.Remove(f.path(keys[len(keys)-1]))
	os.Remove(f.path(checkpoint.Key(2)))
	before := time.Now()
	rep := f.verify(t)
	if !rep.Intact() || rep.Unarchived != 12 || rep.UnarchivedSince.IsZero() || rep.UnarchivedSince.After(before) {
		t.Fatalf("within the bound: intact %v, unarchived %d since %v; problems %v", rep.Intact(), rep.Unarchived, rep.UnarchivedSince, rep.Problems)
	}
}

func TestVerifyNeedsTheTrustedKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	v, err := checkpoint.NewVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := checkpoint.VerifyArchive(context.Background(), f.bucket, checkpoint.Options{Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Intact() || rep.Problems[0].Kind != checkpoint.Forged || rep.Uncovered != 21 {
		t.Fatalf("verified with an untrusted key: %+v", rep)
	}
	if _, err := checkpoint.VerifyArchive(context.Background(), f.bucket, checkpoint.Options{}); err == nil {
		t.Fatal("verified without a key")
	}
}

func TestCheckpointIsWrittenOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c, ok, err := checkpoint.Latest(ctx, f.bucket)
	if err != nil || !ok || c.Index != 2 || c.Size != 21 || len(c.Covered) != len(f.keys(t, archive.AuditPrefix)) {
		t.Fatalf("latest: %+v %v %v", c, ok, err)
	}
	err = f.bucket.Create(ctx, checkpoint.Key(2), []byte("{}"), time.Time{})
	if !errors.Is(err, archive.ErrExists) {
		t.Fatalf("overwrote a checkpoint: %v", err)
	}
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
