package mask

import (
	"bytes"
	"cmp"
	"html"
	"slices"
	"unicode/utf8"
)

// This file reads a string once more with its escapes decoded where they stand: a value
// written partly escaped reads whole to whoever decodes it, whether its groups are words
// apart ("4111 1111 1111 111\u0031", "card %34111 1111 1111 1111") or digits follow an
// escaped address ("bob%40example.com4111 1111 1111 1111"). The layers decode an escaped word
// alone, which sees neither the groups around it nor what follows it.

// unescapedMatches scans s with its backslash escapes (\uXXXX, a surrogate pair, \xXX, octal
// \NNN, \n, \t, \r, a line continuation), percent escapes (%XX), character references (&#NN;,
// &#xHH;, &name;) and quoted-printable soft line breaks decoded, each escape standing for
// the character it writes, and appends what it finds to out as
// spans of s. A run of \xXX or %XX escapes is decoded when its bytes are UTF-8; one that is
// not stays as written. It is asked only of a string the layers saw an escape in.
//
// A value inside one of the layers' hits (an escaped word) is left to it, which writes the
// rest of the word back as it was; a value that crosses a hit's edge replaces the hit, and
// the values inside it are kept with it (gone marks the hits given up). What of a hit given
// up no value covers is masked on its own, and the hits are returned with those parts.
func (st *state) unescapedMatches(s []byte, hits []hit, out []markupMatch) ([]hit, []markupMatch) {
	from := len(out)
	out, ok, tags := st.readUnescaped(s, nil, out, true)
	if !ok {
		return hits, out
	}
	// Read again with the values the scan of s found as their redactions, as masking the
	// output again reads them: a value found as written changes what is around the escapes
	// ("111\0001 01000 000000X0000": the phone number found as written ends a run the
	// first reading judged whole, and the card before it reads once the number is masked).
	// What this reading finds apart from the first's is kept too. The spelled and encoded
	// runs masked (hits) change it the same way ("1111\x1B[0 AT 0 DOT AA": masked, the
	// spelled address no longer reads as an escape sequence's parameters). Markup the escapes
	// spell is read again so too, as the markup written as such is (markupNextToValues):
	// "ssn 123456789&lt;b&gt;4111&lt;/b&gt;111111111111" reads as a run of digits across the
	// tags until the number after "ssn" is masked. For the markup alone, the decoded text
	// needs no scan of its own.
	scan := st.foundApart(out[from:]) || liveHit(hits)
	if tags || scan {
		n := len(out)
		red, redOffs := st.withRedactions(s, st.sc.matches, hits)
		out, _, _ = st.readUnescaped(red, redOffs, out, scan)
		out = keepApart(out, from, n)
		slices.SortStableFunc(out[from:], func(x, y markupMatch) int { return cmp.Compare(x.start, y.start) })
	}
	// Hits and matches are each in order, so one sweep pairs those that overlap.
	k := 0
	for _, m := range out[from:] {
		for k < len(hits) && hits[k].end <= m.start {
			k++
		}
		for j := k; j < len(hits) && hits[j].start < m.end; j++ {
			h := &hits[j]
			h.crossed++
			if m.start < h.start || m.end > h.end {
				h.gone = true
			}
		}
	}
	// A hit is given up only for at least as many values as it masked: one that masked more
	// (a layer under the escapes) stays, and a value crossing its edge is redacted with it.
	for i := range hits {
		h := &hits[i]
		h.gone = h.gone && h.inner.Withheld == "" && h.crossed >= h.inner.Summary.Total()
	}
	kept := out[:from]
	k = 0
	for _, m := range out[from:] {
		for k < len(hits) && hits[k].end <= m.start {
			k++
		}
		if k < len(hits) && !hits[k].gone && hits[k].start <= m.start && m.end <= hits[k].end {
			continue
		}
		kept = append(kept, m)
	}
	// What of a hit given up the values do not cover is read as masking the output again
	// reads it beside their redactions: each such stretch is masked on its own
	// ("0\100000.AA0+4111…": the address the escape spells covers the start of the word
	// "100000.AA0+4111…", and the card that the word's '+' sets apart is in the rest).
	for i, n := 0, len(hits); i < n; i++ {
		h := hits[i]
		if !h.gone {
			continue
		}
		a := h.start
		for _, m := range kept[from:] {
			if m.end <= a || m.start >= h.end {
				continue
			}
			if m.start > a {
				hits = st.gapHit(s, a, m.start, h.enc, hits)
			}
			a = max(a, m.end)
		}
		if a < h.end {
			hits = st.gapHit(s, a, h.end, h.enc, hits)
		}
	}
	return hits, kept
}

