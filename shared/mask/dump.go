package mask

import (
	"bytes"
	"fmt"
)

// This file reads hex dumps: xxd's lines ("00000000: 6361 7264 2034 3131 …  card 4111…") and
// hexdump -C's ("00000000  63 61 72 64 20 34 31 31  …  |card 4111…|"). A dump shows each
// line's bytes twice, in hex and as text, and a value across a line break is split in both
// columns by the next line's offset and hex: masked line by line it came back in clear.

// dumpWidth is the bytes a dump line shows.
const dumpWidth = 16

// dumpKind is the program whose layout a dump has.
type dumpKind uint8

const (
	dumpXXD     dumpKind = iota + 1 // "00000000: 6361 7264 …  card"
	dumpHexdump                     // "00000000  63 61 72 64 …  |card|"
)

// dumpBlock reads the hex dump whose first line starts at s[i]: two lines or more of one
// layout at consecutive offsets, each line's text column what its hex says. It masks the
// bytes the dump shows and, when something was masked, returns them dumped again the same
// way from the same offset.
func (st *state) dumpBlock(s []byte, i int) (hit, bool) {
	var d []byte
	var kind dumpKind
	first := -1 // the first line's offset
	end, lines := i, 0
	for j := i; j < len(s); {
		off, k, n, ok := dumpLine(s, j, &d, &kind)
		if !ok || first >= 0 && off != first+lines*dumpWidth {
			break
		}
		if first < 0 {
			first = off
		}
		lines++
		end = k
		if n < dumpWidth || k >= len(s) || s[k] != '\n' {
			break // the last line
		}
		j = k + 1
	}
	if lines < 2 || !inspectable(d) {
		return hit{}, false
	}
	endLine := false // hexdump's line of the end offset after the last
	if kind == dumpHexdump {
		if e := hexdumpEnd(s, end, first+len(d)); e > 0 {
			end, endLine = e, true
		}
	}
	m, ok := st.inner(d)
	if !ok {
		return hit{}, false
	}
	return hit{start: i, end: end, repl: appendDump(nil, m.Body, kind, first, endLine), inner: m, enc: encHex, dump: true}, true
}

// The columns a dump line's text starts at: xxd's after the offset, eight groups and two
// spaces; hexdump's '|' after the offset and sixteen bytes in two halves.
const (
	xxdTextAt     = 10 + 39 + 2
	hexdumpTextAt = 10 + 50
)

// dumpLine reads the dump line at s[i], appends the bytes it shows to *d and sets *kind on
// the first line; it returns the line's offset, its end (before the line break) and how many
// bytes it shows.
func dumpLine(s []byte, i int, d *[]byte, kind *dumpKind) (off, end, n int, ok bool) {
	if i+10 > len(s) {
		return 0, 0, 0, false
	}
	for _, c := range s[i : i+8] {
		if !hexSet[c] {
			return 0, 0, 0, false
		}
		off = off<<4 | int(unhex(c))
	}
	k := i + 8
	switch {
	case s[k] == ':' && s[k+1] == ' ' && *kind != dumpHexdump:
		*kind, k = dumpXXD, k+2
	case s[k] == ' ' && s[k+1] == ' ' && *kind != dumpXXD:
		*kind, k = dumpHexdump, k+2
	default:
		return 0, 0, 0, false
	}
	before := len(*d)
	for n < dumpWidth && k+1 < len(s) && hexSet[s[k]] && hexSet[s[k+1]] {
		*d = append(*d, unhex(s[k])<<4|unhex(s[k+1]))
		n, k = n+1, k+2
		switch {
		case *kind == dumpXXD && n%2 == 1: // the second byte of the group follows
		case k < len(s) && s[k] == ' ' && (*kind == dumpXXD || n != 8 || k+1 < len(s) && s[k+1] == ' '):
			k++
			if *kind == dumpHexdump && n == 8 {
				k++
			}
		default:
			n = dumpWidth + 1 // no separator: no dump line
		}
	}
	if n == 0 || n > dumpWidth {
		*d = (*d)[:before]
		return 0, 0, 0, false
	}
	// The text column, at its column after the padding: what the bytes show, printable
	// ASCII or '.'.
	at := i + xxdTextAt
	if *kind == dumpHexdump {
		at = i + hexdumpTextAt
	}
	for k < at && k < len(s) && s[k] == ' ' {
		k++
	}
	if k != at {
		*d = (*d)[:before]
		return 0, 0, 0, false
	}
	text := dumpText(nil, (*d)[before:])
	if *kind == dumpHexdump {
		if k+len(text)+2 > len(s) || s[k] != '|' || string(s[k+1:k+1+len(text)]) != string(text) || s[k+1+len(text)] != '|' {
			*d = (*d)[:before]
			return 0, 0, 0, false
		}
		return off, k + len(text) + 2, n, true
	}
	if k+len(text) > len(s) || string(s[k:k+len(text)]) != string(text) {
		*d = (*d)[:before]
		return 0, 0, 0, false
	}
	return off, k + len(text), n, true
}

