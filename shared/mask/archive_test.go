package mask_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/racebuild"
)

// zipOf builds a zip archive of name/content pairs (deflated unless store), with comment.
func zipOf(t *testing.T, store bool, comment string, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		h := &zip.FileHeader{Name: files[i], Method: zip.Deflate}
		if store {
			h.Method = zip.Store
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(files[i+1]))
	}
	if comment != "" {
		w.SetComment(comment)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zlibOf(s string) []byte {
	return compressedWith(s, func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) })
}

// Made with Python's bz2 and lzma modules from "name,card\nJane,4111111111111111\n" (the
// standard library writes neither).
var (
	bzip2Card, _ = base64.StdEncoding.DecodeString("QlpoOTFBWSZTWSAlJ9AAAAndgAAYAAQkAAAQLgMQACAAMQDQARNNpomnpfR5n4Sf3gQSp20XckU4UJAgJSfQ")
	xzCard, _    = base64.StdEncoding.DecodeString("/Td6WFoAAATm1rRGAgAhARYAAAB0L+Wj4AAfABhdADcYSf36YpZqvR58hXNxn6sV0v9c+TUAAAAXPs69rCZQ5gABNCAUZsKgH7bzfQEAAAAABFla")
)

// entries reads a zip archive's entries as name: content.
func entries(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip archive any more: %v: %q", err, b)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		d, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(d)
	}
	return out
}

