package mask

import (
	"bytes"
	"maps"
	"strings"
	"testing"
)

// FuzzText checks that every value the scanner detects in a text is gone from the output:
// each of its occurrences that was detected is removed, no redaction can recreate one, and
// the summary counts each.
// Inputs of odd length are masked with the national plans of six regions.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"contact bob@example.com or 415-555-0132, card 4111-1111-1111-1111, SSN: 123456789",
		"a@b.com a@b.com0 415-555-0132 x415-555-0132",
		"+1 415 555 0132 4111 1111 1111 1111 12/25 (020) 7946 0958",
		"ssn 123 45 6789, phone: 14155550132",
		"912 345 678, (11) 96123-4567, 030 123456, 1800 123 456",
	} {
		f.Add(s)
	}
	plain, regional := New(), New(WithPhoneRegions("ES", "BR", "DE", "AU", "IN", "FR"))
	f.Fuzz(func(t *testing.T, text string) {
		e := plain
		if len(text)%2 == 1 {
			e = regional
		}
		out, sum := e.Text([]byte(text))
		raw := []byte(text)
		// What Text scans: invalid UTF-8 replaced, other spellings folded (fold.go). The
		// output is folded the same way to look for what is left of a value.
		clean, _ := validUTF8([]byte(text))
		if f, _, ok := fold(clean, nil, len(clean)); ok {
			clean = f
		}
		text = string(clean)
		folded := out
		if f, _, ok := fold(out, nil, len(out)); ok {
			folded = f
		}
		found := detectionsWith(e, text)
		total := 0
		for k, n := range found {
			total += n
			v := []byte(k[1])
			if in, left := overlapping([]byte(text), v), overlapping(folded, v); left > in-n {
				t.Fatalf("%s %q detected %d times, %d of %d occurrences left: %q -> %q", k[0], v, n, left, in, text, out)
			}
		}
		// The summary counts every value the scanner found, unless the text holds an
		// encoded layer, which the scanner of the text as written cannot see into: a value
		// found only decoded ("a%40b.com", "%000100000000") counts one more, and values
		// found on both sides of an escape are one replacement ("bob@x.com%20alice@y.org"
		// is one [EMAIL]). Every value found is still gone from the output (above).
		// A compressed or archived input (as it came, before invalid UTF-8 is replaced) that
		// does not decode is withheld, and one read as UTF-16 is scanned decoded.
		if total != sum.Total() && !mayHoldLayer(text) && !compressedInput(raw) && !utf16Input(raw) {
			t.Fatalf("scanner found %d values, summary says %v", total, sum)
		}
	})
}

// utf16Input reports whether Text reads raw as UTF-16 (after a byte order mark, or shaped as
// ASCII in UTF-16 is), whose values the scanner of the bytes as they came cannot see.
func utf16Input(raw []byte) bool {
	_, enc, _ := sniff(raw, len(raw), &budget{left: len(raw)})
	return strings.HasPrefix(enc, "utf-16")
}

