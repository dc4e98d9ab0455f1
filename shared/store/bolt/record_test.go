package bolt

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	bbolt "go.etcd.io/bbolt"

	"github.com/mandate-dev/mandate/shared/store"
)

// TestRecordsStoredAsJSONStillRead: a store file whose chain was written in the JSON layout
// (every store before the binary one) is read as before, refuses a fork of a JSON record,
// and takes the next record, which follows the JSON record's hash.
func TestRecordsStoredAsJSONStillRead(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mandate.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	old := []store.Record{
		{SessionID: "ses-1", Seq: 1, Hash: "h1", Body: []byte(`{"seq":1}`)},
		{SessionID: "ses-1", Seq: 2, Hash: "h2", PrevHash: "h1", Body: []byte(`{"seq":2,"s":"\u00e9"}`)},
	}
	err = s.write(func(tx *wtx) error {
		b, err := tx.Bucket(bucketAudit).CreateBucketIfNotExists([]byte("ses-1"))
		if err != nil {
			return err
		}
		for _, r := range old {
			data, _ := json.Marshal(r)
			if err := b.Put(u64(r.Seq), data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Records(ctx, "ses-1", 1, 0)
	if err != nil || !cmp.Equal(got, old) {
		t.Fatalf("Records = %v, %v; want %v", got, err, old)
	}
	if last, err := s.LastRecord(ctx, "ses-1"); err != nil || !cmp.Equal(last, old[1]) {
		t.Fatalf("LastRecord = %v, %v", last, err)
	}
	if err := s.AppendRecord(ctx, old[1]); err != nil {
		t.Fatalf("the identical JSON record again: %v", err)
	}
	fork := old[1]
	fork.Body = []byte(`{"forged":true}`)
	if err := s.AppendRecord(ctx, fork); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a fork of a JSON record: %v, want ErrExists", err)
	}
	next := store.Record{SessionID: "ses-1", Seq: 3, Hash: "h3", PrevHash: "h2", Body: []byte(`{"seq":3}`)}
	if err := s.AppendRecord(ctx, store.Record{SessionID: "ses-1", Seq: 3, Hash: "h3", PrevHash: "h1", Body: []byte(`{}`)}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a record that does not follow the JSON record: %v, want ErrExists", err)
	}
	if err := s.AppendRecord(ctx, next); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err = s.Records(ctx, "ses-1", 1, 0)
	if err != nil || !cmp.Equal(got, append(old, next)) {
		t.Fatalf("after reopen: %v, %v", got, err)
	}
	_ = s.db.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketAudit).Bucket([]byte("ses-1")).Get(u64(3)); len(v) == 0 || v[0] != recordV1 {
			t.Errorf("new record not in the binary layout: %q", v)
		}
		return nil
	})
}

// TestRecordLayoutIsSmaller: the binary layout stores the body as it is, not in base64.
func TestRecordLayoutIsSmaller(t *testing.T) {
	r := store.Record{SessionID: "ses_22d2vnmg2xzvqm3w6r3tkeovam", Seq: 2, Hash: string(bytes.Repeat([]byte("a"), 64)), PrevHash: string(bytes.Repeat([]byte("b"), 64)), Body: bytes.Repeat([]byte(`{"k":"v"}`), 100)}
	js, _ := json.Marshal(r)
	bin := EncodeRecord(r)
	if len(bin) > len(r.Body)+len(r.SessionID)+len(r.Hash)+len(r.PrevHash)+16 || len(bin) >= len(js) {
		t.Fatalf("binary %d bytes, JSON %d, body %d", len(bin), len(js), len(r.Body))
	}
}

// FuzzDecodeRecord: any stored bytes decode to a record or an error, never a panic; a
// record encoded decodes to itself.
func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte{recordV1, 1, 's', 1, 1, 'h', 0, '{', '}'})
	f.Add([]byte(`{"SessionID":"s","Seq":1,"Hash":"h","PrevHash":"","Body":"e30="}`))
	f.Add([]byte{recordV1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord(data)
		if err != nil {
			if !errors.Is(err, errRecord) {
				t.Fatalf("error %v is not errRecord", err)
			}
			return
		}
		again, err := DecodeRecord(EncodeRecord(r))
		if err != nil || !sameRecord(again, again.Body, r) {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, r)
		}
	})
}