// TestCompressedAndArchivedValues: a value in a zip archive (in an entry, its name, its
// comment, the archive's comment, a zip in a zip, an .xlsx's shared strings), a zlib or bzip2
// stream, as the whole input or base64 in a JSON field, is masked, and the archive or layer
// still reads as one. Each came back in clear before: the scan read their compressed bytes.
func TestCompressedAndArchivedValues(t *testing.T) {
	t.Parallel()
	csv := "name,card\nJane," + hiddenCard + "\n"
	xlsx := zipOf(t, false, "",
		"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"xl/sharedStrings.xml", `<sst><si><t>Jane</t></si><si><t>`+hiddenEmail+`</t></si></sst>`)
	inner := zipOf(t, false, "", "c.csv", csv)
	cases := []struct {
		name   string
		in     []byte
		secret string
		check  func(t *testing.T, out []byte)
	}{
		{"zip, deflated entry", zipOf(t, false, "", "c.csv", csv), hiddenCard, func(t *testing.T, out []byte) {
			if got := entries(t, out)["c.csv"]; got != "name,card\nJane,[CARD]\n" {
				t.Errorf("entry: %q", got)
			}
		}},
		{"zip, stored entry", zipOf(t, true, "", "c.csv", csv), hiddenCard, nil},
		{"zip, value in an entry's name", zipOf(t, false, "", "export/"+hiddenEmail+" orders.csv", "x"), hiddenEmail, func(t *testing.T, out []byte) {
			if _, ok := entries(t, out)["export/[EMAIL] orders.csv"]; !ok {
				t.Errorf("entries: %v", entries(t, out))
			}
		}},
		{"zip, value in the archive's comment", zipOf(t, false, "owner "+hiddenEmail, "a.txt", "x"), hiddenEmail, nil},
		{"zip in a zip", zipOf(t, false, "", "inner.zip", string(inner)), hiddenCard, func(t *testing.T, out []byte) {
			if got := entries(t, []byte(entries(t, out)["inner.zip"]))["c.csv"]; got != "name,card\nJane,[CARD]\n" {
				t.Errorf("inner entry: %q", got)
			}
		}},
		// An entry keeps its own compression: gzip is written back as gzip wherever it is.
		{"gzip in a zip", zipOf(t, false, "", "c.csv.gz", string(gz(csv))), hiddenCard, func(t *testing.T, out []byte) {
			r, err := gzip.NewReader(strings.NewReader(entries(t, out)["c.csv.gz"]))
			if err != nil {
				t.Fatalf("the entry is no gzip stream any more: %v", err)
			}
			var b bytes.Buffer
			b.ReadFrom(r)
			if b.String() != "name,card\nJane,[CARD]\n" {
				t.Errorf("decoded entry: %q", b.String())
			}
		}},
		{"xlsx shared strings", xlsx, hiddenEmail, func(t *testing.T, out []byte) {
			if got := entries(t, out)["xl/sharedStrings.xml"]; got != `<sst><si><t>Jane</t></si><si><t>[EMAIL]</t></si></sst>` {
				t.Errorf("shared strings: %q", got)
			}
		}},
		{"zip base64 in JSON", []byte(`{"report":"` + base64.StdEncoding.EncodeToString(inner) + `"}`), hiddenCard, nil},
		{"zlib", zlibOf(csv), hiddenCard, func(t *testing.T, out []byte) {
			if string(out) != "name,card\nJane,[CARD]\n" {
				t.Errorf("out: %q", out)
			}
		}},
		{"zlib base64 in JSON", []byte(`{"blob":"` + base64.StdEncoding.EncodeToString(zlibOf(csv)) + `"}`), hiddenCard, func(t *testing.T, out []byte) {
			var b bytes.Buffer
			raw, _ := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(string(out), `{"blob":"`), `"}`))
			r, err := zlib.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("the field is no zlib stream any more: %v (%q)", err, out)
			}
			b.ReadFrom(r)
			if b.String() != "name,card\nJane,[CARD]\n" {
				t.Errorf("decoded: %q", b.String())
			}
		}},
		{"bzip2", bzip2Card, hiddenCard, func(t *testing.T, out []byte) {
			if string(out) != "name,card\nJane,[CARD]\n" {
				t.Errorf("out: %q", out)
			}
		}},
		{"bzip2 base64 in JSON", []byte(`{"blob":"` + base64.StdEncoding.EncodeToString(bzip2Card) + `"}`), hiddenCard, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := e0.Mask(c.in, mask.FormatAuto)
			if revealed(m.Body, c.secret) || m.Summary.Total() == 0 {
				t.Fatalf("in clear: %v %q", m.Summary, m.Body)
			}
			if len(m.Findings()) != m.Summary.Total() {
				t.Errorf("%d findings for %v", len(m.Findings()), m.Summary)
			}
			for _, f := range m.Findings() {
				if !strings.Contains(f.Encoding, "zip") && !strings.Contains(f.Encoding, "zlib") && !strings.Contains(f.Encoding, "bzip2") {
					t.Errorf("finding %+v does not name the compression", f)
				}
			}
			if c.check != nil {
				c.check(t, m.Body)
			}
			if again := e0.Mask(m.Body, mask.FormatAuto); again.Summary.Total() != 0 {
				t.Errorf("masking the output again found %v", again.Summary)
			}
			// The streaming masker (mandate mask) reads them the same way.
			var out bytes.Buffer
			s, err := e0.Stream(bytes.NewReader(c.in), &out, mask.FormatAuto)
			if err != nil || revealed(out.Bytes(), c.secret) || s.Summary.Total() == 0 {
				t.Errorf("Stream: %v %v %q", err, s.Summary, out.Bytes())
			}
		})
	}
}

