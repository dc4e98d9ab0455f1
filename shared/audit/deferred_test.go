package audit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/store"
)

// TestLostDeferredAppendNeverBreaksTheChain: a deferred append that fails at commit (its
// sequence number was taken by another writer this process did not see) is reported to its
// callback, and the next append, built on the lost record, is refused by the store and
// built again on the real head: the chain stays intact and never holds the lost record.
func TestLostDeferredAppendNeverBreaksTheChain(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	c := NewChain(s, time.Now)
	first, err := c.Append(ctx, Record{Session: "s1", Type: TypeDecision})
	if err != nil {
		t.Fatal(err)
	}
	// Another writer takes seq 2 behind this chain's back.
	other := NewChain(s, time.Now)
	taken, err := other.Append(ctx, Record{Session: "s1", Type: TypeDecision, RequestID: "other"})
	if err != nil || taken.Seq != 2 || taken.PrevHash != first.Hash {
		t.Fatalf("other writer: %+v %v", taken, err)
	}
	var mu sync.Mutex
	var lost error
	gone, err := c.AppendLater(ctx, Record{Session: "s1", Type: TypeResult, RequestID: "lost"}, func(err error) {
		mu.Lock()
		lost = err
		mu.Unlock()
	})
	if err != nil || gone.Seq != 2 {
		t.Fatalf("AppendLater = %+v, %v; want seq 2 built on the head this chain knew", gone, err)
	}
	next, err := c.Append(ctx, Record{Session: "s1", Type: TypeDecision, RequestID: "next"})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !errors.Is(lost, store.ErrExists) {
		t.Fatalf("the lost append reported %v, want store.ErrExists", lost)
	}
	rep, err := VerifyChain(ctx, s, "s1")
	if err != nil || rep.Break != nil || len(rep.Records) != 3 {
		t.Fatalf("chain: %d records, break %v, %v", len(rep.Records), rep.Break, err)
	}
	if rep.Records[2].RequestID != "next" || next.Seq != 3 || next.PrevHash != taken.Hash {
		t.Fatalf("the next append is %+v, want seq 3 after the other writer's record", next)
	}
	for _, r := range rep.Records {
		if r.RequestID == "lost" {
			t.Fatal("the lost record is in the chain")
		}
	}
}

// TestDeferredAppendIsReadBack: a record appended with AppendLater is what the chain's next
// read returns, at once, and what the next append links to.
func TestDeferredAppendIsReadBack(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	c := NewChain(s, time.Now)
	for i := range 5 {
		typ := TypeDecision
		if i%2 == 1 {
			typ = TypeResult
		}
		var err error
		if typ == TypeResult {
			_, err = c.AppendLater(ctx, Record{Session: "s2", Type: typ}, func(err error) { t.Errorf("deferred append failed: %v", err) })
		} else {
			_, err = c.Append(ctx, Record{Session: "s2", Type: typ})
		}
		if err != nil {
			t.Fatal(err)
		}
		rep, err := VerifyChain(ctx, s, "s2")
		if err != nil || rep.Break != nil || len(rep.Records) != i+1 {
			t.Fatalf("after %d appends: %d records, break %v, %v", i+1, len(rep.Records), rep.Break, err)
		}
	}
}
