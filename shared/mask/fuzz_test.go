package mask_test

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/mask"
)

var fuzzSeeds = []string{
	`{"email":"bob@example.com","phone":"(415) 555-0132","card":4111111111111111,"ssn":"123-45-6789"}`,
	`[{"notes":"call +44 20 7946 0958 or 415.555.0132\n","n":[1,2.5e3,-7,true,null]}]`,
	`{"e":"bob\u0040example.com","s":"\ud83d\ude00 4111 1111 1111 1111","k\u0065y":"x"}`,
	`{"ssn":123456789,"homePhone":"4155550132","password":{"a":[1]}}`,
	`contact bob@example.com or 415-555-0132, card 4111-1111-1111-1111, SSN: 123456789`,
	`{"truncated": "bob@example.com",`,
	`"\"\\\/\b\f\n\r\t\u00e9"`,
	"2024-01-15T10:30:00Z 10.0.0.12 v1.2.3 ORD-415-555-0132 +37.774929",
	"a@b.com@c.org 415 555 0132 4111 1111 1111 1111 (378282246310005)",
}

// FuzzApply checks, for any input: Apply never panics; a valid JSON input gives valid JSON
// with the same keys in the same order; JSON accepts exactly what encoding/json accepts; and
// no detected value survives, which the engine shows by finding nothing in its own output.
func FuzzApply(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	e := mask.New(mask.WithFields("password"))
	plain := mask.New()
	f.Fuzz(func(t *testing.T, in []byte) {
		out, sum := e.Apply(in)
		valid := json.Valid(in)
		_, _, err := e.JSON(in)
		if (err == nil) != valid {
			t.Fatalf("JSON error %v, but json.Valid = %v", err, valid)
		}
		if valid {
			if !json.Valid(out) {
				t.Fatalf("valid input, invalid output: %q", out)
			}
			// Named fields may hide keys inside their values; compare keys with no fields.
			pout, _ := plain.Apply(in)
			kin := keys(in)
			for i, k := range kin {
				kin[i] = maskedKey(k)
			}
			if diff := cmp.Diff(kin, keys(pout)); diff != "" {
				t.Fatalf("keys changed (-in +out):\n%s", diff)
			}
		}
		// A named field is masked whatever it holds, "[REDACTED]" included, so it is left out.
		again, sum2 := e.Apply(out)
		if sum2.Total() != sum2[mask.Field] || !bytes.Equal(again, out) {
			t.Fatalf("a detected value survived: %q -> %q (%v) -> %q (%v)", in, out, sum, again, sum2)
		}
		// Invalid UTF-8 is replaced and UTF-16 written back from what it decoded to; any
		// other input with nothing masked comes back as it was.
		if sum.Total() == 0 && utf8.Valid(in) && bytes.IndexByte(in, 0) < 0 && !bytes.Equal(out, in) {
			t.Fatalf("nothing masked but output differs: %q -> %q", in, out)
		}
	})
}

// FuzzKnown masks any input, read as any format, with a known value (one Mandate put into
// the request): no panic, and the value does not come back as it is, upper- or lower-cased,
// or reversed. The value is one knownShapes looks for: ASCII, a digit in it, at least eight
// letters and digits, no more than four other bytes in a row, no brackets (the markers').
func FuzzKnown(f *testing.F) {
	f.Add([]byte(`{"echo":"MDT-ZQ84KPX2LW9"}`), "mdt-Zq84kPx2Lw9", uint8(0))
	f.Add([]byte("key m d t - z q 8 4 k p x 2, 2xPk48qZ-tdm"), "mdt-Zq84kPx2", uint8(1))
	f.Add([]byte(`{"a":"6d64742d5a7138346b5078"}`), "mdt-Zq84kPx", uint8(2))
	long := regexp.MustCompile(`[^A-Za-z0-9]{5}`)
	e := mask.New()
	formats := []mask.Format{mask.FormatJSON, mask.FormatText, mask.FormatAuto, mask.FormatCSV, mask.FormatNDJSON, mask.FormatXML}
	f.Fuzz(func(t *testing.T, in []byte, known string, fm uint8) {
		alnum := 0
		for i := 0; i < len(known); i++ {
			c := known[i]
			if c >= utf8.RuneSelf || c < ' ' {
				return
			}
			if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				alnum++
			}
		}
		if alnum < 8 || !strings.ContainsAny(known, "0123456789") || strings.ContainsAny(known, "[]") || long.MatchString(known) {
			return
		}
		m := e.MaskKnown(in, formats[int(fm)%len(formats)], []string{known})
		r := []byte(known)
		slices.Reverse(r)
		for _, shape := range []string{known, strings.ToUpper(known), strings.ToLower(known), string(r)} {
			if bytes.Contains(m.Body, []byte(shape)) {
				t.Fatalf("known %q came back as %q: %q -> %q", known, shape, in, m.Body)
			}
		}
	})
}

