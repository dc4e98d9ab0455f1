package mask

import "bytes"

// This file holds the validators: pure functions over candidate bytes that decide whether a
// candidate the scanner found is a value of its kind. They never allocate.

// Limits of the detectors. They are part of what a detector means, so they are constants.
const (
	cardMinDigits  = 12 // shortest payment card number (Maestro)
	cardMaxDigits  = 19 // longest payment card number (ISO/IEC 7812)
	e164MinDigits  = 7  // shortest international number accepted after '+' (country code included)
	e164MaxDigits  = 15 // longest number E.164 allows
	emailMaxLocal  = 64 // RFC 5321 limit of the local part
	emailMaxDomain = 253
	emailMaxLabel  = 63
	labelWindow    = 32 // bytes before a bare number searched for a label such as "SSN:"
)

// luhn reports whether the digits pass the Luhn (mod 10) check used by payment cards.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
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
	return sum%10 == 0
}

// prefix returns the number formed by the first k digits of d (k <= len(d)).
func prefix(d []byte, k int) int {
	v := 0
	for i := 0; i < k && i < len(d); i++ {
		v = v*10 + int(d[i]-'0')
	}
	return v
}

// iinRange is a range of issuer identification numbers: the first len(lo) digits of a card
// number, read as a number, in [lo, hi], for card numbers of the lengths in the bit set
// lengths (bit n: n digits).
type iinRange struct {
	digits  int // prefix length
	lo, hi  int
	lengths uint32
}

// lens returns the bit set of the lengths from..to.
func lens(from, to int) uint32 {
	var b uint32
	for n := from; n <= to; n++ {
		b |= 1 << n
	}
	return b
}

// iinRanges is the union of the card networks' published IIN ranges and lengths, as
// tabulated by Braintree's credit-card-type (testdata/masking/public/cards: Visa,
// Mastercard, American Express, Diners Club, Discover, JCB, UnionPay, Maestro, Mir, Elo,
// Troy, Hiper, Hipercard, Naranja, Verve), with the networks' older forms still in
// circulation: 13-digit Visa and 15-digit JCB numbers starting 1800 and 2131; and UATP, the
// airlines' card, whose 15-digit numbers start with 1 (presidio's card tests hold one). Ranges of one
// network nested in a wider one of another (Elo, Verve, Naranja, Hipercard inside Visa,
// Maestro and Discover) need no line of their own. Maestro issues 12 to 19 digits under
// every IIN starting 5 or 6 other than Mastercard's, so a Luhn-valid number of that shape is
// taken whatever the rest of its digits.
var iinRanges = [...]iinRange{
	{1, 1, 1, lens(15, 15)},                // UATP (ISO/IEC 7812's airline industry digit)
	{4, 1800, 1800, lens(15, 19)},          // JCB
	{4, 2131, 2131, lens(15, 19)},          // JCB
	{4, 2200, 2204, lens(16, 19)},          // Mir
	{4, 2221, 2720, lens(16, 16)},          // Mastercard 2-series
	{2, 34, 34, lens(15, 15)},              // American Express
	{2, 37, 37, lens(15, 15)},              // American Express
	{3, 300, 305, lens(14, 19)},            // Diners Club
	{4, 3095, 3095, lens(14, 19)},          // Diners Club
	{2, 36, 36, lens(14, 19)},              // Diners Club
	{2, 38, 39, lens(14, 19)},              // Diners Club
	{2, 35, 35, lens(16, 19)},              // JCB (its block 3528-3589; no other network under 35)
	{1, 4, 4, lens(13, 13) | lens(16, 19)}, // Visa (Elo, Naranja inside)
	{6, 493698, 493698, lens(12, 19)},      // Maestro
	{2, 50, 50, lens(12, 19)},              // Maestro (Verve, Elo inside)
	{2, 51, 55, lens(16, 16)},              // Mastercard
	{2, 56, 59, lens(12, 19)},              // Maestro
	{1, 6, 6, lens(12, 19)},                // Maestro, Discover, UnionPay, RuPay, Troy, Elo, Hiper
	{3, 810, 817, lens(14, 19)},            // UnionPay 810-8171
	{4, 9792, 9792, lens(16, 16)},          // Troy
}

