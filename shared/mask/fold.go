package mask

import (
	"encoding/binary"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// This file folds the other spellings of the characters values are written with into the
// ASCII ones the detectors read, so that a value cannot slip past them in fullwidth digits
// ("４１１１…"), other scripts' digits, Unicode's compatibility forms (superscript, subscript,
// circled and mathematical digits and letters, "jane＠example.com"), Unicode dashes, spaces,
// line breaks and middle dots between its groups ("415–555–0132", "4111 1111…" with no-break
// spaces, "4111·1111·…", a vertical tab or a line separator), the ideographic full
// stops IDNA reads as dots ("example。com"), Cyrillic and Greek letters drawn as Latin ones
// ("GВ82 WЕST…" with a Cyrillic В and Е), with invisible characters inside it
// ("4111\u200b1111…", every default-ignorable code point and control character, a terminal's
// escape sequences), or with combining marks on its letters and digits ("4\u03011\u0301…").
// The scan reads the folded text; each match is mapped back to the bytes it came from, which
// are replaced whole.

// foldRune returns the ASCII byte r is a spelling of wherever it stands, 0 for a character
// dropped (invisible), and ok false for one kept as it is (foldAt folds some of those in
// context). Below tableEnd the answer is looked up in a table of foldSlow's.
func foldRune(r rune) (b byte, ok bool) {
	if r < tableEnd {
		return entry(foldTable()[r])
	}
	return foldSlow(r)
}

// entry is foldRune's answer for an entry of foldTable.
func entry(t byte) (b byte, ok bool) {
	switch t {
	case keep, mark:
		return 0, false
	case drop:
		return 0, true
	}
	return t, true
}

// tableEnd is where kana start: the scripts before it are read through foldTable.
const tableEnd = 0x3040

// The entries of foldTable that are no ASCII byte: kept, dropped, and a combining mark (kept,
// but dropped by foldAt after an ASCII letter or digit).
const (
	keep = 0
	drop = 0xFF
	mark = 0xFE
)

// foldTable is foldSlow's answer for every rune below tableEnd, made when text first needs it.
var foldTable = sync.OnceValue(func() *[tableEnd]byte {
	var t [tableEnd]byte
	for r := rune(0x80); r < tableEnd; r++ {
		switch b, ok := foldSlow(r); {
		case !ok && isMark(r):
			t[r] = mark
		case !ok:
			t[r] = keep
		case b == 0:
			t[r] = drop
		default:
			t[r] = b
		}
	}
	return &t
})

// foldSlow is foldRune without the table.
func foldSlow(r rune) (b byte, ok bool) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // fullwidth ASCII
		return byte(r - 0xFEE0), true
	case r == 0x00AD, r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF: // soft hyphen, zero widths
		return 0, true
	case r == 0x0085: // the C1 next line
		return ' ', true
	case r >= 0x0080 && r < 0x00A0, r == 0x3164: // C1 controls, the Hangul filler
		return 0, true
	case r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0xFE63: // hyphens, dashes, minus
		return '-', true
	case r == 0x00A0, r >= 0x2000 && r <= 0x200A, r == 0x202F, r == 0x205F, r == 0x3000: // spaces
		return ' ', true
	case r == 0x2028, r == 0x2029: // the line and paragraph separators
		return '\n', true
	case r == 0x00B7, r == 0x2022, r == 0x2027, r == 0x2219, r == 0x22C5, r == 0x30FB, r == 0xFF65: // middle dots, bullets
		return '.', true
	case r == 0x30A0: // the kana double hyphen, a dash among kana
		return '-', true
	case r >= 0x2776 && r <= 0x2793: // dingbat circled digits: three sets of 1-10 ("➀", "❶")
		if d := (r - 0x2776) % 10; d < 9 {
			return byte('1' + d), true
		}
		return 0, false
	case r >= 0x3040 && r < 0xA000, r >= 0xAC00 && r < 0xD7A4:
		// Kana, CJK ideographs, Hangul: no digit, no compatibility form of an ASCII
		// character (TestFoldRuneSkipsScripts), the bulk of the text that reaches here.
		return 0, false
	case unicode.Is(unicode.Pd, r): // the other dashes ("\uFE58", "\u2E3A")
		return '-', true
	case unicode.Is(unicode.Zs, r): // the other spaces ("\u1680")
		return ' ', true
	case invisible(r):
		return 0, true
	case r > 0x7F && unicode.IsDigit(r):
		zero := r
		for zero > 0 && unicode.IsDigit(zero-1) {
			zero--
		}
		return byte('0' + (r-zero)%10), true
	}
	// A compatibility character that decomposes to one printable ASCII character ("⁴", "①",
	// "𝐀", "﹫", "ℂ"), or to a digit in parentheses or with a full stop. (A parenthesized letter,
	// "⒜", is a symbol: between digits, a separator.)
	var buf [utf8.UTFMax]byte
	d := norm.NFKC.Properties(buf[:utf8.EncodeRune(buf[:], r)]).Decomposition()
	switch {
	case len(d) == 1 && d[0] > ' ' && d[0] < 0x7F:
		return d[0], true
	case len(d) == 3 && d[0] == '(' && d[2] == ')' && isDigit(d[1]):
		return d[1], true // a parenthesized digit: "⑷"
	case len(d) == 2 && d[1] == '.' && isDigit(d[0]):
		return d[0], true // a digit with a full stop: "⒋"
	}
	return 0, false
}

