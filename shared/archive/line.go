package archive

import "strconv"

// readHead reads the fields of lineHead from a line as Mandate writes its records, at a
// fraction of encoding/json's cost (the local archiver reads every line it ships): valid
// JSON whose top-level member names are lower-case ASCII without escapes, the five fields'
// values strings of ASCII without escapes (seq a run of digits), each at most once. For
// such a line it gives what encoding/json decodes (FuzzParseLine holds it to that); ok is
// false for any other line, and for any value encoding/json would refuse, which the caller
// then decodes with encoding/json, errors and all.
func readHead(b []byte) (h lineHead, ok bool) {
	if !validJSON(b) {
		return h, false
	}
	var seen [5]bool
	i := skipSpace(b, 0)
	if b[i] != '{' {
		return h, false
	}
	i++
	for {
		i = skipSpace(b, i)
		if b[i] == '}' {
			return h, true
		}
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		// A member name; valid JSON puts a string here.
		k := i + 1
		for b[k] != '"' {
			if c := b[k]; !(c >= 'a' && c <= 'z' || c == '_' || c >= '0' && c <= '9') {
				return h, false
			}
			k++
		}
		name := b[i+1 : k]
		i = skipSpace(b, k+1) + 1 // past the ':'
		i = skipSpace(b, i)
		field := -1
		switch string(name) {
		case "session":
			field = 0
		case "seq":
			field = 1
		case "hash":
			field = 2
		case "prev_hash":
			field = 3
		case "time":
			field = 4
		}
		if field < 0 {
			i = skipValue(b, i)
			continue
		}
		if seen[field] {
			return h, false
		}
		seen[field] = true
		if field == 1 {
			e := i
			for e < len(b) && b[e] >= '0' && b[e] <= '9' {
				e++
			}
			if e == i || (b[e] != ',' && b[e] != '}' && !isJSONSpace(b[e])) {
				return h, false // a sign, a fraction or an exponent
			}
			n, err := strconv.ParseUint(string(b[i:e]), 10, 64)
			if err != nil {
				return h, false
			}
			h.Seq, i = n, e
			continue
		}
		if b[i] != '"' {
			return h, false
		}
		e := i + 1
		for b[e] != '"' {
			if b[e] == '\\' || b[e] >= 0x80 {
				return h, false
			}
			e++
		}
		switch field {
		case 0:
			h.Session = string(b[i+1 : e])
		case 2:
			h.Hash = string(b[i+1 : e])
		case 3:
			h.Prev = string(b[i+1 : e])
		case 4:
			if err := h.Time.UnmarshalJSON(b[i : e+1]); err != nil {
				return h, false
			}
		}
		i = e + 1
	}
}

// skipSpace returns the index of the first byte from b[i] that is not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipValue returns the index just past the JSON value at b[i], which is valid JSON.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// isHexHash reports whether s is 64 lower-case hex digits.
func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// maxDepth is encoding/json's limit on nested arrays and objects.
const maxDepth = 10000

// validJSON reports whether b is one JSON value, as json.Valid does (FuzzValidJSON holds it
// to that), in one pass without a state machine's call per byte: a line is read whole
// before its fields are trusted, and this is most of what reading one costs.
func validJSON(b []byte) bool {
	i, ok := validValue(b, skipSpace(b, 0), 0)
	return ok && skipSpace(b, i) == len(b)
}

// validValue returns the index just past the JSON value at b[i] and whether there is one;
// depth is how many arrays and objects enclose it.
func validValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return i, false
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == end {
			return i + 1, true
		}
		for {
			var ok bool
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return i, false
				}
				if i, ok = validString(b, i); !ok {
					return i, false
				}
				if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
					return i, false
				}
				i = skipSpace(b, i+1)
			}
			if i, ok = validValue(b, i, depth+1); !ok {
				return i, false
			}
			if i = skipSpace(b, i); i >= len(b) {
				return i, false
			}
			if b[i] == end {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipSpace(b, i+1)
		}
	case c == '"':
		return validString(b, i)
	case c == '-' || c >= '0' && c <= '9':
		return validNumber(b, i)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	}
	return i, false
}

func literal(b []byte, i int, word string) (int, bool) {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return i, false
	}
	return i + len(word), true
}

// validString reads the string at b[i] ('"'): no control byte, every escape one JSON has.
// Other bytes, invalid UTF-8 too, are taken as encoding/json takes them.
func validString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			i++
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(b)-i <= 4 {
					return i, false
				}
				for _, h := range b[i+1 : i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return i, false
					}
				}
				i += 4
			default:
				return i, false
			}
		}
	}
	return i, false
}

// validNumber reads the number at b[i]: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return i, false
		}
	}
	return i, true
}