// FuzzParseProfiles: a profile document (an administrator's input) never panics the parser or
// the catalog, and every profile it accepts compiles into an engine that runs.
func FuzzParseProfiles(f *testing.F) {
	f.Add([]byte("profiles:\n  - {name: scrub, default_mode: redact, requests: mask}\n"))
	f.Add(mask.BuiltinProfiles())
	f.Add([]byte("profiles:\n  - {name: x, modes: {email: token}, fields: [a], max_bytes: 10}\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		profiles, err := mask.ParseProfiles(doc)
		if err != nil {
			return
		}
		c, err := mask.NewCatalog(doc, bytes.Repeat([]byte{7}, 32))
		if err != nil {
			t.Fatalf("ParseProfiles accepted what NewCatalog refuses: %v", err)
		}
		for _, p := range profiles {
			e, err := c.Engine(p.Name)
			if err != nil {
				t.Fatalf("accepted profile %q has no engine: %v", p.Name, err)
			}
			e.Text([]byte("mail ada@example.com, card 4111 1111 1111 1111"))
		}
	})
}

// FuzzDecoders feeds every reader and decoder (NDJSON, XML, CSV, base64, hex, URL,
// quoted-printable, HTML and backslash escapes, spelled-out addresses and digits, gzip, UTF-16, values split by
// markup) with any input and checks: no panic; a finding for every value counted; output
// that is valid UTF-8 (or UTF-16 written back as it came); and nothing found when the
// output is masked again.
func FuzzDecoders(f *testing.F) {
	for _, s := range []string{
		"{\"a\":1}\n{\"email\":\"bob@example.com\"}\n",
		`<u id="1" mail="bob@example.com"><ssn>123456789</ssn><![CDATA[4111111111111111]]><!-- x --></u>`,
		`<r><m>bob&#64;example.com &amp; more</m></r>`,
		`{"b":"` + b64("card 4111111111111111") + `","u":"a?e=bob%40example.com&x=1"}`,
		"name,notes\n\"Doe, J\",\"call\n415-555-0132\"\n",
		string(gz(`{"email":"bob@example.com"}`)),
		string(utf16Bytes("mail bob@example.com", false, true)),
		`{"a":"{\"b\":\"{\\\"c\\\":\\\"bob@example.com\\\"}\"}"}`,
		"<p>card 4111<b>1111</b>1111 1111, <i>bob</i>@example.com</p><td>415</td><td>555-0132</td>",
		"password=hunt<b>er2x</b>; 123-45-<!-- x -->6789 x<5 y>3",
		`mail jane\u005fdoe\u0040example.com \x34111111111111111 \ud83d\ude00 C:\xampp`,
		"\xfe\xffcard 4111111111111111 ok",
		"card 4111_1111_1111_1111 or\n5555\n5555\n5555\n4444\n1/4111/1111/1111/1111",
		"jane.doe [at] example [dot] com, bob(at)x.org, a {at} b",
		"card 4 one 1 one, one one one one, one one one one, one one one one; Four-One-One",
		"hex 34313131313131313131313131313131 0x616461406578616d706c652e636f6d \\x3431 ABCDEF0123456789",
		"qp card=20=34=31=31=31=31=31=31=31=31=31=31=31=31=31=31=31 Caf=C3=A9 a=3D=3D=3D",
		"hex 34 31 31 31 31 31 31 31 31 31 31 31 31 31 31 31 {0x6a, 0x61, 0x6e, 0x65, 0x40, 0x78, 0x2e, 0x6f, 0x72, 0x67} 3431 3131",
		"card 4111 1111 1111 111\\u0031 \\x1b[1m%34111 1111 1111 1111 jane [dot] doe AT example DOT com",
	} {
		for fm := range 6 {
			f.Add([]byte(s), uint8(fm))
		}
	}
	// Compressed and archived inputs (archive.go): a zip, zlib, bzip2, xz, and a zip as
	// base64 in JSON.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("a/bob@example.com.csv")
	w.Write([]byte("id,card\n1,4111111111111111\n"))
	zw.SetComment("by bob@example.com")
	zw.Close()
	var lb bytes.Buffer
	lw := zlib.NewWriter(&lb)
	lw.Write([]byte(`{"email":"bob@example.com"}`))
	lw.Close()
	for _, in := range [][]byte{zb.Bytes(), lb.Bytes(), bzip2Card, xzCard, []byte(`{"f":"` + base64.StdEncoding.EncodeToString(zb.Bytes()) + `"}`)} {
		f.Add(in, uint8(0))
	}
	e := mask.New()
	f.Fuzz(func(t *testing.T, in []byte, fm uint8) {
		format := mask.Format(fm % 6)
		m := e.Mask(in, format)
		if len(m.Findings()) != m.Summary.Total() {
			t.Fatalf("%d findings for %v: %q -> %q", len(m.Findings()), m.Summary, in, m.Body)
		}
		bom := bytes.HasPrefix(m.Body, []byte{0xff, 0xfe}) || bytes.HasPrefix(m.Body, []byte{0xfe, 0xff})
		if !bom && bytes.IndexByte(m.Body, 0) < 0 && !utf8.Valid(m.Body) {
			t.Fatalf("invalid UTF-8 out: %q -> %q", in, m.Body)
		}
		again := e.Mask(m.Body, format)
		if again.Summary.Total() != 0 {
			t.Fatalf("masking the output again found %v: %q -> %q -> %q", again.Summary, in, m.Body, again.Body)
		}
	})
}

