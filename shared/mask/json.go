package mask

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the JSON walker: a validating recursive-descent pass over the raw bytes that
// never decodes the document into values. It validates exactly what encoding/json accepts
// (RFC 8259, nesting up to maxDepth), scans string values in place (decoding only strings that
// contain escapes), checks integer number values, and skips keys. The writer copies the input
// through untouched except where a value is replaced, so everything the detectors do not match
// keeps its original bytes, escapes included.

// maxDepth is the deepest nesting of objects and arrays accepted, the same limit as
// encoding/json, so both agree on which documents are valid JSON.
const maxDepth = 10000

// minCandidate is the length of the shortest string that can hold a detected value
// ("a@b.co").
const minCandidate = 6

// strPlain marks the bytes a JSON string may hold without an escape.
var strPlain [256]bool

func init() {
	for c := 0x20; c < 256; c++ {
		strPlain[c] = c != '"' && c != '\\'
	}
}

// json walks the whole input as one JSON document and records the replacements.
func (st *state) json() error {
	src := st.w.src
	i, err := st.value(skipWS(src, 0), 0, nil, false)
	if err != nil {
		return err
	}
	if i = skipWS(src, i); i != len(src) {
		return syntaxError(i)
	}
	return nil
}

func skipWS(src []byte, i int) int {
	for i < len(src) {
		switch src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value reads the value at src[i] and returns the offset after it. key is the member key the
// value belongs to (inherited through arrays); suppress is set inside a named field, whose
// whole value is replaced, so nothing in it is scanned.
func (st *state) value(i, depth int, key []byte, suppress bool) (int, error) {
	src := st.w.src
	if i >= len(src) {
		return i, syntaxError(i)
	}
	switch c := src[i]; {
	case c == '{':
		return st.object(i, depth+1, suppress)
	case c == '[':
		return st.array(i, depth+1, key, suppress)
	case c == '"':
		end, escaped, err := stringEnd(src, i)
		if err == nil && !suppress && (end-i-2 >= minCandidate || (len(key) > 0 && end-i-2 >= minCode)) {
			st.maskString(i+1, end-1, escaped, key)
		}
		return end, err
	case c == 't':
		return literal(src, i, "true")
	case c == 'f':
		return literal(src, i, "false")
	case c == 'n':
		return literal(src, i, "null")
	case c == '-' || isDigit(c):
		end, plain, err := number(src, i)
		switch {
		case err != nil || suppress:
		case len(st.knownMatches(src[i:end], nil)) > 0: // a value Mandate put in, as a number
			st.w.replace(i, end, detKnown, true, src[i:end])
		case plain:
			st.maskNumber(i, end, src[i:end], key)
		default:
			// A number written with a sign, a fraction or an exponent is the integer a reader
			// parses when it is one ("4111111111111111.0", "4.111111111111111e15", as a
			// float column serialises): that integer's digits are judged.
			var buf [2 * cardMaxDigits]byte
			if d, ok := integerDigits(src[i:end], buf[:0]); ok {
				st.maskNumber(i, end, d, key)
			}
		}
		return end, err
	}
	return i, syntaxError(i)
}

func (st *state) object(i, depth int, suppress bool) (int, error) {
	if depth > maxDepth {
		return i, syntaxError(i)
	}
	src := st.w.src
	i = skipWS(src, i+1)
	if i < len(src) && src[i] == '}' {
		return i + 1, nil
	}
	var keys map[string]bool // masked keys of this object, as written: each must stay unique
	var pair []byte          // the label a pair's name gave ({"name":"DB_PASSWORD","value":…})
	var parts digitParts
	defer parts.flush(st)
	for {
		if i >= len(src) || src[i] != '"' {
			return i, syntaxError(i)
		}
		kend, escaped, err := stringEnd(src, i)
		if err != nil {
			return kend, err
		}
		if v := skipWS(src, kend); v < len(src) && src[v] == ':' {
			if _, _, ok := digitScalar(src, skipWS(src, v+1)); !ok || suppress {
				parts.flush(st) // before this member's key or value changes anything
			}
		}
		key := src[i+1 : kend-1]
		st.path = append(st.path, segment{start: int32(i + 1), end: int32(kend - 1), index: -1, escaped: escaped, det: numDetectors})
		raw := key
		at := len(st.w.out) + (i + 1 - st.w.last) // where the key starts in the output
		masked := false
		if !suppress && kend-i-2 >= minCandidate {
			// A value can hide in a key as well as in a value; a key that is a value (or
			// the replacement of one) labels nothing, so masking stays idempotent.
			n := len(st.w.finds)
			st.w.loc.key = true
			st.maskString(i+1, kend-1, escaped, nil)
			st.w.loc.key = false
			if masked = len(st.w.finds) > n; masked {
				// The path names the key by what replaced it, never by its value.
				d := st.w.finds[n].det
				st.path[len(st.path)-1].det = d
				for _, f := range st.w.finds[n:] {
					st.w.segs[f.segTo-1].det = d
				}
			}
			if masked || isReplacement(key) {
				key = nil
			}
		}
		// A masked key, and any key that could read like one as given ("[EMAIL]#2"), is
		// kept unique in its object.
		if !suppress && (masked || bytes.IndexByte(raw, '[') >= 0 || bytes.HasPrefix(raw, []byte(TokenPrefix))) {
			keys = st.uniqueKey(keys, at, kend-1)
		}
		if i = skipWS(src, kend); i >= len(src) || src[i] != ':' {
			return i, syntaxError(i)
		}
		i = skipWS(src, i+1)
		named := false
		if !suppress {
			if escaped {
				key = decodeKey(key)
			}
			named = st.isField(key)
		}
		start := i
		if suppress || named || !parts.add(src, i) {
			parts.flush(st)
		}
		vkey := key
		if pair != nil && pairKey(key, pairValues) {
			vkey = pair
		}
		if i, err = st.value(i, depth, vkey, suppress || named); err != nil {
			return i, err
		}
		if !suppress && src[start] == '"' && pairKey(key, pairNames) {
			name := src[start+1 : i-1]
			if bytes.IndexByte(name, '\\') >= 0 {
				name = decodeKey(name)
			}
			pair = pairLabel(name)
		}
		if named {
			st.w.replace(start, i, detField, true, src[start:i])
		}
		st.path = st.path[:len(st.path)-1]
		i = skipWS(src, i)
		if i >= len(src) {
			return i, syntaxError(i)
		}
		switch src[i] {
		case ',':
			i = skipWS(src, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, syntaxError(i)
		}
	}
}

func (st *state) array(i, depth int, key []byte, suppress bool) (int, error) {
	if depth > maxDepth {
		return i, syntaxError(i)
	}
	src := st.w.src
	i = skipWS(src, i+1)
	if i < len(src) && src[i] == ']' {
		return i + 1, nil
	}
	var parts digitParts
	defer parts.flush(st)
	for n := int32(0); ; n++ {
		var err error
		if suppress || !parts.add(src, i) {
			parts.flush(st) // found under the array's path, not the next element's
		}
		st.path = append(st.path, segment{index: n})
		if i, err = st.value(i, depth, key, suppress); err != nil {
			return i, err
		}
		st.path = st.path[:len(st.path)-1]
		i = skipWS(src, i)
		if i >= len(src) {
			return i, syntaxError(i)
		}
		switch src[i] {
		case ',':
			i = skipWS(src, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, syntaxError(i)
		}
	}
}

// uniqueKey keeps a masked key unique in its object: two keys that held values masked to the
// same text ({"ada@example.com":1,"bob@example.com":2} redacts both to "[EMAIL]") would be a
// repeated name, which strict readers refuse and lax ones resolve by dropping a member. The
// second and later get "#2", "#3", ... at their end. The key starts at output offset at and
// ends at source offset end; keys holds the object's masked keys so far.
func (st *state) uniqueKey(keys map[string]bool, at, end int) map[string]bool {
	w := &st.w
	w.copyTo(end)
	if keys == nil {
		keys = make(map[string]bool, 2)
	}
	base := string(w.out[at:])
	name := base
	for n := 2; keys[name]; n++ {
		name = base + "#" + strconv.Itoa(n)
	}
	w.out = append(w.out[:at], name...)
	keys[name] = true
	return keys
}

// isReplacement reports a key that is what masking writes in place of a value: a redaction
// ("[EMAIL]", "[CARD ****1111]") or a token.
func isReplacement(key []byte) bool {
	return len(key) > 0 && key[0] == '[' && key[len(key)-1] == ']' || bytes.HasPrefix(key, []byte(TokenPrefix))
}

// isField reports whether key (decoded) is one of the engine's named fields.
func (st *state) isField(key []byte) bool { return st.eng.isNamed(key) }

// stringEnd validates the JSON string whose opening quote is at src[q] and returns the offset
// after its closing quote and whether it contains escapes.
func stringEnd(src []byte, q int) (end int, escaped bool, err error) {
	j := q + 1
	for {
		// Eight bytes at a time while none of them can end the plain run.
		for j+8 <= len(src) && !special8(binary.LittleEndian.Uint64(src[j:])) {
			j += 8
		}
		for j < len(src) && strPlain[src[j]] {
			j++
		}
		if j >= len(src) {
			return j, false, syntaxError(j)
		}
		switch src[j] {
		case '"':
			return j + 1, escaped, nil
		case '\\':
			escaped = true
			if j+1 >= len(src) {
				return j, false, syntaxError(j)
			}
			switch src[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(src) || hex4(src[j+2:j+6]) < 0 {
					return j, false, syntaxError(j)
				}
				j += 6
			default:
				return j, false, syntaxError(j)
			}
		default: // a control character
			return j, false, syntaxError(j)
		}
	}
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// special8 reports whether any of the eight bytes in w is below 0x20, a '"' or a '\\' (it may
// also report a byte right above one of those, which only sends the caller to its byte loop).
func special8(w uint64) bool {
	q := w ^ (lsb * '"')
	b := w ^ (lsb * '\\')
	return ((w-lsb*0x20)&^w|(q-lsb)&^q|(b-lsb)&^b)&msb != 0
}

// hex4 returns the value of four hex digits, or -1.
func hex4(b []byte) rune {
	var v rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		v = v<<4 | rune(c)
	}
	return v
}

func literal(src []byte, i int, word string) (int, error) {
	if len(src)-i < len(word) || string(src[i:i+len(word)]) != word {
		return i, syntaxError(i)
	}
	return i + len(word), nil
}

// number validates the JSON number at src[i]; plain reports an unsigned integer.
func number(src []byte, i int) (end int, plain bool, err error) {
	j := i
	if src[j] == '-' {
		j++
	}
	switch {
	case j < len(src) && src[j] == '0':
		j++
	case j < len(src) && src[j] >= '1' && src[j] <= '9':
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	default:
		return j, false, syntaxError(j)
	}
	intEnd := j
	if j < len(src) && src[j] == '.' {
		j++
		k := j
		for j < len(src) && isDigit(src[j]) {
			j++
		}
		if j == k {
			return j, false, syntaxError(j)
		}
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		j++
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		k := j
		for j < len(src) && isDigit(src[j]) {
			j++
		}
		if j == k {
			return j, false, syntaxError(j)
		}
	}
	return j, src[i] != '-' && j == intEnd, nil
}

// integerDigits returns the digits of the JSON number tok when its value is an integer of
// at most cardMaxDigits digits, sign dropped, appended to buf: "4.111111111111111e15" and
// "4111111111111111.0" are 4111111111111111.
func integerDigits(tok, buf []byte) ([]byte, bool) {
	if tok[0] == '-' {
		tok = tok[1:]
	}
	mant, exp := tok, 0
	if e := bytes.IndexAny(tok, "eE"); e >= 0 {
		mant = tok[:e]
		n, err := strconv.Atoi(string(tok[e+1:]))
		if err != nil || n > cardMaxDigits || n < -2*cardMaxDigits {
			return nil, false
		}
		exp = n
	}
	frac, dot := 0, false // digits after the point
	for _, c := range mant {
		if c == '.' {
			dot = true
			continue
		}
		if dot {
			frac++
		}
		if buf = append(buf, c); len(buf) > cap(buf)-1 {
			return nil, false
		}
	}
	// The value is buf × 10^(exp-frac).
	for shift := exp - frac; shift != 0; {
		switch {
		case shift > 0:
			buf, shift = append(buf, '0'), shift-1
		case len(buf) > 0 && buf[len(buf)-1] == '0':
			buf, shift = buf[:len(buf)-1], shift+1
		default:
			return nil, false // a fraction
		}
		if len(buf) > cap(buf)-1 {
			return nil, false
		}
	}
	for len(buf) > 1 && buf[0] == '0' {
		buf = buf[1:]
	}
	return buf, len(buf) > 0 && len(buf) <= cardMaxDigits
}

// maskNumber replaces an integer number value src[start:end], whose digits are d, that is a
// card number, or, under a key labelled as such, an SSN or a phone number, with the
// redaction as a JSON string. Under an SSN label an eight-digit number is one that lost
// its leading zero, as spreadsheets and integer columns drop it.
func (st *state) maskNumber(start, end int, d, key []byte) {
	sc := &st.sc
	sc.setKey(key)
	if len(key) > 0 && sc.enabled[detSecret] {
		if kind := sc.keySecretKind(); kind == lblPassword && len(d) >= minPassword || kind == lblCode && len(d) >= minCode {
			st.w.replace(start, end, detSecret, true, d) // a numeric password or code: a PIN, a card's security code
			return
		}
	}
	if len(d) < 8 || len(d) > cardMaxDigits {
		return
	}
	det := numDetectors
	switch {
	case sc.enabled[detCard] && isCard(d):
		det = detCard
	case sc.enabled[detSSN] && (isSSN(d) || len(d) == 8 && isSSN(append([]byte{'0'}, d...))) && sc.keyLabels()&labelSSN != 0:
		det = detSSN
	case sc.enabled[detPhone] && ((len(d) == 10 && isNANP(d)) || (len(d) == 11 && d[0] == '1' && isNANP(d[1:]))) &&
		sc.keyLabels()&(labelPhone|labelWeakPhone) != 0:
		det = detPhone
	}
	if det == numDetectors && len(d) == 8 && sc.enabled[detDOB] && sc.keyLabels()&labelDOB != 0 {
		if _, ok := date(d, 0); ok {
			det = detDOB
		}
	}
	if det != numDetectors {
		st.w.replace(start, end, det, true, d)
	}
}

// maskString scans the string value src[start:end] (quotes excluded). A string without escapes
// is scanned as it stands; one with escapes is decoded first, and each match is mapped back to
// the raw span of whole escapes it came from, so the output stays valid JSON.
func (st *state) maskString(start, end int, escaped bool, key []byte) {
	sc := &st.sc
	sc.setKey(key)
	sc.matches = sc.matches[:0]
	raw := st.w.src[start:end]
	st.w.jsonStr = true // what a layer writes back is escaped for the string
	defer func() { st.w.jsonStr = false }()
	if !escaped {
		st.scanRaw(start, end)
		return
	}
	st.decode(raw)
	if st.embedded(start, end) {
		return
	}
	if f, offs, ok := fold(st.dec, st.offs, len(raw)); ok {
		st.dec, st.offs = f, offs
	}
	sc.scanValue(st.dec)
	st.emit(st.dec, st.offs, start)
}

// maxEmbedded is how deep JSON documents inside JSON strings are masked as JSON; deeper
// ones are masked as text.
const maxEmbedded = 4

// embedded masks the decoded string st.dec as a JSON document of its own when it is one
// ('{' or '[' after white space, valid JSON) and something in it is masked, and writes it
// back, escaped, in place of the raw string src[start:end]. It reports whether it did.
func (st *state) embedded(start, end int) bool {
	d := st.dec
	if st.depth >= maxEmbedded {
		return false
	}
	format, enc, sep := FormatJSON, encJSON, byte(0)
	if k := skipWS(d, 0); k >= len(d) || (d[k] != '{' && d[k] != '[') {
		// A CSV file carried in a string ({"body": "ssn,dob\n078051120,..."}), as APIs
		// return a file's content: its column names label its fields.
		var ok bool
		if sep, ok = sniffCSV(d); !ok {
			return false
		}
		format, enc = FormatCSV, encCSV
	}
	inner := st.eng.get(d)
	defer put(inner)
	inner.depth, inner.layer, inner.budget = st.depth+1, st.layer, st.budget
	if format == FormatJSON && inner.json() != nil || format == FormatCSV && !inner.csv(sep) {
		return false
	}
	if len(inner.w.finds) == 0 {
		return true // valid JSON or CSV with nothing to mask: the raw string stays as it is
	}
	masked := inner.w.finish()
	w := &st.w
	off := w.copyTo(start)
	w.out = appendEscaped(w.out, masked)
	w.last = end
	w.absorb(off, enc, Masked{Summary: inner.w.summary(), Tokens: inner.w.tokens, Withheld: inner.w.reason,
		found: inner.findings(masked, format, "")})
	return true
}

// appendEscaped appends s as the content of a JSON string.
func appendEscaped(out, s []byte) []byte {
	const hexd = "0123456789abcdef"
	for _, c := range s {
		switch e := lineEscape(c); {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case e != 0:
			out = append(out, '\\', e)
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
		default:
			out = append(out, c)
		}
	}
	return out
}

// lineEscape returns the letter of c's one-letter escape (\n, \r, \t), or 0.
func lineEscape(c byte) byte {
	switch c {
	case '\n':
		return 'n'
	case '\r':
		return 'r'
	case '\t':
		return 't'
	}
	return 0
}

// rawEnd returns the raw offset where the escape that produced dec[b-1] ends.
func (st *state) rawEnd(b int) int {
	r := st.offs[b-1]
	for _, o := range st.offs[b:] {
		if o != r {
			return int(o)
		}
	}
	return int(st.offs[len(st.offs)-1])
}

// decode unescapes the validated raw string into st.dec, recording in st.offs the raw offset
// each decoded byte came from, plus a final entry len(raw). Invalid surrogates decode to
// U+FFFD as encoding/json does.
func (st *state) decode(raw []byte) {
	dec, offs := st.dec[:0], st.offs[:0]
	for r := 0; r < len(raw); {
		c := raw[r]
		if c != '\\' {
			dec = append(dec, c)
			offs = append(offs, int32(r))
			r++
			continue
		}
		var v rune
		n := 2
		switch raw[r+1] {
		case 'b':
			v = '\b'
		case 'f':
			v = '\f'
		case 'n':
			v = '\n'
		case 'r':
			v = '\r'
		case 't':
			v = '\t'
		case 'u':
			v, n = hex4(raw[r+2:r+6]), 6
			if utf16.IsSurrogate(v) {
				v2 := rune(-1)
				if r+12 <= len(raw) && raw[r+6] == '\\' && raw[r+7] == 'u' {
					v2 = hex4(raw[r+8 : r+12])
				}
				if p := utf16.DecodeRune(v, v2); p != utf8.RuneError {
					v, n = p, 12
				} else {
					v = utf8.RuneError
				}
			}
		default: // '"', '\\', '/'
			v = rune(raw[r+1])
		}
		before := len(dec)
		dec = utf8.AppendRune(dec, v)
		for range len(dec) - before {
			offs = append(offs, int32(r))
		}
		r += n
	}
	st.dec, st.offs = dec, append(offs, int32(len(raw)))
}

// decodeKey returns a key with escapes decoded. Keys with escapes are rare, so it allocates.
func decodeKey(raw []byte) []byte {
	var st state
	st.decode(raw)
	return st.dec
}