// invisible reports a default-ignorable code point (Unicode's DerivedCoreProperties): format
// characters such as bidirectional controls, invisible operators and tags, variation
// selectors, fillers. Nothing shows for them, so nothing they stand between is apart. The
// prepended concatenation marks and interlinear annotation characters, which show, are not.
func invisible(r rune) bool {
	if unicode.Is(unicode.Cf, r) {
		return !unicode.Is(unicode.Prepended_Concatenation_Mark, r) && (r < 0xFFF9 || r > 0xFFFB)
	}
	return unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// isMark reports a nonspacing or enclosing combining mark ("\u0301", the keycap "\u20e3").
func isMark(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Me) }

// markAbove reports a combining mark at or above tableEnd (below it, foldTable says): none
// in kana, CJK ideographs and Hangul but kana's two sound marks.
func markAbove(r rune) bool {
	if r < 0xA000 && r != 0x3099 && r != 0x309A || r >= 0xAC00 && r < 0xD7A4 {
		return false
	}
	return isMark(r)
}

// onASCII reports whether the combining mark at s[i] is on an ASCII letter or digit, or on a
// character folded to one ("４\u0301"), through other marks and invisible characters: foldAt
// drops it then. The marks on letters of other scripts stay, as they are part of those words.
func onASCII(s []byte, i int) bool {
	for j := i; j > 0; {
		if c := s[j-1]; c < utf8.RuneSelf {
			return alnumSet[c]
		}
		p, n := utf8.DecodeLastRune(s[:j])
		if b, ok := foldRune(p); ok && b != 0 {
			return alnumSet[b]
		} else if ok { // invisible: "4\ufe0f\u20e3"
			j -= n
			continue
		}
		if (p < tableEnd && foldTable()[p] == mark) || (p >= tableEnd && markAbove(p)) {
			j -= n
			continue
		}
		return false
	}
	return false
}

// ctlDrop marks the ASCII control characters the fold reads: those a value may hide behind,
// all but tab, line feed, vertical tab, form feed and carriage return, which it drops; and
// vertical tab and form feed, line breaks it reads as a line feed (lineBreak).
var ctlDrop = func() (t [utf8.RuneSelf]bool) {
	for c := range 0x20 {
		t[c] = c < '\t' || c > '\n' && c != '\r'
	}
	t[0x7F] = true
	return t
}()

// lineBreak reports a vertical tab or a form feed.
func lineBreak(c byte) bool { return c == '\v' || c == '\f' }

// escSeq returns the length of the terminal escape sequence at s[i] (ESC) that markup reads
// as an inline tag (markup.go): a CSI ("\x1b[1;31m": parameter bytes, intermediate bytes, a
// final byte) or an OSC ("\x1b]8;;url\x1b\\", ended by BEL or ST within maxOSC bytes); 0 for
// none. fold keeps those whole, so that the text is read both with them and without them (a
// CSI's parameters are digits a reader sees); any other control is dropped.
func escSeq(s []byte, i int) int {
	if i+2 >= len(s) || s[i] != 0x1B {
		return 0
	}
	j := i + 2
	switch s[i+1] {
	case '[':
		for j < len(s) && s[j] >= 0x30 && s[j] <= 0x3F {
			j++
		}
		for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2F {
			j++
		}
		if j < len(s) && csiFinal(s[j]) {
			return j + 1 - i
		}
	case ']':
		for ; j < len(s) && j-i <= maxOSC; j++ {
			switch {
			case s[j] == 0x07:
				return j + 1 - i
			case s[j] == 0x1B:
				if j+1 < len(s) && s[j+1] == '\\' {
					return j + 2 - i
				}
				return 0
			case s[j] < 0x20:
				return 0
			}
		}
	}
	return 0
}

