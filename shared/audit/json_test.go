package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// leafHashOf is an independent statement of the leaf hash: SHA-256 over 0x00 || bytes.
func leafHashOf(canonical string) string {
	sum := sha256.Sum256(append([]byte{0}, canonical...))
	return hex.EncodeToString(sum[:])
}