// cardIIN reports whether d starts with an issuer identification number of a card network that
// issues numbers of length len(d). A number outside the networks' ranges is not a payment
// card however well its check digit works out.
func cardIIN(d []byte) bool {
	n := len(d)
	if n < cardMinDigits || n > cardMaxDigits {
		return false
	}
	for _, r := range &iinRanges {
		if r.lengths&(1<<n) == 0 {
			continue
		}
		if p := prefix(d, r.digits); p >= r.lo && p <= r.hi {
			return true
		}
	}
	return false
}

// isCard reports whether the digits are a payment card number: a known IIN for the length
// and a valid Luhn check digit.
func isCard(d []byte) bool {
	return cardIIN(d) && luhn(d)
}

// isSSN reports whether the nine digits follow the rules the US Social Security Administration
// assigns numbers by: area not 000, 666 or 9xx; group not 00; serial not 0000.
func isSSN(d []byte) bool {
	if len(d) != 9 {
		return false
	}
	area, group, serial := prefix(d, 3), prefix(d[3:], 2), prefix(d[5:], 4)
	return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

// isNANP reports whether ten digits are a North American Numbering Plan number: area code and
// exchange each start with 2-9 and are not an N11 service code.
func isNANP(d []byte) bool {
	if len(d) != 10 {
		return false
	}
	return nanpTriple(d[0:3]) && nanpTriple(d[3:6])
}

func nanpTriple(t []byte) bool {
	return t[0] >= '2' && t[0] <= '9' && !(t[1] == '1' && t[2] == '1')
}

// Label bits: a JSON key or a nearby word that says what a bare number is.
const (
	labelSSN uint8 = 1 << iota
	labelPhone
	labelDOB
	labelCard
	// labelWeakPhone: a word that names a phone line but other things too, a phone label for
	// a number of seven digits or more and not for a short one: the verb "call" with other
	// words between it and the number ("call a taxi to Unit 7349"), and the line names of
	// signatures and contact pages ("Desk:", "Landline", "Switchboard", "Hotline",
	// "Helpline", "WhatsApp", "SMS"; "Desk 4012" is a desk). "call" right before the
	// number, or with only pronouns and prepositions between ("call 8999", "call me at
	// 8999"), is labelPhone.
	labelWeakPhone
)

// ssnLabelAt reports whether an SSN's label starts at s[i], a word's start: "ssn" or "ssns",
// "SS#" (a space before the '#' at most), "S.S.N.", "social security", "social sec",
// "soc sec" (a space, '_', '-' or '.' after each word) and "seguro social".
func ssnLabelAt(s []byte, i int) bool {
	gap := func(j int) int { // past one separator of words and a space after it
		if j < len(s) && (s[j] == '.' || s[j] == '_' || s[j] == '-' || s[j] == ' ') {
			j++
		}
		if j < len(s) && s[j] == ' ' {
			j++
		}
		return j
	}
	switch {
	case hasWord(s, i, "ssn"), hasWord(s, i, "ssns"), hasPrefixFold(s[i:], "s.s.n"):
		return true
	case hasPrefixFold(s[i:], "ss"):
		j := i + 2
		if j < len(s) && s[j] == ' ' {
			j++
		}
		return j < len(s) && s[j] == '#'
	case hasPrefixFold(s[i:], "social"):
		return hasPrefixFold(s[gap(i+len("social")):], "sec")
	case hasWord(s, i, "soc"):
		return hasWord(s, gap(i+len("soc")), "sec")
	case hasPrefixFold(s[i:], "seguro"):
		return hasWord(s, gap(i+len("seguro")), "social")
	}
	return false
}

// labelsIn returns the label bits of the words found in s, case-insensitively and at word
// boundaries (camelCase counts as a boundary): an SSN's (ssnLabelAt), "phone", "telephone",
// "tel", "mobile", "cell", "cellular", "call" (labelWeakPhone when other words follow it),
// "fax", "msisdn", and the phone's names in other languages ("Telefon", "teléfono",
// "téléphone", "telefone", "telefoon", "móvil", "celular", "cellulare");
// labelWeakPhone's line names; "dob", "birth..." ("date of birth", "birthDate", "birthday")
// and "born", and the date of birth's words in Spanish, French, German, Portuguese, Italian
// and Dutch (dobWords); "card".
func labelsIn(s []byte) uint8 {
	var bits uint8
	for i := 0; i < len(s); i++ {
		if s[i] == '[' { // a redaction masking wrote ("[CARD]", "[SSN ***-**-1120]") labels nothing
			if j := bytes.IndexByte(s[i:], ']'); j > 0 {
				i += j
				continue
			}
		}
		c := lower(s[i])
		if c != 's' && c != 'p' && c != 't' && c != 'm' && c != 'c' && c != 'f' && c != 'd' && c != 'b' && c != 'l' && c != 'h' && c != 'w' && c != 'a' && c != 'r' && c != 'n' && c != 'g' {
			continue
		}
		if !wordStart(s, i) {
			continue
		}
		switch c {
		case 's':
			if ssnLabelAt(s, i) {
				bits |= labelSSN
			}
		case 'p':
			if hasPrefixFold(s[i:], "phone") {
				bits |= labelPhone
			}
		case 't':
			if hasPrefixFold(s[i:], "telephone") || hasWord(s, i, "tel") || hasPrefixFold(s[i:], "telef") ||
				hasPrefixFold(s[i:], "tel\xc3\xa9f") || hasPrefixFold(s[i:], "t\xc3\xa9l\xc3\xa9phone") {
				bits |= labelPhone
			}
		case 'm':
			if hasPrefixFold(s[i:], "mobile") || hasWord(s, i, "msisdn") || hasWord(s, i, "movil") || hasWord(s, i, "m\xc3\xb3vil") {
				bits |= labelPhone
			}
		case 'c':
			if hasPrefixFold(s[i:], "cellphone") || hasWord(s, i, "cell") || hasPrefixFold(s[i:], "cellul") || hasPrefixFold(s[i:], "celular") {
				bits |= labelPhone
			} else if hasWord(s, i, "call") {
				if onlyWords(s[i+len("call"):], callWords) {
					bits |= labelPhone
				} else {
					bits |= labelWeakPhone
				}
			} else if hasWord(s, i, "card") {
				bits |= labelCard
			}
		case 'f':
			if hasWord(s, i, "fax") {
				bits |= labelPhone
			}
		case 'd':
			if hasWord(s, i, "dob") {
				bits |= labelDOB
			}
		case 'b':
			if hasPrefixFold(s[i:], "birth") || hasWord(s, i, "born") {
				bits |= labelDOB
			}
		case 'n', 'g':
			if dobWordAt(s, i) {
				bits |= labelDOB
			}
		}
		if n := wordLen(s, i); lineNames.hasFold(s[i:i+n]) && onlyWords(s[i+n:], nil) ||
			reachVerbs.hasFold(s[i:i+n]) && onlyWords(s[i+n:], callWords) && hasAnyWord(s[i+n:], reachPrepositions) {
			bits |= labelWeakPhone
		}
	}
	return bits
}

// dobWords are the words of a date of birth's label in Spanish ("fecha de nacimiento",
// "nacido el"), French ("date de naissance", "né le"), German ("Geburtsdatum", "geboren
// am"), Portuguese ("data de nascimento"), Italian ("data di nascita", "nato il") and Dutch
// ("geboortedatum"): whole words, and prefixes of the compounds (prefix true).
var dobWords = [...]struct {
	w      string
	prefix bool
}{
	{"nacimiento", false}, {"nacido", false}, {"nacida", false}, {"naissance", false}, {"n\xc3\xa9", false},
	{"n\xc3\xa9e", false}, {"nascimento", false}, {"nascido", false}, {"nascida", false}, {"nascita", false},
	{"nato", false}, {"nata", false}, {"geburt", true}, {"geboren", false}, {"geboorte", true},
}

// dobWordAt reports whether one of dobWords is at s[i].
func dobWordAt(s []byte, i int) bool {
	for _, d := range dobWords {
		if d.prefix && hasPrefixFold(s[i:], d.w) || !d.prefix && hasWord(s, i, d.w) {
			return true
		}
	}
	return false
}

// lineNames name a phone line in signatures and contact pages ("Desk: 5403926876"): a weak
// phone label, and only with nothing but spaces and punctuation between it and the number.
var lineNames = newWordSet([]string{"desk", "landline", "switchboard", "hotline", "helpline", "whatsapp", "sms"})

// reachVerbs name reaching someone by phone other than "call". With "at", "on" or "to"
// between them and the number, and otherwise only callWords ("answering at", "messages to",
// "text me on"), they are a weak phone label, as "call" is further back: a number of seven
// digits or more ("reached 1 000 000 users" has no preposition; "text 4 chars" is short).
var (
	reachVerbs = newWordSet([]string{"answering", "reach", "reachable", "ring", "text", "texts",
		"texting", "message", "messages", "messaging", "dial", "dialing", "dialling", "contact", "calling"})
	reachPrepositions = newWordSet([]string{"at", "on", "to"})
)

// hasAnyWord reports whether s holds one of the words of set.
func hasAnyWord(s []byte, set wordSet) bool {
	for i := 0; i < len(s); {
		n := wordLen(s, i)
		if n > 0 && set.hasFold(s[i:i+n]) {
			return true
		}
		i += max(n, 1)
	}
	return false
}

// wordLen is the length of the run of letters at s[i] ("WhatsApp" whole).
func wordLen(s []byte, i int) int {
	j := i
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	return j - i
}

// callWords may stand between the verb "call" and the number it labels.
var callWords = newWordSet([]string{"me", "us", "him", "her", "them", "you", "at", "on", "to", "now", "back", "directly", "anytime", "number"})

// onlyWords reports whether rest, what follows a label up to the number, holds only words of
// allowed (none when nil), spaces and punctuation: "call me at" with callWords, "Desk: ".
func onlyWords(rest []byte, allowed wordSet) bool {
	for i := 0; i < len(rest); {
		if !isLetter(rest[i]) {
			if isDigit(rest[i]) {
				return false
			}
			i++
			continue
		}
		j := i
		for j < len(rest) && isLetter(rest[j]) {
			j++
		}
		if !allowed.hasFold(rest[i:j]) {
			return false
		}
		i = j
	}
	return true
}

// wordStart reports whether a word starts at s[i]: start of s, after a non-letter, or a
// camelCase hump.
func wordStart(s []byte, i int) bool {
	if i == 0 || !isLetter(s[i-1]) {
		return true
	}
	return isLowerASCII(s[i-1]) && isUpperASCII(s[i])
}

// hasWord reports whether w occurs at s[i] (case-insensitively) and a word ends after it.
func hasWord(s []byte, i int, w string) bool {
	if !hasPrefixFold(s[i:], w) {
		return false
	}
	j := i + len(w)
	return j == len(s) || !isLetter(s[j]) || (isLowerASCII(s[j-1]) && isUpperASCII(s[j]))
}

// hasPrefixFold reports whether s starts with the lower-case ASCII word w, ignoring case.
func hasPrefixFold(s []byte, w string) bool {
	if len(s) < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if lower(s[i]) != w[i] {
			return false
		}
	}
	return true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isLowerASCII(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpperASCII(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLetter(c byte) bool     { return isLowerASCII(c) || isUpperASCII(c) }
func isSpace(c byte) bool      { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
