package mask

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"html"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the places a value can hide beyond plain text: encodings (base64 and
// base64url, hex, URL percent-encoding, quoted-printable, HTML/XML entities, gzip, UTF-16)
// and the findings that say where each masked value was. An encoded run is decoded, masked as
// an input of its own (one layer deeper, within a budget shared by the whole call) and, when
// something in it was masked, written back encoded as it was, so the output keeps its shape.
// A run that cannot be inspected within the limits is replaced whole by WithheldMarker: never
// passed through.

// Limits of decoding.
const (
	// MaxLayers is how many encodings deep a value is decoded (base64 of gzip of JSON is
	// three); an encoded run found deeper is withheld.
	MaxLayers = 4
	// minBudget is the fewest decoded bytes one call may produce in all its layers
	// (decodeBudget).
	minBudget = 1 << 20
	// minBase64 is the shortest base64 run decoded (12 bytes decoded).
	minBase64 = 16
	// minHex is the shortest run of hex digits decoded (8 bytes decoded).
	minHex = 16
	// minBase32 is the shortest run of base32 letters decoded (10 bytes decoded).
	minBase32 = 16
	// minQP is the fewest "=XX" escapes that make a word quoted-printable: fewer are as
	// often an assignment ("ext=77", "limit=20").
	minQP = 3
	// MinKnownBytes is the shortest known value MaskKnown looks for.
	MinKnownBytes = 4
)

// WithheldMarker starts what replaces a part that could not be inspected; the reason and
// "]" follow.
const WithheldMarker = "[MASK: WITHHELD: "

// Encoding names in findings.
const (
	encBase64     = "base64"
	encBase64URL  = "base64url"
	encPercent    = "url"
	encEntity     = "html"
	encGzip       = "gzip"
	encJSON       = "json"   // a JSON document inside a JSON string
	encCSV        = "csv"    // a CSV document inside a JSON string
	encMarkup     = "markup" // a value split by tags or comments
	encBackslash  = "backslash"
	encHex        = "hex"
	encBase32     = "base32"
	encQP         = "quoted-printable" // MIME's "=XX" escapes (RFC 2045)
	encSpelled    = "spelled"          // an address with its '@' and dots written as words
	encUTF16LE    = "utf-16le"
	encUTF16BE    = "utf-16be"
	encUTF16LEBOM = "utf-16le-bom"
	encUTF16BEBOM = "utf-16be-bom"
)

// Finding says where one masked value was. It never carries the value.
type Finding struct {
	// Detector is the detector's name, or Withheld.
	Detector string `json:"detector"`
	// Path is where the value was: a JSON pointer ("/users/0/email"), "line 3 /a/b" in an
	// NDJSON stream, "row 2 column 3" in CSV, an XML path ("/a/b/@id"), "line 4 column 9" in
	// text; a value found in a decoded layer adds " > " and its path inside that layer.
	// Paths are read from the masked output, so a masked key shows masked.
	Path string `json:"path"`
	// Key is set when the value was in a JSON object key rather than a value.
	Key bool `json:"key,omitempty"`
	// Encoding lists the encodings the value was found under, outermost first, joined by
	// '>' ("base64>gzip>json"); empty for a value in the clear.
	Encoding string `json:"encoding,omitempty"`
}

// location is what the walker knows of where the values being scanned are.
type location struct {
	row, col int // CSV record and column (1-based), or NDJSON document line
	key      bool
	xpath    string
}

// rawFinding is a finding before its path is written: off is its offset in the output,
// and segs[segFrom:segTo] of its writer its JSON path.
type rawFinding struct {
	off            int32
	row, col       int32
	segFrom, segTo int32
	note           int32    // 1 + the index of its note in the writer's notes; 0: none
	det            detector // numDetectors: withheld
	key            bool
}

// note is what few findings carry: an XML path, the encodings of a value found in a layer
// and its path inside that layer.
type note struct {
	xpath, enc, inner string
}

// segment is one step of a JSON path: a member key (src[start:end], raw) or an array index.
type segment struct {
	start, end int32
	index      int32 // -1 for a key
	escaped    bool
	det        detector // for a key that held a value: its detector (numDetectors: none)
}

// finding records a finding at output offset off with the current location and path.
func (w *writer) finding(off int, det detector) rawFinding {
	f := rawFinding{off: int32(off), det: det, key: w.loc.key, row: int32(w.loc.row), col: int32(w.loc.col)}
	if w.loc.xpath != "" {
		f = w.withNote(f, note{xpath: w.loc.xpath})
	}
	if w.path != nil && len(*w.path) > 0 {
		f.segFrom = int32(len(w.segs))
		w.segs = append(w.segs, *w.path...)
		f.segTo = int32(len(w.segs))
	}
	return f
}

// withNote attaches n to f.
func (w *writer) withNote(f rawFinding, n note) rawFinding {
	w.notes = append(w.notes, n)
	f.note = int32(len(w.notes))
	return f
}

// noteOf returns the note of f (the zero note when it has none).
func noteOf(notes []note, f rawFinding) note {
	if f.note == 0 {
		return note{}
	}
	return notes[f.note-1]
}

// pointer appends the JSON pointer of segs (keys of src) to b.
func pointer(b []byte, src []byte, segs []segment) []byte {
	for _, s := range segs {
		b = append(b, '/')
		switch {
		case s.index >= 0:
			b = strconv.AppendInt(b, int64(s.index), 10)
		case s.det < numDetectors:
			b = append(b, redactions[s.det]...)
		default:
			k := src[s.start:s.end]
			if s.escaped {
				k = decodeKey(k)
			}
			for _, c := range k { // RFC 6901: '~' as "~0", '/' as "~1"
				switch c {
				case '~':
					b = append(b, '~', '0')
				case '/':
					b = append(b, '~', '1')
				default:
					b = append(b, c)
				}
			}
		}
	}
	return b
}

// budget bounds the decoding of one call.
type budget struct {
	left  int // decoded bytes still allowed
	known [][]byte
	// shapes are the known values' skeletons as a target may hand them back otherwise
	// (knownShapes); skel and at are knownMatches' scratch.
	shapes [][]byte
	skel   []byte
	at     []int32
}

func (b *budget) take(n int) bool {
	if n > b.left {
		return false
	}
	b.left -= n
	return true
}

// knownValues keeps the values long enough to look for.
func knownValues(list []string) [][]byte {
	var out [][]byte
	for _, v := range list {
		if len(v) >= MinKnownBytes {
			out = append(out, []byte(v))
		}
	}
	return out
}

// minSkeleton is the fewest letters and digits a known value needs to be looked for in
// other shapes: fewer would turn up by chance in ordinary text.
const minSkeleton = 8

// maxKnownGap is the most bytes that may stand between two characters of a known value in
// another shape ("m d t", "m\x00d\x00t", "4111 - 1111").
const maxKnownGap = 4

// skeleton appends to dst the letters (lower-cased) and digits of s, each folded to ASCII
// (full-width, mathematical, lookalike letters), and to at where each came from. Any other
// character is a gap; a gap longer than maxKnownGap bytes is written as a 0 byte, which no
// skeleton holds, so no match spans it.
func skeleton(dst []byte, at []int32, s []byte) ([]byte, []int32) {
	gap := 0
	for i := 0; i < len(s); {
		c, n := s[i], 1
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			n = size
			if b, ok := foldRune(r); ok && b != 0 {
				c = b
			}
		}
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			gap += n
			if gap > maxKnownGap && len(dst) > 0 && dst[len(dst)-1] != 0 {
				dst = append(dst, 0)
				at = append(at, int32(i))
			}
			i += n
			continue
		}
		gap = 0
		dst = append(dst, c)
		at = append(at, int32(i))
		i += n
	}
	return dst, at
}

// knownShapes returns the shapes a target may hand a known value back in, as skeletons: the
// value with its case changed or spread out, reversed, in hex, and a number without its
// leading zeros. Base64, URL, HTML and JSON escapes are decoded before any matching, so they
// need no shape of their own.
func knownShapes(known [][]byte) [][]byte {
	var out [][]byte
	for _, v := range known {
		sk, _ := skeleton(make([]byte, 0, len(v)), make([]int32, 0, len(v)), v)
		if bytes.IndexByte(sk, 0) >= 0 || len(sk) < minSkeleton {
			continue
		}
		rev := slices.Clone(sk)
		slices.Reverse(rev)
		out = append(out, sk, rev, []byte(hex.EncodeToString(v)))
		// A number read and written back as one loses them (078051120).
		if t := bytes.TrimLeft(sk, "0"); len(t) < len(sk) && len(t) >= minSkeleton && allDigits(t) {
			out = append(out, t)
		}
	}
	return out
}

// withheld appends the marker of a withheld part.
func withheld(out []byte, reason string) []byte {
	out = append(out, WithheldMarker...)
	out = append(out, reason...)
	return append(out, ']')
}

// sniff recognises a gzip or UTF-16 input and returns it decoded (UTF-8), with the name of
// the encoding; reason is set when it cannot be decoded within limit and the budget.
func sniff(src []byte, limit int, b *budget) (out []byte, enc, reason string) {
	switch {
	case isGzip(src):
		d, reason := gunzip(src, min(limit, b.left))
		if reason != "" {
			return nil, encGzip, reason
		}
		b.take(len(d))
		return d, encGzip, ""
	case len(src) >= 2 && len(src)%2 == 0 && src[0] == 0xff && src[1] == 0xfe:
		return fromUTF16(src[2:], false), encUTF16LEBOM, ""
	case len(src) >= 2 && len(src)%2 == 0 && src[0] == 0xfe && src[1] == 0xff:
		return fromUTF16(src[2:], true), encUTF16BEBOM, ""
	}
	if le, ok := utf16Shaped(src); ok {
		if le {
			return fromUTF16(src, false), encUTF16LE, ""
		}
		return fromUTF16(src, true), encUTF16BE, ""
	}
	return src, "", ""
}

