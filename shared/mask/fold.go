package mask

import (
	"encoding/binary"
	"unicode"
	"unicode/utf8"
)

// This file folds the other spellings of the characters values are written with into the
// ASCII ones the detectors read, so that a value cannot slip past them in fullwidth digits
// ("４１１１…"), other scripts' digits, Unicode dashes and spaces between its groups
// ("415–555–0132", "4111 1111…" with no-break spaces), or with invisible characters inside it
// ("4111\u200b1111…"). The scan reads the folded text; each match is mapped back to the bytes
// it came from, which are replaced whole.

// foldRune returns the ASCII byte r is a spelling of, 0 for a character dropped (invisible),
// and ok false for one kept as it is.
func foldRune(r rune) (b byte, ok bool) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E && r != 0xFF20:
		// Fullwidth ASCII; '＠' is kept, a character of internationalized local parts.
		return byte(r - 0xFEE0), true
	case r == 0x00AD, r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF: // soft hyphen, zero widths
		return 0, true
	case r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0xFE63: // hyphens, dashes, minus
		return '-', true
	case r == 0x00A0, r >= 0x2000 && r <= 0x200A, r == 0x202F, r == 0x205F, r == 0x3000: // spaces
		return ' ', true
	case r > 0x7F && unicode.IsDigit(r):
		zero := r
		for zero > 0 && unicode.IsDigit(zero-1) {
			zero--
		}
		return byte('0' + (r-zero)%10), true
	}
	return 0, false
}

// fold returns s with foldRune applied and, for each byte of it, the offset in the raw value
// it came from (through offs when s is itself decoded, offs[len(s)] the raw end), with a
// final entry for the end; ok is false when s has nothing to fold, and s is scanned as it is.
func fold(s []byte, offs []int32, rawLen int) (out []byte, outOffs []int32, ok bool) {
	at := func(i int) int32 {
		if offs != nil {
			return offs[i]
		}
		return int32(i)
	}
	if isASCII(s) {
		return nil, nil, false
	}
	first := -1
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if _, f := foldRune(r); f {
			first = i
			break
		}
		i += n
	}
	if first < 0 {
		return nil, nil, false
	}
	out = append(make([]byte, 0, len(s)), s[:first]...)
	outOffs = make([]int32, 0, len(s)+1)
	for i := range first {
		outOffs = append(outOffs, at(i))
	}
	for i := first; i < len(s); {
		if s[i] < utf8.RuneSelf {
			out = append(out, s[i])
			outOffs = append(outOffs, at(i))
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if b, f := foldRune(r); f {
			if b != 0 {
				out = append(out, b)
				outOffs = append(outOffs, at(i))
			}
		} else {
			out = append(out, s[i:i+n]...)
			for range n {
				outOffs = append(outOffs, at(i))
			}
		}
		i += n
	}
	return out, append(outOffs, int32(rawLen)), true
}

// isASCII reports whether s is ASCII only, eight bytes at a time.
func isASCII(s []byte) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if binary.LittleEndian.Uint64(s[i:])&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