// mayHoldLayer reports whether text could hold what Text decodes and masks as an input of
// its own, or reads again: a percent-, form-, entity-, quoted-printable- or
// backslash-escaped word, a base64 or hex run, a list of hex bytes, tags or Markdown
// emphasis before digits, an address with a bracketed "at", digits written as words, or a
// line break between digits.
func mayHoldLayer(text string) bool {
	if strings.ContainsAny(text, "%&+\\") {
		return true
	}
	for i := 0; i+2 < len(text); i++ { // a quoted-printable escape
		if text[i] == '=' && upperHex(text[i+1]) && upperHex(text[i+2]) {
			return true
		}
	}
	if strings.ContainsRune(text, 0x1B) {
		return true // a terminal's escape sequence, read again without it (markup.go)
	}
	if strings.Contains(text, "=\n") || strings.Contains(text, "=\r\n") {
		return true // a quoted-printable soft line break (a form feed folds to '\n' first)
	}
	lower := strings.ToLower(text)
	for _, at := range []string{"[at", "(at", "{at", "<at", "[@", "(@", "{@", "<@", " @", "@ ", " at ", "[dot", "(dot", "{dot", "<dot", "[.", "(.", "{.", "<.", " . "} {
		if strings.Contains(lower, at) {
			return true // an address spelled with a bracketed or spaced '@' or dot (spelledAddress)
		}
	}
	for i := 0; i+1 < len(text); i++ {
		if c := text[i+1]; text[i] == '<' && (isLetter(c) || c == '/' || c == '!') {
			return true
		}
		if emphByte[text[i]] && isDigit(text[i+1]) {
			return true // a Markdown emphasis or code delimiter before digits, read without it (markup.go)
		}
	}
	for i := 0; i < len(text); i++ { // a line break between digits, read again as a space (wrap.go)
		if text[i] != '\n' {
			continue
		}
		a, b := i, i+1
		for a > 0 && (text[a-1] == ' ' || text[a-1] == '\t' || text[a-1] == '\r') {
			a--
		}
		for b < len(text) && (text[b] == ' ' || text[b] == '\t') {
			b++
		}
		if a > 0 && isDigit(text[a-1]) && b < len(text) && isDigit(text[b]) {
			return true
		}
	}
	for i := range len(text) { // digits written as words
		if (i == 0 || !isLetter(text[i-1])) && digitWordAt([]byte(text), i) {
			return true
		}
	}
	pairs := 0 // hex digits between list separators: a list of hex bytes (hexList)
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case hexSet[c], c == 'x', c == 'X':
		case c == ' ' || c == ':' || c == ',':
			if pairs++; pairs >= minHexList {
				return true
			}
		default:
			pairs = 0
		}
	}
	run := 0
	for i := 0; i < len(text); i++ {
		if b64Any[text[i]] {
			if run++; run >= minBase64 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// overlapping counts the occurrences of v in s, overlapping ones included.
func overlapping(s, v []byte) int {
	n := 0
	for i := 0; i+len(v) <= len(s); i++ {
		if bytes.Equal(s[i:i+len(v)], v) {
			n++
		}
	}
	return n
}

// TestSpecial8 checks the eight-byte string scan never misses a byte that ends a plain run.
func TestSpecial8(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		for p := range 8 {
			w := []byte("abcdefgh")
			w[p] = byte(c)
			got := special8(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)
			if !strPlain[c] && !got {
				t.Fatalf("special8 missed byte %#x at %d", c, p)
			}
		}
	}
	if special8(0x6867666564636261) {
		t.Fatal("special8 reports a plain run of letters")
	}
}

// FuzzModes checks, for any text and any mode, that no value a detector finds survives in
// the output (a partial form keeps at most a tail of it, never the whole), that the summary
// counts every value, and that each token minted stands in the output.
func FuzzModes(f *testing.F) {
	for _, s := range []string{
		"contact bob@example.com or 415-555-0132, card 4111-1111-1111-1111, SSN: 123456789",
		"IBAN DE89370400440532013000 from 10.0.0.1 and fe80::1:2, DOB: 1990-04-12",
		"password=hunter2!x postgres://app:s3cr3t@db:5432/x AKIAIOSFODNN7EXAMPL2",
		"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijklmnop",
	} {
		for m := range byte(4) {
			f.Add(m, s)
		}
	}
	key := bytes.Repeat([]byte{9}, 32)
	engines := make([]*Engine, 4)
	for m := range engines {
		engines[m] = New(WithMode(Mode(m), names[:]...), WithKey(key))
	}
	f.Fuzz(func(t *testing.T, mode byte, text string) {
		e := engines[int(mode)%len(engines)]
		raw := []byte(text)
		m := e.Mask(raw, FormatText)
		// What Mask scans: invalid UTF-8 replaced, other spellings folded.
		clean, _ := validUTF8([]byte(text))
		if f, _, ok := fold(clean, nil, len(clean)); ok {
			clean = f
		}
		text = string(clean)
		body := m.Body
		if f, _, ok := fold(body, nil, len(body)); ok {
			body = f
		}
		found := detections(text, "")
		total := 0
		for k, n := range found {
			total += n
			v := []byte(k[1])
			if len(v) < 5 {
				continue // a value this short can recur by chance in a token or a kept tail
			}
			if in, left := overlapping([]byte(text), v), overlapping(body, v); left > in-n {
				t.Fatalf("mode %d: %s %q detected %d times, %d of %d occurrences left: %q -> %q", mode%4, k[0], v, n, left, in, text, m.Body)
			}
		}
		if total != m.Summary.Total() && !mayHoldLayer(text) && !compressedInput(raw) && !utf16Input(raw) { // as in FuzzText
			t.Fatalf("scanner found %d values, summary says %v", total, m.Summary)
		}
		for _, tk := range m.Tokens {
			if !bytes.Contains(m.Body, []byte(tk.Token)) {
				t.Fatalf("token %q is not in the output", tk.Token)
			}
		}
	})
}

// FuzzStreamBatches checks that masking a JSON stream in batches of whole values and token
// by token write the same bytes and counts, whenever neither falls back to text.
func FuzzStreamBatches(f *testing.F) {
	for _, s := range []string{
		`{"users":[{"email":"bob@example.com","phone":"415-555-0132"},{"ssn":123456789}],"n":[4111111111111111,"x"]}`,
		"{\"id\":1}\n{\"id\":2,\"email\":\"bob@example.com\"}\n[\"415-555-0132\"]\n",
		`[{"bob@example.com":1,"ann@example.com":2},"a\"b",[[],{}],{"password":{"x":[1]}}]`,
		"[\"\xff bob@example.com\",{\"k\xfe\":\"4111 1111 1111 1111\"}]",
	} {
		f.Add([]byte(s))
	}
	batches := New(WithFields("password"))
	tokens := New(WithFields("password"))
	tokens.tokens = true
	f.Fuzz(func(t *testing.T, in []byte) {
		var a, b bytes.Buffer
		sa, erra := batches.Stream(bytes.NewReader(in), &a, FormatAuto)
		sb, errb := tokens.Stream(bytes.NewReader(in), &b, FormatAuto)
		if (erra == nil) != (errb == nil) {
			t.Fatalf("errors differ: %v, %v", erra, errb)
		}
		if erra != nil || sa.Fallback || sb.Fallback {
			return
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("%q: batches %q, tokens %q", in, a.Bytes(), b.Bytes())
		}
		if !maps.Equal(sa.Summary, sb.Summary) || sa.InvalidUTF8 != sb.InvalidUTF8 {
			t.Fatalf("%q: batches %v (%d replaced), tokens %v (%d)", in, sa.Summary, sa.InvalidUTF8, sb.Summary, sb.InvalidUTF8)
		}
	})
}
