package mask

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"hash"
)

// Mode is how a detected value is replaced.
type Mode uint8

// Modes. The zero Mode is ModeRedact, so a detector nobody configured is redacted.
const (
	// ModeRedact replaces the value with the detector's redaction: "[EMAIL]", "[CARD]".
	ModeRedact Mode = iota
	// ModePartial keeps a harmless part for a person to recognise the value: the last four
	// characters of a card, phone, SSN or IBAN ("[CARD ****1111]"), the domain of an email
	// ("[EMAIL ***@example.com]"), the first two octets of an IPv4 address, the year of a
	// birth date. Secrets and named fields are redacted.
	ModePartial
	// ModeToken replaces the value with a keyed token, "tok_<detector>_<20 base32 chars>":
	// an HMAC-SHA256 of the detector and value under the deployment key, so equal values give
	// equal tokens (they still join) and nobody without the key can test a guess. The
	// engine reports each token minted with its value, for a Vault, so a later action of the
	// same session can carry the token and have it replaced on egress (Detokenize). Without
	// a key (WithKey) tokens cannot be minted and the value is redacted instead.
	ModeToken
	// ModeFormat replaces the value with a keyed stand-in of the same shape: a card number
	// keeps its length, grouping and a valid Luhn digit but starts with 000 (no network's IIN);
	// an SSN keeps its layout with area 000; a phone number keeps its separators and starts
	// with 00000; an email becomes "<keyed local part>@example.invalid". A stand-in that any
	// detector would find again is not used (a token is), and other detectors mint a token.
	ModeFormat
	// ModeOff turns the detector off.
	ModeOff
)

var modeNames = [...]string{"redact", "partial", "token", "format", "off"}

// String returns the mode's name as profiles spell it.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", m)
}

// ParseMode reads a mode name: redact, partial, token, format or off.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("mask: unknown mode %q (want redact, partial, token, format or off)", s)
}

// Token is one token minted by ModeToken or ModeFormat, with the value it stands for. Value
// is sensitive: hand it to a Vault and nowhere else (never a log, record or response).
type Token struct {
	Token    string
	Detector string
	Value    string
}

// Domain separation of the keys derived from the deployment key. These strings must never
// change: tokens already handed out and values already sealed depend on them.
const (
	tokenKeyLabel = "mandate/mask/token/v1"
	vaultKeyLabel = "mandate/mask/vault/v1"
)

// derive returns HMAC-SHA256(key, label).
func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// TokenPrefix starts every token.
const TokenPrefix = "tok_"

// tokenChars is the length of a token's keyed part (100 bits of base32).
const tokenChars = 20

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// render appends the replacement of value (detected by det) to out.
func (w *writer) render(out []byte, det detector, value []byte) []byte {
	mode := ModeRedact
	if w.eng != nil {
		mode = w.eng.modes[det]
	}
	switch mode {
	case ModePartial:
		if r, ok := partial(out, det, value); ok {
			return r
		}
	case ModeFormat:
		if w.eng.tokenKey != nil {
			if r, ok := w.format(out, det, value); ok {
				return r
			}
			return w.token(out, det, value)
		}
	case ModeToken:
		if w.eng.tokenKey != nil {
			return w.token(out, det, value)
		}
	}
	return append(out, redactions[det]...)
}

// mac returns the keyed hash of det and value.
func (w *writer) mac(det detector, value []byte) []byte {
	if w.hm == nil || w.hmEng != w.eng {
		w.hm, w.hmEng = hmac.New(sha256.New, w.eng.tokenKey), w.eng
	}
	w.hm.Reset()
	w.hm.Write([]byte(names[det]))
	w.hm.Write([]byte{0})
	w.hm.Write(value)
	return w.hm.Sum(w.sum[:0])
}

// token appends the token of value and records it.
func (w *writer) token(out []byte, det detector, value []byte) []byte {
	if det == detField {
		value = fieldValue(value)
	}
	sum := w.mac(det, value)
	start := len(out)
	out = append(out, TokenPrefix...)
	out = append(out, names[det]...)
	out = append(out, '_')
	var enc [32]byte
	tokenEncoding.Encode(enc[:], sum[:20])
	out = append(out, enc[:tokenChars]...)
	w.tokens = append(w.tokens, Token{Token: string(out[start:]), Detector: names[det], Value: string(value)})
	return out
}

// fieldValue returns what a named field's raw JSON value stands for: the text of a string,
// the JSON of anything else.
func fieldValue(raw []byte) []byte {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return []byte(s)
		}
	}
	return raw
}

// withoutExtension returns a phone number without its extension ("x12", " ext. 12", ";ext=12"),
// which starts at the first letter or ';' of the number as the scanner matches it.
func withoutExtension(v []byte) []byte {
	for i, c := range v {
		if isLetter(c) || c == ';' {
			return v[:i]
		}
	}
	return v
}