// gunzip decompresses src, at most limit bytes out; a longer or corrupt stream is a reason
// to withhold it.
func gunzip(src []byte, limit int) ([]byte, string) {
	r, err := gzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, "gzip stream unreadable"
	}
	d, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, "gzip stream unreadable"
	}
	if len(d) > limit {
		return nil, "gzip stream larger than the decoding limit"
	}
	return d, ""
}

// regzip compresses d again.
func regzip(d []byte) []byte {
	return compress(d, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) })
}

// compress writes d through the compressor open makes and returns what it wrote.
func compress(d []byte, open func(io.Writer) io.WriteCloser) []byte {
	var buf bytes.Buffer
	zw := open(&buf)
	zw.Write(d)
	zw.Close()
	return buf.Bytes()
}

// utf16Shaped reports text in UTF-16 without a byte order mark: an even length and, in the
// first 64 code units, every high byte zero and every low byte printable ASCII.
func utf16Shaped(src []byte) (le, ok bool) {
	if len(src) < 8 || len(src)%2 != 0 {
		return false, false
	}
	n := min(len(src), 128)
	zeroOdd, zeroEven := true, true
	for i := 0; i+1 < n; i += 2 {
		zeroEven = zeroEven && src[i] == 0 && printable(src[i+1])
		zeroOdd = zeroOdd && src[i+1] == 0 && printable(src[i])
	}
	if zeroOdd {
		return true, true
	}
	return false, zeroEven
}

func printable(c byte) bool { return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t' }

// fromUTF16 decodes UTF-16 (an odd last byte is dropped; bad surrogates become U+FFFD).
func fromUTF16(src []byte, be bool) []byte {
	u := make([]uint16, len(src)/2)
	for i := range u {
		if be {
			u[i] = uint16(src[2*i])<<8 | uint16(src[2*i+1])
		} else {
			u[i] = uint16(src[2*i+1])<<8 | uint16(src[2*i])
		}
	}
	out := make([]byte, 0, len(u))
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return out
}

// toUTF16 encodes UTF-8 text as enc (a UTF-16 encoding name), with its byte order mark when
// enc has one.
func toUTF16(s []byte, enc string) []byte {
	be := enc == encUTF16BE || enc == encUTF16BEBOM
	out := make([]byte, 0, 2*len(s)+2)
	switch enc {
	case encUTF16LEBOM:
		out = append(out, 0xff, 0xfe)
	case encUTF16BEBOM:
		out = append(out, 0xfe, 0xff)
	}
	for _, u := range utf16.Encode([]rune(string(s))) {
		if be {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

// validUTF8 returns src with every invalid UTF-8 sequence replaced by U+FFFD, and how many
// were replaced.
func validUTF8(src []byte) ([]byte, int) {
	if utf8.Valid(src) {
		return src, 0
	}
	out := make([]byte, 0, len(src)+16)
	n := 0
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
			n++
		} else {
			out = append(out, src[i:i+size]...)
		}
		i += size
	}
	return out, n
}

// hit is an encoded run whose decoded content had something masked (or was withheld).
type hit struct {
	start, end int // the run in the scanned string
	repl       []byte
	inner      Masked
	enc        string
	gone       bool // given up for values read across its edge (unescapedMatches)
	crossed    int  // the values read unescaped that overlap it
	dump       bool // a hex dump: the values its text column shows are its own
}

// covers reports whether the hit, an escaped word, masked the value v that a detector of
// kind det read in it as written: its decoded reading masked a value of that kind, v is not
// in what the hit writes back, and no four letters or digits in a row of v decoded are left
// in what that reading wrote (v may hold escapes, or be part of one: "%10010001"). The word
// is then written back with its own redaction, and what is around the value stays
// ("…?password=Zf3D0LX%2Fabc&x=1"); otherwise the two are redacted as one.
func (h *hit) covers(v []byte, det detector) bool {
	var d []byte
	switch h.enc {
	case encPercent:
		if escapesStop(v) {
			return false
		}
		d = unpercent(v)
	case encEntity:
		d = []byte(html.UnescapeString(string(v)))
	case encQP:
		d = unqp(v)
	default:
		return false
	}
	if h.inner.Withheld != "" || h.inner.Summary[names[det]] == 0 || bytes.Contains(h.repl, v) {
		return false
	}
	for i := 0; i < len(d); {
		j := i
		for j < len(d) && alnum(d[j]) {
			j++
		}
		// Any four of the run (or all of a run of three) left in the decoded text is a part
		// of the value that reading did not mask.
		for k := i; j-i >= 3 && k+min(4, j-i) <= j; k++ {
			if bytes.Contains(h.inner.Body, d[k:k+min(4, j-i)]) {
				return false
			}
		}
		i = j + 1
	}
	return true
}

// layerHits finds the encoded runs of s (base64, percent-encoded and entity-encoded words),
// masks what each decodes to, and returns those in which something was masked or withheld.
func (st *state) layerHits(s []byte, out []hit) []hit {
	spelled := -1 // the end of the last run of digit words read
	st.escs = false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case digitInitial[c] && spelled < i && (i == 0 || !isLetter(s[i-1]) && s[i-1] < utf8.RuneSelf) && digitWordAt(s, i):
			// Digits written as words ("four one one one ..."): read once, from the first
			// digit or digit word of the run.
			h, end, ok := st.spelledDigits(s, runStart(s, i, max(spelled, hitsEnd(out))))
			spelled = end
			if ok {
				out = append(out, h)
				i = h.end
				continue
			}
		case b64Start[c] && (i == 0 || !b64Start[s[i-1]]):
			// A run is base64 letters and at most two '=' of padding: "key=dmFsdWU=" is
			// the word "key" and the run "dmFsdWU=".
			j, dashes := i, uint8(0)
			for j < len(s) && b64Start[s[j]] {
				dashes |= dashByte[s[j]]
				j++
			}
			if k := atBetweenSigns(s, i, j, dashes != 0); k >= 0 {
				if h, ok := st.spelledAddress(s, k, hitsEnd(out)); ok {
					out = append(out, h)
					i = h.end
					continue
				}
			}
			if j+1 < len(s) && s[j] == '=' && (s[j+1] == '\n' || s[j+1] == '\r') {
				st.escs = true // a quoted-printable soft line break, not padding
			}
			if (j-i == 2 || j-i == 4) && j+1 < len(s) && (s[j] == ' ' || s[j] == ':' || s[j] == ',') && textByte(s[j-2], s[j-1]) &&
				(j-i == 2 || textByte(s[i], s[i+1]) || s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X')) {
				if h, ok := st.hexList(s, i); ok { // "34 31 31 31 …", "0x34, 0x31, …"
					out = append(out, h)
					i = h.end
					continue
				}
			}
			if j-i == 8 && (i == 0 || s[i-1] == '\n') && j+1 < len(s) && (s[j] == ':' || s[j] == ' ' && s[j+1] == ' ') {
				if h, ok := st.dumpBlock(s, i); ok { // xxd's and hexdump -C's lines
					out = append(out, h)
					i = h.end
					continue
				}
			}
			if j-i == 2 && spacedWord(s, i, "at") {
				if h, ok := st.spelledAddress(s, i, hitsEnd(out)); ok { // "ada at example dot com"
					out = append(out, h)
					i = h.end
					continue
				}
			}
			if j+2 < len(s) && s[j] == '=' && upperHex(s[j+1]) && upperHex(s[j+2]) {
				// "Caf=C3=A9": a quoted-printable word, not base64 and its padding.
				if ws, we := wordAround(s, i); ws >= hitsEnd(out) && qpEscapes(s[ws:we]) >= minQP {
					if h, ok := st.escapedWord(s, ws, we); ok {
						out = append(out, h)
					}
					i = we
					continue
				}
			}
			if end, joined, nl, ok := base64Lines(s, i, j); ok {
				if h, ok := st.base64Of(joined, i, end, j-i, nl); ok {
					out = append(out, h)
					i = end
					continue
				}
			}
			for k := 0; k < 2 && j < len(s) && s[j] == '='; k++ {
				j++
			}
			read := false // the run decoded whole to text (or a compressed input) and was read
			if j-i >= minBase64 {
				if h, ok := st.base64Run(s, i, j); ok {
					out = append(out, h)
					i = j
					continue
				}
				// A run read whole is not read again in pieces, between its slashes or its
				// '+'s: a zip or zlib stream's base64 holds both as often as not, and its
				// first piece decodes to a stream cut short.
				read = st.b64Read
				if n := len(out); !read && bytes.IndexByte(s[i:j], '/') >= 0 {
					out = st.base64Segments(s, i, j, out)
					if len(out) > n {
						i = j
						continue
					}
				}
			}
			if j-i >= minHex {
				if h, ok := st.hexRun(s, i, j); ok {
					out = append(out, h)
					i = j
					continue
				}
			}
			if j-i >= minBase32 {
				if h, ok := st.base32Run(s, i, j); ok {
					out = append(out, h)
					i = h.end
					continue
				}
			}
			// Not base64: a query's words joined by '+' ("q=card+4111111111111111") are
			// form-encoded text, '+' for a space.
			if read || bytes.IndexByte(s[i:j], '+') < 0 {
				i = j
				continue
			}
			if k := plusJoin(s, i, j); k >= 0 {
				ws, we := wordAround(s, k)
				if h, ok := st.escapedWord(s, ws, we); ok {
					out = append(out, h)
					i = max(j, we)
					continue
				}
			}
			i = j
		case c == '\\' && i+1 < len(s) && (isOctal(s[i+1]) || bytes.IndexByte([]byte("entr\r\n"), s[i+1]) >= 0):
			st.escs = true // "\064", "\n", "\\\n": escapes unescapedMatches reads
			i++
		case c == '=' && i+1 < len(s) && (s[i+1] == '\n' || s[i+1] == '\r'):
			st.escs = true // a quoted-printable soft line break
			i++
		case c == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'x'):
			st.escs = true
			ws, we := escapedWordAround(s, i)
			if h, ok := st.backslashWord(s, max(ws, hitsEnd(out)), we); ok {
				out = append(out, h)
				i = we
				continue
			}
			i++
		case c == '[' || c == '(' || c == '{' || c == '<' || c == '@':
			if h, ok := st.spelledAddress(s, i, hitsEnd(out)); ok {
				out = append(out, h)
				i = h.end
				continue
			}
			i++
		case c == '%' || c == '&':
			st.escs = true
			ws, we := wordAround(s, i)
			if h, ok := st.escapedWord(s, ws, we); ok {
				out = append(out, h)
			}
			i = we
		case c == '=' && i+1 < len(s) && s[i+1] == '?' && i >= hitsEnd(out):
			// A MIME header's encoded word in Q encoding ("=?UTF-8?Q?jane.doe=40example.com?="):
			// '_' is a space and "=XX" a byte, whatever their number.
			if h, ok := st.qWord(s, i); ok {
				out = append(out, h)
				i = h.end
				continue
			}
			i++
		case c == '=' && i+2 < len(s) && upperHex(s[i+1]) && upperHex(s[i+2]):
			ws, we := wordAround(s, i)
			if ws = max(ws, hitsEnd(out)); qpEscapes(s[ws:we]) >= minQP {
				if h, ok := st.escapedWord(s, ws, we); ok {
					out = append(out, h)
				}
				i = we
				continue
			}
			i++
		default:
			i++
		}
	}
	return out
}

