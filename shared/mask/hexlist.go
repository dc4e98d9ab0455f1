package mask

import "bytes"

// This file reads bytes written as a list of hex numbers, as hex dumps, packet captures and
// source code write them: "34 31 31 31 …", "34:31:31:…", "0x34, 0x31, …", and xxd's groups
// of two bytes ("3431 3131 …"). A value so written came back in clear, as contiguous hex
// (hexRun) did not.

// minHexList is the fewest bytes a list is read with: fewer would turn up in ordinary text
// ("12 34 56").
const minHexList = 8

// hexListSeps are the separators a list is read with, tried in order.
var hexListSeps = [][]byte{[]byte(", "), []byte(","), []byte(" "), []byte(":")}

// hexList reads the list of hex bytes starting at s[i] and masks what it decodes to when
// that is text; what was masked is written back listed as it was.
func (st *state) hexList(s []byte, i int) (hit, bool) {
	prefix := i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X')
	p := 0
	if prefix {
		p = 2
	}
	if i+p+2 > len(s) || !hexSet[s[i+p]] || !hexSet[s[i+p+1]] {
		return hit{}, false
	}
	size := 1 // bytes a token holds: 1, or 2 in xxd's groups
	if !prefix && i+4 <= len(s) && hexSet[s[i+2]] && hexSet[s[i+3]] {
		size = 2
	}
	first := i + p + 2*size
	if first < len(s) && (isLetter(s[first]) || isDigit(s[first])) {
		return hit{}, false
	}
	var sep []byte
	for _, c := range hexListSeps {
		if bytes.HasPrefix(s[first:], c) {
			sep = c
			break
		}
	}
	if sep == nil || size == 2 && sep[0] != ' ' {
		return hit{}, false
	}
	// Decoded into the state's scratch buffer: most candidates are a few short words or
	// numbers ("2024 12 31"), turned away without a copy.
	d, end, upper, lower := hexTokens(s, i, p, size, sep, st.scratch[:0])
	st.scratch = d
	if len(d) < minHexList || upper && lower || !inspectable(d) {
		return hit{}, false
	}
	m, ok := st.inner(bytes.Clone(d))
	if !ok {
		return hit{}, false
	}
	digits := "0123456789abcdef"
	if upper {
		digits = "0123456789ABCDEF"
	}
	var repl []byte
	for k, c := range m.Body {
		if k%size == 0 && k > 0 {
			repl = append(repl, sep...)
		}
		if k%size == 0 && prefix {
			repl = append(repl, s[i:i+2]...)
		}
		repl = append(repl, digits[c>>4], digits[c&15])
	}
	return hit{start: i, end: end, repl: repl, inner: m, enc: encHex}, true
}

// hexTokens decodes the tokens of the list at s[i] (prefix length p, size bytes each, sep
// between them) onto d, up to a control byte, and returns them, where the last token read
// ends and whether its hex digits were upper or lower case.
func hexTokens(s []byte, i, p, size int, sep, d []byte) (out []byte, end int, upper, lower bool) {
	for j := i; ; {
		k := j + p
		if p > 0 && (k > len(s) || s[j] != '0' || s[j+1] != 'x' && s[j+1] != 'X') {
			return d, end, upper, lower
		}
		e := k
		for e < len(s) && e-k < 2*size && hexSet[s[e]] {
			e++
		}
		if e-k < 2 || (e-k)%2 != 0 || e < len(s) && (isLetter(s[e]) || isDigit(s[e])) {
			return d, end, upper, lower
		}
		before := len(d)
		for b := k; b < e; b += 2 {
			// A control byte is no text's ("4111 1111 …" read as xxd's groups is 41 11 …):
			// the list ends before it.
			v := unhex(s[b])<<4 | unhex(s[b+1])
			if v < ' ' && v != '\t' && v != '\n' && v != '\r' || v == 0x7F {
				return d[:before], end, upper, lower
			}
			d = append(d, v)
		}
		for _, c := range s[k:e] {
			upper, lower = upper || c >= 'A' && c <= 'F', lower || c >= 'a' && c <= 'f'
		}
		end = e
		if e-k < 2*size || !bytes.HasPrefix(s[e:], sep) {
			return d, end, upper, lower // an xxd line's last group may be one byte
		}
		j = e + len(sep)
	}
}

// unhex returns the value of the hex digit c.
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// textByte reports whether the hex digits a and b write a byte of text: printable ASCII, a
// tab or a line break, or a byte of a UTF-8 sequence. It is asked of the last byte of each
// short word before a separator, so most words are turned away before hexList is called.
func textByte(a, b byte) bool {
	if !hexSet[a] || !hexSet[b] {
		return false
	}
	v := unhex(a)<<4 | unhex(b)
	return v >= ' ' && v != 0x7F || v == '\t' || v == '\n' || v == '\r'
}
