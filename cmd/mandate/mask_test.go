package main

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/racebuild"
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
			if sum.Format != tc.format || len(sum.Masked) != len(tc.summary) || len(sum.Findings) != sum.Total {
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
	for _, args := range [][]string{{"--profile", "nope"}, {"--format", "yaml"}, {"extra"}, {"--key-file", "/nonexistent"}} {
		var out, errOut bytes.Buffer
		if code := maskStream(args, strings.NewReader("x"), &out, &errOut); code != exitUsage {
			t.Errorf("%v: exit %d; want %d", args, code, exitUsage)
		}
	}
}

// TestMaskCommandCompressed: a zlib stream on standard input comes out as its masked text
// (exit 0); one compressed with xz, which the masker cannot read, is withheld (exit 1, the
// summary says why).
func TestMaskCommandCompressed(t *testing.T) {
	t.Parallel()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("id,card\n42,4111111111111111\n"))
	zw.Close()
	var out, errOut bytes.Buffer
	if code := maskStream(nil, bytes.NewReader(z.Bytes()), &out, &errOut); code != exitOK || out.String() != "id,card\n42,[CARD]\n" {
		t.Errorf("zlib: exit %d, %q, %s", code, out.String(), errOut.String())
	}
	// Python's lzma.compress(b"id,card\n42,4111111111111111\n").
	xz, _ := base64.StdEncoding.DecodeString("/Td6WFoAAATm1rRGAgAhARYAAAB0L+Wj4AAbABRdADSZAYTRvwZsAl8kSghvAwnceoAAACU218foWMKoAAEwHJffwesftvN9AQAAAAAEWVo=")
	out.Reset()
	errOut.Reset()
	code := maskStream(nil, bytes.NewReader(xz), &out, &errOut)
	var sum maskSummary
	if err := json.Unmarshal(errOut.Bytes(), &sum); err != nil {
		t.Fatalf("summary %q: %v", errOut.String(), err)
	}
	if code != 1 || !strings.HasPrefix(out.String(), mask.WithheldMarker) || !strings.Contains(errOut.String(), "xz") {
		t.Errorf("xz: exit %d, %q, %s", code, out.String(), errOut.String())
	}
}

// TestMaskCommandStreams: an input far past the engine's 16 MiB cap is masked whole and
// stays JSON; a part withheld within the decoding limits makes the exit status 1.
func TestMaskCommandStreams(t *testing.T) {
	racebuild.Heavy(t)
	t.Parallel()
	var in strings.Builder
	in.WriteString(`{"customers":[`)
	n := 0
	for in.Len() < 20<<20 {
		if n > 0 {
			in.WriteByte(',')
		}
		fmt.Fprintf(&in, `{"id":%d,"email":"user%d@example.com","card":"4111 1111 1111 1111","ssn":123456789}`, n, n)
		n++
	}
	in.WriteString(`]}`)
	var out, errOut bytes.Buffer
	if code := maskStream(nil, strings.NewReader(in.String()), &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc struct{ Customers []map[string]any }
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc.Customers) != n {
		t.Fatalf("output is not the %d records as JSON: %v (%d)", n, err, len(doc.Customers))
	}
	if bytes.Contains(out.Bytes(), []byte("@example.com")) || bytes.Contains(out.Bytes(), []byte("4111 1111")) || bytes.Contains(out.Bytes(), []byte("123456789")) {
		t.Fatal("a value survived")
	}
	var sum maskSummary
	if err := json.Unmarshal(errOut.Bytes(), &sum); err != nil || sum.Masked["email"] != n || sum.Masked["card"] != n || sum.Bytes != int64(in.Len()) {
		t.Fatalf("summary %+v (%v)", sum, err)
	}

	deep := "card 4111111111111111"
	for range mask.MaxLayers + 2 {
		deep = base64.StdEncoding.EncodeToString([]byte(deep))
	}
	out.Reset()
	errOut.Reset()
	if code := maskStream(nil, strings.NewReader(`{"x":"`+deep+`"}`), &out, &errOut); code != exitFailed {
		t.Fatalf("withheld part: exit %d; want %d: %s", code, exitFailed, errOut.String())
	}
	if !strings.Contains(errOut.String(), `"withheld":`) {
		t.Fatalf("the summary does not say what was withheld: %s", errOut.String())
	}
	out.Reset()
	if code := maskStream([]string{"--help"}, strings.NewReader(""), &out, &errOut); code != exitOK || !strings.Contains(out.String(), "usage: mandate mask") {
		t.Fatalf("--help: exit %d, %q", code, out.String())
	}
}
