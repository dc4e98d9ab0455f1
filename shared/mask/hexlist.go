package mask

import (
	"bytes"
	"encoding/hex"
)

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
	var d []byte
	var upper, lower bool
	end, j := i, i
	for {
		k := j + p
		if p > 0 && (k > len(s) || !bytes.EqualFold(s[j:k], []byte("0x"))) {
			break
		}
		n := 0 // hex digits of this token
		for k+n < len(s) && n < 2*size && hexSet[s[k+n]] {
			n++
		}
		if n < 2 || n%2 != 0 || k+n < len(s) && (isLetter(s[k+n]) || isDigit(s[k+n])) {
			break
		}
		for _, c := range s[k : k+n] {
			upper, lower = upper || c >= 'A' && c <= 'F', lower || c >= 'a' && c <= 'f'
		}
		d, _ = hex.AppendDecode(d, s[k:k+n]) // hexSet digits: no error
		end = k + n
		if n < 2*size || !bytes.HasPrefix(s[end:], sep) {
			break // an xxd line's last group may be one byte
		}
		j = end + len(sep)
	}
	if len(d) < minHexList || upper && lower || !inspectable(d) {
		return hit{}, false
	}
	m, ok := st.inner(d)
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
