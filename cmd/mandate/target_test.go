package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/local"
)

// mandate target get|put reads and replaces the registry of a running local as its
// administrator: put prints the stored version, an invalid file exits 1 naming the field,
// and a wrong command line exits 2.
func TestTargetCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	inst, err := local.Start(ctx, local.Options{Dir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	target := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(ctx, append([]string{"target"}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, body, errOut := target("get", "--data", dir, "--output", "text") // the URL from the running local
	if code != exitOK || !strings.Contains(body, "name: customers") {
		t.Fatalf("target get --output text: %d %s %s", code, body, errOut)
	}
	file := filepath.Join(t.TempDir(), "targets.yaml")
	if err := os.WriteFile(file, []byte(body+"  - {name: billing, kind: http, base_url: 'https://billing.example.com'}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := target("put", file, "--data", dir)
	var doc api.Document
	if code != exitOK || json.Unmarshal([]byte(out), &doc) != nil || doc.Version != 2 || doc.Record == nil || !strings.Contains(doc.Body, "billing") {
		t.Fatalf("target put: %d %s %s", code, out, errOut)
	}
	if code, out, _ := target("get", "--url", inst.URL, "--data", dir, "--version", "1"); code != exitOK || strings.Contains(out, "billing") || !strings.Contains(out, `"version": 1`) {
		t.Fatalf("target get --version 1: %d %s", code, out)
	}
	if err := os.WriteFile(file, []byte("targets:\n- {name: billing, kind: http, base_url: 'ftp://billing'}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := target("put", file, "--data", dir); code != exitFailed || !strings.Contains(errOut, "base_url") {
		t.Fatalf("an invalid registry: %d %s", code, errOut)
	}
	if code, _, errOut := target("get", "--data", dir, "--as", local.DefaultOperator); code != exitUsage || !strings.Contains(errOut, "no administrator") {
		t.Fatalf("an operator as administrator: %d %s", code, errOut)
	}
	for _, args := range [][]string{{}, {"list"}, {"put", "--data", dir}, {"get", "extra", "--data", dir}, {"get", "--version", "0", "--data", dir}, {"get", "--output", "yaml", "--data", dir}, {"put", filepath.Join(dir, "missing.yaml"), "--data", dir}} {
		if code, _, _ := target(args...); code != exitUsage {
			t.Errorf("mandate target %q exits %d, want %d", args, code, exitUsage)
		}
	}
	if code, out, _ := target("--help"); code != exitOK || !strings.Contains(out, "examples:") {
		t.Errorf("target --help: %d %s", code, out)
	}
	if code, out, _ := target("put", "--help"); code != exitOK || !strings.Contains(out, "usage: mandate target put") {
		t.Errorf("target put --help: %d %s", code, out)
	}
}
