package mask

// This file holds the detectors of network addresses and bank accounts: IPv4 (dotted quads,
// read by the number scanner), IPv6 (found from its colons) and IBAN (found from its check
// digits, validated by country length and the ISO 7064 mod-97 check).

import (
	"bytes"
	"strings"
)

// ipv4 reports whether groups [w, w+4) of the current run are a dotted-quad IPv4 address:
// four groups joined by '.', each 1-3 digits, at most 255, without leading zeros, or each
// three digits wide, as fixed-width logs pad them ("192.168.001.001").
func (sc *scanner) ipv4(w, hi int) (int, bool) {
	gs, s := sc.groups, sc.src
	if w+4 > hi || !wordEnd(gs, w+4, hi) {
		return 0, false
	}
	padded := true
	for _, g := range gs[w : w+4] {
		padded = padded && g.len() == 3
	}
	for k := w; k < w+4; k++ {
		g := gs[k]
		if g.paren || (k > w && g.sep != '.') || !(octet(s[g.ds:g.de]) || padded && prefix(s[g.ds:], 3) <= 255) {
			return 0, false
		}
	}
	return w + 4, true
}

// urlHost reports whether s[i] starts the host of a URL: right after its scheme's "://", or
// the "//" of a URL without a scheme that no word or operand comes before ("src=//host/",
// not Python's "n//10"), or after the '@' of userinfo that follows either. Without a scheme,
// bare reports that only a path or a port after the host makes it one ("//3 retries" is a
// comment). The userinfo may hold a value found before (its password): it is read only as
// the host's context.
func urlHost(s []byte, i, floor int) (host, bare bool) {
	k := i
	if k > floor && s[k-1] == '@' {
		for k--; k > 0 && s[k-1] != '/' && s[k-1] != '@' && !isSpace(s[k-1]); k-- {
		}
	}
	if k < 2 || s[k-1] != '/' || s[k-2] != '/' {
		return false, false
	}
	if k >= 4 && s[k-3] == ':' && isLetter(s[k-4]) {
		return true, false
	}
	return k == 2 || !wordByte[s[k-3]] && s[k-3] != ')' && s[k-3] != ']' && s[k-3] != ':', true
}

// hostIPv4 reports whether the URL host at s[i] is an IPv4 address in any spelling a URL
// parser (WHATWG's, and inet_aton's before it) accepts, and returns where it ends: one to
// four parts joined by '.' (and one '.' after them), each decimal, octal with a leading '0'
// or hexadecimal after "0x", every part but the last at most 255 and the last filling the
// bytes left ("http://3232235777/", "http://0xC0A80101/", "http://0300.0250.1.1/",
// "http://192.168.257/"). The host must end where a URL's host can; a bare one (urlHost),
// before a path or a port.
func hostIPv4(s []byte, i int, bare bool) (int, bool) {
	end := i
	for end < len(s) && (hexDigit[s[end]] || s[end] == '.' || s[end] == 'x' || s[end] == 'X') {
		end++
	}
	if end == i || end < len(s) && (wordByte[s[end]] || s[end] == '-' || s[end] == '%') ||
		bare && (end == len(s) || s[end] != '/' && s[end] != ':') {
		return 0, false
	}
	host := s[i:end]
	if host[len(host)-1] == '.' {
		host = host[:len(host)-1]
	}
	n := bytes.Count(host, []byte(".")) + 1
	if n > 4 {
		return 0, false
	}
	for k := range n {
		p := host
		if d := bytes.IndexByte(host, '.'); d >= 0 {
			p, host = host[:d], host[d+1:]
		}
		v, ok := ipv4Part(p)
		limit := uint64(255)
		if k == n-1 {
			limit = 1<<(8*(5-n)) - 1
		}
		if !ok || v > limit {
			return 0, false
		}
	}
	return end, true
}

