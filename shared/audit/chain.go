package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mandate-dev/mandate/shared/store"
)

// MaxAppendAttempts bounds how often Append retries after losing a sequence number to a
// concurrent append in the same session.
const MaxAppendAttempts = 16

// ErrContention means every attempt lost its sequence number to concurrent appends: the
// record was not written and the caller fails closed (503).
var ErrContention = errors.New("audit: chain contended")

// Chain appends records to session chains in a store.
type Chain struct {
	store store.Audit
	now   func() time.Time
}

// NewChain returns a Chain over s; now is the clock records are stamped with.
func NewChain(s store.Audit, now func() time.Time) *Chain {
	return &Chain{store: s, now: now}
}

// Append links r to the end of its session's chain and writes it durably. It fills Version,
// Seq, PrevHash, Time and Hash and returns the sealed record. On any error nothing that
// follows from this record may happen.
func (c *Chain) Append(ctx context.Context, r Record) (Record, error) {
	if r.Session == "" {
		return Record{}, errors.New("audit: record without session")
	}
	r.Version = Version
	r.Time = c.now().UTC()
	for range MaxAppendAttempts {
		last, err := c.store.LastRecord(ctx, r.Session)
		switch {
		case errors.Is(err, store.ErrNotFound):
			r.Seq, r.PrevHash = 1, ""
		case err != nil:
			return Record{}, fmt.Errorf("audit: read head of %s: %w", r.Session, err)
		default:
			r.Seq, r.PrevHash = last.Seq+1, last.Hash
		}
		body, err := Seal(&r)
		if err != nil {
			return Record{}, err
		}
		err = c.store.AppendRecord(ctx, store.Record{SessionID: r.Session, Seq: r.Seq, Hash: r.Hash, PrevHash: r.PrevHash, Body: body})
		if errors.Is(err, store.ErrExists) {
			continue
		}
		if err != nil {
			return Record{}, fmt.Errorf("audit: append %s#%d: %w", r.Session, r.Seq, err)
		}
		return r, nil
	}
	return Record{}, fmt.Errorf("%w: %s", ErrContention, r.Session)
}