// gapHit masks s[a:b], the part of a hit given up that no value read unescaped covers, and
// appends it to hits as a hit of its own when something in it was masked.
func (st *state) gapHit(s []byte, a, b int, enc string, hits []hit) []hit {
	if b-a < 2 {
		return hits
	}
	m, ok := st.inner(bytes.Clone(s[a:b]))
	if !ok {
		return hits
	}
	return append(hits, hit{start: a, end: b, repl: m.Body, inner: m, enc: enc})
}

// liveHit reports whether a hit is still to be written that is not an escaped word: the
// escaped reading decodes those itself, and reading them again as written back doubled the
// cost of text full of encoded URLs.
func liveHit(hits []hit) bool {
	for i := range hits {
		switch h := &hits[i]; {
		case h.gone, h.enc == encPercent, h.enc == encEntity, h.enc == encQP, h.enc == encBackslash:
		default:
			return true
		}
	}
	return false
}

// foundApart reports whether the scan of s found a value the escaped reading (first, its
// matches in order) has none over: only such a value, masked, changes what the reading reads.
func (st *state) foundApart(first []markupMatch) bool {
	k := 0
	for _, m := range st.sc.matches {
		for k < len(first) && first[k].end <= m.start {
			k++
		}
		if k == len(first) || first[k].start >= m.end {
			return true
		}
	}
	return false
}

// readUnescaped decodes in (s itself, or a copy of it whose bytes inOffs maps to s), folds
// and scans it (unless scan is false: then it reads only across its markup), and appends
// what it finds to out as spans of s; ok is false when in holds no escape it decodes, and
// tags is true when it read markup (written or spelled by escapes).
func (st *state) readUnescaped(in []byte, inOffs []int32, out []markupMatch, scan bool) (_ []markupMatch, ok, tags bool) {
	dec, offs, ok := unescapeAll(in, st.unesc[:0], st.unoffs[:0])
	st.unesc, st.unoffs = dec, offs
	if !ok {
		return out, false, false
	}
	// Text escaped twice (JSON in a JSON string, a URL encoded again: "\\u0031", "%2531",
	// "&amp;#49;") is decoded again, up to maxUnescapeRounds, as whoever reads it decodes it.
	for round := 1; round < maxUnescapeRounds; round++ {
		again, aoffs, ok := unescapeAll(dec, st.unesc2[:0], st.unoffs2[:0])
		st.unesc2, st.unoffs2 = again, aoffs
		if !ok {
			break
		}
		for k, o := range aoffs {
			aoffs[k] = offs[o] // through this round's input to in
		}
		st.unesc, st.unesc2 = again, dec
		st.unoffs, st.unoffs2 = aoffs, offs
		dec, offs = again, aoffs
	}
	if inOffs != nil {
		for k, o := range offs {
			offs[k] = inOffs[o] // through the copy to s
		}
	}
	if f, foffs, folded := fold(dec, offs, len(in)); folded {
		dec, offs = f, foffs
	}
	if scan {
		for _, m := range st.scanAgain(dec) {
			// The value is copied: the buffers are read again for the next reading.
			out = append(out, markupMatch{int(offs[m.start]), spanEnd(offs, m.end), m.det, bytes.Clone(dec[m.start:m.end]), true})
		}
		out = st.spelledAgain(dec, offs, out)
	}
	// Markup the escapes spell is markup to whoever decodes them: a value split by
	// "&lt;b&gt;" or "\u003cb\u003e" reads whole once they are decoded and the tags read.
	if bytes.IndexByte(dec, '<') >= 0 || bytes.IndexByte(dec, 0x1B) >= 0 {
		var ms []markupMatch
		ms, tags = st.markupAside(dec)
		for _, m := range ms {
			out = append(out, markupMatch{int(offs[m.start]), spanEnd(offs, m.end), m.det, bytes.Clone(m.value), true})
		}
	}
	return out, true, tags
}