// maxOSC bounds the operating system command (a hyperlink, a window title) read as one.
const maxOSC = 2048

// lookalikes are the Greek and Cyrillic letters drawn the same as a Latin letter (Unicode
// TR39's confusables of the Latin alphabet in those scripts) and that letter. They are
// folded only in a word that also holds ASCII letters or digits ("GВ82", "АKIA..."): a word
// of their own script is no spelling of an ASCII value, and is scanned as it is.
var lookalikes = map[rune]byte{
	// Greek capitals, and the small omicron and nu.
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N',
	'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', 'ο': 'o', 'ν': 'v',
	// Cyrillic capitals.
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C',
	'Т': 'T', 'Х': 'X', 'У': 'Y', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J', 'Ԛ': 'Q', 'Ԝ': 'W', 'Ү': 'Y',
	// Cyrillic small letters.
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i',
	'ј': 'j', 'ԁ': 'd', 'һ': 'h', 'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l',
}

// Greek and Cyrillic span lookalikeFirst through lookalikeLast; latinOf indexes lookalikes by
// rune from there.
const lookalikeFirst, lookalikeLast = 0x0370, 0x052F

var latinOf = func() (t [lookalikeLast - lookalikeFirst + 1]byte) {
	for r, b := range lookalikes {
		t[r-lookalikeFirst] = b
	}
	return t
}()

// word caches whether the word fold last looked at holds ASCII letters or digits.
type word struct {
	end   int
	ascii bool
}

// foldAt folds the rune at s[i] (not ASCII) and returns its length. An at sign written
// otherwise right before an '@' is kept: a character of an internationalized local part
// ("＠@fullwidth.at"). An ideographic full stop is a dot between ASCII letters or digits
// ("example。com"), and a lookalike a Latin letter in a word that holds some.
func foldAt(s []byte, i int, w *word) (n int, b byte, ok bool) {
	r, n := utf8.DecodeRune(s[i:])
	var t byte // the table's entry, looked up once
	if r < tableEnd {
		t = foldTable()[r]
		b, ok = entry(t)
	} else {
		b, ok = foldSlow(r)
	}
	if ok {
		if b == '@' && i+n < len(s) && s[i+n] == '@' {
			return n, 0, false
		}
		return n, b, true
	}
	switch {
	case r == 0x3002, r == 0xFF61: // label separators in IDNA (UTS #46)
		if i > 0 && alnumSet[s[i-1]] && i+n < len(s) && alnumSet[s[i+n]] || digitsAround(s, i, n) {
			return n, '.', true
		}
	case i > 0 && (isDigit(s[i-1]) || s[i-1] == ' ') && digitsAround(s, i, n) && (unicode.IsPunct(r) || unicode.IsSymbol(r)):
		// Any other punctuation or symbol between digits ("4111★1111★…", "415→555→0132",
		// an emoji) joins groups as ASCII punctuation does: it reads as '^', which the loose
		// reader takes as a separator.
		return n, '^', true
	case r >= lookalikeFirst && r <= lookalikeLast:
		if l := latinOf[r-lookalikeFirst]; l != 0 && w.hasASCII(s, i) {
			return n, l, true
		}
	}
	if (t == mark || (r >= tableEnd && markAbove(r))) && onASCII(s, i) {
		return n, 0, true
	}
	return n, 0, false
}

// digitsAround reports whether the character s[i:i+n] stands between ASCII digits, a
// space apart at most on either side, with nothing invisible after it (an emoji's
// variation selector) counted.
func digitsAround(s []byte, i, n int) bool {
	a := i - 1
	if a >= 0 && s[a] == ' ' {
		a--
	}
	if a < 0 || !isDigit(s[a]) {
		return false
	}
	b := i + n
	for b+2 < len(s) && s[b] == 0xEF && s[b+1] == 0xB8 && s[b+2] >= 0x80 && s[b+2] <= 0x8F { // U+FE00–FE0F
		b += 3
	}
	if b < len(s) && s[b] == ' ' {
		b++
	}
	return b < len(s) && isDigit(s[b])
}

