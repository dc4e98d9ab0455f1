package mask

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// This file holds the CSV reader (RFC 4180, with LF or CRLF line ends). The first record is
// the header; each field below it is scanned as the value of its column's name, so a column
// named "ssn", "dob" or "password" labels its values as a JSON key does, and a column named
// with WithFields is masked whole. Fields are scanned in place, quoted ones between their
// quotes; replacements never hold a quote, comma or line break, so the output is CSV with
// the same records and fields. A card number split over a row's fields ("4111,1111,1111,
// 1111") is masked in each, as in a JSON object (digitParts).

// csv masks the input as CSV with the field separator sep (',', ';', a tab or '|') and
// reports whether it was valid CSV (every quoted field closed, nothing between a closing
// quote and the next separator).
func (st *state) csv(sep byte) bool {
	src := st.w.src
	col, row := 0, 0
	var parts digitParts // a row's fields of digits: a card split over columns
	defer parts.flush(st)
	for i := 0; i <= len(src); {
		// One field starts at i.
		var start, end, next int
		if i < len(src) && src[i] == '"' {
			j := i + 1
			for {
				for j < len(src) && src[j] != '"' {
					j++
				}
				if j >= len(src) {
					return false
				}
				if j+1 < len(src) && src[j+1] == '"' {
					j += 2
					continue
				}
				break
			}
			start, end, next = i+1, j, j+1
			if next < len(src) && src[next] != sep && src[next] != '\n' && src[next] != '\r' {
				return false
			}
		} else {
			j := i
			for j < len(src) && src[j] != sep && src[j] != '\n' && src[j] != '\r' {
				if src[j] == '"' {
					return false
				}
				j++
			}
			start, end, next = i, j, j
		}
		if row == 0 {
			st.header = append(st.header, src[start:end])
		} else if end-start == 0 || end-start > 9 || !allDigits(src[start:end]) || !parts.addSpan(digitSpan{start, end}, true) {
			parts.flush(st) // found in its row, at its last part's column
		}
		st.w.loc.row, st.w.loc.col = row+1, col+1
		st.csvField(start, end, col, row == 0)
		// The separator after the field.
		switch {
		case next >= len(src):
			return true
		case src[next] == sep:
			col++
			i = next + 1
		default: // a line end
			parts.flush(st)
			if src[next] == '\r' && next+1 < len(src) && src[next+1] == '\n' {
				next++
			}
			col, row = 0, row+1
			i = next + 1
			if i == len(src) {
				return true
			}
		}
	}
	return true
}

// csvField masks the field src[start:end] of column col (a column name when header is set,
// scanned as text: a value can hide in a header as well as below it).
func (st *state) csvField(start, end, col int, header bool) {
	if end-start == 0 {
		return
	}
	var key []byte
	if col < len(st.header) && !header {
		key = st.header[col]
	}
	if key != nil && st.isField(key) {
		st.w.replace(start, end, detField, false, st.w.src[start:end])
		return
	}
	sc := &st.sc
	sc.setKey(key)
	sc.matches = sc.matches[:0]
	st.scanRaw(start, end)
}

// csvSeps are the field separators a CSV input is read with: RFC 4180's comma, the
// semicolon of locales that write a decimal comma, a tab (TSV) and '|'.
var csvSeps = [...]byte{',', ';', '\t', '|'}

// csvSep returns the separator of src's first record: the one of csvSeps it holds most of
// outside quotes (',' when it holds none), and how many fields that makes.
func csvSep(src []byte) (sep byte, fields int) {
	var n [len(csvSeps)]int
	quoted := false
	for i := 0; i < len(src) && i < maxCSVHeader; i++ {
		c := src[i]
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' || c == '\r' {
			break
		}
		for k, s := range csvSeps {
			if c == s {
				n[k]++
			}
		}
	}
	best := 0
	for k := range n {
		if n[k] > n[best] {
			best = k
		}
	}
	return csvSeps[best], n[best] + 1
}

// maxCSVHeader bounds the first record read to find the separator; sniffCSV reads up to
// csvSniffLines records.
const (
	maxCSVHeader  = 4096
	csvSniffLines = 20
)

// sniffCSV reports whether src, not declared CSV, reads as CSV: a first record of two
// names or more (letters, digits and the punctuation of names, each with a letter), and
// records after it with as many fields, up to csvSniffLines of them. Read as text, its
// column names would label nothing, and a bare SSN, a date of birth or a password under
// them would come back in clear.
func sniffCSV(src []byte) (byte, bool) { return sniffCSVHead(src, true) }

// sniffCSVHead is sniffCSV of src whole, or of its head (the first bytes of a stream),
// whose last line may be cut and is not judged.
func sniffCSVHead(src []byte, whole bool) (byte, bool) {
	if !whole {
		if k := bytes.LastIndexByte(src, '\n'); k >= 0 {
			src = src[:k+1]
		}
	}
	sep, fields := csvSep(src)
	if fields < 2 {
		return 0, false
	}
	rows, field, start := 0, 0, 0
	quoted, letter, nameOK := false, false, true
	for i := 0; i <= len(src); i++ {
		c := byte('\n')
		if i < len(src) {
			c = src[i]
		}
		switch {
		case c == '"':
			quoted = !quoted
			continue
		case quoted:
			letter = letter || rows == 0 && isLetter(c) // a quoted name ("\"ssn\",\"dob\"")
			continue
		case c == sep || c == '\n' || c == '\r':
			if rows == 0 {
				name := bytes.TrimSpace(bytes.Trim(src[start:i], `"`))
				nameOK = nameOK && len(name) > 0 && len(name) <= 64 && letter
				letter = false
			}
			field++
			start = i + 1
			if c == sep {
				continue
			}
			if c == '\r' && i+1 < len(src) && src[i+1] == '\n' {
				i++
				start = i + 1
			}
			if field != fields || !nameOK {
				return 0, false
			}
			rows, field = rows+1, 0
			if rows == csvSniffLines || i+1 >= len(src) || i+2 == len(src) && src[i+1] == '\n' {
				return sep, rows >= 2
			}
		case rows == 0:
			letter = letter || isLetter(c)
			nameOK = nameOK && (isLetter(c) || isDigit(c) || c >= utf8.RuneSelf || strings.IndexByte(" _-.()#/", c) >= 0)
		}
	}
	return sep, rows >= 2
}
