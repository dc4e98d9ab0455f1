package mask_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mandate-dev/mandate/shared/mask"
	"github.com/mandate-dev/mandate/shared/racebuild"
)

// TestStreamMatchesMask: streaming a JSON document or stream gives the same bytes and counts
// as masking it whole.
func TestStreamMatchesMask(t *testing.T) {
	t.Parallel()
	e := mask.New(mask.WithFields("password"))
	docs := []string{
		string(customers(256 << 10)),
		`{"users":{"` + hiddenEmail + `":{"id":1,"ssn":123456789,"password":{"x":[1,"a"]}}},"n":[4111111111111111, "x"]}`,
		`{"blob":"` + b64("mail "+hiddenEmail) + `","a":"{\"b\":\"` + hiddenCard + `\"}"}`,
		"{\"id\":1}\n{\"id\":2,\"email\":\"" + hiddenEmail + "\"}\n[\"415-555-0132\"]\n",
		`{"e":"jane.doe\u0040example.com","k\u0065y":"x"}`,
		`[["4111","1111","1111","1111"],{"a":4111,"b":1111,"c":1111,"d":1111}]`,
		`["4111","1111","1111","1111"]`,
	}
	for i, d := range docs {
		whole := e.Mask([]byte(d), mask.FormatAuto)
		var out bytes.Buffer
		s, err := e.Stream(strings.NewReader(d), &out, mask.FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(whole.Body), out.String()); diff != "" {
			t.Errorf("doc %d: stream differs from Mask (-mask +stream):\n%s", i, diff)
		}
		if diff := cmp.Diff(whole.Summary, s.Summary); diff != "" {
			t.Errorf("doc %d: summary (-mask +stream):\n%s", i, diff)
		}
		if s.Read != int64(len(d)) || s.Written != int64(out.Len()) || s.Fallback {
			t.Errorf("doc %d: read %d written %d fallback %v", i, s.Read, s.Written, s.Fallback)
		}
	}
}