// hasASCII reports whether the word around s[i] holds an ASCII letter or digit. A word is
// letters, digits and marks of any script; anything else ends it ("Ζ\uFFFD0" is the word
// "Ζ" and the word "0": what replaced an invalid byte joins nothing, so the text reads the
// same once a value after it is masked).
func (w *word) hasASCII(s []byte, i int) bool {
	if i < w.end {
		return w.ascii
	}
	w.ascii = false
	for j := i; j > 0; {
		if c := s[j-1]; c < utf8.RuneSelf {
			if !alnumSet[c] {
				break
			}
			w.ascii, j = true, j-1
			continue
		}
		r, n := utf8.DecodeLastRune(s[:j])
		if !wordRune(r) {
			break
		}
		j -= n
	}
	j := i
	for j < len(s) {
		if c := s[j]; c < utf8.RuneSelf {
			if !alnumSet[c] {
				break
			}
			w.ascii, j = true, j+1
			continue
		}
		r, n := utf8.DecodeRune(s[j:])
		if j > i && !wordRune(r) {
			break
		}
		j += n
	}
	w.end = j
	return w.ascii
}

// wordRune reports a letter, digit or mark of any script; below wordTableEnd from a table,
// as the range tables' search costs a word of Cyrillic or Greek text more than its fold.
func wordRune(r rune) bool {
	if r >= 0 && r < wordTableEnd {
		return wordTable[r>>3]&(1<<(r&7)) != 0
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// wordTableEnd bounds wordTable: the alphabets of Europe, the Middle East and South Asia.
const wordTableEnd = 0x1000

var wordTable = func() (t [wordTableEnd / 8]byte) {
	for r := rune(0); r < wordTableEnd; r++ {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			t[r>>3] |= 1 << (r & 7)
		}
	}
	return t
}()

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
	if plainASCII(s) {
		return nil, nil, false
	}
	first := -1
	var w word
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			if ctlDrop[s[i]] {
				if n := escSeq(s, i); n > 0 {
					i += n
					continue
				}
				first = i
				break
			}
			i++
			continue
		}
		n, _, f := foldAt(s, i, &w)
		if f {
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
	// A lone ESC dropped is counted with the byte after it, so a value masked after it takes
	// it along: left before the marker, "\x1b[" would start an escape sequence the next
	// reading takes the marker's first bytes into.
	esc := -1
	from := func(i int) int32 {
		if esc >= 0 {
			i, esc = esc, -1
		}
		return at(i)
	}
	for i := first; i < len(s); {
		if s[i] < utf8.RuneSelf {
			if lineBreak(s[i]) {
				out = append(out, '\n')
				outOffs = append(outOffs, from(i))
				i++
				continue
			}
			if ctlDrop[s[i]] {
				if n := escSeq(s, i); n > 0 { // kept whole, its BEL or ST included
					for k := i; k < i+n; k++ {
						out = append(out, s[k])
						outOffs = append(outOffs, from(k))
					}
					i += n
					continue
				}
				if s[i] == 0x1B && esc < 0 {
					esc = i
				}
				i++
				continue
			}
			out = append(out, s[i])
			outOffs = append(outOffs, from(i))
			i++
			continue
		}
		n, b, f := foldAt(s, i, &w)
		if f {
			if b != 0 {
				out = append(out, b)
				outOffs = append(outOffs, from(i))
			}
		} else {
			out = append(out, s[i:i+n]...)
			o := from(i)
			for range n {
				outOffs = append(outOffs, o)
			}
		}
		i += n
	}
	return out, append(outOffs, int32(rawLen)), true
}

// plainASCII reports whether s is ASCII with no control character ctlDrop marks, eight bytes
// at a time: a word with a byte below 0x20 is looked at byte by byte (most are line ends).
func plainASCII(s []byte) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		if x&0x8080808080808080 != 0 {
			return false
		}
		if (x-0x2020202020202020)&^x&0x8080808080808080 != 0 || (x+0x0101010101010101)&0x8080808080808080 != 0 {
			for _, c := range s[i : i+8] {
				if ctlDrop[c] {
					return false
				}
			}
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || ctlDrop[s[i]] {
			return false
		}
	}
	return true
}
