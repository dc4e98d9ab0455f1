package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A command never answers a question it did not understand with success: help is help (exit
// 0), a wrong command line is 2 with a usage line, a missing or empty input is an error that
// names the path.
func TestCommandLineConventions(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	policies := t.TempDir()
	if err := os.WriteFile(filepath.Join(policies, "p.cedar"), []byte(`@id("a") permit(principal, action, resource) when { false };`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring expected on stdout
		stderr string // a substring expected on stderr
	}{
		{"help", []string{"help"}, exitOK, "usage: mandate COMMAND", ""},
		{"-h", []string{"-h"}, exitOK, "usage: mandate COMMAND", ""},
		{"--help", []string{"--help"}, exitOK, "examples:", ""},
		{"help of a command", []string{"help", "explain"}, exitOK, "usage: mandate explain", ""},
		{"local --help", []string{"local", "--help"}, exitOK, "-addr", ""},
		{"demo -h", []string{"demo", "-h"}, exitOK, "usage: mandate demo", ""},
		{"explain --help", []string{"explain", "--help"}, exitOK, "-session", ""},
		{"query --help", []string{"query", "--help"}, exitOK, "-named", ""},
		{"policy test --help", []string{"policy", "test", "--help"}, exitOK, "-policies", ""},
		{"policy --help", []string{"policy", "--help"}, exitOK, "examples:", ""},
		{"policy -h", []string{"policy", "-h"}, exitOK, "mandate policy test", ""},
		{"help of policy", []string{"help", "policy"}, exitOK, "mandate policy validate", ""},
		{"policy with no subcommand", []string{"policy"}, exitUsage, "", "usage: mandate policy"},
		{"policy with an unknown subcommand", []string{"policy", "check", "."}, exitUsage, "", "usage: mandate policy"},
		{"target --help", []string{"target", "--help"}, exitOK, "examples:", ""},
		{"kill --help", []string{"kill", "--help"}, exitOK, "-reason", ""},
		{"target get --help", []string{"target", "get", "--help"}, exitOK, "-version", ""},
		{"help of target", []string{"help", "target"}, exitOK, "examples:", ""},
		{"load --help", []string{"load", "--help"}, exitOK, "-workers", ""},
		{"verify --help", []string{"verify", "--help"}, exitOK, "-key-id", ""},
		{"prove --help", []string{"prove", "--help"}, exitOK, "usage: mandate prove", ""},
		{"prove with one argument", []string{"prove", "--self-check", "ses_x"}, exitUsage, "", "unexpected arguments"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "", "unknown command"},
		{"stray argument", []string{"demo", "extra"}, exitUsage, "", "unexpected arguments"},
		{"unknown flag", []string{"explain", "--frob", "x.json"}, exitUsage, "", "usage: mandate explain"},
		{"policy validate of a missing folder", []string{"policy", "validate", filepath.Join(empty, "typo")}, exitUsage, "", "is not a folder"},
		{"policy validate of an empty folder", []string{"policy", "validate", empty}, exitFailed, "no *.cedar policy files", ""},
		{"policy test with no cases", []string{"policy", "test", policies}, exitFailed, "nothing was tested", ""},
		{"flags after the folder", []string{"policy", "validate", policies, "--intents", filepath.Join(empty, "none.yaml")}, exitFailed, "", ""},
		{"query of a missing data folder", []string{"query", "--data", filepath.Join(empty, "typo"), "SELECT 1"}, exitUsage, "", "not a Mandate data folder"},
		{"policy test --output json", []string{"policy", "test", "--output", "json", "--policies", "../../shared/local/defaults", "../../testdata/policies"}, exitOK, `"exit_code": 0`, ""},
		{"policy validate --output json of an empty folder", []string{"policy", "validate", empty, "--output", "json"}, exitFailed, `"exit_code": 1`, ""},
		{"query flags after the SQL", []string{"query", "SELECT 1", "--data", filepath.Join(empty, "typo")}, exitUsage, "", "typo"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			code := run(context.Background(), c.args, &out, &errOut)
			if code != c.code || !strings.Contains(out.String(), c.stdout) || !strings.Contains(errOut.String(), c.stderr) {
				t.Fatalf("mandate %q = %d, want %d\nstdout: %s\nstderr: %s", c.args, code, c.code, out.String(), errOut.String())
			}
		})
	}
}