// ipv4Part parses one part of an IPv4 host as a URL parser does: "0x" and hexadecimal
// digits (none is 0), '0' and octal digits, or decimal digits, after any number of zeros.
func ipv4Part(p []byte) (uint64, bool) {
	base := uint64(10)
	switch {
	case len(p) >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'):
		p, base = p[2:], 16
	case len(p) >= 2 && p[0] == '0':
		p, base = p[1:], 8
	case len(p) == 0:
		return 0, false
	}
	for len(p) > 1 && p[0] == '0' { // leading zeros, as many as written ("0x000000C0A80101")
		p = p[1:]
	}
	if len(p) > 11 {
		return 0, false // past 2^32 in any base
	}
	var v uint64
	for _, c := range p {
		var d uint64
		switch {
		case isDigit(c):
			d = uint64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		v = v*base + d
	}
	return v, true
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
	scanned := end
	for end > i+1 && (s[end-1] == '.' || (s[end-1] == ':' && s[end-2] != ':')) {
		end--
	}
	if end-start > maxIPv6 || (end < len(s) && (wordByte[s[end]] || (end == scanned && ip6Char[s[end]] && !(dot && s[end] == ':')))) {
		// A word glued on to the last group: the address ends at the colon before that group,
		// as it does once what follows is masked ("::1:4111_1111…" reads "::1:[CARD]").
		if c := bytes.LastIndexByte(s[start:end], ':'); end-start <= maxIPv6 && end < len(s) && wordByte[s[end]] && c > 0 && s[start+c-1] != ':' {
			if a := s[start : start+c]; ipv6Groups(a, 2) || string(a) == "::1" {
				return start, start + c, true
			}
		}
		return 0, 0, false
	}
	a := s[start:end]
	if p := prefixLength(s, end); p > 0 && ipv6Groups(a, 0) {
		return start, p, true // a prefix, its length with it: "fe80::/10", "::/0", "2001:db8::/32"
	}
	// The loopback address, whose one group would otherwise be too few ("a::b" in code).
	return start, end, ipv6Groups(a, 2) || string(a) == "::1"
}

// prefixLength returns the end of a prefix length ("/10", "/128") at s[i] that ends a word,
// 0 for none.
func prefixLength(s []byte, i int) int {
	if i+1 >= len(s) || s[i] != '/' || !isDigit(s[i+1]) {
		return 0
	}
	j := i + 1
	for j < len(s) && isDigit(s[j]) && j-i <= 3 {
		j++
	}
	if j < len(s) && (wordByte[s[j]] || s[j] == '/') || prefix(s[i+1:], j-i-1) > 128 {
		return 0
	}
	return j
}

// ipv6Groups reports whether a is an IPv6 address in RFC 4291 text form: eight groups of one
// to four hex digits, or fewer with one "::" and at least min of them, the last two groups
// possibly a dotted-quad IPv4. An address needs two groups ("fe80::1"; "a::" is code), a
// prefix none ("::/0").
func ipv6Groups(a []byte, min int) bool {
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
		return groups >= min && groups <= 7
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

// ibanSpecs is the BBAN of each country's IBAN (the part after the country code and the check
// digits) in the IBAN registry's notation: "4!a14!n" is four upper-case letters, then fourteen
// digits; c is a letter or a digit. The table holds the SWIFT registry's countries and those
// that write IBANs outside it (French overseas territories, West and Central Africa, Algeria,
// Iran, Morocco, Mozambique...), as schwifty's registry lists them (testdata/masking/public/
// iban-registry; TestIBANSpecsMatchRegistry keeps the two equal).
var ibanSpecs = map[[2]byte]string{
	{'A', 'D'}: "4!n4!n12!c", {'A', 'E'}: "3!n16!n", {'A', 'L'}: "8!n16!c", {'A', 'O'}: "21!n",
	{'A', 'T'}: "5!n11!n", {'A', 'X'}: "3!n11!n", {'A', 'Z'}: "4!a20!c", {'B', 'A'}: "3!n3!n8!n2!n",
	{'B', 'E'}: "3!n7!n2!n", {'B', 'F'}: "2!c22!n", {'B', 'G'}: "4!a4!n2!n8!c", {'B', 'H'}: "4!a14!c",
	{'B', 'I'}: "5!n5!n11!n2!n", {'B', 'J'}: "2!c22!n", {'B', 'L'}: "5!n5!n11!c2!n",
	{'B', 'R'}: "8!n5!n10!n1!a1!c", {'B', 'Y'}: "4!c4!n16!c", {'C', 'F'}: "23!n", {'C', 'G'}: "23!n",
	{'C', 'H'}: "5!n12!c", {'C', 'I'}: "2!a22!n", {'C', 'M'}: "23!n", {'C', 'R'}: "4!n14!n",
	{'C', 'V'}: "21!n", {'C', 'Y'}: "3!n5!n16!c", {'C', 'Z'}: "4!n6!n10!n", {'D', 'E'}: "8!n10!n",
	{'D', 'J'}: "23!n", {'D', 'K'}: "4!n9!n1!n", {'D', 'O'}: "4!c20!n", {'D', 'Z'}: "22!n",
	{'E', 'E'}: "2!n2!n11!n1!n", {'E', 'G'}: "4!n4!n17!n", {'E', 'S'}: "4!n4!n1!n1!n10!n",
	{'F', 'I'}: "3!n11!n", {'F', 'K'}: "2!a12!n", {'F', 'O'}: "4!n9!n1!n",
	{'F', 'R'}: "5!n5!n11!c2!n", {'G', 'A'}: "23!n", {'G', 'B'}: "4!a6!n8!n", {'G', 'E'}: "2!a16!n",
	{'G', 'F'}: "5!n5!n11!c2!n", {'G', 'G'}: "4!a6!n8!n", {'G', 'I'}: "4!a15!c",
	{'G', 'L'}: "4!n9!n1!n", {'G', 'P'}: "5!n5!n11!c2!n", {'G', 'Q'}: "23!n",
	{'G', 'R'}: "3!n4!n16!c", {'G', 'T'}: "4!c20!c", {'G', 'W'}: "2!c19!n", {'H', 'N'}: "4!a20!n",
	{'H', 'R'}: "7!n10!n", {'H', 'U'}: "3!n4!n1!n15!n1!n", {'I', 'E'}: "4!a6!n8!n",
	{'I', 'L'}: "3!n3!n13!n", {'I', 'M'}: "4!a6!n8!n", {'I', 'Q'}: "4!a3!n12!n", {'I', 'R'}: "22!n",
	{'I', 'S'}: "4!n2!n6!n10!n", {'I', 'T'}: "1!a5!n5!n12!c", {'J', 'E'}: "4!a6!n8!n",
	{'J', 'O'}: "4!a4!n18!c", {'K', 'M'}: "23!n", {'K', 'W'}: "4!a22!c", {'K', 'Z'}: "3!n13!c",
	{'L', 'B'}: "4!n20!c", {'L', 'C'}: "4!a24!c", {'L', 'I'}: "5!n12!c", {'L', 'T'}: "5!n11!n",
	{'L', 'U'}: "3!n13!c", {'L', 'V'}: "4!a13!c", {'L', 'Y'}: "3!n3!n15!n", {'M', 'A'}: "24!n",
	{'M', 'C'}: "5!n5!n11!c2!n", {'M', 'D'}: "2!c18!c", {'M', 'E'}: "3!n13!n2!n",
	{'M', 'F'}: "5!n5!n11!c2!n", {'M', 'G'}: "23!n", {'M', 'K'}: "3!n10!c2!n", {'M', 'L'}: "2!c22!n",
	{'M', 'N'}: "4!n12!n", {'M', 'Q'}: "5!n5!n11!c2!n", {'M', 'R'}: "5!n5!n11!n2!n",
	{'M', 'T'}: "4!a5!n18!c", {'M', 'U'}: "4!a2!n2!n12!n3!n3!a", {'M', 'Z'}: "21!n",
	{'N', 'C'}: "5!n5!n11!c2!n", {'N', 'E'}: "2!a22!n", {'N', 'I'}: "4!a20!n", {'N', 'L'}: "4!a10!n",
	{'N', 'O'}: "4!n6!n1!n", {'O', 'M'}: "3!n16!c", {'P', 'F'}: "5!n5!n11!c2!n",
	{'P', 'K'}: "4!a16!c", {'P', 'L'}: "8!n16!n", {'P', 'M'}: "5!n5!n11!c2!n", {'P', 'S'}: "4!a21!c",
	{'P', 'T'}: "4!n4!n11!n2!n", {'Q', 'A'}: "4!a21!c", {'R', 'E'}: "5!n5!n11!c2!n",
	{'R', 'O'}: "4!a16!c", {'R', 'S'}: "3!n13!n2!n", {'R', 'U'}: "9!n5!n15!c", {'S', 'A'}: "2!n18!c",
	{'S', 'C'}: "4!a2!n2!n16!n3!a", {'S', 'D'}: "2!n12!n", {'S', 'E'}: "3!n16!n1!n",
	{'S', 'I'}: "5!n8!n2!n", {'S', 'K'}: "4!n6!n10!n", {'S', 'M'}: "1!a5!n5!n12!c",
	{'S', 'N'}: "2!a22!n", {'S', 'O'}: "4!n3!n12!n", {'S', 'T'}: "4!n4!n11!n2!n",
	{'S', 'V'}: "4!a20!n", {'T', 'D'}: "23!n", {'T', 'F'}: "5!n5!n11!c2!n",
	{'T', 'G'}: "2!a3!n5!n12!n2!n", {'T', 'L'}: "3!n14!n2!n", {'T', 'N'}: "2!n3!n13!n2!n",
	{'T', 'R'}: "5!n1!n16!c", {'U', 'A'}: "6!n19!c", {'V', 'A'}: "3!n15!n", {'V', 'G'}: "4!a16!n",
	{'W', 'F'}: "5!n5!n11!c2!n", {'X', 'K'}: "4!n10!n2!n", {'Y', 'E'}: "4!a4!n18!c",
	{'Y', 'T'}: "5!n5!n11!c2!n",
}

// ibanLengths is the length of each country's IBAN, from ibanSpecs.
var ibanLengths = func() map[[2]byte]int {
	m := make(map[[2]byte]int, len(ibanSpecs))
	for cc, spec := range ibanSpecs {
		m[cc] = 4 + bbanLength(spec)
	}
	return m
}()

// bbanLength is the length of the BBAN a spec describes ("4!a14!n": 18); -1 for one it
// cannot read.
func bbanLength(spec string) int {
	total := 0
	for spec != "" {
		n := 0
		for spec != "" && isDigit(spec[0]) {
			n = n*10 + int(spec[0]-'0')
			spec = spec[1:]
		}
		spec = strings.TrimPrefix(spec, "!")
		if n == 0 || spec == "" || !strings.ContainsRune("nac", rune(spec[0])) {
			return -1
		}
		total += n
		spec = spec[1:]
	}
	return total
}

// ibanMax is the longest IBAN of any country.
const ibanMax = 34

// iban reports the IBAN starting at s[i] (two letters, then the check digits): written whole
// ("DE89370400440532013000") or in groups of four separated by single spaces ("DE89 3704 0044
// 0532 0130 00"), dashes ("AL47-2121-1009-...") or any other one punctuation or white-space
// byte, the same throughout ("GB82_WEST_...", "GB82/WEST/..."), in upper or lower case ("gb82west..."),
// with the country's exact length, ending at a word end and passing mod-97. Letters where the
// country's format has digits do not save a value from masking: with the country's length
// and valid check digits it is an account number, or a test system's stand-in for one.
func iban(s []byte, i int) (int, bool) {
	want, ok := ibanLengths[[2]byte{upper(s[i]), upper(s[i+1])}]
	if !ok || i+4 > len(s) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return 0, false
	}
	var buf [ibanMax]byte
	n, j := 0, i
	var sep byte // what separates its groups of four, or nothing
	if i+4 < len(s) && looseSep[s[i+4]] {
		sep = s[i+4]
	}
	for j < len(s) && n < want {
		c := s[j]
		switch {
		case isDigit(c) || isLetter(c):
			buf[n] = upper(c)
			n++
			j++
		case c == sep && sep != 0 && n%4 == 0 && n > 0 && j+1 < len(s) && (isDigit(s[j+1]) || isLetter(s[j+1])):
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
