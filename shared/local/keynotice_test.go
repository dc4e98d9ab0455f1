package local_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/checkpoint"
	"github.com/mandate-dev/mandate/shared/local"
)

// TestKeyNoticeOnceAtInit: the first start of a folder names the new checkpoint key's
// fingerprint and says to keep it outside the folder; later starts say nothing of it.
func TestKeyNoticeOnceAtInit(t *testing.T) {
	dir := t.TempDir()
	start := func() string {
		inst, err := local.Start(context.Background(), local.Options{Dir: dir, Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		defer inst.Close()
		return inst.KeyNotice()
	}
	first := start()
	pub, err := os.ReadFile(filepath.Join(dir, checkpoint.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	v, err := checkpoint.ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first, checkpoint.Fingerprint(v.KeyID())) || !strings.Contains(first, "OUTSIDE this data folder") || !strings.Contains(first, "--key-id") {
		t.Fatalf("first start:\n%s", first)
	}
	if again := start(); again != "" {
		t.Fatalf("second start printed %q", again)
	}
}
