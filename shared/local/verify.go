package local

import (
	"context"
	"path/filepath"

	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/store/bolt"
)

// Verify opens a data folder's store read-only and verifies every audit chain in it.
func Verify(ctx context.Context, dir string) ([]audit.Report, error) {
	db, err := bolt.OpenReadOnly(filepath.Join(dir, StoreFile))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return audit.VerifyAll(ctx, db, nil)
}
