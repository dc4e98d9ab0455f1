package mask

// This file holds the CSV reader (RFC 4180, with LF or CRLF line ends). The first record is
// the header; each field below it is scanned as the value of its column's name, so a column
// named "ssn", "dob" or "password" labels its values as a JSON key does, and a column named
// with WithFields is masked whole. Fields are scanned in place, quoted ones between their
// quotes; replacements never hold a quote, comma or line break, so the output is CSV with
// the same records and fields. A card number split over a row's fields ("4111,1111,1111,
// 1111") is masked in each, as in a JSON object (digitParts).

// csv masks the input as CSV and reports whether it was valid CSV (every quoted field
// closed, nothing between a closing quote and the next separator).
func (st *state) csv() bool {
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
			if next < len(src) && src[next] != ',' && src[next] != '\n' && src[next] != '\r' {
				return false
			}
		} else {
			j := i
			for j < len(src) && src[j] != ',' && src[j] != '\n' && src[j] != '\r' {
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
		case src[next] == ',':
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
