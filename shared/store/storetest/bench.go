package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/store"
)

// BenchRecordsPerSession is how many records a benchmark appends to one session before it
// starts the next, close to the length of a busy agent session.
const BenchRecordsPerSession = 64

// BenchRecordBytes is the size of a benchmark audit record body, about that of a decision
// record with a masked prompt.
const BenchRecordBytes = 450

// BenchAppend measures chain appends as the audit package makes them: read the head
// (LastRecord), append the next sequence (AppendRecord). With parallel set, goroutines
// append to distinct sessions at once (b.RunParallel). It reports records/s and the p50 and
// p99 latency of one chain append in microseconds.
func BenchAppend(b *testing.B, s store.Store, parallel bool) {
	body := make([]byte, BenchRecordBytes)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	var lat latencies
	appendN := func(next func() bool) error {
		var ds []time.Duration
		defer func() { lat.add(ds) }()
		session, n := newID("bench"), 0
		for next() {
			if n == BenchRecordsPerSession {
				session, n = newID("bench"), 0
			}
			start := time.Now()
			if err := appendOne(b, s, session, body); err != nil {
				return err
			}
			ds = append(ds, time.Since(start))
			n++
		}
		return nil
	}
	b.ResetTimer()
	start := time.Now()
	if parallel {
		b.RunParallel(func(pb *testing.PB) {
			if err := appendN(pb.Next); err != nil {
				b.Error(err)
			}
		})
	} else {
		if err := appendN(b.Loop); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	lat.report(b, elapsed, "records/s")
}

func appendOne(b *testing.B, s store.Store, session string, body []byte) error {
	ctx := b.Context()
	for {
		r := store.Record{SessionID: session, Seq: 1, Body: body}
		last, err := s.LastRecord(ctx, session)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			r.Seq, r.PrevHash = last.Seq+1, last.Hash
		}
		r.Hash = chainHash(r.PrevHash, r.Body)
		err = s.AppendRecord(ctx, r)
		if errors.Is(err, store.ErrExists) {
			continue
		}
		return err
	}
}

// BenchGetSession measures GetSession of existing sessions (b.RunParallel when parallel is
// set). It reports reads/s and the p50 and p99 latency in microseconds (p50-us, p99-us).
func BenchGetSession(b *testing.B, s store.Store, parallel bool) {
	ctx := b.Context()
	const sessions = 256
	ids := make([]string, sessions)
	for i := range ids {
		v := newSession()
		ids[i] = v.ID
		if err := s.CreateSession(ctx, v); err != nil {
			b.Fatalf("CreateSession: %v", err)
		}
	}
	var lat latencies
	readN := func(next func() bool, offset int) error {
		var ds []time.Duration
		defer func() { lat.add(ds) }()
		for i := offset; next(); i++ {
			start := time.Now()
			v, err := s.GetSession(ctx, ids[i%sessions])
			if err != nil {
				return err
			}
			if v.ID != ids[i%sessions] {
				return fmt.Errorf("GetSession(%s) returned %s", ids[i%sessions], v.ID)
			}
			ds = append(ds, time.Since(start))
		}
		return nil
	}
	b.ResetTimer()
	start := time.Now()
	if parallel {
		var mu sync.Mutex
		g := 0
		b.RunParallel(func(pb *testing.PB) {
			mu.Lock()
			g++
			offset := g * 37
			mu.Unlock()
			if err := readN(pb.Next, offset); err != nil {
				b.Error(err)
			}
		})
	} else {
		if err := readN(b.Loop, 0); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	lat.report(b, elapsed, "reads/s")
}

// latencies collects per-operation durations from several goroutines.
type latencies struct {
	mu sync.Mutex
	ds []time.Duration
}

func (l *latencies) add(ds []time.Duration) {
	l.mu.Lock()
	l.ds = append(l.ds, ds...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, elapsed time.Duration, rateUnit string) {
	if len(l.ds) == 0 || elapsed <= 0 {
		return
	}
	slices.Sort(l.ds)
	pct := func(p float64) float64 {
		i := int(p * float64(len(l.ds)-1))
		return float64(l.ds[i].Nanoseconds()) / 1e3
	}
	b.ReportMetric(float64(len(l.ds))/elapsed.Seconds(), rateUnit)
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
}
