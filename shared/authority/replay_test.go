package authority_test

import (
	"context"
	"sync"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/authority"
)

func TestSignatureClaimedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c := agent("demo-agent")
	c.Signature = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	req := api.OpenSessionRequest{Operator: "ada@example.com", Prompt: prompt}
	if _, err := f.auth.OpenSession(ctx, c, req); err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.OpenSession(ctx, c, req); kindOf(err) != authority.ErrReplayed {
		t.Fatalf("replay = %v; want ErrReplayed", err)
	}
	s := f.open(t)
	if _, err := f.auth.Act(ctx, c, s.SessionID, read); kindOf(err) != authority.ErrReplayed {
		t.Fatalf("the same signature on another route = %v; want ErrReplayed", err)
	}
	// Another signature is another request.
	c.Signature = "0" + c.Signature[1:]
	if _, err := f.auth.OpenSession(ctx, c, req); err != nil {
		t.Fatalf("another signature: %v", err)
	}
}

// TestIdempotentConcurrentRetries: many concurrent copies of one request with one key run the
// action once; every copy gets the first answer or is told to retry.
func TestIdempotentConcurrentRetries(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.open(t)
	before := f.crm.Served()
	req := read
	req.IdempotencyKey = "retry-1"
	var wg sync.WaitGroup
	results := make([]api.ActionResponse, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() { results[i], errs[i] = f.auth.Act(context.Background(), agent("demo-agent"), s.SessionID, req) })
	}
	wg.Wait()
	if n := f.crm.Served() - before; n != 1 {
		t.Fatalf("the target served %d requests; want 1", n)
	}
	var record *api.RecordRef
	for i, err := range errs {
		switch {
		case err == nil:
			if record == nil {
				record = &results[i].Record
			}
			if results[i].Record != *record {
				t.Errorf("answer %d has record %+v; want %+v", i, results[i].Record, *record)
			}
		case kindOf(err) != authority.ErrIdempotencyInProgress:
			t.Errorf("answer %d = %v", i, err)
		}
	}
	if record == nil {
		t.Fatal("no copy got an answer")
	}
}

func TestIdempotencyKeyChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := f.open(t)
	c := agent("demo-agent")
	c.IdempotencyKey = "a"
	req := read
	req.IdempotencyKey = "b"
	if _, err := f.auth.Act(ctx, c, s.SessionID, req); kindOf(err) != authority.ErrInvalid {
		t.Fatalf("header and body keys differ = %v; want ErrInvalid", err)
	}
	req.IdempotencyKey = string(make([]byte, authority.MaxIdempotencyKeyBytes+1))
	if _, err := f.auth.Act(ctx, agent("demo-agent"), s.SessionID, req); kindOf(err) != authority.ErrInvalid {
		t.Fatalf("long key = %v; want ErrInvalid", err)
	}
	// The header key alone works, and another agent's identical key is its own.
	first, err := f.auth.Act(ctx, c, s.SessionID, read)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.auth.Act(ctx, c, s.SessionID, read)
	if err != nil || again.Record != first.Record {
		t.Fatalf("retry = %+v, %v", again.Record, err)
	}
	other := agent("other-agent")
	other.IdempotencyKey = "a"
	if _, err := f.auth.Act(ctx, other, s.SessionID, read); kindOf(err) != authority.ErrSessionNotFound {
		t.Fatalf("another agent with the same key = %v; want its own answer (no such session)", err)
	}
}
