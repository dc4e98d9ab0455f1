package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mandate-dev/mandate/shared/store"
)

// DefaultRetention is how long shipped objects are locked when no retention is configured:
// one year and a day, long enough for an annual audit.
const DefaultRetention = 366 * 24 * time.Hour

// MaxObjectRecords bounds how many records one object holds; a longer run is split.
const MaxObjectRecords = 10000

// Shipper makes audit records durable in a Bucket.
type Shipper struct {
	bucket    Bucket
	retention time.Duration
	now       func() time.Time
}

// NewShipper returns a Shipper that locks what it writes for retention (DefaultRetention when
// zero or less).
func NewShipper(b Bucket, retention time.Duration, now func() time.Time) *Shipper {
	if retention <= 0 {
		retention = DefaultRetention
	}
	return &Shipper{bucket: b, retention: retention, now: now}
}

// LineOf checks that a stored record's keys agree with its body and returns its line.
func LineOf(r store.Record) (Line, error) {
	l, err := ParseLine(r.Body)
	if err != nil {
		return Line{}, fmt.Errorf("record %s#%d: %w", r.SessionID, r.Seq, err)
	}
	if l.Session != r.SessionID || l.Seq != r.Seq || l.Hash != r.Hash {
		return Line{}, fmt.Errorf("%w: record %s#%d: stored keys disagree with its body (%s#%d)", ErrMalformed, r.SessionID, r.Seq, l.Session, l.Seq)
	}
	return l, nil
}

// Ship makes lines durable, in order, in objects of consecutive lines of the same dt. It
// returns how many lines from the start are durable; when that is fewer than all, err says
// why, and the caller retries from that line (nothing after it may be taken as shipped).
func (s *Shipper) Ship(ctx context.Context, lines []Line) (int, error) {
	done := 0
	for done < len(lines) {
		end := done + 1
		dt := Partition(lines[done].Time)
		for end < len(lines) && end-done < MaxObjectRecords && Partition(lines[end].Time) == dt {
			end++
		}
		if err := s.put(ctx, lines[done:end]); err != nil {
			return done, err
		}
		done = end
	}
	return done, nil
}

// put writes one run under the name of its first line. If the name is taken, it reads the
// object back: the records that are already there count as shipped, the rest goes on under
// the name of its own first line.
func (s *Shipper) put(ctx context.Context, run []Line) error {
	for len(run) > 0 {
		key := ObjectKey(run[0])
		body, err := Encode(run)
		if err != nil {
			return err
		}
		err = s.bucket.Create(ctx, key, body, s.now().Add(s.retention))
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrExists) {
			return err
		}
		held, err := s.bucket.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("archive: read back %s: %w", key, err)
		}
		_, have, err := Decode(held)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrConflict, key, err)
		}
		n := 0
		for n < len(have) && n < len(run) && bytes.Equal(have[n], run[n].Body) {
			n++
		}
		if n == 0 || (n < len(have) && n < len(run)) {
			return fmt.Errorf("%w: %s differs from the batch at line %d", ErrConflict, key, n+1)
		}
		run = run[n:]
	}
	return nil
}

// Tail ships a store's new records to a Bucket: the local stand-in for the audit table's
// stream and the shipper function. It remembers, per session, the last sequence number in
// the archive, reading the archive once when it starts.
type Tail struct {
	mu      sync.Mutex
	store   store.Audit
	ship    *Shipper
	shipped map[string]uint64
}

// NewTail returns a Tail from st to the shipper's bucket, resuming after what the bucket
// already holds.
func NewTail(ctx context.Context, st store.Audit, sh *Shipper) (*Tail, error) {
	t := &Tail{store: st, ship: sh, shipped: map[string]uint64{}}
	keys, err := sh.bucket.List(ctx, AuditPrefix)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if !IsObjectKey(k) {
			continue
		}
		obj, err := sh.bucket.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		_, lines, err := Decode(obj)
		if err != nil {
			return nil, fmt.Errorf("archive: %s: %w", k, err)
		}
		for _, b := range lines {
			l, err := ParseLine(b)
			if err != nil {
				return nil, fmt.Errorf("archive: %s: %w", k, err)
			}
			t.shipped[l.Session] = max(t.shipped[l.Session], l.Seq)
		}
	}
	return t, nil
}

// chainHeads is what a store that knows each chain's last sequence number in one read offers
// (bolt.Store.ChainHeads).
type chainHeads interface {
	ChainHeads(ctx context.Context) (map[string]uint64, error)
}

// grown returns the sessions whose chains may hold records not shipped yet: those whose last
// record is beyond the shipped one where the store says so in one read, else every chain. A
// flush a second then costs one read, not one a session ever recorded.
func (t *Tail) grown(ctx context.Context) ([]string, error) {
	hs, ok := t.store.(chainHeads)
	if !ok {
		return t.store.Chains(ctx)
	}
	heads, err := hs.ChainHeads(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id, seq := range heads {
		if seq > t.shipped[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Flush ships every record the store holds beyond what was shipped, grouped by dt and in
// session and sequence order, and returns how many it shipped.
func (t *Tail) Flush(ctx context.Context) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids, err := t.grown(ctx)
	if err != nil {
		return 0, fmt.Errorf("archive: list chains: %w", err)
	}
	var lines []Line
	for _, id := range ids {
		recs, err := t.store.Records(ctx, id, t.shipped[id]+1, 0)
		if err != nil {
			return 0, fmt.Errorf("archive: read chain %s: %w", id, err)
		}
		for _, r := range recs {
			l, err := LineOf(r)
			if err != nil {
				return 0, err
			}
			lines = append(lines, l)
		}
	}
	slices.SortStableFunc(lines, func(a, b Line) int {
		return cmpLines(a, b)
	})
	n, err := t.ship.Ship(ctx, lines)
	// Advance each session's cursor over the records shipped without a gap, so a record
	// that failed is read again even if a later one of its session made it.
	done := map[string]map[uint64]bool{}
	for _, l := range lines[:n] {
		if done[l.Session] == nil {
			done[l.Session] = map[uint64]bool{}
		}
		done[l.Session][l.Seq] = true
	}
	for id, seqs := range done {
		for seqs[t.shipped[id]+1] {
			t.shipped[id]++
		}
	}
	return n, err
}

func cmpLines(a, b Line) int {
	if c := strings.Compare(Partition(a.Time), Partition(b.Time)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Session, b.Session); c != 0 {
		return c
	}
	switch {
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}
