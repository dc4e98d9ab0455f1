package local

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/mandate-dev/mandate/shared/store/bolt"
)

// TestArchiverSweepsTheEmbeddedStoresClaims: the local instance's background loop sweeps
// expired claims from the embedded store (bolt.Store.SweepClaims), which has no TTL of its
// own.
func TestArchiverSweepsTheEmbeddedStoresClaims(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := bolt.Open(filepath.Join(dir, StoreFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := startArchive(context.Background(), dir, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.sweeper != st {
		t.Fatalf("the archiver does not sweep the embedded store's claims")
	}
}
