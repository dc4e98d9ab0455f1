package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildsAndDemoesWithoutACCompiler: the README says `make demo` needs no C compiler. A
// machine without one builds the CLI pure Go (scripts/build-cli sets CGO_ENABLED=0); the demo
// must still pass every check, and `mandate query`, which needs DuckDB, must say why it cannot
// run instead of answering with nothing.
func TestBuildsAndDemoesWithoutACCompiler(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "mandate")
	build := exec.Command(filepath.Join(root, "scripts", "build-cli"), bin)
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build-cli with CGO_ENABLED=0: %v\n%s", err, out)
	}
	if out, err := exec.Command("go", "version", "-m", bin).Output(); err != nil || !strings.Contains(string(out), "CGO_ENABLED=0") {
		t.Fatalf("the binary was not built pure Go: %v\n%s", err, out)
	}

	data := t.TempDir()
	demo := exec.Command(bin, "demo", "--data", data)
	if out, err := demo.CombinedOutput(); err != nil || !strings.Contains(string(out), "All 11 checks behaved as expected") {
		t.Fatalf("demo without cgo: %v\n%s", err, out)
	}
	q := exec.Command(bin, "query", "--data", data, "SELECT count(*) FROM audit")
	out, err := q.CombinedOutput()
	if code := q.ProcessState.ExitCode(); code != exitFailed || !strings.Contains(string(out), "built without cgo") {
		t.Fatalf("query without DuckDB: exit %d (%v), want %d naming the missing cgo:\n%s", code, err, exitFailed, out)
	}
}
