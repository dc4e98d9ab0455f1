package audit

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

// benchRecord is a decision record of about 450 bytes, the size the hash-step goal is for.
func benchRecord() Record {
	return Record{
		Version: 1, Session: "ses_gxcro435u6l4r4kn6nr4acblbq", Seq: 2, PrevHash: "dc79c894cfa1d49f479b55ed6a2237f21e183ab7de626d7c9335534a6cd114fd",
		Type: TypeDecision, Time: t0, RequestID: "req-0123456789",
		Identity: Identity{Agent: "arn:aws:iam::111122223333:role/support-agent", AgentKind: "iam", Operator: "ada@example.com", OperatorVerified: true},
		Intents:  []api.Intent{{Name: "customer_support.lookup", Score: 0.75, Evidence: []string{"phrase:contact details"}}},
		Action:   &Action{Kind: "http", Target: "customers", Name: "http:GET", Resource: "/customers/42", Digest: "5b1f1a0e7d3c2b4a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6"},
		Verdict:  &Verdict{Decision: "allow", Reasons: []string{"permit-support-read"}, PolicyVersion: 1},
	}
}

// BenchmarkSeal is the hash step of an append: canonical JSON (RFC 8785), SHA-256 leaf hash,
// and the stored encoding. Goal: at most 10 µs.
func BenchmarkSeal(b *testing.B) {
	r := benchRecord()
	body, _ := Seal(&r)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := benchRecord()
		if _, err := Seal(&r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendBolt is a durable append (seal, conditional write, fsync) to the embedded
// store, one writer: the local mode's cost per record.
func BenchmarkAppendBolt(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := NewChain(s, time.Now)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Append(ctx, benchRecord()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAppendBoltParallel is durable chain appends from 16 writers, each on its own
// session, as a local gateway serving many agents makes them: the store commits concurrent
// appends in groups, one fsync per group.
func BenchmarkAppendBoltParallel(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := NewChain(s, time.Now)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		session := fmt.Sprintf("ses_bench_%d", n.Add(1))
		for pb.Next() {
			r := benchRecord()
			r.Session = session
			if _, err := c.Append(ctx, r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkSealReference is the baseline: Seal over the reference encoding (encoding/json,
// then the generic RFC 8785 library), the hash step before the record-specific encoder.
func BenchmarkSealReference(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r := benchRecord()
		if _, err := sealReference(&r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCanonical is the record-specific RFC 8785 encoding alone.
func BenchmarkCanonical(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Canonical(benchRecord()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCanonicalReference is the reference encoding alone: encoding/json, then RFC 8785.
func BenchmarkCanonicalReference(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := canonicalReference(benchRecord()); err != nil {
			b.Fatal(err)
		}
	}
}