// spelledAgain appends to out, as spans of s through offs, the addresses spelled in dec, the
// string decoded ("b\u006fb AT example DOT com", "bob&#46;smith [at] example [dot] com"):
// the layers read spelled addresses in the string as written, where an escape in one
// breaks it, and the scanner of the decoded string reads only addresses written plainly.
func (st *state) spelledAgain(dec []byte, offs []int32, out []markupMatch) []markupMatch {
	st.eachSpelled(dec, func(start, end int, addr []byte) {
		out = append(out, markupMatch{int(offs[start]), spanEnd(offs, end), detEmail, addr, true})
	})
	return out
}

// eachSpelled calls fn with the span of each address spelled in text and the address written
// plainly (spelled), when the scanner masks the address written plainly.
func (st *state) eachSpelled(text []byte, fn func(start, end int, addr []byte)) {
	if !st.sc.enabled[detEmail] {
		return
	}
	from := 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '[' || c == '(' || c == '{' || c == '<' || c == '@':
		case (c == 'a' || c == 'A') && spacedWord(text, i, "at"):
		default:
			continue
		}
		start, end, addr, ok := spelled(text, i, from)
		if !ok {
			continue
		}
		if ms := st.scanAgain(addr); len(ms) == 1 && ms[0].det == detEmail && ms[0].start == 0 && ms[0].end == len(addr) {
			fn(start, end, addr)
		}
		from, i = end, end-1
	}
}

// unescapedNextToWrapped reads a string with escapes once more, unescaped, with the values the
// reading across line breaks found (out[from:]) and the scan's as their redactions: a value
// found across a break changes what is around the escapes as one found as written does
// ("4111 11111111 111\0001 4111\f11111111 1111": once the card across the form feed is
// masked, the one before it, a digit escaped, reads whole). It appends what it finds apart
// from out.
func (st *state) unescapedNextToWrapped(s []byte, out []markupMatch, from int) []markupMatch {
	if len(out) == from {
		return out
	}
	red, redOffs := st.withRedactions(s, withWrapped(st.sc.matches, out[from:]), nil)
	n := len(out)
	out, _, _ = st.readUnescaped(red, redOffs, out, true)
	return keepApart(out, 0, n)
}