// lastN appends up to n of the last letters and digits of v.
func lastN(out, v []byte, n int) []byte {
	var tail [8]byte
	k := 0
	for i := len(v) - 1; i >= 0 && k < n; i-- {
		if isDigit(v[i]) || isLetter(v[i]) {
			tail[n-1-k] = v[i]
			k++
		}
	}
	return append(out, tail[n-k:n]...)
}

// partial appends the partial form of value, or reports false when det has none.
func partial(out []byte, det detector, value []byte) ([]byte, bool) {
	r := redactions[det]
	open := func() []byte { return append(append(out, r[:len(r)-1]...), ' ') }
	switch det {
	case detCard, detPhone, detSSN, detIBAN:
		if det == detPhone {
			value = withoutExtension(value)
		}
		out = append(open(), "****"...)
		return append(lastN(out, value, 4), ']'), true
	case detEmail:
		at := lastIndex(value, '@')
		if at < 0 {
			return out, false
		}
		out = append(open(), "***@"...)
		for _, c := range value[at+1:] {
			if !domChar[c] && c != '.' {
				return out[:len(out)-len(r)-4], false
			}
		}
		return append(append(out, value[at+1:]...), ']'), true
	case detIP:
		// IPv4 only: the first two octets.
		dots, k := 0, 0
		for k < len(value) && dots < 2 {
			if value[k] == '.' {
				dots++
			} else if !isDigit(value[k]) {
				return out, false
			}
			k++
		}
		if dots < 2 {
			return out, false
		}
		out = append(open(), value[:k]...)
		return append(out, "*.*]"...), true
	case detDOB:
		for i := 0; i+4 <= len(value); i++ {
			if y := prefix(value[i:], 4); runOf(value, i, &digitSet, 8)-i >= 4 && y >= minBirthYear && y <= maxBirthYear {
				out = append(open(), value[i:i+4]...)
				return append(out, ']'), true
			}
		}
	}
	return out, false
}

func lastIndex(v []byte, c byte) int {
	for i := len(v) - 1; i >= 0; i-- {
		if v[i] == c {
			return i
		}
	}
	return -1
}

// format appends the format-preserving stand-in of value, or reports false when det has
// none (the caller mints a token).
func (w *writer) format(out []byte, det detector, value []byte) ([]byte, bool) {
	switch det {
	case detCard, detSSN, detPhone:
	case detEmail:
		at := lastIndex(value, '@')
		if at <= 0 {
			return out, false
		}
		sum := w.mac(det, value)
		var enc [32]byte
		tokenEncoding.Encode(enc[:], sum[:20])
		n := min(max(at, 8), 24)
		out = append(out, enc[:n]...)
		return append(out, "@example.invalid"...), true
	default:
		return out, false
	}
	sum := w.mac(det, value)
	start := len(out)
	k := 0
	for _, c := range value {
		if !isDigit(c) {
			out = append(out, c)
			continue
		}
		out = append(out, '0'+sum[k%len(sum)]%10)
		k++
	}
	d := out[start:]
	first := -1
	for i, c := range d {
		if isDigit(c) {
			first = i
			break
		}
	}
	if first < 0 {
		return out[:start], false
	}
	switch det {
	case detCard:
		// No card network's IIN starts with 0, and "000" starts no phone number either.
		for i, n := first, 0; i < len(d) && n < 3; i++ {
			if isDigit(d[i]) {
				d[i] = '0'
				n++
			}
		}
		fixLuhn(d)
	case detSSN:
		for i, n := first, 0; i < len(d) && n < 3; i++ { // area 000 is never assigned
			if isDigit(d[i]) {
				d[i] = '0'
				n++
			}
		}
	case detPhone:
		// "00000" starts no NANP area code, no country code and no trunk-prefixed number, nor
		// a call prefix and a country code ("+00 00 2637027" would read as "00 263…").
		for i, n := first, 0; i < len(d) && n < 5; i++ {
			if isDigit(d[i]) {
				d[i] = '0'
				n++
			}
		}
	}
	// Whatever the rules above miss, a stand-in that any detector would find again is not
	// used: the caller mints a token instead.
	var sc scanner
	sc.enabled = allDetectors
	if sc.scan(d); len(sc.matches) > 0 {
		return out[:start], false
	}
	return out, true
}

// fixLuhn sets the last digit of d (which may hold separators) so the digits pass Luhn.
func fixLuhn(d []byte) {
	last := -1
	for i := len(d) - 1; i >= 0; i-- {
		if isDigit(d[i]) {
			last = i
			break
		}
	}
	if last < 0 {
		return
	}
	sum, double := 0, true
	for i := last - 1; i >= 0; i-- {
		if !isDigit(d[i]) {
			continue
		}
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	d[last] = byte('0' + (10-sum%10)%10)
}

// hashState is the keyed hash a writer reuses between tokens.
type hashState struct {
	hm    hash.Hash
	hmEng *Engine
	sum   [sha256.Size]byte
}
