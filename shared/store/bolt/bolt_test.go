package bolt_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/store"
	"github.com/mandate-dev/mandate/shared/store/bolt"
	"github.com/mandate-dev/mandate/shared/store/storetest"
)

func open(t *testing.T) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "mandate.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// TestReopen shows that what was written is on disk: a second Open of the same file sees it.
func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mandate.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := store.Record{SessionID: "ses-1", Seq: 1, Hash: "ab", Body: []byte(`{"seq":1}`)}
	if err := s.AppendRecord(ctx, want); err != nil {
		t.Fatalf("AppendRecord: %v", err)
	}
	if err := s.PutDocument(ctx, store.Document{Kind: store.KindPolicies, Name: "main", Version: 1, Body: []byte("permit (principal, action, resource);")}); err != nil {
		t.Fatalf("PutDocument: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = bolt.Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.LastRecord(ctx, "ses-1")
	if err != nil {
		t.Fatalf("LastRecord after reopen: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LastRecord after reopen (-want +got):\n%s", diff)
	}
	if _, err := s.LatestDocument(ctx, store.KindPolicies, "main"); err != nil {
		t.Errorf("LatestDocument after reopen: %v", err)
	}
	// The sequence is still taken after a reopen.
	fork := want
	fork.Body = []byte(`{"forged":true}`)
	if err := s.AppendRecord(ctx, fork); !errors.Is(err, store.ErrExists) {
		t.Errorf("AppendRecord of a fork after reopen: %v, want ErrExists", err)
	}
}

func TestOpenBadPath(t *testing.T) {
	t.Parallel()
	if s, err := bolt.Open(filepath.Join(t.TempDir(), "missing", "dir", "mandate.db")); err == nil {
		s.Close()
		t.Fatal("Open under a missing directory succeeded")
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	s := open(t)
	defer s.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.AppendRecord(ctx, store.Record{SessionID: "s", Seq: 1, Body: []byte("{}")}); !errors.Is(err, context.Canceled) {
		t.Errorf("AppendRecord with a canceled context: %v, want context.Canceled", err)
	}
	if _, err := s.LastRecord(t.Context(), "s"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LastRecord: %v, want ErrNotFound (nothing written)", err)
	}
}

// BenchmarkAppend measures durable (fsynced) chain appends: LastRecord then AppendRecord,
// from one writer, from GOMAXPROCS writers on distinct sessions, and from 16 (a local
// gateway serving many agents at once).
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{0, 1, 8} { // 0: serial, 1: GOMAXPROCS goroutines, 8: 16
		name := "serial"
		switch writers {
		case 1:
			name = "parallel-sessions"
		case 8:
			name = "parallel-16"
		}
		b.Run(name, func(b *testing.B) {
			s, err := bolt.Open(filepath.Join(b.TempDir(), "mandate.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if writers == 8 {
				b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			}
			storetest.BenchAppend(b, s, writers > 0)
		})
	}
}

// BenchmarkAppendCommit compares ways of committing appends, from one writer and from 16:
// "solo" is one transaction per append, "group" is the committer the store uses; each with
// the journal (one fsync per commit) and without it ("bbolt-sync": bbolt fsyncs every
// commit twice, its pages and then its meta page), the baseline.
func BenchmarkAppendCommit(b *testing.B) {
	for _, journaled := range []bool{true, false} {
		for _, m := range []struct {
			name string
			mode int
		}{{"solo", bolt.WritesSolo}, {"group", bolt.WritesGroup}} {
			for _, parallel := range []bool{false, true} {
				name := m.name
				if !journaled {
					name += "-bbolt-sync"
				}
				name += "/serial"
				if parallel {
					name = strings.Replace(name, "/serial", "/parallel-16", 1)
				}
				b.Run(name, func(b *testing.B) {
					path := filepath.Join(b.TempDir(), "mandate.db")
					var s *bolt.Store
					var err error
					if journaled {
						s, err = bolt.Open(path)
					} else {
						s, err = bolt.OpenUnjournaled(path)
					}
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					if journaled {
						if err := s.WaitForBase(); err != nil {
							b.Fatal(err)
						}
					}
					s.SetWrites(m.mode)
					b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
					storetest.BenchAppend(b, s, parallel)
				})
			}
		}
	}
}

// BenchmarkGetSession measures session reads.
func BenchmarkGetSession(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			s, err := bolt.Open(filepath.Join(b.TempDir(), "mandate.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			storetest.BenchGetSession(b, s, parallel)
		})
	}
}

// TestOpenInUse shows that a file held by one Store is refused to a second opener, writer or
// reader, with ErrInUse, and that a read-only open sees what was written once it is free.
func TestOpenInUse(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mandate.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := store.Record{SessionID: "ses-1", Seq: 1, Hash: "ab", Body: []byte(`{"seq":1}`)}
	if err := s.AppendRecord(ctx, want); err != nil {
		t.Fatalf("AppendRecord: %v", err)
	}
	if _, err := bolt.Open(path); !errors.Is(err, bolt.ErrInUse) {
		t.Errorf("second Open: %v, want ErrInUse", err)
	}
	if _, err := bolt.OpenReadOnly(path); !errors.Is(err, bolt.ErrInUse) {
		t.Errorf("OpenReadOnly of a held file: %v, want ErrInUse", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	ro, err := bolt.OpenReadOnly(path)
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer ro.Close()
	got, err := ro.Records(ctx, "ses-1", 1, 0)
	if err != nil {
		t.Fatalf("Records: %v", err)
	}
	if diff := cmp.Diff([]store.Record{want}, got); diff != "" {
		t.Errorf("Records read-only (-want +got):\n%s", diff)
	}
	if err := ro.AppendRecord(ctx, store.Record{SessionID: "ses-1", Seq: 2, Hash: "cd", Body: []byte("{}")}); err == nil {
		t.Error("AppendRecord through a read-only store succeeded")
	}
	if _, err := bolt.OpenReadOnly(filepath.Join(t.TempDir(), "absent.db")); err == nil {
		t.Error("OpenReadOnly of a missing file succeeded")
	}
}

// BenchmarkFsyncBaseline is the floor BenchmarkAppend is compared with: appending a record-sized
// line to a plain file and fsyncing it, which every durable append must pay at least once.
func BenchmarkFsyncBaseline(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "baseline.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	line := append(bytes.Repeat([]byte("x"), storetest.BenchRecordBytes-1), '\n')
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.Write(line); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
