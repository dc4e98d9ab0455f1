// Package iamsim runs requests through an IAM policy simulator for tests: npm
// @cloud-copilot/iam-simulate (AGPL-3.0), a test-time tool installed into the checkout's
// .cache and driven by infra/testdata/iamsim.mjs, never linked into or shipped with Mandate.
// No stand-in evaluates session policies, permissions boundaries and conditions, so this is
// how the tests prove what a credential may do.
package iamsim

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Package is the simulator's npm package and version.
const Package = "@cloud-copilot/iam-simulate@0.1.173"

// Sim is one whole simulation: the simulator's request document and a name for reports.
type Sim struct {
	Name       string         `json:"name"`
	Simulation map[string]any `json:"simulation"`
}

// root is the checkout this file belongs to.
func root(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("iamsim: cannot locate the checkout")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// dir returns the folder holding the simulator, installing it there first if needed; it
// skips without node or npm, except in CI, where it fails.
func dir(t testing.TB) string {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") == "true" {
		fail = t.Fatalf
	}
	if _, err := exec.LookPath("node"); err != nil {
		fail("node is needed for the IAM policy simulator: %v", err)
	}
	d := filepath.Join(root(t), ".cache", "iam-simulate")
	installed := func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "node_modules", "@cloud-copilot", "iam-simulate", "package.json"))
		return err == nil
	}
	if installed(d) {
		return d
	}
	// Test packages run in parallel: each installs into a folder of its own and moves it into
	// place in one rename, so none reads a half-written install.
	if err := os.MkdirAll(filepath.Dir(d), 0o755); err != nil {
		fail("iam-simulate: %v", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(d), "iam-simulate-")
	if err != nil {
		fail("iam-simulate: %v", err)
	}
	defer os.RemoveAll(tmp)
	if out, err := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", tmp, Package).CombinedOutput(); err != nil {
		fail("install %s: %v\n%s", Package, err, out)
	}
	if installed(d) {
		return d // another package's install won
	}
	if err := os.Rename(tmp, d); err != nil && !installed(d) {
		fail("iam-simulate: %v (remove %s if an install was cut short)", err, d)
	}
	return d
}

// Run runs sims through the simulator and returns each result ("Allowed",
// "ImplicitlyDenied", "ExplicitlyDenied"), in order.
func Run(t testing.TB, sims []Sim) []string {
	t.Helper()
	d := dir(t)
	raw, err := json.Marshal(sims)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(root(t), "infra", "testdata", "iamsim.mjs"))
	cmd.Env = append(os.Environ(), "IAM_SIMULATE_DIR="+d)
	cmd.Stdin = bytes.NewReader(raw)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("simulator: %v\n%s", err, stderr.String())
	}
	var got []struct{ Name, Result string }
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(sims) {
		t.Fatalf("simulator answered %s (%v)", out, err)
	}
	results := make([]string, len(got))
	for i, r := range got {
		results[i] = r.Result
	}
	return results
}