var (
	b64Start  [256]bool // bytes a base64 run starts with
	b64Any    [256]bool // bytes of a base64 or base64url run, padding included
	wordStop  [256]bool // bytes that end a word of percent- or entity-encoded text
	keepPct   [256]bool // bytes written back unescaped in a percent-encoded word
	keepPlain [256]bool // bytes written back unescaped in an entity-encoded word
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		an := isLetter(b) || isDigit(b)
		b64Start[c] = an || b == '+' || b == '/' || b == '-' || b == '_'
		b64Any[c] = b64Start[c] || b == '='
		wordStop[c] = c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte(`"'<>\`), b) >= 0
		keepPct[c] = an || bytes.IndexByte([]byte("-._~:/?#[]@!$'()*;="), b) >= 0
		keepPlain[c] = an || bytes.IndexByte([]byte(" -._~:/?#[]@!$()*+;=%"), b) >= 0
	}
}

// wordAround returns the word of s around s[i]: the bytes up to white space, a quote or a
// tag bracket on either side.
func wordAround(s []byte, i int) (int, int) {
	a, b := i, i
	for a > 0 && !wordStop[s[a-1]] {
		a--
	}
	for b < len(s) && !wordStop[s[b]] {
		b++
	}
	return a, b
}

// base64Run decodes s[i:j] as base64 or base64url and masks what it decodes to when that is
// text (or gzip or UTF-16): binary content such as an image is no text value and is left.
func (st *state) base64Run(s []byte, i, j int) (hit, bool) {
	return st.base64Of(s[i:j], i, j, 0, nil)
}

// base64Segments masks the segments between the slashes of the run s[i:j] that is no
// base64 whole: a URL's path, whose segments may each be base64 or base64url
// ("/unsubscribe/amFuZS5kb2VAZXhhbXBsZS5jb20"). It appends the hits to out.
func (st *state) base64Segments(s []byte, i, j int, out []hit) []hit {
	for a := i; a < j; {
		b := a
		for b < j && s[b] != '/' {
			b++
		}
		if b-a >= minBase64 {
			if h, ok := st.base64Run(s, a, b); ok {
				out = append(out, h)
			}
		}
		a = b + 1
	}
	return out
}

// base64Lines reads the base64 block whose first line is s[i:j], wrapped at that line's
// length as MIME, PEM and PostgreSQL's encode() wrap it (64 or 76): lines of that length
// joined by "\n" or "\r\n", the last one as long or shorter, padded or not. It returns the
// block's end and its lines joined; ok is false for a line alone.
func base64Lines(s []byte, i, j int) (end int, joined, nl []byte, ok bool) {
	width := j - i
	if width < minBase64 || width%4 != 0 || j >= len(s) || s[j] != '\n' && s[j] != '\r' {
		return 0, nil, nil, false
	}
	nl = []byte("\n")
	if s[j] == '\r' {
		nl = []byte("\r\n")
	}
	joined = append(make([]byte, 0, 4*width), s[i:j]...)
	end = j
	for lines := 1; ; lines++ {
		if !bytes.HasPrefix(s[end:], nl) {
			return end, joined, nl, lines > 1
		}
		a := end + len(nl)
		b := a
		for b < len(s) && b-a < width && b64Start[s[b]] {
			b++
		}
		full := b-a == width
		for k := 0; !full && k < 2 && b < len(s) && s[b] == '='; k++ {
			b++
		}
		if b == a || b < len(s) && b64Any[s[b]] {
			return end, joined, nl, lines > 1 // no line, or one longer than the first
		}
		joined, end = append(joined, s[a:b]...), b
		if !full {
			return end, joined, nl, true
		}
	}
}

// base64Of decodes the base64 run (one line, or a block's lines joined) found at s[i:j] and
// masks what it decodes to when that is text; width > 0 wraps what is written back at width
// with nl, as the block was.
func (st *state) base64Of(run []byte, i, j, width int, nl []byte) (hit, bool) {
	st.b64Read = false
	body := bytes.TrimRight(run, "=")
	if len(run)-len(body) > 2 || len(body)%4 == 1 {
		return hit{}, false
	}
	std := bytes.ContainsAny(body, "+/")
	url := bytes.ContainsAny(body, "-_")
	if std && url {
		return hit{}, false
	}
	enc, name := base64.RawStdEncoding, encBase64
	if url {
		enc, name = base64.RawURLEncoding, encBase64URL
	}
	if cap(st.scratch) < enc.DecodedLen(len(body)) {
		st.scratch = make([]byte, max(enc.DecodedLen(len(body)), 256))
	}
	d := st.scratch[:enc.DecodedLen(len(body))]
	n, err := enc.Decode(d, body)
	if err != nil {
		return hit{}, false
	}
	d = d[:n]
	if !inspectable(d) {
		return hit{}, false
	}
	st.b64Read = true
	d = bytes.Clone(d)
	m, ok := st.inner(d)
	if !ok {
		return hit{}, false
	}
	padded := len(run) > len(body) || (!url && len(body)%4 == 0)
	e := base64.RawStdEncoding
	if url {
		e = base64.RawURLEncoding
	}
	if padded {
		e = e.WithPadding(base64.StdPadding)
	}
	repl := []byte(e.EncodeToString(m.Body))
	if width > 0 {
		wrapped := make([]byte, 0, len(repl)+len(repl)/width*len(nl))
		for k := 0; k < len(repl); k += width {
			if k > 0 {
				wrapped = append(wrapped, nl...)
			}
			wrapped = append(wrapped, repl[k:min(k+width, len(repl))]...)
		}
		repl = wrapped
	}
	return hit{start: i, end: j, repl: repl, inner: m, enc: name}, true
}

// base32Run decodes s[i:j] as base32 (RFC 4648: "GQYTCMJR...", in upper or lower case,
// with its padding, without it or with too little, as lenient readers take it) and masks
// what it decodes to when that is text. Base32 that decodes to binary (a TOTP seed, a random
// id) is left, as is a word of capitals, which decodes to binary too. The hit ends after the
// padding, which may be longer than base64's.
func (st *state) base32Run(s []byte, i, j int) (hit, bool) {
	body := bytes.TrimRight(s[i:j], "=")
	end := i + len(body)
	for end < len(s) && end-(i+len(body)) < 6 && s[end] == '=' {
		end++
	}
	pad := end - (i + len(body))
	if end < len(s) && s[end] == '=' {
		return hit{}, false
	}
	switch len(body) % 8 {
	case 1, 3, 6:
		return hit{}, false
	}
	lower := body[0] >= 'a'
	for _, c := range body {
		if !(c >= '2' && c <= '7' || !lower && c >= 'A' && c <= 'Z' || lower && c >= 'a' && c <= 'z') {
			return hit{}, false
		}
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	d, err := enc.DecodeString(strings.ToUpper(string(body)))
	if err != nil || !inspectable(d) {
		return hit{}, false
	}
	m, ok := st.inner(d)
	if !ok {
		return hit{}, false
	}
	if pad > 0 {
		enc = base32.StdEncoding
	}
	repl := enc.EncodeToString(m.Body)
	if lower {
		repl = strings.ToLower(repl)
	}
	return hit{start: i, end: end, repl: []byte(repl), inner: m, enc: encBase32}, true
}

// inspectable reports decoded bytes that can hold a text value: gzip or another compressed
// or archive format (archive.go), UTF-16 with a byte order mark, or UTF-8 text with almost
// no control bytes.
func inspectable(d []byte) bool {
	if compressedInput(d) {
		return true
	}
	if len(d) >= 2 && ((d[0] == 0xff && d[1] == 0xfe) || (d[0] == 0xfe && d[1] == 0xff)) {
		return true
	}
	if _, ok := utf16Shaped(d); ok {
		return true
	}
	if !utf8.Valid(d) {
		return false
	}
	bad := 0
	for _, c := range d {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c == 0x7f {
			bad++
		}
	}
	return bad*50 <= len(d)
}

// escapedWord decodes the percent-encoded or entity-encoded word s[ws:we] and masks it.
func (st *state) escapedWord(s []byte, ws, we int) (hit, bool) {
	w := s[ws:we]
	var d []byte
	var name string
	plusOnly := false // form-encoded with '+' for a space and no %XX escape
	switch {
	case hasPercent(w):
		d, name = unpercent(w), encPercent
	case qpEscapes(w) >= minQP:
		d, name = unqp(w), encQP
	case plusJoin(w, 0, len(w)) >= 0:
		d, name, plusOnly = unpercent(w), encPercent, true
	case bytes.IndexByte(w, '&') >= 0 && bytes.IndexByte(w, ';') >= 0:
		d, name = []byte(html.UnescapeString(string(w))), encEntity
		if bytes.Equal(d, w) {
			return hit{}, false
		}
	default:
		return hit{}, false
	}
	m, ok := st.inner(d)
	if !ok {
		return hit{}, false
	}
	var repl []byte
	switch {
	case plusOnly:
		repl = appendForm(nil, m.Body)
	case name == encPercent:
		repl = appendPercentAs(nil, m.Body, w)
	case name == encQP:
		repl = appendQP(nil, m.Body)
	default:
		repl = appendEntitiesAs(nil, m.Body, w)
	}
	return hit{start: ws, end: we, repl: repl, inner: m, enc: name}, true
}

// spelledAddress reads the email address written with its '@' as a bracketed word or sign
// at s[i] ("[at]", "(at)", "{at}", "<at>", "[@]", any case, spaces around it or not), as an
// '@' with a space before or after it ("bob @ example.com"), or as the word "at" between
// spaces ("ada at example dot com"); its dots as dots, as bracketed "dot" words or dots
// ("[.]"), as a dot between spaces, or (with a spelled '@') as the word "dot". It masks the
// address written plainly. The local part starts at from or after it (where the last hit
// ended).
func (st *state) spelledAddress(s []byte, i, from int) (hit, bool) {
	start, end, addr, ok := spelled(s, i, from)
	if !ok {
		return hit{}, false
	}
	m, ok := st.inner(addr)
	if !ok {
		return hit{}, false
	}
	return hit{start: start, end: end, repl: m.Body, inner: m, enc: encSpelled}, true
}

// maxLocalWords bounds the words of a spelled local part ("jane [dot] doe").
const maxLocalWords = 8

// spelled reads the address spelledAddress reads at s[i], and returns where it starts and
// ends in s and the address written plainly. An address with nothing spelled is the
// scanner's, and is not read here.
func spelled(s []byte, i, from int) (start, end int, addr []byte, ok bool) {
	if i >= len(s) {
		return 0, 0, nil, false
	}
	at, word, upper := bracketed(s, i, "at", '@'), false, false
	switch {
	case at > 0:
	case s[i] == '@':
		at = 1
	case spacedWord(s, i, "at"):
		// The word "at": in capitals, with the dots as words or signs ("ada AT example DOT
		// com"); in any other case only with a bracketed dot, as a sentence does not write
		// it ("ada at example [dot] com", not "look at example dot com").
		at, word, upper = 2, true, string(s[i:i+2]) == "AT"
	default:
		return 0, 0, nil, false
	}
	signs := at > 1 || i > 0 && gap(s[i-1]) || i+1 < len(s) && gap(s[i+1])
	if !signs && !spelledDotNear(s, i, from) {
		return 0, 0, nil, false // a plain address: the scanner's
	}
	// The local part, read back from the '@': words of local characters joined by dots
	// written plainly or spelled ("jane [dot] doe").
	var words [maxLocalWords][2]int
	n, e := 0, i
	for n < maxLocalWords {
		for e > from && gap(s[e-1]) {
			e--
		}
		if n == 0 && e > from && (s[e-1] == ')' || s[e-1] == '}' || s[e-1] == '"') {
			e-- // "(bob) AT …", "{bob} AT …": the bracket is masked with the address
		}
		b := e
		for b > from && spelledLocal(s[b-1]) {
			b--
		}
		if b == e {
			break
		}
		words[n], n = [2]int{b, e}, n+1
		q := b
		for q > from && gap(s[q-1]) {
			q--
		}
		dot := dotBefore(s, q, from, signs && (!word || upper), upper)
		if dot == 0 {
			break
		}
		signs, e = true, q-dot
	}
	// A first word right after a backslash is an escape's ("\x00 AT …", "\u0031[dot]0 AT
	// …"): the local part starts after it, as it reads once the escape is decoded.
	for n > 0 && words[n-1][0] > 0 && s[words[n-1][0]-1] == '\\' {
		n--
	}
	if n == 0 {
		return 0, 0, nil, false
	}
	d := make([]byte, 0, 64)
	for w := n - 1; w >= 0; w-- {
		d = append(d, s[words[w][0]:words[w][1]]...)
		if w > 0 {
			d = append(d, '.')
		}
	}
	d = append(d, '@')
	local := words[n-1][0]
	j, labels, dots, brackets, spacedTLD := i+at, 0, 0, 0, false
	prevEnd := -1 // where the label before the last one ends in s
	for {
		for j < len(s) && gap(s[j]) {
			j++
		}
		e := domainLabel(s, j)
		e = dashDot(s, j, e)
		// "at" as a word, or between like signs, is not read before a word that starts no
		// domain (`see "at" the "dot" com`).
		if e == j || labels == 0 && (word || likeSign(s[i])) && notDomain.hasFold(s[j:e]) {
			return 0, 0, nil, false
		}
		tld := len(d)
		d, labels, j = append(d, s[j:e]...), labels+1, e
		k := j
		for k < len(s) && gap(s[k]) {
			k++
		}
		dot := bracketed(s, k, "dot", '.')
		switch {
		case dot > 0:
			j, dots, brackets, spacedTLD = k+dot, dots+1, brackets+1, false
		case k > j && (upper && spacedWord(s, k, "DOT") || !word && signs && spacedWord(s, k, "dot")):
			j, dots, spacedTLD = k+3, dots+1, false
		case k == j && k+1 < len(s) && s[k] == '.' && domainLabel(s, k+1) > k+1:
			j = k + 1
		case k > j && k+1 < len(s) && s[k] == '.' && gap(s[k+1]): // "example . com"
			j, dots, spacedTLD = k+1, dots+1, true
		default:
			// "AT" in capitals with no spelled dot is an address only when its local part
			// has a lower-case letter ("bob AT example.com"), not in text in capitals
			// ("CONTACT US AT EXAMPLE.COM").
			if labels < 2 || !signs && dots == 0 || upper && dots == 0 && !hasLower(s[local:i]) || word && !upper && brackets == 0 {
				return 0, 0, nil, false
			}
			if spacedTLD && !oneCase(d[tld:]) {
				return 0, 0, nil, false
			}
			as, ae, ok := email(d, bytes.IndexByte(d, '@'), 0)
			if !ok || as != 0 && n > 1 {
				return 0, 0, nil, false
			}
			// Digits glued to the top-level domain are a run of their own, as the scanner
			// reads them after a plain address (gluedEnd): the address ends at the domain's
			// letters ("… [dot] com4111 1111 …"), or at the label before a last label that
			// starts with digits ("… [dot] com.4111 …").
			if cut := len(d) - ae; cut > 0 {
				switch {
				case cut < len(d)-tld:
					j -= cut
				case ae == tld-1 && prevEnd > 0:
					j = prevEnd
				default:
					return 0, 0, nil, false
				}
			}
			return local + as, j, d[as:ae], true
		}
		d, prevEnd = append(d, '.'), e
	}
}

// hasLower reports whether b holds an ASCII lower-case letter.
func hasLower(b []byte) bool {
	for _, c := range b {
		if c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

// spelledLocal reports whether c may be part of a spelled address's local part: what the
// scanner reads into a plain address's (localChar, atextInner: "b**o**b AT …" as
// "b**o**b@…"), less the braces that spell the '@' and the dots ("{at}").
func spelledLocal(c byte) bool { return spelledLocalChar[c] }

// spelledLocalChar is spelledLocal's table: every address's at sign asks it of its local part.
// scan.go's init fills it, once localChar is filled.
var spelledLocalChar [256]bool

// spelledDotNear reports whether a spelled dot may follow the domain after the '@' at s[i]
// or come before its local part (a bracket, or a dot between spaces): what an address with a
// plain '@' needs to be read here, asked first since every address's '@' is.
func spelledDotNear(s []byte, i, from int) bool {
	e := i + 1
	for e < len(s) && (domChar[s[e]] || s[e] == '.' || s[e] >= utf8.RuneSelf) {
		e++
	}
	k := e
	for k < len(s) && gap(s[k]) {
		k++
	}
	if bracketed(s, k, "dot", '.') > 0 || k > e && k+1 < len(s) && s[k] == '.' && gap(s[k+1]) {
		return true
	}
	b := i
	for b > from && spelledLocal(s[b-1]) {
		b--
	}
	for b > from && gap(s[b-1]) {
		b--
	}
	return dotBefore(s, b, from, false, false) > 0
}

// spacedWord reports whether s[i:] starts with word between spaces: in any case when word
// is lower case, as written when it is upper case ("AT", not "At").
func spacedWord(s []byte, i int, word string) bool {
	e := i + len(word)
	if i == 0 || !gap(s[i-1]) || e >= len(s) || !gap(s[e]) {
		return false
	}
	if word[0] >= 'A' && word[0] <= 'Z' {
		return string(s[i:e]) == word
	}
	return hasPrefixFold(s[i:], word)
}

// dotBefore returns the length of a spelled dot ending at s[e] (not before from): a
// bracketed one ("[dot]", "(.)"), or, when words may spell it, the word "dot" between
// spaces ("DOT" when upper is set) or a dot between them ("jane . doe @ …", as the domain
// reads "example . com"); 0 for none.
func dotBefore(s []byte, e, from int, words, upper bool) int {
	if e > from && closesBracket(s[e-1]) {
		for n := 3; n <= len("[dot]")+2*maxBracketSpaces && e-n >= from; n++ {
			if bracketed(s, e-n, "dot", '.') == n {
				return n
			}
		}
	}
	if words && e-4 >= from && (upper && spacedWord(s, e-3, "DOT") || !upper && spacedWord(s, e-3, "dot")) {
		return 3
	}
	if words && e-2 >= from && s[e-1] == '.' && gap(s[e-2]) {
		return 1
	}
	return 0
}

// oneCase reports whether the letters of b are all lower case or all upper case, as a
// top-level domain is written ("com", "COM"; not "Thanks").
func oneCase(b []byte) bool {
	lo, up := false, false
	for _, c := range b {
		lo = lo || c >= 'a' && c <= 'z'
		up = up || c >= 'A' && c <= 'Z'
	}
	return !(lo && up)
}

// notDomain are words that follow "at" in prose and start no domain ("at the dot com
// peak"): an address spelled with the word "at" is not read when its domain starts with one.
var notDomain = newWordSet([]string{"the", "a", "an", "this", "that", "these", "those", "my", "your", "our", "their", "his", "her", "its", "least", "most", "all", "once", "any", "some", "each", "every", "no", "one", "first", "last", "home", "work", "night", "noon"})

// hitsEnd returns where the last of the hits ends, 0 when there are none: no later hit may
// start before it.
func hitsEnd(out []hit) int {
	if len(out) == 0 {
		return 0
	}
	return out[len(out)-1].end
}

// digitWords are the words of the digits, by digit: English, Spanish, French, German,
// Italian, Portuguese and Dutch, each with and without its accents (a value is spelled in the
// language of the data it sits in, and an accent is easily left off).
var digitWords = [10][]string{
	{"zero", "cero", "zéro", "null", "nul"},
	{"one", "uno", "una", "un", "une", "eins", "um", "uma", "een"},
	{"two", "dos", "deux", "zwei", "zwo", "due", "dois", "duas", "twee"},
	{"three", "tres", "trois", "drei", "tre", "três", "drie"},
	{"four", "cuatro", "quatre", "vier", "quattro", "quatro"},
	{"five", "cinco", "cinq", "fünf", "funf", "fuenf", "cinque", "vijf"},
	{"six", "seis", "sechs", "sei", "zes"},
	{"seven", "siete", "sept", "sieben", "sette", "sete", "zeven"},
	{"eight", "ocho", "huit", "acht", "otto", "oito"},
	{"nine", "nueve", "neuf", "neun", "nove", "negen"},
}

// digitWordOf is one of digitWords and the digit it names.
type digitWordOf struct {
	word  string
	digit int
}

// digitWordsAt are digitWords by their first letter, in lower case; digitInitial marks those
// letters, either case.
var digitWordsAt, digitInitial = func() (at [256][]digitWordOf, initial [256]bool) {
	for d, ws := range digitWords {
		for _, w := range ws {
			at[w[0]] = append(at[w[0]], digitWordOf{w, d})
			initial[w[0]], initial[w[0]-'a'+'A'] = true, true
		}
	}
	return at, initial
}()

// digitWord returns the digit the word at s[i] names ("Four", "uno", "ZÉRO") and the word's
// length in bytes, or -1: a word ending where no letter, ASCII or not, follows.
func digitWord(s []byte, i int) (digit, n int) {
	for _, w := range digitWordsAt[lower(s[i])] {
		e := i + len(w.word)
		if latinPrefixFold(s[i:], w.word) && (e == len(s) || !isLetter(s[e]) && s[e] < utf8.RuneSelf) {
			return w.digit, len(w.word)
		}
	}
	return -1, 0
}

// digitWordAt reports whether a digit word starts at s[i].
func digitWordAt(s []byte, i int) bool {
	d, _ := digitWord(s, i)
	return d >= 0
}

// latinPrefixFold reports whether s starts with w (lower case) in any case, the accented
// letters of Latin-1 included ("É" for "é").
func latinPrefixFold(s []byte, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := s[i]
		if i > 0 && w[i-1] == 0xc3 && c >= 0x80 && c <= 0x9e && c != 0x97 {
			c += 0x20 // À-Þ (not ×) to à-þ
		}
		if lower(c) != w[i] {
			return false
		}
	}
	return true
}

// runStart returns where the run of digits and digit words joined as spelledDigits reads
// them, whose digit word at s[i] is not its first, starts (never before from).
func runStart(s []byte, i, from int) int {
	for {
		q := i - 1
		if q-1 >= from && gap(s[q]) && s[q-1] == ',' {
			q--
		} else if q < from || !gap(s[q]) && s[q] != '-' {
			return i
		}
		t := q
		for t > from && (isDigit(s[t-1]) || isLetter(s[t-1]) || s[t-1] >= utf8.RuneSelf) {
			t--
		}
		if d, _ := digitWord(s, t); t == q || !(d >= 0 || allDigits(s[t:q])) {
			return i
		}
		i = t
	}
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// spelledDigits reads the run of digits written as words at s[i] ("four one one one ...",
// "Four-One-...", digits among them, joined by spaces, '-' or ", ") and, when it holds three
// digit words or more and 12 to 19 digits, masks the digits it spells as a value of their
// own; fewer digits under an SSN or phone label, as such a value (spelledLabelled). end is
// where the run ends either way.
func (st *state) spelledDigits(s []byte, i int) (h hit, end int, ok bool) {
	var d [cardMaxDigits + 1]byte
	n, words, j := 0, 0, i
	for {
		k := j
		if dw, wn := digitWord(s, j); dw >= 0 {
			k += wn
			words++
			if n < len(d) {
				d[n] = byte('0' + dw)
			}
			n++
		} else {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			if k == j || k < len(s) && isLetter(s[k]) {
				break
			}
			for _, c := range s[j:k] {
				if n < len(d) {
					d[n] = c
				}
				n++
			}
		}
		end = k
		switch {
		case k+1 < len(s) && (gap(s[k]) || s[k] == '-'):
			j = k + 1
		case k+2 < len(s) && s[k] == ',' && gap(s[k+1]):
			j = k + 2
		default:
			j = len(s)
		}
		if j >= len(s) || !isLetter(s[j]) && !isDigit(s[j]) {
			break
		}
	}
	if words < 3 || n > cardMaxDigits {
		return hit{}, end, false
	}
	if n < cardMinDigits {
		return st.spelledLabelled(s, i, end, d[:n])
	}
	m, ok := st.inner(d[:n])
	if !ok {
		return hit{}, end, false
	}
	return hit{start: i, end: end, repl: m.Body, inner: m, enc: encSpelled}, end, true
}

// spelledLabelled masks the digits d that s[i:end] spells when a label before them names an
// SSN or a phone number, as bare digits are masked under one: they are read after the label's
// word ("ssn 078051120", "phone 4155550132") and masked when all of them are.
func (st *state) spelledLabelled(s []byte, i, end int, d []byte) (hit, int, bool) {
	labels := st.sc.labels(s, i, 0)
	var word string
	switch {
	case labels&labelSSN != 0 && len(d) == 9:
		word = "ssn "
	case labels&(labelPhone|labelWeakPhone) != 0 && len(d) >= 7:
		word = "phone "
	default:
		return hit{}, end, false
	}
	m, ok := st.inner(append([]byte(word), d...))
	switch {
	case ok && m.Withheld != "":
		// Not inspected within the limits: withheld whole, as any layer's part is.
	case !ok || !bytes.HasPrefix(m.Body, []byte(word)) || bytes.ContainsAny(m.Body[len(word):], "0123456789"):
		return hit{}, end, false
	default:
		m.Body = m.Body[len(word):]
	}
	return hit{start: i, end: end, repl: m.Body, inner: m, enc: encSpelled}, end, true
}

func closesBracket(c byte) bool { return c == ']' || c == ')' || c == '}' || c == '>' || likeSign(c) }

// likeSign reports whether c spells the at sign or a dot between two of itself ("-at-"). A
// slash is none: "/at/" and "/dot/" are path segments.
func likeSign(c byte) bool { return likeSigns[c] }

// likeSigns is likeSign's table: the layers ask it of most bytes of a text.
var likeSigns = [256]bool{'-': true, '_': true, '*': true, '"': true, '\'': true, '|': true, '~': true}

// atBetweenSigns returns where "at" between like signs starts for the run of base64 letters
// s[i:j] (dashes: it holds a '-' or '_'), or -1: inside the run when the signs are '-' or '_'
// ("bob-at-example-dot-com"), else before a run of two letters ("bob *at* example", `"at"`).
func atBetweenSigns(s []byte, i, j int, dashes bool) int {
	if dashes {
		return likeSignAt(s, i, j)
	}
	if j-i != 2 {
		return -1
	}
	if k := signBefore(s, i); k >= 0 && bracketed(s, k, "at", 0) > 0 {
		return k
	}
	return -1
}

// signBefore returns where the like sign before the word at s[i] stands, gaps between them or
// not, or -1.
func signBefore(s []byte, i int) int {
	k := i - 1
	for k >= 0 && i-k <= maxBracketSpaces && gap(s[k]) {
		k--
	}
	if k >= 0 && likeSigns[s[k]] {
		return k
	}
	return -1
}

// dashByte marks the like signs a run of base64 letters may hold ('-', '_'), so that a run is
// searched for "at" between them only when it holds one.
var dashByte = [256]uint8{'-': 1, '_': 1}

// likeSignAt returns where "at" between two like signs starts in s[i:j], a run of base64
// letters ("bob-at-example-dot-com", "bob_at_example_dot_com"), or -1.
func likeSignAt(s []byte, i, j int) int {
	for k := i; k < j && k+3 < len(s); k++ {
		// Every word of a text is such a run: the bytes are tested here before a call.
		if c := s[k]; (c == '-' || c == '_') && (s[k+1]|0x20 == 'a' || gap(s[k+1])) && bracketed(s, k, "at", 0) > 0 {
			return k
		}
	}
	return -1
}

// dashDot returns where "-dot-" starts in the domain label s[j:e], which reads hyphens as its
// own ("example-dot-com"), or e.
func dashDot(s []byte, j, e int) int {
	for k := j + 1; k+5 <= e; k++ {
		if s[k] == '-' && bracketed(s, k, "dot", 0) == 5 {
			return k
		}
	}
	return e
}

// gap reports whether c sets apart the words of a spelled address or of digits spelled as
// words: a space or a tab, the gaps within a line ("bob\tAT\texample\tDOT\tcom"; other
// spaces are folded to ' '). A line break is none: "x" at the end of a line and "@app.route"
// at the start of the next are no address.
func gap(c byte) bool { return c == ' ' || c == '\t' }

// maxBracketSpaces bounds the spaces read on each side of a bracketed word ("[ at ]").
const maxBracketSpaces = 16

// bracketed returns the length of word (lower case, read in any case) or of the character
// sym in a pair of brackets at s[i], spaces inside them or not: "[at]", "(AT)", "{dot}",
// "<dot>", "[@]", "(.)", "[ at ]"; or of word between two of the same sign ("-at-", "_dot_",
// "*dot*", "\"at\"", "'at'", "|at|", "~at~"); 0 for none.
func bracketed(s []byte, i int, word string, sym byte) int {
	if i >= len(s) {
		return 0
	}
	var closer byte
	switch s[i] {
	case '[':
		closer = ']'
	case '(':
		closer = ')'
	case '{':
		closer = '}'
	case '<':
		closer = '>'
	default:
		if !likeSign(s[i]) {
			return 0
		}
		closer, sym = s[i], 0 // a word between like signs, not a sign ("-.-" is no dot)
	}
	j := i + 1
	for j < len(s) && gap(s[j]) && j-i <= maxBracketSpaces {
		j++
	}
	switch {
	case sym != 0 && j < len(s) && s[j] == sym:
		j++
	case hasPrefixFold(s[j:], word):
		j += len(word)
	default:
		return 0
	}
	for k := j; j < len(s) && gap(s[j]) && j-k < maxBracketSpaces; {
		j++
	}
	if j < len(s) && s[j] == closer {
		return j + 1 - i
	}
	return 0
}

// escapedWordAround returns the word of s around the backslash at s[i], as wordAround does
// but through backslashes.
func escapedWordAround(s []byte, i int) (int, int) {
	a, b := i, i
	for a > 0 && (s[a-1] == '\\' || !wordStop[s[a-1]]) {
		a--
	}
	for b < len(s) && (s[b] == '\\' || !wordStop[s[b]]) {
		b++
	}
	return a, b
}

// backslashWord decodes the backslash escapes of the word s[ws:we] (unbackslash) and masks
// it; what it masked is written back escaped the same way.
func (st *state) backslashWord(s []byte, ws, we int) (hit, bool) {
	d, style, ok := unbackslash(s[ws:we])
	if !ok {
		return hit{}, false
	}
	m, ok := st.inner(d)
	if !ok {
		return hit{}, false
	}
	return hit{start: ws, end: we, repl: appendBackslash(nil, m.Body, style), inner: m, enc: encBackslash}, true
}

// unbackslash decodes the escapes of source code and serialised strings in w: \uXXXX (a
// UTF-16 surrogate pair joined into one character), \xXX, and \n \r \t \\ \" \' \/; any
// other backslash stays. style is 'u' or 'x', the first of those w holds; ok is false when
// it holds neither.
func unbackslash(w []byte) (d []byte, style byte, ok bool) {
	d = make([]byte, 0, len(w))
	for i := 0; i < len(w); i++ {
		if w[i] != '\\' || i+1 == len(w) {
			d = append(d, w[i])
			continue
		}
		switch c := w[i+1]; {
		case c == 'u' && i+6 <= len(w) && hex4(w[i+2:]) >= 0:
			r := hex4(w[i+2:])
			i += 5
			if utf16.IsSurrogate(r) && i+7 <= len(w) && w[i+1] == '\\' && w[i+2] == 'u' && hex4(w[i+3:]) >= 0 {
				r = utf16.DecodeRune(r, hex4(w[i+3:]))
				i += 6
			}
			d = utf8.AppendRune(d, r)
			style = cmp.Or(style, 'u')
		case c == 'x' && i+4 <= len(w) && hex4([]byte{'0', '0', w[i+2], w[i+3]}) >= 0:
			d = append(d, byte(hex4([]byte{'0', '0', w[i+2], w[i+3]})))
			i += 3
			style = cmp.Or(style, 'x')
		case c == 'n':
			d = append(d, '\n')
			i++
		case c == 'r':
			d = append(d, '\r')
			i++
		case c == 't':
			d = append(d, '\t')
			i++
		case c == '\\' || c == '"' || c == '\'' || c == '/':
			d = append(d, c)
			i++
		default:
			d = append(d, '\\')
		}
	}
	return d, style, style != 0
}

// appendBackslash writes d escaped in style ('u' or 'x'): line breaks and tabs as \n \r \t,
// quotes and other control bytes as \uXXXX or \xXX, so it stays one word. A backslash is
// escaped too unless it ends the word or what follows it could start no escape ("\@"
// stays): written as "\u005C", its letters and digits would be text a second pass reads
// anew.
func appendBackslash(out, d []byte, style byte) []byte {
	for i, c := range d {
		if e := lineEscape(c); e != 0 {
			out = append(out, '\\', e)
			continue
		}
		switch {
		case c == '\\' && (i+1 == len(d) || !alnumSet[d[i+1]] && d[i+1] != '\\' && d[i+1] != '"' && d[i+1] != '\'' && d[i+1] != '/' && d[i+1] > ' '):
			out = append(out, c)
		case c < ' ' || c == 0x7f || c == '\\' || c == '"' || c == '\'' || c == ' ':
			if style == 'u' {
				out = append(out, '\\', 'u', '0', '0')
			} else {
				out = append(out, '\\', 'x')
			}
			out = append(out, hexDigits[c>>4], hexDigits[c&15])
		default:
			out = append(out, c)
		}
	}
	return out
}

// plusJoin returns the index of the first '+' in s[i:j] with a letter or digit on both sides
// ("card+4111..."), the space of a form-encoded query; -1 when there is none. A '+' after a
// space or a '(' starts a phone number instead.
func plusJoin(s []byte, i, j int) int {
	for k := max(i, 1); k+1 < j; k++ {
		if s[k] == '+' && alnumSet[s[k-1]] && alnumSet[s[k+1]] {
			return k
		}
	}
	return -1
}

// appendForm writes d back form-encoded, as a '+'-joined word came: a space as '+', the
// query's own '&' and '=' as they were, every other byte as appendPercent writes it.
func appendForm(out, d []byte) []byte {
	for _, c := range d {
		switch c {
		case ' ':
			out = append(out, '+')
		case '&', '=':
			out = append(out, c)
		default:
			out = appendPercent(out, []byte{c})
		}
	}
	return out
}

func hasPercent(w []byte) bool {
	for i := 0; i+2 < len(w); i++ {
		if w[i] == '%' && hex4([]byte{'0', '0', w[i+1], w[i+2]}) >= 0 {
			return true
		}
	}
	return false
}

// unpercent decodes %XX escapes and '+' as a space, leaving malformed escapes as they are.
func unpercent(w []byte) []byte {
	out := make([]byte, 0, len(w))
	for i := 0; i < len(w); i++ {
		switch {
		case w[i] == '%' && i+2 < len(w) && hex4([]byte{'0', '0', w[i+1], w[i+2]}) >= 0:
			out = append(out, byte(hex4([]byte{'0', '0', w[i+1], w[i+2]})))
			i += 2
		case w[i] == '+':
			out = append(out, ' ')
		default:
			out = append(out, w[i])
		}
	}
	return out
}

const hexDigits = "0123456789ABCDEF"

// upperHex reports a hex digit as quoted-printable writes it: 0-9 or A-F.
func upperHex(c byte) bool { return isDigit(c) || (c >= 'A' && c <= 'F') }

// qpEscapes counts the "=XX" escapes of w, or returns 0 when w holds an '=' that starts
// none: quoted-printable writes '=' itself as "=3D", so "page=10&q=bob" is a query.
func qpEscapes(w []byte) int {
	n := 0
	for i := 0; i < len(w); i++ {
		if w[i] != '=' {
			continue
		}
		if i+2 >= len(w) || !upperHex(w[i+1]) || !upperHex(w[i+2]) {
			return 0
		}
		n++
		i += 2
	}
	return n
}

// unqp decodes the "=XX" escapes of a quoted-printable word, leaving anything else as it is.
func unqp(w []byte) []byte {
	out := make([]byte, 0, len(w))
	for i := 0; i < len(w); i++ {
		if w[i] == '=' && i+2 < len(w) && upperHex(w[i+1]) && upperHex(w[i+2]) {
			out = append(out, byte(hex4([]byte{'0', '0', w[i+1], w[i+2]})))
			i += 2
			continue
		}
		out = append(out, w[i])
	}
	return out
}

// appendQP writes d quoted-printable, as one word: printable ASCII but '=' as itself, every
// other byte (white space included) as "=XX".
func appendQP(out, d []byte) []byte {
	for _, c := range d {
		if c > ' ' && c < 0x7f && c != '=' {
			out = append(out, c)
		} else {
			out = append(out, '=', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return out
}

// qWord decodes the RFC 2047 encoded word in Q encoding at s[i] ("=?", a charset, "?Q?", the
// text, "?=") and masks its text; what it masked is written back Q-encoded in the same word.
func (st *state) qWord(s []byte, i int) (hit, bool) {
	j := i + 2
	for j < len(s) && j-i <= maxCharset && s[j] != '?' && !wordStop[s[j]] {
		j++
	}
	if j == i+2 || j+2 >= len(s) || s[j] != '?' || s[j+1] != 'Q' && s[j+1] != 'q' || s[j+2] != '?' {
		return hit{}, false
	}
	ts := j + 3
	te := ts
	for te+1 < len(s) && te-ts < maxQText && !(s[te] == '?' && s[te+1] == '=') && !wordStop[s[te]] {
		te++
	}
	if te+1 >= len(s) || s[te] != '?' || s[te+1] != '=' {
		return hit{}, false
	}
	d := bytes.ReplaceAll(unqp(s[ts:te]), []byte("_"), []byte(" "))
	m, ok := st.inner(d)
	if !ok {
		return hit{}, false
	}
	repl := append(append([]byte(nil), s[i:ts]...), appendQText(nil, m.Body)...)
	return hit{start: i, end: te + 2, repl: append(repl, '?', '='), inner: m, enc: encQP}, true
}

// The longest charset name and encoded text a Q-encoded word is read with (RFC 2047 bounds a
// whole encoded word at 75 bytes; the text is given more for what breaks that rule).
const (
	maxCharset = 40
	maxQText   = 1024
)

// appendQText appends d Q-encoded (RFC 2047): letters, digits and "!*+-/" as they are, a
// space as '_', any other byte as "=XX".
func appendQText(out, d []byte) []byte {
	for _, c := range d {
		switch {
		case isLetter(c) || isDigit(c) || c == '!' || c == '*' || c == '+' || c == '-' || c == '/':
			out = append(out, c)
		case c == ' ':
			out = append(out, '_')
		default:
			out = append(out, '=', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return out
}

// hexRun decodes s[i:j] as hex ("3431...", after "0x", or after PostgreSQL's "\\x") and
// masks what it decodes to when that is text: the hex of a hash, a key or an id is binary
// and is left.
func (st *state) hexRun(s []byte, i, j int) (hit, bool) {
	k := i
	switch {
	case j-i > 2 && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X'):
		k = i + 2
	case j-i > 1 && s[i] == 'x' && i > 0 && s[i-1] == '\\':
		k = i + 1
	}
	run := s[k:j]
	if len(run) < minHex || len(run)%2 != 0 || runOf(run, 0, &hexSet, len(run)) != len(run) {
		return hit{}, false
	}
	if cap(st.scratch) < len(run)/2 {
		st.scratch = make([]byte, max(len(run)/2, 256))
	}
	d := st.scratch[:len(run)/2]
	if _, err := hex.Decode(d, run); err != nil || !inspectable(d) {
		return hit{}, false
	}
	m, ok := st.inner(bytes.Clone(d))
	if !ok {
		return hit{}, false
	}
	repl := append([]byte(nil), s[i:k]...)
	if bytes.ContainsAny(run, "abcdef") || !bytes.ContainsAny(run, "ABCDEF") {
		repl = hex.AppendEncode(repl, m.Body)
	} else {
		repl = append(repl, strings.ToUpper(hex.EncodeToString(m.Body))...)
	}
	return hit{start: i, end: j, repl: repl, inner: m, enc: encHex}, true
}

// appendPercentAs percent-encodes d as appendPercent does, but writes a byte as the word it
// came from wrote it: a '&' or ',' that stood plain there and never escaped stays plain, a
// byte the word only ever escaped is escaped (an '@' too), and a space is '+' where the word
// had '+' and no "%20". So "?email=bob%40x.com&page=2" comes back "?email=[EMAIL]&page=2", its
// parameters as they were. Redactions and tokens are written plain.
func appendPercentAs(out, d, word []byte) []byte {
	plain := plainBytes(word)
	var escaped [256]bool // the bytes word writes as %XX
	for i := 0; i+2 < len(word); i++ {
		if word[i] == '%' {
			if c := hex4([]byte{'0', '0', word[i+1], word[i+2]}); c >= 0 {
				escaped[c] = true
			}
		}
	}
	plus := plain['+'] && !escaped[' ']
	keep := 0 // d[:keep] is a redaction or a token, written as it is
	for i, c := range d {
		if i >= keep && (c == '[' || c == 't') {
			keep = i + redactionLen(d[i:])
		}
		switch {
		case i < keep:
			out = append(out, c)
		case escaped[c] && !plain[c]:
			// The word only ever wrote it escaped: so it is written, even a byte a URL may
			// hold plain. A '%40' that came back '@' beside a '%' was an address the next
			// reading found.
			out = append(out, '%', hexDigits[c>>4], hexDigits[c&15])
		case keepPct[c]:
			out = append(out, c)
		case c == ' ' && plus:
			out = append(out, '+')
		case c != '+' && c != '%' && c >= ' ' && c < 0x7f && plain[c] && !escaped[c]:
			out = append(out, c)
		default:
			out = append(out, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return out
}

// escapesStop reports a value read as written that holds an escaped byte that ends a value
// in the escaped word's decoded reading ("password=Tr0ub4dor%263": '&'): that reading took
// only the part before it, and whatever of the value it left after it would be written back
// in clear ("…[SECRET]%263"), so the word is not taken to have masked the value.
func escapesStop(v []byte) bool {
	for i := 0; i+2 < len(v); i++ {
		if v[i] == '%' {
			if c := hex4([]byte{'0', '0', v[i+1], v[i+2]}); c >= 0 && (passwordStop[c] || valueStop[c]) {
				return true
			}
		}
	}
	return false
}

// redactionLen returns the length of the redaction or token d starts with, or 0.
func redactionLen(d []byte) int {
	if d[0] == 't' {
		if !bytes.HasPrefix(d, []byte(TokenPrefix)) {
			return 0
		}
		// A token is at most maxTokenLen bytes; one more shows whether a word goes on.
		if end, ok := tokenAt(string(d[:min(len(d), maxTokenLen+1)]), 0); ok {
			return end
		}
		return 0
	}
	for _, r := range redactions {
		if bytes.HasPrefix(d, []byte(r)) {
			return len(r)
		}
	}
	return 0
}

// maxTokenLen is the length of the longest token: the prefix, a detector's name, '_' and
// the keyed part.
var maxTokenLen = func() int {
	n := 0
	for _, name := range names {
		n = max(n, len(name))
	}
	return len(TokenPrefix) + n + 1 + tokenChars
}()

// plainBytes marks the bytes that stand in word.
func plainBytes(word []byte) (t [256]bool) {
	for _, c := range word {
		t[c] = true
	}
	return t
}

// appendPercent percent-encodes d (every byte outside the URL's unreserved and reserved
// characters), so it stays one word.
func appendPercent(out, d []byte) []byte {
	for _, c := range d {
		if keepPct[c] {
			out = append(out, c)
		} else {
			out = append(out, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return out
}

// appendEntitiesAs writes d as appendEntities does, but a byte the word it came from wrote
// plain (a '}' or ',' that did not end it) plain again: written as an entity, its digits
// would be text the word never held ("}}}}" as "&#125;&#125;...", digits a second pass reads
// as a number).
func appendEntitiesAs(out, d, word []byte) []byte {
	hexForm := bytes.Contains(word, []byte("&#x")) || bytes.Contains(word, []byte("&#X"))
	plain := plainBytes(word)
	for _, c := range d {
		switch {
		case keepPlain[c] || c >= 0x80 || c != '&' && !wordStop[c] && plain[c]:
			out = append(out, c)
		case hexForm: // as the word wrote its entities: "&#x7d;" stays hex, no decimal digits
			out = append(out, '&', '#', 'x', lowerHex[c>>4], lowerHex[c&15], ';')
		default:
			out = append(out, "&#"...)
			out = strconv.AppendInt(out, int64(c), 10)
			out = append(out, ';')
		}
	}
	return out
}

const lowerHex = "0123456789abcdef"

// appendEntities writes d with every byte that could end the word or break the format it
// stands in (quotes, brackets, '&', ',', '\\', white space but ' ') as a numeric entity.
func appendEntities(out, d []byte) []byte {
	for _, c := range d {
		if keepPlain[c] || c >= 0x80 {
			out = append(out, c)
		} else {
			out = append(out, "&#"...)
			out = strconv.AppendInt(out, int64(c), 10)
			out = append(out, ';')
		}
	}
	return out
}

// inner masks decoded bytes one layer deeper. It reports whether anything was masked or
// withheld (only then is the run replaced); a run beyond MaxLayers or the budget is
// withheld.
func (st *state) inner(d []byte) (Masked, bool) {
	b := st.budget
	if b == nil {
		b = &budget{left: decodeBudget(st.w.src, noCap)}
		st.budget = b
	}
	if st.layer+1 > MaxLayers {
		return withheldPart("encoded more than " + strconv.Itoa(MaxLayers) + " layers deep"), true
	}
	if !b.take(len(d)) {
		return withheldPart("decoded size over the decoding limit"), true
	}
	m := st.eng.mask(d, FormatAuto, max(len(d), b.left), b, st.layer+1)
	if m.Summary.Total() == 0 && m.Withheld == "" {
		return m, false
	}
	return m, true
}

func withheldPart(reason string) Masked {
	return Masked{Body: withheld(nil, reason), Withheld: reason, Summary: Summary{Withheld: 1},
		found: []Finding{{Detector: Withheld}}}
}

// known appends to ms the occurrences in s of the values Mandate put into the action.
func (st *state) knownMatches(s []byte, ms []match) []match {
	if st.budget == nil || len(st.budget.known) == 0 || !st.sc.enabled[detKnown] {
		return ms
	}
	b := st.budget
	for _, v := range b.known {
		for i := 0; ; {
			k := bytes.Index(s[i:], v)
			if k < 0 {
				break
			}
			ms = append(ms, match{i + k, i + k + len(v), detKnown})
			i += k + len(v)
		}
	}
	if len(b.shapes) == 0 || len(s) < minSkeleton {
		return ms
	}
	if b.skel == nil { // the scratch, once a call, as large as a typical scanned string
		b.skel, b.at = make([]byte, 0, 512), make([]int32, 0, 512)
	}
	b.skel, b.at = skeleton(b.skel[:0], b.at[:0], s)
	for _, v := range b.shapes {
		for i := 0; ; {
			k := bytes.Index(b.skel[i:], v)
			if k < 0 {
				break
			}
			first, last := int(b.at[i+k]), int(b.at[i+k+len(v)-1])
			_, n := utf8.DecodeRune(s[last:])
			ms = append(ms, match{first, last + n, detKnown})
			i += k + len(v)
		}
	}
	return ms
}

// span is one replacement in a scanned string: a detector's match, or an encoded run.
type span struct {
	start, end int
	det        detector
	h          int // index of the hit, or -1
}

// emit writes the replacements of the scanned string s: the scanner's matches, the known
// values and the encoded runs. When offs is nil s is the raw input at base; otherwise s was
// decoded and offs maps its bytes back (as st.offs does). Overlapping replacements are
// merged into one that covers them all.
func (st *state) emit(s []byte, offs []int32, base int) {
	sc := &st.sc
	hits := st.layerHits(s, nil)
	ms := st.knownMatches(s, nil)
	mk := st.markupNextToValues(s, st.markupMatches(s), hits)
	mk = st.valuesNextToHits(s, mk, hits)
	if st.escs {
		hits, mk = st.unescapedMatches(s, hits, mk)
		st.marks = mk
	}
	wrapped := len(mk)
	mk = st.wrapMatches(s, mk)
	if st.escs {
		mk = st.unescapedNextToWrapped(s, mk, wrapped)
	}
	if len(hits) == 0 && len(ms) == 0 && len(mk) == 0 {
		for _, m := range sc.matches {
			rs, re := st.rawSpan(m.start, m.end, offs, base)
			st.w.replace(rs, re, m.det, false, s[m.start:m.end])
		}
		return
	}
	all := make([]span, 0, len(sc.matches)+len(ms)+len(hits)+len(mk))
	for _, m := range sc.matches {
		all = append(all, span{m.start, m.end, m.det, -1})
	}
	for _, m := range ms {
		all = append(all, span{m.start, m.end, m.det, -1})
	}
	for i, h := range hits {
		if !h.gone {
			all = append(all, span{h.start, h.end, numDetectors, i})
		}
	}
	for i, m := range mk {
		all = append(all, span{m.start, m.end, m.det, markupSpan - i})
	}
	sortSpans(all)
	for k := 0; k < len(all); {
		cur := all[k]
		n := k + 1
		for n < len(all) && all[n].start < cur.end {
			if cur.h >= 0 && hits[cur.h].dump && all[n].end <= cur.end {
				n++ // a value in a dump's text column: the dump, masked and dumped again, holds it
				continue
			}
			if nx := all[n]; cur.h <= markupSpan && nx.h <= markupSpan && nx.start == cur.start && nx.end == cur.end && nx.det == cur.det {
				n++ // the same value read twice (across tags as written, and with escapes decoded)
				continue
			}
			if cur.h >= 0 && all[n].h == -1 && all[n].end <= cur.end && hits[cur.h].covers(s[all[n].start:all[n].end], all[n].det) {
				n++ // a value in an escaped word that the word's decoded reading masked
				continue
			}
			cur.end = max(cur.end, all[n].end)
			if cur.h >= 0 && all[n].h < 0 {
				cur.det, cur.h = all[n].det, -1 // a detector's match over a run: redact all
			} else if cur.h <= markupSpan {
				cur.h = -1 // a value across tags over another: redact all
			}
			n++
		}
		rs, re := st.rawSpan(cur.start, cur.end, offs, base)
		switch {
		case cur.h >= 0:
			st.w.splice(rs, re, &hits[cur.h])
		case cur.h <= markupSpan:
			m := mk[markupSpan-cur.h]
			st.w.replace(rs, re, cur.det, false, m.value)
			f := &st.w.finds[len(st.w.finds)-1]
			n := noteOf(st.w.notes, *f)
			n.enc = encMarkup
			if m.unescaped {
				n.enc = escapeEncoding(s[cur.start:cur.end])
			}
			*f = st.w.withNote(*f, n)
			if !isSecretDetector[cur.det] && !m.unescaped { // a secret's bytes are all its own, tags or not
				st.writeTags(s, cur.start, cur.end, offs, base)
			}
		default:
			st.w.replace(rs, re, cur.det, false, s[cur.start:cur.end])
		}
		k = n
	}
}

// markupSpan marks a span of a value found across tags: span.h is markupSpan minus its
// index in the markup matches.
const markupSpan = -2

func sortSpans(a []span) {
	if len(a) > 64 { // a page of values, each list in order: insertion sort would be quadratic
		slices.SortStableFunc(a, func(x, y span) int { return cmp.Compare(x.start, y.start) })
		return
	}
	for i := 1; i < len(a); i++ { // insertion sort: a few spans, mostly in order
		for j := i; j > 0 && a[j].start < a[j-1].start; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func (st *state) rawSpan(start, end int, offs []int32, base int) (int, int) {
	if offs == nil {
		return base + start, base + end
	}
	return base + int(offs[start]), base + st.rawEnd(end)
}

// splice writes src[last:start], then the encoded run's replacement, and skips
// src[start:end]; the counts, tokens and findings of the run's layer join this call's. A run
// withheld is replaced by its marker as plain text: encoded as the run was, the marker would
// be one more layer to decode, and masking the output again would withhold it again.
func (w *writer) splice(start, end int, h *hit) {
	off := w.copyTo(start)
	switch {
	case h.inner.Withheld != "":
		w.out = append(w.out, h.inner.Body...)
	case w.jsonStr: // a line break or a backslash it writes back is one inside a JSON string
		w.out = appendEscaped(w.out, h.repl)
	default:
		w.out = append(w.out, h.repl...)
	}
	w.last = end
	w.absorb(off, h.enc, h.inner)
}

// absorb adds the outcome of an inner layer found at output offset off.
func (w *writer) absorb(off int, enc string, m Masked) {
	for name, n := range m.Summary {
		if d, ok := detectorNamed(name); ok {
			w.counts[d] += n
		} else if name == Withheld {
			w.held += n
		}
	}
	if w.reason == "" {
		w.reason = m.Withheld
	}
	w.tokens = append(w.tokens, m.Tokens...)
	for _, f := range m.Findings() {
		d, ok := detectorNamed(f.Detector)
		if !ok {
			d = numDetectors
		}
		e := enc
		if f.Encoding != "" {
			e += ">" + f.Encoding
		}
		r := w.finding(off, d)
		n := noteOf(w.notes, r)
		n.enc, n.inner = e, f.Path
		w.finds = append(w.finds, w.withNote(r, n))
	}
}

// findings writes the path of each finding of the state's writer: out is the masked
// output, f how the input was read, enc the encoding it came under.
func (st *state) findings(out []byte, f Format, enc string) []Finding {
	if len(st.w.finds) == 0 {
		return nil
	}
	fs := findingSet{finds: st.w.finds, segs: st.w.segs, notes: st.w.notes, src: st.w.src, out: out, format: f, enc: enc}
	return fs.render(-1)
}

// capture keeps what findings needs, so the paths are written only when asked for.
func (st *state) capture(out []byte, f Format, enc string) *findingSet {
	if len(st.w.finds) == 0 {
		return nil
	}
	return &findingSet{finds: append([]rawFinding(nil), st.w.finds...), segs: append([]segment(nil), st.w.segs...),
		notes: append([]note(nil), st.w.notes...), src: st.w.src, out: out, format: f, enc: enc}
}

// findingSet is the findings of one call before their paths are written.
type findingSet struct {
	finds  []rawFinding
	segs   []segment
	notes  []note
	src    []byte // the input the JSON paths' keys are in
	out    []byte // the masked output (text positions)
	format Format
	enc    string
}

func (fs *findingSet) render(limit int) []Finding {
	finds := fs.finds
	if limit >= 0 && limit < len(finds) {
		finds = finds[:limit] // the first ones of the whole list, each rendered as there
	}
	res := make([]Finding, len(finds))
	line, lineStart, at := 1, 0, 0
	var buf []byte
	out := fs.out
	for i, r := range finds {
		name := Withheld
		if r.det < numDetectors {
			name = names[r.det]
		}
		var p string
		n := noteOf(fs.notes, r)
		switch f := fs.format; {
		case f == FormatJSON || f == FormatNDJSON:
			buf = buf[:0]
			if f == FormatNDJSON {
				buf = append(strconv.AppendInt(append(buf, "line "...), int64(r.row), 10), ' ')
			}
			p = string(pointer(buf, fs.src, fs.segs[r.segFrom:r.segTo]))
		case f == FormatCSV:
			p = "row " + strconv.Itoa(int(r.row)) + " column " + strconv.Itoa(int(r.col))
		case f == FormatXML:
			p = n.xpath
		default:
			off := int(r.off)
			for ; at < off && at < len(out); at++ {
				if out[at] == '\n' {
					line, lineStart = line+1, at+1
				}
			}
			p = "line " + strconv.Itoa(line) + " column " + strconv.Itoa(off-lineStart+1)
		}
		if n.inner != "" {
			p += " > " + n.inner
		}
		e := n.enc
		if fs.enc != "" {
			e = joinEnc(fs.enc, e)
		}
		res[i] = Finding{Detector: name, Path: p, Key: r.key, Encoding: e}
	}
	return res
}
