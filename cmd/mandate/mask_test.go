package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMaskCommand(t *testing.T) {
	t.Parallel()
	key := filepath.Join(t.TempDir(), "mask.key")
	if err := os.WriteFile(key, bytes.Repeat([]byte{3}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		args    []string
		in      string
		want    string // a substring of standard output
		absent  string
		summary map[string]int
		format  string
	}{
		{"default json", nil, `{"email":"bob@example.com","note":"ok"}`, `{"email":"[EMAIL]","note":"ok"}`, "bob@", map[string]int{"email": 1}, "json"},
		{"text fallback", nil, "card 4111 1111 1111 1111 and 10.0.0.1", "card [CARD] and [IP]", "4111", map[string]int{"card": 1, "ip": 1}, "text"},
		{"csv", []string{"--format", "csv"}, "name,dob\nBob,1990-04-12\n", "Bob,[REDACTED]", "1990", map[string]int{"field": 1}, "csv"},
		{"partial profile", []string{"--profile", "partial"}, "call 415-555-0132", "[PHONE ****0132]", "415-555", map[string]int{"phone": 1}, "text"},
		{"tokens with a key", []string{"--profile", "tokenize", "--key-file", key}, "bob@example.com", "tok_email_", "bob@", map[string]int{"email": 1}, "text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			if code := maskStream(tc.args, strings.NewReader(tc.in), &out, &errOut); code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			if !strings.Contains(out.String(), tc.want) || strings.Contains(out.String(), tc.absent) {
				t.Fatalf("output %q; want %q and no %q", out.String(), tc.want, tc.absent)
			}
			var sum maskSummary
			if err := json.Unmarshal(errOut.Bytes(), &sum); err != nil {
				t.Fatalf("summary %q: %v", errOut.String(), err)
			}
			if sum.Format != tc.format || len(sum.Masked) != len(tc.summary) {
				t.Fatalf("summary %+v", sum)
			}
			for k, v := range tc.summary {
				if sum.Masked[k] != v {
					t.Fatalf("summary %+v; want %v", sum, tc.summary)
				}
			}
			if strings.Contains(errOut.String(), "example.com") {
				t.Fatalf("the summary holds a value: %s", errOut.String())
			}
		})
	}
	for _, args := range [][]string{{"--profile", "nope"}, {"--format", "xml"}, {"extra"}, {"--key-file", "/nonexistent"}} {
		var out, errOut bytes.Buffer
		if code := maskStream(args, strings.NewReader("x"), &out, &errOut); code != exitUsage {
			t.Errorf("%v: exit %d; want %d", args, code, exitUsage)
		}
	}
}