// TestStreamLargeInputs: text and CSV larger than a chunk are masked whole, with no value
// split at a chunk's edge; a stream that stops being JSON is masked as text from there.
func TestStreamLargeInputs(t *testing.T) {
	t.Parallel()
	e := mask.New()
	var text strings.Builder
	for i := 0; text.Len() < 3<<20; i++ {
		fmt.Fprintf(&text, "row %d,%s,card %s;", i, hiddenEmail, hiddenCard) // no line breaks at all
	}
	var out bytes.Buffer
	s, err := e.Stream(strings.NewReader(text.String()), &out, mask.FormatText)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "jane.doe") || strings.Contains(out.String(), "4111111111") {
		t.Error("a value survived streaming text")
	}
	n := strings.Count(text.String(), hiddenCard)
	if s.Summary[mask.Card] != n || s.Summary[mask.Email] != n {
		t.Errorf("summary %v, want %d of each", s.Summary, n)
	}

	var csv strings.Builder
	csv.WriteString("id,ssn,notes\n")
	for i := 0; csv.Len() < 3<<20; i++ {
		fmt.Fprintf(&csv, "%d,123456789,\"call\n415-555-0132, or %s\"\n", i, hiddenEmail)
	}
	out.Reset()
	s, err = e.Stream(strings.NewReader(csv.String()), &out, mask.FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(csv.String(), hiddenEmail)
	if strings.Contains(out.String(), "123456789") || strings.Contains(out.String(), "jane.doe") || s.Summary[mask.SSN] != rows {
		t.Errorf("CSV: %v, want %d SSNs", s.Summary, rows)
	}
	if !strings.HasPrefix(out.String(), "id,ssn,notes\n") || strings.Count(out.String(), "id,ssn,notes") != 1 {
		t.Error("CSV header not written once")
	}

	out.Reset()
	s, err = e.Stream(strings.NewReader(`{"a":"x"} oops `+hiddenCard+` `+hiddenEmail), &out, mask.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Fallback || strings.Contains(out.String(), "4111111111") || strings.Contains(out.String(), "jane.doe") {
		t.Errorf("invalid JSON part way: %q %+v", out.String(), s)
	}
}

// TestStreamHexDumpAcrossChunks: a stream is masked a chunk at a time, and a chunk cut
// between two lines of a hex dump split the values whose bytes those lines share: each
// chunk's dump held half a card, and both halves came back in clear in both columns. The cut
// now goes before the dump, or, in a dump longer than a chunk, after a line of the dumped
// text.
func TestStreamHexDumpAcrossChunks(t *testing.T) {
	racebuild.Heavy(t)
	t.Parallel()
	e := mask.New()
	// Fourteen addresses of 15 bytes and a space, then a line of text, 240 bytes in all, 8
	// bytes into the dump's lines of 16: an address crosses every line break of the dump but
	// one in fifteen, after which the dumped text has a line break.
	unit := strings.Repeat("jdoe@example.io ", 14) + "--- end\nrow ok: "
	for name, dump := range map[string]func([]byte) string{"xxd": xxdDump, "hexdump -C": hex.Dump} {
		for _, c := range []struct {
			name         string
			before, text string
		}{
			{"a dump longer than a chunk", "", "prefix: " + strings.Repeat(unit, 4000)},
			{"a dump after a chunk of text", strings.Repeat("nothing here but words\n", 44000), "prefix: " + strings.Repeat(unit, 400)},
		} {
			in := c.before + dump([]byte(c.text)) + "done\n"
			var out bytes.Buffer
			s, err := e.Stream(pieces{strings.NewReader(in)}, &out, mask.FormatText)
			if err != nil {
				t.Fatal(err)
			}
			// Every byte the output dumps, joined, and every text column: no card's digits.
			var shown, text []byte
			for _, l := range strings.Split(out.String(), "\n") {
				if f := strings.Fields(l); len(f) > 1 && len(f[0]) >= 8 {
					for _, g := range f[1:] {
						if b, err := hex.DecodeString(g); err == nil && len(g) <= 4 {
							shown = append(shown, b...)
						}
					}
					text = append(text, l[min(len(l), 51):]...)
				}
			}
			n := strings.Count(c.text, "jdoe@")
			if i := bytes.Index(shown, []byte("example")); i >= 0 || bytes.Contains(text, []byte("example")) || bytes.Contains(text, []byte("jdoe")) ||
				s.Summary[mask.Email] != n || !strings.HasSuffix(out.String(), "done\n") {
				t.Errorf("%s, %s: %d addresses masked of %d; an address in the output at %d: %q", name, c.name, s.Summary[mask.Email], n,
					i, shown[max(0, i-40):min(len(shown), max(0, i)+40)])
			}
		}
	}
}

// pieces reads at most 64 KiB at a time, as a pipe or a socket delivers: a stream's chunks
// then end wherever the input crossed the chunk size.
type pieces struct{ r io.Reader }

func (p pieces) Read(b []byte) (int, error) { return p.r.Read(b[:min(len(b), 64<<10)]) }

// TestStreamGzip: a gzip input is decompressed as it is read and masked.
func TestStreamGzip(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s, err := e0.Stream(bytes.NewReader(gz(`{"email":"`+hiddenEmail+`"}`)), &out, mask.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != `{"email":"[EMAIL]"}` || s.Summary[mask.Email] != 1 {
		t.Errorf("gzip stream: %q %v", out.String(), s.Summary)
	}
}

// TestStreamEscapedQuotes: strings with escaped quotes and backslashes are read whole.
func TestStreamEscapedQuotes(t *testing.T) {
	t.Parallel()
	for _, d := range []string{
		`{"a":"x\"y ` + hiddenEmail + `","b":"\\","c":"\\\\\"` + hiddenCard + `\"","d":"\\\""}`,
		`["\"","\\\\",""]`,
	} {
		whole := e0.Mask([]byte(d), mask.FormatJSON)
		var out bytes.Buffer
		if _, err := e0.Stream(strings.NewReader(d), &out, mask.FormatAuto); err != nil {
			t.Fatal(err)
		}
		if out.String() != string(whole.Body) {
			t.Errorf("stream %q, Mask %q", out.String(), whole.Body)
		}
	}
}

// TestStreamUTF16: UTF-16 input, with or without a byte order mark, is masked and written
// back as UTF-16.
func TestStreamUTF16(t *testing.T) {
	t.Parallel()
	for _, in := range [][]byte{utf16Bytes(`{"email":"`+hiddenEmail+`"}`, false, true), utf16Bytes("mail "+hiddenEmail, true, false)} {
		var out bytes.Buffer
		s, err := e0.Stream(bytes.NewReader(in), &out, mask.FormatAuto)
		if err != nil || revealed(out.Bytes(), hiddenEmail) || s.Summary[mask.Email] != 1 {
			t.Errorf("UTF-16 stream: %q %v %v", out.Bytes(), s.Summary, err)
		}
	}
}

// TestStreamCSVHeaderWithAValue: a header that itself holds a value to mask still labels the
// columns of every later chunk (a 9-digit ssn column is an SSN only by its label).
func TestStreamCSVHeaderWithAValue(t *testing.T) {
	t.Parallel()
	e := mask.New()
	var csv strings.Builder
	csv.WriteString("id,ssn,owner ada@example.com\n")
	for i := 0; csv.Len() < 3<<20; i++ {
		fmt.Fprintf(&csv, "%d,123456789,x\n", i)
	}
	var out strings.Builder
	s, err := e.Stream(strings.NewReader(csv.String()), &out, mask.FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(csv.String(), "123456789")
	if n := strings.Count(out.String(), "123456789"); n > 0 || s.Summary[mask.SSN] != rows {
		t.Errorf("%d of %d SSNs survived; summary %v", n, rows, s.Summary)
	}
	if strings.Contains(out.String(), "ada@example.com") || strings.Count(out.String(), "id,ssn,owner") != 1 {
		t.Errorf("header not written once, masked: %.80q", out.String())
	}
}

// TestStreamBatchesMatchMask: runs of array elements are masked in batches; across batch
// edges, elements longer than the look-ahead window, nested and empty arrays, and values
// split by white space between elements, the stream writes what Mask writes and its
// findings name the same paths (array indexes counted across batches).
func TestStreamBatchesMatchMask(t *testing.T) {
	t.Parallel()
	e := mask.New()
	var many strings.Builder
	many.WriteString(`{"rows":[`)
	for i := range 40000 { // several batches
		if i > 0 {
			many.WriteString(",\n ")
		}
		fmt.Fprintf(&many, `{"n":%d,"email":"u%d@example.com","tags":[[],["%s"]]}`, i, i, hiddenCard)
	}
	many.WriteString(`],"next":null}`)
	long := `[{"a":1},{"note":"` + strings.Repeat("x", 1<<21) + ` ` + hiddenEmail + `"},"` + hiddenEmail + `",[[["415-555-0132"]]],7]`
	docs := []string{many.String(), long, `[ ]`, `[[],[[]],{}]`, `["a", "b" ,"` + hiddenEmail + `" ]`}
	for i, d := range docs {
		whole := e.Mask([]byte(d), mask.FormatJSON)
		var out bytes.Buffer
		s, err := e.Stream(strings.NewReader(d), &out, mask.FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != string(whole.Body) {
			t.Errorf("doc %d: stream differs from Mask", i)
		}
		if diff := cmp.Diff(whole.Summary, s.Summary); diff != "" || s.Fallback {
			t.Errorf("doc %d: summary (-mask +stream):\n%s (fallback %v)", i, diff, s.Fallback)
		}
		if diff := cmp.Diff(whole.FindingsN(len(s.Findings)), s.Findings); diff != "" || (len(s.Findings) == 0) != (whole.Summary.Total() == 0) {
			t.Errorf("doc %d: findings (-mask +stream):\n%s", i, diff)
		}
	}

	// A card split by white space over two array "elements" is not JSON: it is found whole
	// as text, never written in part.
	for _, d := range []string{`[1, 4111 1111 1111 1111]`, `[{"a":1}, "x", 4111 1111 1111 1111, 2]`} {
		var out bytes.Buffer
		s, err := e.Stream(strings.NewReader(d), &out, mask.FormatAuto)
		if err != nil || !s.Fallback || strings.Contains(out.String(), "4111") || s.Summary[mask.Card] != 1 {
			t.Errorf("%s -> %q %v fallback %v err %v", d, out.String(), s.Summary, s.Fallback, err)
		}
	}
}

// TestStreamDocumentsInBatches: a stream of many documents (NDJSON) is masked in batches
// of whole documents, as Mask masks it, and each finding names its document as the
// token-by-token reading does ("document 2 /x/1/e").
func TestStreamDocumentsInBatches(t *testing.T) {
	t.Parallel()
	e := mask.New()
	var nd strings.Builder
	for i := 0; nd.Len() < 600<<10; i++ {
		fmt.Fprintf(&nd, "{\"n\":%d,\"x\":[1,{\"e\":\"u%d@example.com\"}]}\n", i, i)
	}
	nd.WriteString(`["415-555-0132"]` + "\n")
	whole := e.Mask([]byte(nd.String()), mask.FormatAuto)
	var out bytes.Buffer
	s, err := e.Stream(strings.NewReader(nd.String()), &out, mask.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(whole.Body) || s.Fallback {
		t.Errorf("stream differs from Mask (fallback %v)", s.Fallback)
	}
	if diff := cmp.Diff(whole.Summary, s.Summary); diff != "" {
		t.Errorf("summary (-mask +stream):\n%s", diff)
	}
	for i, want := range map[int]string{0: "/x/1/e", 1: "document 2 /x/1/e", 9999: "document 10000 /x/1/e"} {
		if i >= len(s.Findings) || s.Findings[i].Path != want {
			t.Errorf("finding %d of %d: want path %q", i, len(s.Findings), want)
		}
	}
}

// TestStreamInvalidUTF8: invalid UTF-8 in streamed JSON is replaced before scanning and
// counted, as Mask does, whether the values are masked in a batch or token by token (in a
// document longer than the look-ahead window).
func TestStreamInvalidUTF8(t *testing.T) {
	t.Parallel()
	e := mask.New()
	big := strings.Repeat("x", 1<<21)
	for _, d := range []string{
		"{\"a\":\"\xff " + hiddenEmail + "\"}",
		"[\"\xff x\",\"jane@ex\xffample.com\",{\"k\xfe\":1}]",
		"{\"big\":\"" + big + "\",\"a\":\"\xff " + hiddenEmail + "\",\"k\xfe\":[\"\xc3\"]}",
	} {
		whole := e.Mask([]byte(d), mask.FormatAuto)
		var out bytes.Buffer
		s, err := e.Stream(strings.NewReader(d), &out, mask.FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != string(whole.Body) || s.InvalidUTF8 != whole.InvalidUTF8 || s.InvalidUTF8 == 0 || s.Fallback {
			t.Errorf("%.40q: stream %.60q (%d replaced, fallback %v), Mask %.60q (%d)", d, out.String(), s.InvalidUTF8, s.Fallback, whole.Body, whole.InvalidUTF8)
		}
	}
}

// TestStreamDeepLongDocument: a document longer than the look-ahead window and nested
// thousands deep is streamed as Mask masks it; the batches that find no whole element do not
// look through the window again at every level (which made this take 0.5 s rather than
// 30 ms; the time is logged, not checked, on this shared machine).
func TestStreamDeepLongDocument(t *testing.T) {
	t.Parallel()
	const depth = 5000
	d := strings.Repeat(`[{"a":`, depth) + `"` + strings.Repeat("y", 1<<21) + ` ` + hiddenEmail + `"` + strings.Repeat(`}]`, depth)
	whole := e0.Mask([]byte(d), mask.FormatJSON)
	var out bytes.Buffer
	start := time.Now()
	s, err := e0.Stream(strings.NewReader(d), &out, mask.FormatAuto)
	took := time.Since(start)
	if err != nil || out.String() != string(whole.Body) || s.Summary[mask.Email] != 1 || s.Fallback {
		t.Errorf("deep document: %v %v fallback %v", err, s.Summary, s.Fallback)
	}
	t.Logf("%d levels, %d bytes: %v", depth, len(d), took)
}

// TestStreamCSVFindingsAcrossChunks: a CSV masked a chunk at a time reports what one Mask of
// the whole file reports: the header's value counted once (not once a chunk), and each row's
// finding under its row number in the file (numbers do not restart with a chunk).
func TestStreamCSVFindingsAcrossChunks(t *testing.T) {
	t.Parallel()
	e := mask.New()
	var csv strings.Builder
	csv.WriteString("id,ssn,owner ada@example.com,pad\n")
	pad := strings.Repeat("x", 600)
	rows := 0
	for ; csv.Len() < 3<<20; rows++ { // three chunks, fewer findings than a stream keeps
		fmt.Fprintf(&csv, "%d,123456789,x,%s\n", rows, pad)
	}
	s, err := e.Stream(strings.NewReader(csv.String()), io.Discard, mask.FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	if s.Summary[mask.Email] != 1 || s.Summary[mask.SSN] != rows {
		t.Fatalf("summary %v, want 1 email (the header's) and %d SSNs", s.Summary, rows)
	}
	var ssn []string
	emails := 0
	for _, f := range s.Findings {
		switch f.Detector {
		case mask.SSN:
			ssn = append(ssn, f.Path)
		case mask.Email:
			emails++
			if f.Path != "row 1 column 3" {
				t.Errorf("the header's email at %q", f.Path)
			}
		}
	}
	if emails != 1 || len(ssn) != rows {
		t.Fatalf("%d email and %d SSN findings, want 1 and %d", emails, len(ssn), rows)
	}
	for i, p := range ssn {
		if want := fmt.Sprintf("row %d column 2", i+2); p != want {
			t.Fatalf("SSN finding %d at %q, want %q", i, p, want)
		}
	}
}

// TestStreamBareScalarStaysJSON: an input that is one JSON scalar is masked as the JSON
// document it is, as Mask does: the output is still JSON (it was a bare [CARD]).
func TestStreamBareScalarStaysJSON(t *testing.T) {
	t.Parallel()
	e := mask.New()
	for _, in := range []string{"4115011111111", ` "ada@example.com"` + "\n", "4111111111111111"} {
		for _, f := range []mask.Format{mask.FormatAuto, mask.FormatJSON} {
			var out bytes.Buffer
			s, err := e.Stream(strings.NewReader(in), &out, f)
			if err != nil {
				t.Fatal(err)
			}
			whole := e.Mask([]byte(in), mask.FormatJSON)
			if out.String() != string(whole.Body) || !json.Valid(out.Bytes()) || s.Summary.Total() != 1 {
				t.Errorf("%q as %v: stream %q, Mask %q (summary %v)", in, f, out.String(), whole.Body, s.Summary)
			}
		}
	}
}

// TestStreamValueAcrossLines: a card number written one group per line is masked whole
// wherever a chunk of streamed text ends, never cut between its lines.
func TestStreamValueAcrossLines(t *testing.T) {
	racebuild.Heavy(t)
	t.Parallel()
	e := mask.New()
	for pad := range 5 {
		var text strings.Builder
		text.WriteString(strings.Repeat("x", pad))
		n := 0
		for ; text.Len() < 3<<20; n++ {
			text.WriteString("note\n4111\n1111\n1111\n1111\n")
		}
		var out bytes.Buffer
		s, err := e.Stream(strings.NewReader(text.String()), &out, mask.FormatText)
		if err != nil {
			t.Fatal(err)
		}
		if s.Summary[mask.Card] != n || strings.Contains(out.String(), "4111") {
			t.Errorf("pad %d: %d cards masked of %d", pad, s.Summary[mask.Card], n)
		}
	}
}
