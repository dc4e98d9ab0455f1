package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/mandate-dev/mandate/shared/archive"
	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

// rewrite plays an insider with write access to the data folder and its checkpoint key: it
// edits the audit chains in the store file, re-seals every record so each chain is whole
// again, deletes the archive (and, with rekey, the checkpoint key), and lets `mandate local`
// ship and checkpoint the rewritten history with the folder's key. What is left is a folder
// consistent with itself in every hash, link, root and signature.
func rewrite(t *testing.T, dir string, edit func(map[string][]audit.Record), rekey bool) {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(dir, local.StoreFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	chains := map[string][]audit.Record{}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		var names [][]byte
		err := b.ForEachBucket(func(name []byte) error {
			names = append(names, slices.Clone(name))
			return b.Bucket(name).ForEach(func(_, v []byte) error {
				var r audit.Record
				sr, err := bolt.DecodeRecord(v)
				if err != nil {
					return err
				}
				if err := json.Unmarshal(sr.Body, &r); err != nil {
					return err
				}
				chains[string(name)] = append(chains[string(name)], r)
				return nil
			})
		})
		if err != nil {
			return err
		}
		edit(chains)
		for _, name := range names {
			if err := b.DeleteBucket(name); err != nil {
				return err
			}
		}
		for id, recs := range chains {
			sb, err := b.CreateBucket([]byte(id))
			if err != nil {
				return err
			}
			prev := ""
			for i := range recs {
				r := recs[i]
				r.Session, r.Seq, r.PrevHash, r.Hash = id, uint64(i+1), prev, ""
				body, err := audit.Seal(&r)
				if err != nil {
					return err
				}
				raw := bolt.EncodeRecord(store.Record{SessionID: id, Seq: r.Seq, Hash: r.Hash, PrevHash: r.PrevHash, Body: body})
				if err := sb.Put(binary.BigEndian.AppendUint64(nil, r.Seq), raw); err != nil {
					return err
				}
				prev = r.Hash
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, local.ArchiveDir)); err != nil {
		t.Fatal(err)
	}
	if rekey {
		os.Remove(filepath.Join(dir, checkpoint.KeyFile))
		os.Remove(filepath.Join(dir, checkpoint.PublicKeyFile))
	}
	inst, err := local.Start(context.Background(), local.Options{Dir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Close(); err != nil {
		t.Fatal(err)
	}
}

// keepCheckpoint copies the archive's newest checkpoint outside the folder, as an auditor keeps
// it after a verification.
func keepCheckpoint(t *testing.T, dir string) string {
	t.Helper()
	b := archive.Dir{Root: filepath.Join(dir, local.ArchiveDir)}
	cps, err := b.List(context.Background(), archive.CheckpointPrefix)
	if err != nil || len(cps) == 0 {
		t.Fatalf("no checkpoint to keep: %v", err)
	}
	body, err := b.Get(context.Background(), cps[len(cps)-1])
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "kept.json")
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTamperWithTheFoldersKey: every rewrite an insider holding the folder's key can make is a
// break (exit 1) against a checkpoint kept earlier, a re-key is a break against a pinned key or
// fingerprint too, and none of them is ever reported intact: a self-check says unverifiable.
//
// A pinned key alone proves who signed, not that the signer was honest: an insider who holds
// the key itself can re-sign a rewritten history that the pinned key accepts. That is what
// kept checkpoints (and witnesses) are for; the case is stated below so the limit is explicit.
func TestTamperWithTheFoldersKey(t *testing.T) {
	attacks := []struct {
		name  string
		edit  func(map[string][]audit.Record)
		rekey bool
	}{
		{"deny turned into allow", func(c map[string][]audit.Record) {
			c["ses_a"][0].Verdict.Decision = "allow"
		}, false},
		{"forged insert", func(c map[string][]audit.Record) {
			forged := c["ses_a"][0]
			forged.Verdict = &audit.Verdict{Decision: "allow", Reasons: []string{"permit-everything"}}
			c["ses_a"] = slices.Insert(c["ses_a"], 1, forged)
		}, false},
		{"truncated chain", func(c map[string][]audit.Record) {
			c["ses_a"] = c["ses_a"][:1]
		}, false},
		{"deleted session", func(c map[string][]audit.Record) {
			delete(c, "ses_b")
		}, false},
		{"re-key", func(map[string][]audit.Record) {}, true},
		{"re-key and deny turned into allow", func(c map[string][]audit.Record) {
			c["ses_a"][0].Verdict.Decision = "allow"
		}, true},
	}
	for _, at := range attacks {
		t.Run(at.name, func(t *testing.T) {
			t.Parallel()
			dir := archivedFolder(t)
			key := pinKey(t, dir)
			fp := checkpoint.Fingerprint(keyIDOf(t, key))
			kept := keepCheckpoint(t, dir)
			rewrite(t, dir, at.edit, at.rekey)

			code, out, errOut := runCLI(t, "verify", "--data", dir, "--since", kept)
			if code != exitFailed || !strings.Contains(out, "BROKEN archive") {
				t.Errorf("kept checkpoint: exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
			}
			code, out, _ = runCLI(t, "verify", "--data", dir, "--since", kept, "--key", key)
			if code != exitFailed {
				t.Errorf("kept checkpoint and pinned key: exit %d, want %d\n%s", code, exitFailed, out)
			}
			code, out, _ = runCLI(t, "verify", "--data", dir, "--self-check")
			if code != exitUnverifiable || strings.Contains(out, "intact") {
				t.Errorf("self-check: exit %d, want %d and no 'intact'\n%s", code, exitUnverifiable, out)
			}
			for _, pin := range [][]string{{"--key", key}, {"--key-id", fp}} {
				code, out, _ = runCLI(t, append([]string{"verify", "--data", dir}, pin...)...)
				want := exitOK // the key itself was used to re-sign: see the test's comment
				if at.rekey {
					want = exitFailed
				}
				if code != want {
					t.Errorf("%s: exit %d, want %d\n%s", pin[0], code, want, out)
				}
			}
		})
	}
}

// TestTamperCutTailWithoutStore: the newest checkpoint, its objects and the store's tail all
// deleted leave a folder that looks whole; a checkpoint kept earlier shows the cut.
func TestTamperCutTail(t *testing.T) {
	dir := archivedFolder(t)
	kept := keepCheckpoint(t, dir)
	key := pinKey(t, dir)
	rewrite(t, dir, func(c map[string][]audit.Record) { c["ses_a"] = c["ses_a"][:1] }, false)
	if code, out, _ := runCLI(t, "verify", "--data", dir, "--key", key); code != exitOK {
		t.Fatalf("without a kept checkpoint the cut folder is self-consistent: exit %d\n%s", code, out)
	}
	code, out, _ := runCLI(t, "verify", "--data", dir, "--key", key, "--since", kept)
	if code != exitFailed || !bytes.Contains([]byte(out), []byte("kept earlier")) {
		t.Fatalf("kept checkpoint: exit %d\n%s", code, out)
	}
}
