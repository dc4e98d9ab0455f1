package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mandate-dev/mandate/shared/audit"
	"github.com/mandate-dev/mandate/shared/local"
	"github.com/mandate-dev/mandate/shared/witness"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWitnessProcessCosignsAndCatchesARewrite: a witness run with `mandate witness` cosigns the
// log's checkpoint (`mandate cosign`), verify accepts the cosigned note kept outside the folder
// with one cosignature required, and after an insider holding the folder's key rewrites it the
// witness refuses to cosign and verify against the kept note breaks.
func TestWitnessProcessCosignsAndCatchesARewrite(t *testing.T) {
	dir := archivedFolder(t)
	key := pinKey(t, dir)
	wdir := t.TempDir()
	wkey := filepath.Join(wdir, "witness.key")
	code, vkey, errOut := runCLI(t, "witness", "--keygen", "witness.example", "--key", wkey)
	if code != exitOK {
		t.Fatalf("keygen: exit %d %s", code, errOut)
	}
	vkey = strings.TrimSpace(vkey)
	code, logKey, errOut := runCLI(t, "cosign", "--data", dir, "--key", key, "--log-key")
	if code != exitOK {
		t.Fatalf("log key: exit %d %s", code, errOut)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wout syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"witness", "--key", wkey, "--log", strings.TrimSpace(logKey), "--state", filepath.Join(wdir, "state.json"), "--addr", addr}, &wout, &wout)
	}()
	t.Cleanup(func() { cancel(); <-done })
	url := "http://" + addr
	for i := 0; ; i++ {
		if strings.Contains(wout.String(), "listening") {
			break
		}
		if i > 100 {
			t.Fatalf("witness did not start: %s", wout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp, err := http.Get(url + witness.Path); err == nil {
		resp.Body.Close()
	}

	if code, out, _ := runCLI(t, "verify", "--data", dir, "--key", key, "--witness", vkey, "--cosignatures", "1"); code != exitUnverifiable || !strings.Contains(out, "0 of the 1 witness cosignatures") {
		t.Fatalf("not cosigned yet, one required: exit %d\n%s", code, out)
	}
	kept := filepath.Join(t.TempDir(), "kept.note")
	if code, out, errOut := runCLI(t, "cosign", "--data", dir, "--key", key, "--witness-url", url, "--out", kept, "--store"); code != exitOK {
		t.Fatalf("cosign: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "verify", "--data", dir, "--since", kept, "--witness", vkey, "--cosignatures", "1"); code != exitOK || !strings.Contains(out, "cosigners witness.example") {
		t.Fatalf("verify with the cosigned note: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "verify", "--data", dir, "--key", key, "--witness", vkey, "--cosignatures", "1"); code != exitOK || !strings.Contains(out, "cosigned by: witness.example") {
		t.Fatalf("verify with the note stored in the archive: exit %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "verify", "--data", dir, "--key", key, "--witness", vkey, "--cosignatures", "2"); code != exitUnverifiable {
		t.Fatalf("two required: exit %d\n%s", code, out)
	}

	// The insider rewrites the folder; the cosigned notes survive, as they do under Object Lock.
	cosignedDir := filepath.Join(dir, local.ArchiveDir, "cosigned")
	saved := filepath.Join(t.TempDir(), "cosigned")
	if err := os.Rename(cosignedDir, saved); err != nil {
		t.Fatal(err)
	}
	rewrite(t, dir, func(c map[string][]audit.Record) { c["ses_a"][0].Verdict.Decision = "allow" }, false)
	if err := os.Rename(saved, cosignedDir); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLI(t, "verify", "--data", dir, "--key", key, "--witness", vkey); code != exitFailed || !strings.Contains(out, "cosigned another tree of 3 records") {
		t.Fatalf("verify of a rewritten log against the stored cosigned note: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "cosign", "--data", dir, "--key", key, "--witness-url", url, "--last", "3"); code != exitFailed || !strings.Contains(errOut, "refused") {
		t.Fatalf("cosign of a rewritten log: exit %d %s", code, errOut)
	}
	if code, out, _ := runCLI(t, "verify", "--data", dir, "--since", kept, "--witness", vkey, "--cosignatures", "1"); code != exitFailed {
		t.Fatalf("verify of a rewritten log against the cosigned note: exit %d\n%s", code, out)
	}
}
