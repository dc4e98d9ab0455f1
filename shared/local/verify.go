package local

import (
	"context"

	"github.com/mandate-dev/mandate/shared/audit"
)

// Verify opens a data folder's store (the embedded one read-only) and verifies every audit chain in it.
func Verify(ctx context.Context, dir string) ([]audit.Report, error) {
	c, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	db, err := OpenStore(ctx, dir, c, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return audit.VerifyAll(ctx, db, nil)
}