// TestUnreadableCompressionIsWithheld: an input compressed in a format the masker cannot
// decode, an encrypted or oddly compressed zip entry, or a zip or zlib stream that does not
// decode is withheld whole, with the reason, as the whole input or as a part.
func TestUnreadableCompressionIsWithheld(t *testing.T) {
	t.Parallel()
	good := zipOf(t, false, "", "c.csv", "card "+hiddenCard)
	encrypted := bytes.Clone(good)
	encrypted[6] |= 1 // the local header's flags
	if i := bytes.Index(encrypted, []byte("PK\x01\x02")); i > 0 {
		encrypted[i+8] |= 1 // the central directory's
	}
	method := bytes.Clone(good)
	if i := bytes.Index(method, []byte("PK\x01\x02")); i > 0 {
		method[i+10] = 12 // bzip2, which archive/zip does not read
	}
	zlibCut := zlibOf("card " + hiddenCard + strings.Repeat(" and more", 50))
	zlibCut = zlibCut[:len(zlibCut)/2]
	for _, c := range []struct {
		name, reason string
		in           []byte
	}{
		{"xz", "xz", xzCard},
		{"zstd", "zstd", append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x10}, hiddenCard...)},
		{"7z", "7z", append([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), hiddenCard...)},
		{"rar", "rar", append([]byte("Rar!\x1a\x07\x01\x00"), hiddenCard...)},
		{"lz4", "lz4", append([]byte{0x04, 0x22, 0x4d, 0x18, 0x64, 0x40}, hiddenCard...)},
		{"compress", "compress", append([]byte{0x1f, 0x9d, 0x90}, hiddenCard...)},
		{"encrypted zip entry", "encrypted", encrypted},
		{"zip entry compressed with bzip2", "method 12", method},
		{"zip archive cut short", "unreadable", good[:len(good)-30]},
		{"zlib stream cut short", "zlib", zlibCut},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := e0.Mask(c.in, mask.FormatAuto)
			if !bytes.HasPrefix(m.Body, []byte(mask.WithheldMarker)) || m.Summary[mask.Withheld] != 1 || !strings.Contains(m.Withheld, c.reason) {
				t.Errorf("whole: %q %v %q", m.Body, m.Summary, m.Withheld)
			}
			in := []byte(`{"blob":"` + base64.StdEncoding.EncodeToString(c.in) + `"}`)
			if m := e0.Mask(in, mask.FormatJSON); m.Summary[mask.Withheld] != 1 || !bytes.Contains(m.Body, []byte(mask.WithheldMarker)) {
				t.Errorf("base64 in JSON: %q %v", m.Body, m.Summary)
			}
			var out bytes.Buffer
			if s, err := e0.Stream(bytes.NewReader(c.in), &out, mask.FormatAuto); err != nil || s.Withheld == "" || !bytes.HasPrefix(out.Bytes(), []byte(mask.WithheldMarker)) {
				t.Errorf("Stream: %v %q %q", err, s.Withheld, out.Bytes())
			}
		})
	}
}

// TestCompressionLookAlikesAreText: text that starts as a zlib header does, and bytes inside
// a layer that start so by chance and do not decode, are read as they were before.
func TestCompressionLookAlikesAreText(t *testing.T) {
	t.Parallel()
	for _, c := range [][2]string{
		{"x^ marks card " + hiddenCard, "x^ marks card [CARD]"},
		{"x^2 + y^2", "x^2 + y^2"},
		{"\b[0000", "\b[0000"}, // a zlib header, then a stored block cut short (found by FuzzText)
		{"BZh9 is a bzip2 header", "BZh9 is a bzip2 header"},
		{"PK is a zip's first two bytes", "PK is a zip's first two bytes"},
	} {
		if m := e0.Mask([]byte(c[0]), mask.FormatAuto); string(m.Body) != c[1] {
			t.Errorf("%q: got %q, want %q", c[0], m.Body, c[1])
		}
	}
	// 0x78 0x5e is a valid zlib header; what follows is not a stream.
	blob := base64.StdEncoding.EncodeToString(append([]byte{0x78, 0x5e}, bytes.Repeat([]byte{0xff, 0x00, 0x13}, 20)...))
	in := `{"id":"` + blob + `"}`
	if m := e0.Mask([]byte(in), mask.FormatJSON); string(m.Body) != in {
		t.Errorf("random bytes with a zlib header: got %q %v", m.Body, m.Summary)
	}
}