// keepApart keeps of out[n:], a reading's matches in order, those that none of out[lo:n],
// an earlier reading's in any order, overlaps, in one sweep: a match overlaps one of those
// that start before its end exactly when the furthest end among them is past its start.
func keepApart(out []markupMatch, lo, n int) []markupMatch {
	if len(out) == n {
		return out
	}
	earlier := make([][2]int, 0, n-lo)
	for _, m := range out[lo:n] {
		earlier = append(earlier, [2]int{m.start, m.end})
	}
	slices.SortFunc(earlier, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	kept, k, furthest := out[:n], 0, -1
	for _, m := range out[n:] {
		for ; k < len(earlier) && earlier[k][0] < m.end; k++ {
			furthest = max(furthest, earlier[k][1])
		}
		if furthest > m.start {
			continue // an earlier reading has a value here
		}
		kept = append(kept, m)
	}
	return kept
}

// withRedactions returns s with the matches ms (in order) replaced by their redactions and the
// encoded runs hits (in order) by what they were masked to, and for each of its bytes (and
// its end) the offset in s it stands for: a replacement's bytes stand for its match's start,
// so a value found across it takes the match whole.
func (st *state) withRedactions(s []byte, ms []match, hits []hit) ([]byte, []int32) {
	red := st.redacted[:0]
	offs := st.redOffs[:0]
	last := 0
	for len(ms) > 0 || len(hits) > 0 {
		var start, end int
		var r []byte
		switch {
		case len(hits) > 0 && (len(ms) == 0 || hits[0].start < ms[0].start):
			h := &hits[0]
			hits = hits[1:]
			if h.gone {
				continue
			}
			start, end, r = h.start, h.end, h.repl
		default:
			m := ms[0]
			ms = ms[1:]
			start, end, r = m.start, m.end, []byte(redactions[m.det])
		}
		if start < last {
			continue
		}
		for k := last; k < start; k++ {
			offs = append(offs, int32(k))
		}
		red = append(red, s[last:start]...)
		red = append(red, r...)
		for range len(r) {
			offs = append(offs, int32(start))
		}
		last = end
	}
	for k := last; k < len(s); k++ {
		offs = append(offs, int32(k))
	}
	red = append(red, s[last:]...)
	offs = append(offs, int32(len(s)))
	st.redacted, st.redOffs = red, offs
	return red, offs
}

// escapeEncoding names the encoding of the first escape in v ("url", "html" or
// "backslash"), as a finding reports it.
func escapeEncoding(v []byte) string {
	for i, c := range v {
		switch {
		case c == '%' && i+2 < len(v) && hex4([]byte{'0', '0', v[i+1], v[i+2]}) >= 0:
			return encPercent
		case c == '&' && bytes.IndexByte(v[i:], ';') > 0:
			return encEntity
		case c == '\\':
			return encBackslash
		}
	}
	return ""
}

// maxUnescapeRounds bounds how many times a string's escapes are decoded in turn.
const maxUnescapeRounds = 3

// spanEnd returns where in the source the decoded bytes ending at b end: where the next
// byte from elsewhere starts (offs holds a final entry for the end).
func spanEnd(offs []int32, b int) int {
	r := offs[b-1]
	for _, o := range offs[b:] {
		if o != r {
			return int(o)
		}
	}
	return int(offs[len(offs)-1])
}

// unescapeAll appends s to dec with its escapes decoded, and to offs the offset in s each
// byte of dec comes from, then a final entry len(s); ok is false when s holds no escape it
// decodes.
func unescapeAll(s, dec []byte, offs []int32) ([]byte, []int32, bool) {
	found := false
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' && c != '%' && c != '&' && c != '=' {
			dec, offs = append(dec, c), append(offs, int32(i))
			i++
			continue
		}
		before := len(dec)
		n := 0
		switch c {
		case '\\':
			dec, n = unbackslashAt(s, i, dec)
		case '%':
			dec, n = escapedBytes(s, i, dec, '%')
		case '=':
			n = softBreak(s, i)
		default:
			dec, n = charRef(s, i, dec)
		}
		if n == 0 {
			dec, offs = append(dec, c), append(offs, int32(i))
			i++
			continue
		}
		found = true
		if len(dec) == before+1 && dec[before] == 0x1B {
			if m := csiAfter(s, i+n); m > 0 {
				// A terminal's escape sequence written escaped ("\x1b[1m", "\033[0m",
				// "\e[31m") shows as nothing: it goes, and what it split reads whole.
				dec = dec[:before]
				i += n + m
				continue
			}
		}
		for range len(dec) - before {
			offs = append(offs, int32(i))
		}
		i += n
	}
	return dec, append(offs, int32(len(s))), found
}

// unbackslashAt decodes the backslash escape at s[i] onto dec and returns its length, 0 when
// there is none.
func unbackslashAt(s []byte, i int, dec []byte) ([]byte, int) {
	if i+1 >= len(s) {
		return dec, 0
	}
	switch c := s[i+1]; {
	case c == 'u' && i+6 <= len(s) && hex4(s[i+2:]) >= 0:
		r, n := hex4(s[i+2:]), 6
		if utf16IsHigh(r) && i+12 <= len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
			if lo := hex4(s[i+8:]); utf16IsLow(lo) {
				r, n = 0x10000+(r-0xD800)<<10+(lo-0xDC00), 12
			}
		}
		if utf16IsHigh(r) || utf16IsLow(r) {
			r = utf8.RuneError // as the layers and JSON decode a lone surrogate
		}
		return utf8.AppendRune(dec, r), n
	case c == 'x':
		return escapedBytes(s, i, dec, '\\')
	case c == 'e' && csiAfter(s, i+2) > 0: // bash's "\e[0m"
		return append(dec, 0x1B), 2
	case c == '\\': // an escaped backslash, which a second round may read on from
		return append(dec, '\\'), 2
	case c == 'n':
		return append(dec, '\n'), 2
	case c == 't':
		return append(dec, '\t'), 2
	case c == 'r':
		return append(dec, '\r'), 2
	case c == '\n': // a line continuation: nothing
		return dec, 2
	case c == '\r' && i+2 < len(s) && s[i+2] == '\n':
		return dec, 3
	case c >= '0' && c <= '3' && i+4 <= len(s) && isOctal(s[i+2]) && isOctal(s[i+3]):
		v := (c-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
		if v >= utf8.RuneSelf {
			return dec, 0
		}
		return append(dec, v), 4
	}
	return dec, 0
}

