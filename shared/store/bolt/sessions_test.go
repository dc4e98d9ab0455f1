package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/store"
)

// storedSession decodes the stored bytes of a session with no cache between: what every read
// must agree with.
func storedSession(t *testing.T, s *Store, id string) store.Session {
	t.Helper()
	var v store.Session
	if err := s.db.View(func(tx *bbolt.Tx) error {
		return json.Unmarshal(tx.Bucket(bucketSessions).Get([]byte(id)), &v)
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

func randomSession(r *rand.Rand, id string) store.Session {
	v := store.Session{
		ID: id, Agent: "arn:aws:iam::123456789012:role/agent", AgentKind: "iam", Operator: "alice@example.com",
		OperatorVerified: r.IntN(2) == 0, OperatorMethod: "asserted",
		PromptMasked: "read <the> orders & \u00e9t\u00e9 of [EMAIL]", PromptHash: fmt.Sprintf("%064x", r.Uint64()),
		Purpose: "triage", Status: "active",
		CreatedAt: time.Date(2026, 12, 7, 10, 0, 0, r.IntN(1e9), time.UTC),
		ExpiresAt: time.Date(2026, 12, 7, 11, 0, 0, 0, time.FixedZone("", 3600)),
		Version:   1,
	}
	for i := range r.IntN(3) {
		v.Intents = append(v.Intents, api.Intent{Name: fmt.Sprintf("intent-%d", i), Score: r.Float64(), Evidence: []string{"a", "b\u2028c"}[:r.IntN(3)]})
	}
	if r.IntN(2) == 0 {
		v.PurposeFlag = &api.PurposeFlag{Intent: "delete", Score: r.Float64(), OtherFamilies: true}
	}
	return v
}

// TestSessionReadsAgreeWithTheStoredBytes: every read of a session, through decisions that
// count actions, updates, conflicts and bytes changed under the cache, is what decoding the
// stored bytes gives. A read that handed out a copy kept for earlier bytes would differ.
func TestSessionReadsAgreeWithTheStoredBytes(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	families := []string{"read", "write", "delete", "\xff\xfe"} // the last is not UTF-8
	for n := range 6 {
		id := fmt.Sprintf("ses-%d", n)
		if err := s.CreateSession(ctx, randomSession(r, id)); err != nil {
			t.Fatal(err)
		}
		seq := uint64(0)
		prev := ""
		for step := range 60 {
			got, err := s.GetSession(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if want := storedSession(t, s, id); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s step %d: read %+v, stored %+v", id, step, got, want)
			}
			switch k := r.IntN(10); {
			case k < 6: // count an action, from the version read or a stale one
				counted := got
				counted.Actions++
				counted.ByFamily = map[string]int{families[r.IntN(len(families))]: counted.Actions}
				if k == 5 {
					counted.Version--
				}
				seq++
				hash := fmt.Sprintf("h%d", seq)
				err := s.Commit(ctx, store.Decision{Counted: &counted, Record: store.Record{SessionID: id, Seq: seq, PrevHash: prev, Hash: hash, Body: []byte(`{}`)}})
				switch {
				case k == 5 && err == nil:
					t.Fatalf("%s step %d: a stale count was committed", id, step)
				case k == 5:
					seq--
				case err != nil:
					t.Fatal(err)
				default:
					prev = hash
				}
			case k < 8: // an update from the version read
				got.Status = []string{"active", "killed", "closed"}[r.IntN(3)]
				got.Intents = nil
				if err := s.UpdateSession(ctx, got); err != nil {
					t.Fatal(err)
				}
			case k < 9: // the stored bytes change under the cache, to an equal session spelled otherwise
				v := storedSession(t, s, id)
				raw, _ := json.MarshalIndent(v, "", " ")
				if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketSessions).Put([]byte(id), raw) }); err != nil {
					t.Fatal(err)
				}
			default: // or to another session
				v := storedSession(t, s, id)
				v.Status, v.Actions = "killed", v.Actions+100
				raw, _ := json.Marshal(v)
				if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketSessions).Put([]byte(id), raw) }); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestSessionReadsShareNothing: what a read returns is the caller's to change; the next read
// is as stored.
func TestSessionReadsShareNothing(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	ctx := context.Background()
	v := randomSession(rand.New(rand.NewPCG(3, 4)), "ses")
	v.Intents = []api.Intent{{Name: "read", Score: 0.5, Evidence: []string{"orders"}}}
	v.PurposeFlag = &api.PurposeFlag{Intent: "delete"}
	v.ByFamily = map[string]int{"read": 1}
	if err := s.CreateSession(ctx, v); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the first read decodes, the second is from the cache
		got, err := s.GetSession(ctx, "ses")
		if err != nil {
			t.Fatal(err)
		}
		got.Intents[0].Evidence[0], got.Intents[0].Name = "changed", "changed"
		got.PurposeFlag.Intent = "changed"
		got.ByFamily["read"] = 99
	}
	if got, want := mustSession(t, s, "ses"), storedSession(t, s, "ses"); !reflect.DeepEqual(got, want) {
		t.Fatalf("read %+v after changing earlier reads, stored %+v", got, want)
	}
}

func mustSession(t *testing.T, s *Store, id string) store.Session {
	t.Helper()
	v, err := s.GetSession(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCloneSessionSharesNothing fails when store.Session, or a type it holds, gains a field
// that refers to memory cloneSession does not copy.
func TestCloneSessionSharesNothing(t *testing.T) {
	copied := map[string]bool{"Session.Intents": true, "Session.ByFamily": true, "Session.PurposeFlag": true, "Intent.Evidence": true}
	var walk func(typ reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name := typ.Name() + "." + f.Name
			ft := f.Type
			switch ft.Kind() {
			case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
				if !copied[name] {
					t.Errorf("%s (%s) is not copied by cloneSession", name, ft)
				}
			}
			for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft.PkgPath() != "time" {
				walk(ft)
			}
		}
	}
	walk(reflect.TypeFor[store.Session]())
}

// BenchmarkSessionRead reads a session's stored bytes into a Session: from the cache, as a
// read whose bytes did not change since the last read or count does, beside encoding/json's
// decoding, which every read paid before.
func BenchmarkSessionRead(b *testing.B) {
	v := randomSession(rand.New(rand.NewPCG(5, 6)), "ses_01JEXAMPLE")
	v.Intents = []api.Intent{{Name: "read-orders", Score: 0.91, Evidence: []string{"orders", "last week"}}, {Name: "export", Score: 0.4, Evidence: []string{"csv"}}}
	v.ByFamily = map[string]int{"read": 7, "write": 1}
	raw, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cache", func(b *testing.B) {
		var c sessionCache
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.decode(v.ID, raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			var got store.Session
			if err := json.Unmarshal(raw, &got); err != nil {
				b.Fatal(err)
			}
		}
	})
}
