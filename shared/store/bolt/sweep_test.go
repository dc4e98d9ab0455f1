package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/store"
)

// TestSweepClaimsDeletesOnlyExpired: a sweep deletes the expired claims and no other, in
// sweeps of a bounded number of claims that resume where the last stopped; what it deleted
// answered as none before it, and a key taken again after it is held as ever.
func TestSweepClaimsDeletesOnlyExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "mandate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	now := t0
	s.now = func() time.Time { return now }
	for i := range 100 {
		exp := t0.Add(time.Minute) // odd keys expire first
		if i%2 == 0 {
			exp = t0.Add(time.Hour)
		}
		if _, err := s.ClaimKey(ctx, store.Claim{Key: fmt.Sprintf("k%03d", i), Digest: "d", ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.SweepClaims(ctx, 1000); n != 0 || err != nil {
		t.Fatalf("sweep before anything expired: %d, %v", n, err)
	}
	before := s.Stats()
	now = t0.Add(2 * time.Minute)
	total := 0
	for range 10 { // ten sweeps of 10 claims each read the bucket once through
		n, err := s.SweepClaims(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != 50 {
		t.Fatalf("swept %d claims, want the 50 expired", total)
	}
	if s.Stats().Writes != before.Writes {
		t.Fatalf("a sweep counted as a write: %+v then %+v", before, s.Stats())
	}
	for i := range 100 {
		_, err := s.HeldClaim(ctx, fmt.Sprintf("k%03d", i))
		if held := err == nil; held != (i%2 == 0) {
			t.Fatalf("k%03d held %v after the sweep: %v", i, held, err)
		}
	}
	if _, err := s.ClaimKey(ctx, store.Claim{Key: "k001", Digest: "d", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatalf("a swept key taken again: %v", err)
	}
	if _, err := s.ClaimKey(ctx, store.Claim{Key: "k001", Digest: "d", ExpiresAt: now.Add(time.Hour)}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a key taken again after the sweep is not held: %v", err)
	}
	now = t0.Add(2 * time.Hour)
	if n, err := s.SweepClaims(ctx, 1000); n != 51 || err != nil {
		t.Fatalf("sweep after every claim expired: %d, %v; want 51", n, err)
	}
}