// dumpStart returns the start of the hex dump whose lines the line break before buf[c] is
// between (two full lines of one layout at consecutive offsets, the second perhaps cut by the
// end of buf), or c when it is between no such lines.
func dumpStart(buf []byte, c int) int {
	var d []byte
	var kind dumpKind
	off, ok := fullDumpLineBefore(buf, c, &d, &kind)
	if !ok {
		return c
	}
	if bytes.IndexByte(buf[c:], '\n') < 0 {
		// The line at c is cut by the end of buf: the dump's next line if it starts as one.
		for k := 0; k < 8 && c+k < len(buf); k++ {
			if !hexSet[buf[c+k]] || int(unhex(buf[c+k])) != (off+dumpWidth)>>(28-4*k)&0xf {
				return c
			}
		}
	} else if next, _, _, ok := dumpLine(buf, c, &d, &kind); !ok || next != off+dumpWidth {
		return c
	}
	start := bytes.LastIndexByte(buf[:c-1], '\n') + 1
	for start > 0 {
		prev, ok := fullDumpLineBefore(buf, start, &d, &kind)
		if !ok || prev != off-dumpWidth {
			break
		}
		off, start = prev, bytes.LastIndexByte(buf[:start-1], '\n')+1
	}
	return start
}

// fullDumpLineBefore reads the line that the line break before buf[c] ends as a dump line of
// *kind (any kind when unset) showing a full line of bytes, and returns its offset.
func fullDumpLineBefore(buf []byte, c int, d *[]byte, kind *dumpKind) (int, bool) {
	if c < 2 || buf[c-1] != '\n' {
		return 0, false
	}
	p := bytes.LastIndexByte(buf[:c-1], '\n') + 1
	off, end, n, ok := dumpLine(buf, p, d, kind)
	return off, ok && n == dumpWidth && end == c-1
}

// dumpQuietCut returns, for a cut c between the lines of a dump that starts at the chunk's
// start, the nearest line start at or before c, up to 256 lines back, after a line whose
// bytes end in a line break after a byte that is not a digit or a separator: no value is
// read across such a line break. It returns c when there is none.
func dumpQuietCut(buf []byte, c int) int {
	var d []byte
	var kind dumpKind
	for b, lines := c, 0; b > 0 && lines < 256; lines++ {
		d = d[:0]
		if _, ok := fullDumpLineBefore(buf, b, &d, &kind); !ok {
			break
		}
		if d[len(d)-1] == '\n' && !isDigit(d[len(d)-2]) && !looseSep[d[len(d)-2]] {
			return b
		}
		b = bytes.LastIndexByte(buf[:b-1], '\n') + 1
	}
	return c
}

// hexdumpEnd returns the end of hexdump's last line, the end offset alone, after a line
// break at s[i]; 0 for none.
func hexdumpEnd(s []byte, i, want int) int {
	if i+9 > len(s) || s[i] != '\n' {
		return 0
	}
	off := 0
	for _, c := range s[i+1 : i+9] {
		if !hexSet[c] {
			return 0
		}
		off = off<<4 | int(unhex(c))
	}
	if off != want || i+9 < len(s) && s[i+9] != '\n' && s[i+9] != '\r' {
		return 0
	}
	return i + 9
}

// dumpText appends what a dump's text column shows for b: printable ASCII as it is, any
// other byte as '.'.
func dumpText(out, b []byte) []byte {
	for _, c := range b {
		if c < ' ' || c > '~' {
			c = '.'
		}
		out = append(out, c)
	}
	return out
}

// appendDump appends b dumped as kind lays it out, from offset off, with hexdump's line of
// the end offset when endLine is set.
func appendDump(out, b []byte, kind dumpKind, off int, endLine bool) []byte {
	for k := 0; k < len(b) || k == 0; k += dumpWidth {
		line := b[k:min(k+dumpWidth, len(b))]
		if k > 0 {
			out = append(out, '\n')
		}
		start := len(out)
		if kind == dumpXXD {
			out = fmt.Appendf(out, "%08x: ", off+k)
			for n, c := range line {
				if n > 0 && n%2 == 0 {
					out = append(out, ' ')
				}
				out = fmt.Appendf(out, "%02x", c)
			}
			for len(out)-start < xxdTextAt {
				out = append(out, ' ')
			}
			out = dumpText(out, line)
			continue
		}
		out = fmt.Appendf(out, "%08x  ", off+k)
		for n, c := range line {
			out = fmt.Appendf(out, "%02x ", c)
			if n == 7 {
				out = append(out, ' ')
			}
		}
		for len(out)-start < hexdumpTextAt {
			out = append(out, ' ')
		}
		out = append(dumpText(append(out, '|'), line), '|')
	}
	if endLine {
		out = fmt.Appendf(out, "\n%08x", off+len(b))
	}
	return out
}