// csiAfter returns the length of the control sequence a written ESC starts at s[i]: '[', its
// parameter and intermediate bytes, and a final byte (ECMA-48); 0 when there is none.
func csiAfter(s []byte, i int) int {
	if i >= len(s) || s[i] != '[' {
		return 0
	}
	j := i + 1
	for j < len(s) && j-i <= maxCSI && s[j] >= 0x30 && s[j] <= 0x3F {
		j++
	}
	for j < len(s) && j-i <= maxCSI && s[j] >= 0x20 && s[j] <= 0x2F {
		j++
	}
	if j >= len(s) || j-i > maxCSI || !csiFinal(s[j]) {
		return 0
	}
	return j + 1 - i
}

// csiFinal reports a control sequence's final byte (ECMA-48: '@' to '~'), but '[': no
// terminal acts on it, and it opens what masking writes ("\x1b[" before "[PHONE]" would
// otherwise take the redaction's '[' and leave its name to read as a label).
func csiFinal(c byte) bool { return c >= 0x40 && c <= 0x7E && c != '[' }

// maxCSI bounds a written control sequence.
const maxCSI = 32

// softBreak returns the length of quoted-printable's soft line break at s[i] ("=\n",
// "=\r\n") between letters or digits, which a reader of the message joins; 0 for none.
func softBreak(s []byte, i int) int {
	n := 2
	if i+2 < len(s) && s[i+1] == '\r' && s[i+2] == '\n' {
		n = 3
	} else if i+1 >= len(s) || s[i+1] != '\n' {
		return 0
	}
	if i == 0 || i+n >= len(s) || !alnumSet[s[i-1]] || !alnumSet[s[i+n]] {
		return 0
	}
	// Base64's padding ends a value's line ("Authorization: Basic dXNlcjpodW50ZXIyMjI=" and
	// the next header): a run of 16 or more base64 characters holding a letter, whose length
	// with the '=' is a multiple of four, is a value that ends there, not a line broken.
	k, letter := i, false
	for k > 0 && i-k <= maxSecretValue && (alnumSet[s[k-1]] || s[k-1] == '+' || s[k-1] == '/') {
		letter = letter || isLetter(s[k-1])
		k--
	}
	if i-k >= 16 && letter && (i-k+1)%4 == 0 {
		return 0
	}
	return n
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func utf16IsHigh(r rune) bool { return r >= 0xD800 && r < 0xDC00 }
func utf16IsLow(r rune) bool  { return r >= 0xDC00 && r < 0xE000 }

// escapedBytes decodes the run of byte escapes at s[i] ("%40", "%E2%80%8B", "\x34\x31")
// onto dec when its bytes are UTF-8, and returns its length; 0 when they are not.
func escapedBytes(s []byte, i int, dec []byte, kind byte) ([]byte, int) {
	before, j := len(dec), i
	for {
		k := j + 1 // the first hex digit
		if kind == '\\' {
			if j+1 >= len(s) || s[j] != '\\' || s[j+1] != 'x' {
				break
			}
			k++
		} else if s[j] != '%' {
			break
		}
		if k+2 > len(s) {
			break
		}
		v := hex4([]byte{'0', '0', s[k], s[k+1]})
		if v < 0 {
			break
		}
		dec = append(dec, byte(v))
		if j = k + 2; j >= len(s) {
			break
		}
	}
	if j == i || !utf8.Valid(dec[before:]) {
		return dec[:before], 0
	}
	return dec, j - i
}

// maxCharRef bounds a character reference's length: "&#x10FFFF;", "&CounterClockwiseContourIntegral;".
const maxCharRef = 34

// charRef decodes the character reference at s[i] ("&#64;", "&#x40;", "&commat;") onto dec
// and returns its length, 0 when there is none.
func charRef(s []byte, i int, dec []byte) ([]byte, int) {
	j := i + 1
	for j < len(s) && j-i < maxCharRef && (isLetter(s[j]) || isDigit(s[j]) || s[j] == '#') {
		j++
	}
	if j == i+1 || j >= len(s) || s[j] != ';' {
		return dec, 0
	}
	ref := string(s[i : j+1])
	d := html.UnescapeString(ref)
	if d == ref {
		return dec, 0
	}
	return append(dec, d...), j + 1 - i
}