// FuzzStream checks the streaming masker on any input and format: no panic or error from a
// reader that never fails; what it counts it found; and nothing found when its output is
// masked again as the same format. On valid JSON it writes what Mask writes, invalid UTF-8
// replaced alike.
func FuzzStream(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte("{\"a\":\"x\\\"y bob@example.com\"}\n[1,\"4111111111111111\"]"), uint8(0))
	f.Add([]byte("id,ssn\n1,123456789\n"), uint8(4))
	e := mask.New(mask.WithFields("password"))
	f.Fuzz(func(t *testing.T, in []byte, fm uint8) {
		format := []mask.Format{mask.FormatAuto, mask.FormatJSON, mask.FormatNDJSON, mask.FormatText, mask.FormatCSV}[int(fm)%5]
		var out bytes.Buffer
		s, err := e.Stream(bytes.NewReader(in), &out, format)
		if err != nil {
			return // a gzip header that does not open
		}
		if len(s.Findings) != s.Summary.Total() {
			t.Fatalf("%d findings for %v", len(s.Findings), s.Summary)
		}
		// Masked again as the same format, the output holds nothing (a named field is masked
		// whatever it holds, so it is left out).
		again := e.Mask(out.Bytes(), format)
		if again.Summary.Total() != again.Summary[mask.Field] {
			t.Fatalf("a value survived streaming: %q -> %q (%v)", in, out.Bytes(), again.Summary)
		}
		if format == mask.FormatAuto && json.Valid(in) && !s.Fallback {
			if whole := e.Mask(in, mask.FormatJSON); !bytes.Equal(whole.Body, out.Bytes()) {
				t.Fatalf("stream %q, Mask %q", out.Bytes(), whole.Body)
			}
		}
	})
}
