package mask

// This file holds the detectors of network addresses and bank accounts: IPv4 (dotted quads,
// read by the number scanner), IPv6 (found from its colons) and IBAN (found from its check
// digits, validated by country length and the ISO 7064 mod-97 check).

// ipv4 reports whether groups [w, w+4) of the current run are a dotted-quad IPv4 address:
// four groups joined by '.', each 1-3 digits, at most 255, without leading zeros.
func (sc *scanner) ipv4(w, hi int) (int, bool) {
	gs, s := sc.groups, sc.src
	if w+4 > hi || !wordEnd(gs, w+4, hi) {
		return 0, false
	}
	for k := w; k < w+4; k++ {
		g := gs[k]
		if g.paren || (k > w && g.sep != '.') || !octet(s[g.ds:g.de]) {
			return 0, false
		}
	}
	return w + 4, true
}

// octet reports whether d (digits) is a decimal 0-255 without a leading zero.
func octet(d []byte) bool {
	switch len(d) {
	case 1:
		return true
	case 2:
		return d[0] != '0'
	case 3:
		return d[0] != '0' && prefix(d, 3) <= 255
	}
	return false
}

var (
	hexDigit [256]bool // 0-9 a-f A-F
	ip6Char  [256]bool // bytes of an IPv6 address: hex digits, ':' and '.' (embedded IPv4)
	wordByte [256]bool // letters, digits and '_': bytes that continue a word
)

func init() {
	for _, c := range []byte("0123456789abcdefABCDEF") {
		hexDigit[c] = true
		ip6Char[c] = true
	}
	ip6Char[':'] = true
	ip6Char['.'] = true
	for c := 0; c < 256; c++ {
		wordByte[c] = isLetter(byte(c)) || isDigit(byte(c)) || c == '_'
	}
}

// maxIPv6 is the longest textual IPv6 address ("ffff:...:255.255.255.255").
const maxIPv6 = 45

// ipv6 reports the IPv6 address around the ':' at s[i]. Only the first colon of an address
// does the work: a colon preceded by up to four hex digits and another colon is left alone,
// so each byte is looked at a bounded number of times. The address must stand as a word of
// its own (no letter, digit or '_' on either side), so "std::string", times ("10:30:00") and
// MAC addresses (six groups) are not addresses.
func ipv6(s []byte, i, floor int) (start, end int, ok bool) {
	start = i
	for start > floor && i-start < 4 && hexDigit[s[start-1]] {
		start--
	}
	if start > floor && (s[start-1] == ':' || wordByte[s[start-1]] || s[start-1] == '.') {
		return 0, 0, false
	}
	end = i
	dot := false // after the dots of an embedded IPv4 address, a ':' starts a port
	for end < len(s) && end-start <= maxIPv6 && ip6Char[s[end]] && !(dot && s[end] == ':') {
		dot = dot || s[end] == '.'
		end++
	}
	// A sentence may end right after an address; a single trailing ':' is not part of it.
	for end > i+1 && (s[end-1] == '.' || (s[end-1] == ':' && s[end-2] != ':')) {
		end--
	}
	if end-start > maxIPv6 || (end < len(s) && (wordByte[s[end]] || (ip6Char[s[end]] && !(dot && s[end] == ':')))) {
		return 0, 0, false
	}
	return start, end, isIPv6(s[start:end])
}

// isIPv6 reports whether a is an IPv6 address in RFC 4291 text form: eight groups of one to
// four hex digits, or fewer with one "::", the last two groups possibly a dotted-quad IPv4.
// A compressed address needs at least two groups ("fe80::1"), so "::" and "::1" are left.
func isIPv6(a []byte) bool {
	groups, double := 0, false
	for i := 0; i < len(a); {
		if a[i] == ':' {
			if i+1 < len(a) && a[i+1] == ':' {
				if double {
					return false
				}
				double = true
				i += 2
				continue
			}
			if i == 0 || i+1 == len(a) || a[i-1] == ':' {
				return false
			}
			i++
			continue
		}
		j := i
		for j < len(a) && hexDigit[a[j]] {
			j++
		}
		if j < len(a) && a[j] == '.' { // embedded IPv4 closes the address
			if !dottedQuad(a[i:]) {
				return false
			}
			groups += 2
			break
		}
		if j == i || j-i > 4 {
			return false
		}
		groups++
		i = j
		if i < len(a) && a[i] != ':' {
			return false
		}
	}
	if double {
		return groups >= 2 && groups <= 7
	}
	return groups == 8
}

// dottedQuad reports whether a is exactly an IPv4 address.
func dottedQuad(a []byte) bool {
	parts := 0
	for i := 0; i <= len(a); {
		j := i
		for j < len(a) && isDigit(a[j]) {
			j++
		}
		if !octet(a[i:j]) {
			return false
		}
		parts++
		if j == len(a) {
			break
		}
		if a[j] != '.' {
			return false
		}
		i = j + 1
	}
	return parts == 4
}

