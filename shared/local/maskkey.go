package local

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mandate-dev/mandate/shared/mask"
)

// MaskKeyFile holds the deployment key of masking tokens (hex), created on first start. With
// it, equal values mask to equal tokens across restarts, and tokens an agent was shown can be
// turned back into their values on egress to a target — by Mandate only.
const MaskKeyFile = "mask.key"

// maskKey returns the data folder's masking key, creating it (0600, never overwritten) if it
// is missing.
func maskKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, MaskKeyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		if err := writeFileOnce(path, []byte(hex.EncodeToString(key)+"\n")); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("local: masking key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) < mask.MinKeyBytes {
		return nil, fmt.Errorf("local: %s must hold at least %d hex-encoded bytes", MaskKeyFile, mask.MinKeyBytes)
	}
	return key, nil
}
