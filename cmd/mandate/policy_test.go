package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyTestPassesOnDemoCasesAndCedarCorpus(t *testing.T) {
	t.Parallel()
	tests := [][]string{
		{"policy", "validate", "../../shared/local/defaults"},
		{"policy", "test", "--policies", "../../shared/local/defaults", "../../testdata/policies"},
		{"policy", "test", "../../testdata/cedar-integration"},
	}
	for _, args := range tests {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != exitOK {
			t.Errorf("run(%q) = %d\n%s%s", args, code, out.String(), errOut.String())
		}
	}
}

// TestPolicyTestDecidesAsServed: `mandate policy test` decides case files and Cedar's corpus
// with the set the authority would run (read back from its precompiled form, indexed as on
// a cold start), not with the set it compiled from the text.
func TestPolicyTestDecidesAsServed(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"policy", "test", "--policies", "../../shared/local/defaults", "../../testdata/policies"},
		{"policy", "test", "../../testdata/cedar-integration"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != exitOK {
			t.Fatalf("run(%q) = %d\n%s%s", args, code, out.String(), errOut.String())
		}
		decided := 0
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, " failed (") {
				decided++
				if !strings.HasSuffix(line, "failed (as served: read back from its precompiled form)") {
					t.Errorf("run(%q): %q was not decided as served", args, line)
				}
			}
		}
		if decided == 0 {
			t.Errorf("run(%q) reported no decided file:\n%s", args, out.String())
		}
	}
}

// writeDir writes files into a new folder and returns it.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPolicyCommandsFailOnProblems(t *testing.T) {
	t.Parallel()
	const good = `@id("reads") permit (principal, action in Action::"read", resource);` + "\n"
	corpus, err := os.ReadFile("../../testdata/cedar-integration/corpus-tests/001513d50d452d5da0aedb2d1343a06a53573188.json")
	if err != nil {
		t.Fatal(err)
	}
	flipped := strings.Replace(string(corpus), `"decision": "allow"`, `"decision": "deny"`, 1)
	if flipped == string(corpus) {
		t.Fatal("the corpus file has no allow to flip")
	}
	tests := []struct {
		name  string
		sub   string
		files map[string]string
		want  string
	}{
		{"syntax error", "validate", map[string]string{"a.cedar": good, "b.cedar": "\n\n@id(\"x\") permit (principal, action, resource) when {"}, "b.cedar:3:"},
		{"schema violation", "validate", map[string]string{"a.cedar": `@id("x") permit (principal, action, resource) when { context.nope };`}, "attribute `nope`"},
		{"unknown intent", "validate", map[string]string{"a.cedar": `@id("x") permit (principal, action, resource) when { context.intents.contains("nope") };`,
			"intents.yaml": "intents:\n  - {name: a.b, description: d, risk: low, families: [read], keywords: [{text: ab, weight: 0.9}], examples: [ab]}\n"}, `intent "nope"`},
		{"failing case", "test", map[string]string{"a.cedar": good, "t.cases.yaml": "cases:\n  - name: writes\n    request: {action: \"http:POST\", target: t}\n    expect: {verdict: allow}\n"}, `case "writes": got deny [default-deny], want allow`},
		{"malformed cases", "test", map[string]string{"a.cedar": good, "t.cases.yaml": "cases:\n  - nmae: x\n"}, "field nmae not found"},
		{"cedar corpus mismatch", "test", corpusFiles(t, flipped), "want deny"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeDir(t, tt.files)
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"policy", tt.sub, dir}, &out, &errOut)
			if code != exitFailed || !strings.Contains(out.String(), tt.want) {
				t.Errorf("exit %d, want %d with %q in:\n%s%s", code, exitFailed, tt.want, out.String(), errOut.String())
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"policy", "lint", "x"}, &out, &errOut); code != exitUsage {
		t.Errorf("policy lint: exit %d, want %d", code, exitUsage)
	}
}

// corpusFiles is a one-test corpus: the test file text and the files it names.
func corpusFiles(t *testing.T, text string) map[string]string {
	t.Helper()
	var names struct{ Policies, Entities, Schema string }
	if err := json.Unmarshal([]byte(text), &names); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"corpus-tests/t.json": text}
	for _, name := range []string{names.Policies, names.Entities, names.Schema} {
		b, err := os.ReadFile(filepath.Join("../../testdata/cedar-integration", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	return files
}