// TestCompressedBodiesUpToTheCap: a body served compressed ten times or more (as text
// compresses) is masked, up to the engine's cap uncompressed, as the same body plain would
// be: gzip, zip and zlib, as the whole body, and base64 of a zip in a JSON field. Before, a
// body that decoded to more than four times its size was withheld. Past the cap it still is.
func TestCompressedBodiesUpToTheCap(t *testing.T) {
	t.Parallel()
	racebuild.Heavy(t) // megabytes masked eight times: run in full by make test-plain
	// Rows of words and a random id compress about eight times, as JSON records do.
	rng := rand.New(rand.NewPCG(1, 2))
	var rows strings.Builder
	for rows.Len() < 1100<<10 {
		fmt.Fprintf(&rows, `{"note":"nothing to see here","id":"%08x"},`, rng.Uint32())
	}
	doc := `{"rows":[` + rows.String() + `{"email":"` + hiddenEmail + `"}]}`
	zipped := zipOf(t, false, "", "rows.json", doc)
	for name, in := range map[string][]byte{
		"gzip": gz(doc), "zip": zipped, "zlib": zlibOf(doc),
		"zip in base64 in JSON": []byte(`{"export":"` + base64.StdEncoding.EncodeToString(zipped) + `"}`),
	} {
		if len(in)*4 >= len(doc) || len(in)*16 < len(doc) {
			t.Fatalf("%s: %d bytes compressed from %d: not four to sixteen times", name, len(in), len(doc))
		}
		m := e0.Mask(in, mask.FormatAuto)
		if m.Withheld != "" || m.Summary[mask.Email] != 1 || revealed(m.Body, hiddenEmail) {
			t.Errorf("%s: %v %q", name, m.Summary, m.Withheld)
		}
		if m := mask.New(mask.WithMaxBytes(1<<20)).Mask(in, mask.FormatAuto); m.Summary[mask.Withheld] != 1 || revealed(m.Body, hiddenEmail) {
			t.Errorf("%s past a 1 MiB cap: %v %q", name, m.Summary, m.Withheld)
		}
	}
}

// TestContentEncodingUnread: a body served with a Content-Encoding the masker reads by its
// bytes (gzip, deflate as zlib, identity) is masked; any other, two at once, or a body that
// is not what its encoding names is not.
func TestContentEncodingUnread(t *testing.T) {
	t.Parallel()
	z, g := zlibOf("x"), gz("x")
	for _, c := range []struct {
		enc      string
		body     []byte
		readable bool
	}{
		{"", []byte("plain"), true},
		{"identity", []byte("plain"), true},
		{"gzip", g, true},
		{"X-GZIP", g, true},
		{" deflate ", z, true},
		{"identity, gzip", g, true},
		{"gzip", nil, true}, // nothing to read
		{"br", []byte("\x1b\x04\x00"), false},
		{"zstd", []byte("\x28\xb5\x2f\xfd"), false},
		{"compress", []byte("\x1f\x9d\x90"), false},
		{"gzip, br", g, false},
		{"gzip, gzip", g, false},
		{"deflate", []byte("plain, or raw DEFLATE"), false},
		{"gzip", []byte("plain"), false},
		{"aes128gcm", []byte("plain"), false},
	} {
		if why := mask.ContentEncodingUnread(c.enc, c.body); (why == "") != c.readable {
			t.Errorf("%q: %q", c.enc, why)
		}
	}
}

// FuzzContentEncoding: any header and body; readable only for at most one of gzip, x-gzip
// and deflate (beside identity) over a body of that encoding.
func FuzzContentEncoding(f *testing.F) {
	f.Add("gzip", []byte{0x1f, 0x8b, 8})
	f.Add("identity, deflate", []byte{0x78, 0x9c, 0, 0, 0, 0})
	f.Add("br", []byte("x"))
	f.Fuzz(func(t *testing.T, enc string, body []byte) {
		if mask.ContentEncodingUnread(enc, body) != "" {
			return
		}
		named := 0
		for _, tok := range strings.Split(enc, ",") {
			switch strings.ToLower(strings.TrimSpace(tok)) {
			case "", "identity":
			case "gzip", "x-gzip", "deflate":
				named++
			default:
				t.Fatalf("%q read", enc)
			}
		}
		if named > 1 {
			t.Fatalf("%q read", enc)
		}
	})
}