// ibanLengths is the length of an IBAN by country (the SWIFT IBAN registry).
var ibanLengths = map[[2]byte]int{
	{'A', 'D'}: 24, {'A', 'E'}: 23, {'A', 'L'}: 28, {'A', 'T'}: 20, {'A', 'Z'}: 28, {'B', 'A'}: 20,
	{'B', 'E'}: 16, {'B', 'G'}: 22, {'B', 'H'}: 22, {'B', 'I'}: 27, {'B', 'R'}: 29, {'B', 'Y'}: 28,
	{'C', 'H'}: 21, {'C', 'R'}: 22, {'C', 'Y'}: 28, {'C', 'Z'}: 24, {'D', 'E'}: 22, {'D', 'J'}: 27,
	{'D', 'K'}: 18, {'D', 'O'}: 28, {'E', 'E'}: 20, {'E', 'G'}: 29, {'E', 'S'}: 24, {'F', 'I'}: 18,
	{'F', 'K'}: 18, {'F', 'O'}: 18, {'F', 'R'}: 27, {'G', 'B'}: 22, {'G', 'E'}: 22, {'G', 'I'}: 23,
	{'G', 'L'}: 18, {'G', 'R'}: 27, {'G', 'T'}: 28, {'H', 'N'}: 28, {'H', 'R'}: 21, {'H', 'U'}: 28,
	{'I', 'E'}: 22, {'I', 'L'}: 23, {'I', 'Q'}: 23, {'I', 'S'}: 26, {'I', 'T'}: 27, {'J', 'O'}: 30,
	{'K', 'W'}: 30, {'K', 'Z'}: 20, {'L', 'B'}: 28, {'L', 'C'}: 32, {'L', 'I'}: 21, {'L', 'T'}: 20,
	{'L', 'U'}: 20, {'L', 'V'}: 21, {'L', 'Y'}: 25, {'M', 'C'}: 27, {'M', 'D'}: 24, {'M', 'E'}: 22,
	{'M', 'K'}: 19, {'M', 'N'}: 20, {'M', 'R'}: 27, {'M', 'T'}: 31, {'M', 'U'}: 30, {'N', 'I'}: 28,
	{'N', 'L'}: 18, {'N', 'O'}: 15, {'O', 'M'}: 23, {'P', 'K'}: 24, {'P', 'L'}: 28, {'P', 'S'}: 29,
	{'P', 'T'}: 25, {'Q', 'A'}: 29, {'R', 'O'}: 24, {'R', 'S'}: 22, {'R', 'U'}: 33, {'S', 'A'}: 24,
	{'S', 'C'}: 31, {'S', 'D'}: 18, {'S', 'E'}: 24, {'S', 'I'}: 19, {'S', 'K'}: 24, {'S', 'M'}: 27,
	{'S', 'O'}: 23, {'S', 'T'}: 25, {'S', 'V'}: 28, {'T', 'L'}: 23, {'T', 'N'}: 24, {'T', 'R'}: 26,
	{'U', 'A'}: 29, {'V', 'A'}: 22, {'V', 'G'}: 24, {'X', 'K'}: 20, {'Y', 'E'}: 30,
}

// ibanMax is the longest IBAN of any country.
const ibanMax = 34

// iban reports the IBAN starting at s[i] (two letters, then the check digits): written whole
// ("DE89370400440532013000") or in groups of four separated by single spaces ("DE89 3704 0044
// 0532 0130 00"), in upper or lower case ("gb82west..."), with the country's exact length,
// ending at a word end and passing mod-97. The caller has checked that a word starts at s[i].
func iban(s []byte, i int) (int, bool) {
	want, ok := ibanLengths[[2]byte{upper(s[i]), upper(s[i+1])}]
	if !ok || i+4 > len(s) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return 0, false
	}
	var buf [ibanMax]byte
	n, j := 0, i
	spaced := i+4 < len(s) && s[i+4] == ' '
	for j < len(s) && n < want {
		c := s[j]
		switch {
		case isDigit(c) || isLetter(c):
			buf[n] = upper(c)
			n++
			j++
		case c == ' ' && spaced && n%4 == 0 && n > 0 && j+1 < len(s) && (isDigit(s[j+1]) || isLetter(s[j+1])):
			j++
		default:
			return 0, false
		}
	}
	if n != want || (j < len(s) && wordByte[s[j]]) {
		return 0, false
	}
	return j, mod97(buf[:n])
}

// mod97 reports whether an IBAN passes ISO 7064 MOD 97-10: the first four characters moved
// to the end, letters read as 10-35, the number modulo 97 is 1.
func mod97(a []byte) bool {
	r := 0
	step := func(c byte) {
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	for _, c := range a[4:] {
		step(c)
	}
	for _, c := range a[:4] {
		step(c)
	}
	return r == 1
}
