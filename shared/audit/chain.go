package audit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/mandate-dev/mandate/shared/store"
)

// MaxAppendAttempts bounds how often Append retries after losing a sequence number to a
// concurrent append in the same session.
const MaxAppendAttempts = 16

// ErrContention means every attempt lost its sequence number to concurrent appends: the
// record was not written and the caller fails closed (503).
var ErrContention = errors.New("audit: chain contended")

// Chain appends records to session chains in a store. Appends to one session from one
// process are serialised (so they never race each other for a sequence number); appends from
// several processes are resolved by the store's conditional write and a jittered retry.
type Chain struct {
	store store.Audit
	now   func() time.Time
	locks [64]sync.Mutex
	// heads[i], guarded by locks[i], is the head this process last wrote in a session of
	// that slot, so the next append there need not read it back. Another process may have
	// appended since: the store's condition on the sequence number then refuses the append,
	// and the head is read from the store.
	heads [64]head
}

// head is the last record written in a session.
type head struct {
	session string
	seq     uint64
	hash    string
}

// NewChain returns a Chain over s; now is the clock records are stamped with.
func NewChain(s store.Audit, now func() time.Time) *Chain {
	return &Chain{store: s, now: now}
}

// Append links r to the end of its session's chain and writes it durably. It fills Version,
// Seq, PrevHash, Time and Hash and returns the sealed record. On any error nothing that
// follows from this record may happen.
func (c *Chain) Append(ctx context.Context, r Record) (Record, error) {
	return c.write(ctx, r, c.store.AppendRecord)
}

// AppendLater links r to the end of its session's chain as Append does, but when the store
// can (store.DeferredAudit) it does not wait for r to be durable: r rides the store's next
// commit, before anything appended after it. If that write fails, failed gets the error (on
// the store's committing goroutine: it must not block) and this process reads the chain's
// head from the store again. A malformed record is refused at once, as by Append.
func (c *Chain) AppendLater(ctx context.Context, r Record, failed func(error)) (Record, error) {
	d, ok := c.store.(store.DeferredAudit)
	if !ok {
		return c.Append(ctx, r)
	}
	return c.write(ctx, r, func(_ context.Context, sr store.Record) error {
		return d.AppendRecordLater(sr, func(err error) {
			if err != nil {
				go c.forget(sr.SessionID, sr.Seq) // write may hold the lock on this goroutine
				failed(err)
			}
		})
	})
}

// forget drops the head this process holds for session if it is seq or later: that record
// was not stored.
func (c *Chain) forget(session string, seq uint64) {
	slot := fnv32(session) % uint32(len(c.locks))
	c.locks[slot].Lock()
	defer c.locks[slot].Unlock()
	if h := &c.heads[slot]; h.session == session && h.seq >= seq {
		*h = head{}
	}
}

// Commit links r to the end of its session's chain and writes it durably together with d's
// claim and counters, in one store.Decisions.Commit (d.Record is filled here). A sequence
// number lost to a concurrent append is retried as Append retries it; store.ErrClaimed,
// store.ErrConflict and store.ErrNotFound come back wrapped, and then nothing was written:
// the caller refuses a replay, or re-reads the session and decides again. On any error
// nothing that follows from this decision may happen.
func (c *Chain) Commit(ctx context.Context, r Record, d store.Decision) (Record, error) {
	s, ok := c.store.(store.Decisions)
	if !ok {
		return Record{}, errors.New("audit: the store cannot commit decisions")
	}
	return c.write(ctx, r, func(ctx context.Context, sr store.Record) error {
		d.Record = sr
		return s.Commit(ctx, d)
	})
}

// write seals r at the head of its chain and stores it with put, retrying when another
// process took the sequence number (put returns store.ErrExists).
func (c *Chain) write(ctx context.Context, r Record, put func(context.Context, store.Record) error) (Record, error) {
	if r.Session == "" {
		return Record{}, errors.New("audit: record without session")
	}
	r.Version = Version
	if cl, ok := ctx.Value(clientKey{}).(Client); ok && r.Client == nil {
		r.Client = &cl
	}
	slot := fnv32(r.Session) % uint32(len(c.locks))
	mu, known := &c.locks[slot], &c.heads[slot]
	mu.Lock()
	defer mu.Unlock()
	r.Time = c.now().UTC()
	for attempt := range MaxAppendAttempts {
		if attempt > 0 {
			// Another process took the sequence number: back off a little, with jitter.
			if err := sleep(ctx, time.Duration(rand.Int64N(int64(attempt)*int64(time.Millisecond)))); err != nil {
				return Record{}, fmt.Errorf("audit: append to %s: %w", r.Session, err)
			}
		}
		if known.session == r.Session {
			r.Seq, r.PrevHash = known.seq+1, known.hash
		} else {
			last, err := c.store.LastRecord(ctx, r.Session)
			switch {
			case errors.Is(err, store.ErrNotFound):
				r.Seq, r.PrevHash = 1, ""
			case err != nil:
				return Record{}, fmt.Errorf("audit: read head of %s: %w", r.Session, err)
			default:
				r.Seq, r.PrevHash = last.Seq+1, last.Hash
			}
		}
		body, err := Seal(&r)
		if err != nil {
			return Record{}, err
		}
		err = put(ctx, store.Record{SessionID: r.Session, Seq: r.Seq, Hash: r.Hash, PrevHash: r.PrevHash, Body: body})
		switch {
		case errors.Is(err, store.ErrExists):
			*known = head{} // another process appended: read the head from the store
			continue
		case errors.Is(err, store.ErrClaimed), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
			// A decision's other condition failed and nothing was written: the head stands.
			return Record{}, fmt.Errorf("audit: append %s#%d: %w", r.Session, r.Seq, err)
		case err != nil:
			*known = head{} // the write may or may not have happened
			return Record{}, fmt.Errorf("audit: append %s#%d: %w", r.Session, r.Seq, err)
		}
		*known = head{session: r.Session, seq: r.Seq, hash: r.Hash}
		return r, nil
	}
	return Record{}, fmt.Errorf("%w: %s", ErrContention, r.Session)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
