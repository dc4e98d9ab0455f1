package mask

import (
	"bytes"
	"net/netip"
	"regexp"
	"slices"
	"unicode"
	"unicode/utf8"
)

// This file holds the text scanner: one left-to-right pass over a byte string that finds
// candidates with a byte-class table ('@' for an email, a digit, '+' or '(' for a number) and
// hands each candidate to its validator. No regular expression runs on this path, unless a
// profile allows secret values by pattern (WithAllowedSecrets), and then only on values
// already matched.
//
// Numbers are read as runs: digit groups joined by single separators (' ', '-', '.'), with an
// optional leading '+' and parenthesised groups such as "(415)". A space splits a run into
// words. A match always covers whole words, so "2024-01-15" or "ORD-415-555-0132" is judged as
// one word and never as a phone number hiding inside it. Matches are chosen leftmost first and
// a word never belongs to two matches, which makes masking idempotent: masking the output again
// finds nothing, because every span left unmasked was already judged on exactly the same bytes.

// detector indexes a detector in the engine's tables.
type detector uint8

const (
	detEmail detector = iota
	detCard
	detSSN
	detPhone
	detIBAN
	detIP
	detDOB
	detAWSKeyID
	detAWSSecret
	detAWSSession
	detJWT
	detPrivateKey
	detGitHub
	detGitLab
	detSlack
	detStripe
	detSecret
	detConnString
	detMandate
	detField
	detKnown
	numDetectors
)

// names and redactions are indexed by detector.
var (
	names = [numDetectors]string{Email, Card, SSN, Phone, IBAN, IP, DOB, AWSAccessKeyID, AWSSecretKey,
		AWSSessionToken, JWT, PrivateKey, GitHubToken, GitLabToken, SlackToken, StripeKey, Secret, ConnectionString, MandateToken, Field, Known}
	redactions = [numDetectors]string{"[EMAIL]", "[CARD]", "[SSN]", "[PHONE]", "[IBAN]", "[IP]", "[DOB]",
		"[AWS_ACCESS_KEY_ID]", "[AWS_SECRET_KEY]", "[AWS_SESSION_TOKEN]", "[JWT]", "[PRIVATE_KEY]", "[GITHUB_TOKEN]",
		"[GITLAB_TOKEN]", "[SLACK_TOKEN]", "[STRIPE_KEY]", "[SECRET]", "[PASSWORD]", "[MANDATE_TOKEN]", "[REDACTED]", "[MASKED]"}
)

// detectorNamed returns the detector with the given name.
func detectorNamed(name string) (detector, bool) {
	for d, n := range names {
		if n == name {
			return detector(d), true
		}
	}
	return 0, false
}

// match is a detected value: s[start:end] in the scanned string.
type match struct {
	start, end int
	det        detector
}

// Byte classes of the scanner.
const (
	clsNone   uint8 = iota
	clsDigit        // numbers: cards, SSNs, phones, IPv4, dates; IBAN check digits
	clsPlus         // '+' of an international number
	clsParen        // '(' of an area code
	clsAt           // '@' of an email address or of a URL's user:password
	clsColon        // ':' of an IPv6 address, or after a secret's label
	clsEquals       // '=' after a secret's label
	clsDash         // '-' of "-----BEGIN ... PRIVATE KEY-----"
	clsPrefix       // the first letter of a shaped secret (AKIA..., eyJ..., ghp_...)
	clsQuote        // a quote that may open a secret after its label with no operator
	clsDollar       // '$' of a password's hash in a crypt format ("$2b$12$…", "pbkdf2_sha256$…")
	clsBrace        // '{' of a password's hash under an LDAP scheme ("{SSHA}…")
)

var (
	class     [256]uint8 // what a byte can start
	leftBad   [256]bool  // a number right after this byte is part of a word, an amount or a version
	localChar [256]bool  // bytes of an email local part
	domChar   [256]bool  // bytes of a domain label
)

func init() {
	for c := '0'; c <= '9'; c++ {
		class[c] = clsDigit
		leftBad[c] = true
		localChar[c] = true
		domChar[c] = true
	}
	class['+'] = clsPlus
	class['('] = clsParen
	class['@'] = clsAt
	class[':'] = clsColon
	class['='] = clsEquals
	class['-'] = clsDash
	class['"'] = clsQuote
	class['\''] = clsQuote
	class['$'] = clsDollar
	class['{'] = clsBrace
	// 'p' and 'P' also start a credential's name in a sentence ("my password is …", prose.go).
	for _, c := range []byte("AIFGeghxsrwmpP") { // 's': Stripe's sk_ and model providers' sk- keys
		class[c] = clsPrefix
	}
	for c := range providerStart {
		if providerStart[c] {
			class[c] = clsPrefix
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		for _, x := range []byte{byte(c), byte(c) - 'a' + 'A'} {
			leftBad[x] = true
			localChar[x] = true
			domChar[x] = true
		}
	}
	for _, c := range []byte("_.-$@\\+") {
		leftBad[c] = true
	}
	for _, c := range []byte("._%+-") {
		localChar[c] = true
	}
	domChar['-'] = true
	for c := range spelledLocalChar {
		spelledLocalChar[c] = localChar[c] || c >= utf8.RuneSelf || atextInner[c] && c != '{' && c != '}'
	}
}

// scanner finds matches in one byte string. Its slices are reused between calls.
type scanner struct {
	enabled [numDetectors]bool
	src     []byte // the string being scanned
	matches []match
	groups  []group
	digits  [cardMaxDigits + 1]byte
	spans   []digitSpan // the groups of a run read by loose
	trial   []group     // the groups of a run printedFrom reads
	skip    int         // set by card: the group after a run of card-shaped groups that is no card
	signed  bool        // set by number: the run's '+' stands apart from a word (matchAt)

	// key is the JSON key the scanned value belongs to (nil in text mode); its label bits are
	// computed only when a bare number needs them.
	key         []byte
	keyBits     uint8
	keyKnown    bool
	keySecret   uint8 // secretLabel of key
	secretKnown bool
	labelCache  [32]labelEntry

	// cookies is where the cookie pairs of a Cookie or Set-Cookie header end in the string
	// being scanned (0: none); cookieAll says the next string scanned is one.
	cookies   int
	cookieAll bool
	// emph says the string scanned last has digits right after a Markdown emphasis or code
	// delimiter ("4111 **1111** 1111 1111"), which markupMatches then reads as markup.
	emph bool

	// allow are the patterns of secret values left in clear (WithAllowedSecrets).
	allow []*regexp.Regexp
	// regions are the national plans unlabelled national numbers are read by.
	regions []*regionPlan
	// mixedTried is 1 + the start of a run number read with mixed separators and found
	// nothing in, at floor mixedFloor, within the current call of number: mixedRun is not
	// asked the same again.
	mixedTried, mixedFloor int
}

// leaveAllowed drops the matches from index from on whose value, in s, is a secret an allow
// pattern matches.
func (sc *scanner) leaveAllowed(s []byte, from int) {
	if len(sc.allow) == 0 {
		return
	}
	kept := sc.matches[:from]
	for _, m := range sc.matches[from:] {
		if !isSecretDetector[m.det] || !slices.ContainsFunc(sc.allow, func(p *regexp.Regexp) bool { return p.Match(s[m.start:m.end]) }) {
			kept = append(kept, m)
		}
	}
	sc.matches = kept
}

// setKey sets the JSON key of the next values scanned.
func (sc *scanner) setKey(key []byte) {
	sc.key, sc.keyKnown, sc.keyBits, sc.secretKnown = key, false, 0, false
}

// keySecretKind returns the secret label kind of the current JSON key. Documents repeat
// their keys, so the kinds of short keys are kept in a small direct-mapped cache.
func (sc *scanner) keySecretKind() uint8 {
	if sc.secretKnown {
		return sc.keySecret
	}
	sc.keySecret, sc.secretKnown = lblNone, true
	k := sc.key
	if len(k) == 0 {
		return lblNone
	}
	if len(k) > len(sc.labelCache[0].key) {
		sc.keySecret = secretLabel(k)
		return sc.keySecret
	}
	slot := &sc.labelCache[(len(k)*7+int(k[0])+int(k[len(k)-1])*3)%len(sc.labelCache)]
	if int(slot.n) == len(k) && string(slot.key[:slot.n]) == string(k) {
		sc.keySecret = slot.kind
		return sc.keySecret
	}
	sc.keySecret = secretLabel(k)
	slot.n = uint8(copy(slot.key[:], k))
	slot.kind = sc.keySecret
	return sc.keySecret
}

// labelEntry is a cached secretLabel result.
type labelEntry struct {
	key  [24]byte
	n    uint8 // 0: empty
	kind uint8
}

func (sc *scanner) keyLabels() uint8 {
	if !sc.keyKnown {
		sc.keyBits, sc.keyKnown = labelsIn(sc.key), true
	}
	return sc.keyBits
}

// scanValue scans s as the value of the current JSON key: under a secret label (password,
// client_secret, SessionToken ...) the whole value is judged as that secret first; any
// other value, or one the label's rule does not take, is scanned as text.
func (sc *scanner) scanValue(s []byte) {
	sc.emph = false
	if len(sc.key) > 0 {
		if sc.keySecretKind() == lblCookie {
			sc.cookieAll = true // {"Cookie": "sid=...; theme=dark"}: its pairs
		}
		if vs, ve, d, ok := sc.keyedSecret(s); ok {
			sc.src = s
			sc.matches = append(sc.matches, match{vs, ve, d})
			sc.leaveAllowed(s, len(sc.matches)-1)
			return
		}
	}
	sc.scan(s)
	if !sc.emph {
		sc.emph = intrawordEmph(s)
	}
}

// scan appends the matches found in s to sc.matches, in order and without overlap.
func (sc *scanner) scan(s []byte) {
	from := len(sc.matches)
	sc.src = s
	floor := 0 // end of the last match: look-behinds never cross it
	n := len(s)
	add := func(start, end int, d detector) {
		sc.matches = append(sc.matches, match{start, end, d})
		floor = end
	}
	curl := -1 // whether s holds "curl" (1) or not (0); -1 until a ':' asks
	sc.cookies = 0
	if sc.cookieAll {
		sc.cookies, sc.cookieAll = n, false
	}
	for i := 0; i < n; {
		for i < n && class[s[i]] == clsNone {
			i++
		}
		if i >= n {
			break
		}
		switch class[s[i]] {
		case clsAt:
			if sc.enabled[detConnString] {
				if ps, pe, ok := urlPassword(s, i, floor); ok {
					add(ps, pe, detConnString)
					i++
					continue
				}
			}
			if sc.enabled[detEmail] {
				if start, end, ok := email(s, i, floor); ok {
					add(start, end, detEmail)
					i = end
					continue
				}
				if end, ok := sc.quotedOverMatches(s, i, from); ok {
					floor, i = end, end
					continue
				}
			}
			i++
		case clsDigit:
			if sc.enabled[detIBAN] && i-2 >= floor && isLetter(s[i-1]) && isLetter(s[i-2]) && wordStartAt(s, i-2) {
				if end, ok := iban(s, i-2); ok {
					add(i-2, end, detIBAN)
					i = end
					continue
				}
			}
			if sc.enabled[detDOB] && (i == 0 || !isDigit(s[i-1])) {
				if start, end, ok := sc.dob(s, i, floor); ok {
					add(start, end, detDOB)
					i = end
					continue
				}
			}
			if host, bare := urlHost(s, i, floor); host && sc.enabled[detIP] {
				if end, ok := hostIPv4(s, i, bare); ok {
					add(i, end, detIP)
					i = end
					continue
				}
			}
			if !sc.emph && emphAround(s, i) {
				sc.emph = true
			}
			i = sc.number(s, i, &floor)
		case clsColon:
			if sc.enabled[detIP] {
				if start, end, ok := ipv6(s, i, floor); ok {
					add(start, end, detIP)
					i = end
					continue
				}
			}
			if curl < 0 && sc.enabled[detSecret] { // looked for once a string, at its first ':'
				curl = 0
				if bytes.Contains(s, []byte("curl")) {
					curl = 1
				}
			}
			if curl > 0 {
				if vs, ve, ok := curlCredentials(s, i, floor); ok {
					add(vs, ve, detSecret)
					i = max(ve, i+1)
					continue
				}
			}
			fallthrough
		case clsEquals:
			if i < sc.cookies && s[i] == '=' && sc.enabled[detSecret] {
				if vs, ve, ok := cookieValue(s, i, floor); ok {
					add(vs, ve, detSecret)
					i = ve
					continue
				}
			}
			if vs, ve, d, ok := sc.assigned(s, i, floor); ok {
				add(vs, ve, d)
				i = ve
				continue
			}
			i++
		case clsDash:
			if sc.enabled[detPrivateKey] && i+1 < n && s[i+1] == '-' {
				if end, ok := pem(s, i); ok {
					add(i, end, detPrivateKey)
					i = end
					continue
				}
			}
			if sc.enabled[detSecret] {
				// The value may stand before the option ("…" -AsPlainText), after the last match.
				if vs, ve, ok := sc.cliPassword(s, i, floor); ok && vs >= floor {
					add(vs, ve, detSecret)
					i = max(ve, i+1)
					continue
				}
			}
			i++
		case clsPrefix:
			if end, d, ok := prefixToken(s, i, &sc.enabled); ok && i >= floor {
				add(i, end, d)
				i = end
				continue
			}
			// The rest of the word's letters are passed over at once (letters belong to no
			// other class), and a token glued to them is looked for where they end.
			j := i + 1
			for j < n && isLetter(s[j]) {
				j++
			}
			if k, end, d, ok := gluedToken(s, i, j, &sc.enabled); ok && k >= floor {
				add(k, end, d)
				i = end
				continue
			}
			if (s[i] == 'p' || s[i] == 'P') && sc.enabled[detSecret] && i >= floor {
				if vs, ve, ok := proseSecret(s, i, j, floor); ok {
					add(vs, ve, detSecret)
					i = ve
					continue
				}
			}
			i = j
		case clsDollar:
			if sc.enabled[detSecret] {
				if start, end, ok := cryptHash(s, i, floor); ok {
					add(start, end, detSecret)
					i = end
					continue
				}
			}
			i++
		case clsBrace:
			if sc.enabled[detSecret] {
				if end, ok := ldapHash(s, i); ok && i >= floor {
					add(i, end, detSecret)
					i = end
					continue
				}
			}
			i++
		case clsQuote:
			// A label and a quoted value with no operator: password "...";
			if i >= 2 && i-2 >= floor && s[i-1] == ' ' && isLetter(s[i-2]) {
				if vs, ve, d, ok := sc.quotedAfterLabel(s, i-1, i, floor); ok {
					add(vs, ve, d)
					i = ve
					continue
				}
			}
			// A quoted label and a quoted value: setProperty("API_TOKEN", "...")
			if i >= 4 && (s[i-1] == ',' || s[i-1] == ' ') {
				if vs, ve, d, ok := sc.quotedPair(s, i, floor); ok {
					add(vs, ve, d)
					i = ve
					continue
				}
			}
			i++
		default: // '+' or '(' must be followed by a digit to start a run
			if i+1 < n && isDigit(s[i+1]) {
				i = sc.number(s, i, &floor)
			} else if s[i] == '(' && i+1 < n && (s[i+1] == '"' || s[i+1] == '\'') && i > floor && isLetter(s[i-1]) {
				// A value as a call argument after its label: secret("...")
				if vs, ve, d, ok := sc.quotedAfterLabel(s, i, i+1, floor); ok {
					add(vs, ve, d)
					i = ve
					continue
				}
				i++
			} else {
				i++
			}
		}
	}
	sc.leaveAllowed(s, from)
}

// email reports the email address around the '@' at s[at]: a local part of up to 64 bytes
// found looking back (never before floor), then a domain of at least two labels whose last
// label (the top-level domain) is letters only and not a file extension ("logo@2x.png").
// Local parts and domains may be written in any script ("юзер@екзампл.ком", "jeff@臺網中心.tw"),
// a local part may hold the other characters RFC 5322 allows inside it ("o'brien") or be
// quoted ("\"quoted local part\"@example.org"), and a top-level domain may be punycode
// ("xn--jxalpdlp"). In text with no spaces (Chinese, Japanese), a local part longer than 64
// bytes is taken as its last 64.
func email(s []byte, at, floor int) (start, end int, ok bool) {
	j, ok := localPart(s, at, floor)
	if !ok {
		return 0, 0, false
	}
	// Domain: labels of letters (of any script), digits and inner hyphens, separated by single
	// dots. A dot not followed by a label character ends the address (end of a sentence).
	// A comment may stand before it ("bob@(home)example.com", RFC 5322), and an address
	// literal in its place ("bob@[192.0.2.1]").
	k := at + 1
	if c := commentEnd(s, k); c > 0 {
		k = c
	}
	if e := addressLiteral(s, k); e > 0 {
		return j, e, true
	}
	labels, tld := 0, 0
	for {
		ls := k
		k = domainLabel(s, k)
		if k == ls || k-ls > emailMaxLabel || s[ls] == '-' || s[k-1] == '-' && labels == 0 {
			return 0, 0, false
		}
		labels++
		tld = ls
		if s[k-1] != '-' && k+1 < len(s) && s[k] == '.' && domainLabel(s, k+1) > k+1 {
			k++
			continue
		}
		break
	}
	if labels < 2 || k-(at+1) > emailMaxDomain {
		return 0, 0, false
	}
	if !validTLD(s[tld:k]) {
		// A top-level domain has no digits: in "a@b.com4111111111111111" the address ends
		// at "com" and a number follows, as the text reads once the number is masked; in
		// "a@b.com192.168.1.1", an address. Nor a hyphen: in "a@b.com-(415) 555-0132" or
		// "a@b.com-x" the address ends at "com", where the whole was left in clear.
		if gj, gk, gok := gluedEnd(s, at+1, k, j); gok {
			j, k = gj, gk
		} else if h := bytes.IndexByte(s[tld:k], '-'); h > 0 && validTLD(s[tld:tld+h]) {
			k = tld + h
		} else {
			return 0, 0, false
		}
	}
	if s[at-1] != '"' {
		if qs, qe, ok := quotedAround(s, j, k, floor); ok {
			return qs, qe, true
		}
	}
	return j, k, true
}

// quotedOverMatches masks the address whose '@' is at s[at] when its quoted local part holds
// values matched before the '@' was reached ("\"::1 \"@example.org", "\"4111 1111 1111
// 1111\"@example.org"): they give way to the address, which a second pass would otherwise
// read once they are masked ("\"[IP] \"@example.org"). Matches from index from on are those
// of s. It reports the address's end.
func (sc *scanner) quotedOverMatches(s []byte, at, from int) (int, bool) {
	if at == 0 || s[at-1] != '"' || len(sc.matches) == from {
		return 0, false
	}
	// The matches that may lie inside the local part, and the floor before them.
	k := len(sc.matches)
	for k > from && sc.matches[k-1].end > at-emailMaxLocal-2 {
		k--
	}
	if k == len(sc.matches) {
		return 0, false
	}
	lo := 0
	if k > from {
		lo = sc.matches[k-1].end
	}
	start, end, ok := email(s, at, lo)
	kept := 0
	if ok {
		kept, ok = sc.quotedFits(s, start, at, k)
	}
	if !ok {
		// As written, no address, or one whose quotes cut a match ('" " "@0.AA"@0.AA': the
		// quotes of the second address are the first's last and the '@''s): read as a second
		// pass reads it, with the matches redacted.
		if start, end, ok = sc.quotedOverRedactions(s, at, lo, k); ok {
			kept, ok = sc.quotedFits(s, start, at, k)
		}
	}
	if !ok {
		return 0, false
	}
	sc.matches = append(sc.matches[:kept], match{start, end, detEmail})
	return end, true
}

// quotedFits reports whether an address from s[start] with its '@' at s[at] starts with a
// quote and holds the matches from sc.matches[k] on whole inside its quotes, where they give
// way to it, or lies after them; and how many matches are kept before it.
func (sc *scanner) quotedFits(s []byte, start, at, k int) (int, bool) {
	if start >= len(s) || s[start] != '"' {
		return 0, false
	}
	kept := k
	for _, m := range sc.matches[k:] {
		switch {
		case m.end <= start:
			kept++ // before the address
		case m.start > start && m.end < at:
			// inside the quotes: the address takes its place
		default:
			return 0, false // across the address's edge
		}
	}
	return kept, true
}

// quotedOverRedactions reads the address whose '@' is at s[at] with the matches from
// sc.matches[k] on written as their redactions, as a second pass reads the output: a quoted
// local part that holds an address with quotes of its own ("\" \"0\"@0.AA\"@0.AA") is no
// address as written, and is one once the inner address is "[EMAIL]". It returns the span in
// s of an address whose local part starts with a quote before the first of those matches.
func (sc *scanner) quotedOverRedactions(s []byte, at, lo, k int) (int, int, bool) {
	first := sc.matches[k].start
	if first < lo {
		return 0, 0, false
	}
	buf := append([]byte(nil), s[lo:first]...)
	last := first
	for _, m := range sc.matches[k:] {
		if m.start < last || m.end > at {
			return 0, 0, false
		}
		buf = append(buf, s[last:m.start]...)
		buf = append(buf, redactions[m.det]...)
		last = m.end
	}
	shift := len(buf) - (last - lo)
	buf = append(buf, s[last:min(len(s), at+1+emailMaxDomain)]...)
	start, end, ok := email(buf, at-lo+shift, 0)
	if !ok || start >= first-lo || buf[start] != '"' {
		return 0, 0, false
	}
	return lo + start, end - shift + lo, true
}

// quotedAround returns the address whose quoted local part holds the address s[j:k]
// ("\"00@0.AA\"@0.AA", "\"x 00@0.AA\"@0.AA"): masked alone, it would leave the quotes and the
// outer domain, which a second pass reads as another address.
func quotedAround(s []byte, j, k, floor int) (int, int, bool) {
	lo := max(floor, j-emailMaxLocal)
	q := bytes.LastIndexByte(s[lo:j], '"')
	if q < 0 {
		return 0, 0, false
	}
	q += lo
	hi := min(len(s), q+emailMaxLocal+2)
	if hi <= k {
		return 0, 0, false
	}
	c := k // the quote that ends the local part: the first one after k not escaped
	for {
		n := bytes.IndexByte(s[c:hi], '"')
		if n < 0 {
			return 0, 0, false
		}
		c += n
		if !escaped(s, c, k) {
			break
		}
		c++
	}
	if c+1 >= len(s) || s[c+1] != '@' {
		return 0, 0, false
	}
	if qs, qe, ok := email(s, c+1, floor); ok && qs <= q && qe > c {
		return qs, qe, true // the quoted local part holds the address, an escaped quote before it or not
	}
	return 0, 0, false
}

// gluedEnd returns the address whose domain starts at s[from] when a number is glued to its
// top-level domain: the first label after a dot that is letters and then a digit ends at
// its letters, or before a hyphen between them ("a@b.com-4111…"), which must be a top-level
// domain; a label that starts with a digit ends the address at the dot before it, when
// what comes before is a domain ("a@b.com.4111…").
func gluedEnd(s []byte, from, to, start int) (int, int, bool) {
	prev := -1 // the start of the label before l
	for l := from; l < to; {
		e := l
		for e < to && s[e] != '.' {
			e++
		}
		if l > from {
			p := l
			for p < e && !isDigit(s[p]) {
				p++
			}
			if p < e {
				switch {
				case p == l:
					if prev > from && validTLD(s[prev:l-1]) {
						return start, l - 1, true
					}
				case s[p-1] == '-' && p-1 > l && validTLD(s[l:p-1]):
					return start, p - 1, true
				case validTLD(s[l:p]):
					return start, p, true
				}
				return 0, 0, false
			}
		}
		prev, l = l, e+1
	}
	return 0, 0, false
}

// escaped reports whether s[i] follows an odd number of backslashes (from s[floor] on).
func escaped(s []byte, i, floor int) bool {
	b := i
	for b > floor && s[b-1] == '\\' {
		b--
	}
	return (i-b)%2 == 1
}

// localPart returns the start of the local part of the address whose '@' is at s[at].
func localPart(s []byte, at, floor int) (int, bool) {
	if at-1 > floor && s[at-1] == '"' { // "quoted local part"@example.org, "a\"b"@example.org
		if escaped(s, at-1, floor) {
			return 0, false // "a\"@example.org: the quoted string is not closed
		}
		q := at - 2
		for q >= floor && at-q <= emailMaxLocal+2 && (s[q] != '"' || escaped(s, q, floor)) {
			q--
		}
		if q < floor || s[q] != '"' {
			return 0, false
		}
		if q+1 == at-1 || bytes.IndexByte(s[q:at], '\n') >= 0 || (q > floor && !isSpace(s[q-1]) && s[q-1] != '<' && s[q-1] != '(' && s[q-1] != ':') {
			return 0, false
		}
		return q, true
	}
	if at-1 > floor && s[at-1] == ')' { // a comment after the local part: bob(home)@example.com
		c := commentStart(s, at-1, floor)
		if c <= floor {
			return 0, false
		}
		return localPart(s, c, floor)
	}
	j, wide := at, false
	for j > floor {
		if c := s[j-1]; c < utf8.RuneSelf {
			if !localChar[c] && !atextInner[c] {
				break
			}
			j--
		} else {
			r, n := utf8.DecodeLastRune(s[floor:j])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) && r != '＠' {
				break
			}
			j -= n
			wide = true
		}
		if at-j > emailMaxLocal {
			if !wide {
				return 0, false // a word too long to be a local part
			}
			j = at - emailMaxLocal // text with no spaces: the last 64 bytes, from a rune start
			for j < at && !utf8.RuneStart(s[j]) {
				j++
			}
			break
		}
	}
	// It starts with a letter or digit, so "'bob@example.com'" keeps its quote, and a dot at
	// either end is the sentence's.
	for j < at && s[j] < utf8.RuneSelf && !isLetter(s[j]) && !isDigit(s[j]) && s[j] != '_' {
		j++
	}
	if j == at || s[at-1] == '.' || (j >= 3 && s[j-1] == '/' && s[j-2] == '/' && s[j-3] == ':') {
		return 0, false // no local part, or the user of a URL ("ftp://anonymous@host")
	}
	return j, true
}

// maxComment bounds a comment in an address, its parentheses included.
const maxComment = 64

// commentEnd returns the end of the comment ("(home)", no parentheses inside it, on one line)
// at s[i], 0 for none.
func commentEnd(s []byte, i int) int {
	if i >= len(s) || s[i] != '(' {
		return 0
	}
	for k := i + 1; k < len(s) && k-i < maxComment; k++ {
		switch s[k] {
		case ')':
			return k + 1
		case '(', '\n', '\r', '@':
			return 0
		}
	}
	return 0
}

// commentStart returns where the comment whose ')' is s[e] starts, or -1.
func commentStart(s []byte, e, floor int) int {
	for k := e - 1; k >= floor && e-k < maxComment; k-- {
		switch s[k] {
		case '(':
			return k
		case ')', '\n', '\r', '@':
			return -1
		}
	}
	return -1
}

// addressLiteral returns the end of the address literal at s[i] ("[192.0.2.1]",
// "[IPv6:2001:db8::1]"), 0 for none.
func addressLiteral(s []byte, i int) int {
	if i >= len(s) || s[i] != '[' {
		return 0
	}
	e := bytes.IndexByte(s[i:min(len(s), i+48)], ']')
	if e < 0 {
		return 0
	}
	lit := s[i+1 : i+e]
	if len(lit) > 5 && hasPrefixFold(lit, "ipv6:") {
		lit = lit[5:]
	}
	if a, err := netip.ParseAddr(string(lit)); err != nil || a.Zone() != "" {
		return 0
	}
	return i + e + 1
}

// atextInner are the characters RFC 5322 allows in a local part besides letters, digits and
// "._%+-", taken inside one ("o'brien@example.com"): not '=', '&', '?' or '/', which join an
// address to the key or path before it in URLs and assignments.
var atextInner = func() (t [256]bool) {
	for _, c := range []byte("'!#$*^`{|}~") {
		t[c] = true
	}
	return t
}()

// domainLabel returns the end of the domain label starting at s[k]: letters of any script,
// digits and hyphens.
func domainLabel(s []byte, k int) int {
	for k < len(s) {
		if c := s[k]; c < utf8.RuneSelf {
			if !domChar[c] {
				break
			}
			k++
			continue
		}
		r, n := utf8.DecodeRune(s[k:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r) {
			break
		}
		k += n
	}
	return k
}

// validTLD reports whether t can be a top-level domain: two or more letters and not one of the
// file extensions that follow an '@' in names such as "icon@2x.png".
func validTLD(t []byte) bool {
	if len(t) >= 6 && hasPrefixFold(t, "xn--") { // punycode of a top-level domain in another script
		for _, c := range t[4:] {
			if !isLetter(c) && !isDigit(c) && c != '-' {
				return false
			}
		}
		return true
	}
	if t[0] >= utf8.RuneSelf { // a top-level domain in another script: letters (and marks) only
		for _, r := range string(t) {
			if !unicode.IsLetter(r) && !unicode.IsMark(r) {
				return false
			}
		}
		return true
	}
	if len(t) < 2 {
		return false
	}
	for _, c := range t {
		if !isLetter(c) {
			return false
		}
	}
	for _, ext := range fileExtensions {
		if len(t) == len(ext) && hasPrefixFold(t, ext) {
			return false
		}
	}
	return true
}

// fileExtensions are not top-level domains; neither is "invalid", which RFC 2606 reserves
// for names that can never resolve (format-preserving email stand-ins use it).
var fileExtensions = [...]string{"png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "avif", "heic", "pdf", "css", "js", "json", "txt", "html", "invalid"}

// maxParenDigits is the longest digit group read as part of a number in parentheses, such as
// the area code in "(415) 555-0132". A longer one, "(4111111111111111)", is a number of its own
// inside brackets.
const maxParenDigits = 5

// minBareDigits is the length of the shortest lone digit group a detector can match (a
// labelled SSN); runJoin marks the bytes that may join a digit group to another.
const minBareDigits = 9

var runJoin = [256]bool{' ': true, '-': true, '.': true}

// group is one digit group of a number run.
type group struct {
	ts, te int  // text span, parentheses included
	ds, de int  // digit span
	sep    byte // separator before the group: 0 (first, or right after a ')'), ' ', '-' or '.'
	paren  bool
}

func (g group) len() int { return g.de - g.ds }

// parseRun reads the number run at s[i] into sc.groups and returns the end of the run and
// whether it starts with '+'. A run is empty when s[i] starts nothing valid.
func (sc *scanner) parseRun(s []byte, i int) (end int, plus bool) {
	n := len(s)
	sc.groups = sc.groups[:0]
	j := i
	if s[j] == '+' {
		plus = true
		j++
	}
	end = i
	var sep byte
	for {
		var g group
		switch {
		case j < n && s[j] == '(':
			k := j + 1
			for k < n && isDigit(s[k]) {
				k++
			}
			if k == j+1 || k-j > maxParenDigits+1 || k >= n || s[k] != ')' {
				return end, plus
			}
			g = group{ts: j, te: k + 1, ds: j + 1, de: k, sep: sep, paren: true}
		case j < n && isDigit(s[j]):
			k := j
			for k < n && isDigit(s[k]) {
				k++
			}
			g = group{ts: j, te: k, ds: j, de: k, sep: sep}
		default:
			return end, plus
		}
		sc.groups = append(sc.groups, g)
		j, end = g.te, g.te
		if j >= n {
			return end, plus
		}
		c := s[j]
		if c == '\t' && (plus || callPrefix(s[sc.groups[0].ds:sc.groups[0].de]) > 0) {
			c = ' ' // "+44\t20\t7946\t0958", "0044\t20…": after a '+' or a call prefix, a tab is a space between groups
		}
		switch {
		case (c == ' ' || c == '-' || c == '.') && j+1 < n && isDigit(s[j+1]):
			sep = c
			j++
		case (c == ' ' || c == '-') && j+1 < n && s[j+1] == '(':
			sep = c
			j++
		case g.paren && isDigit(c), !g.paren && c == '(':
			sep = 0 // "(415)555-0132", "+44(0)20 7946 0958"
		default:
			return end, plus
		}
	}
}

// rightBad reports whether the byte after a run at s[end] makes the run's last word part of a
// larger token: a letter, '_' or '@' right after it, or '-' or '.' followed by a letter.
func rightBad(s []byte, end int) bool {
	if end >= len(s) {
		return false
	}
	c := s[end]
	if isLetter(c) || c == '_' || c == '@' {
		return true
	}
	if (c == '-' || c == '.') && end+1 < len(s) {
		d := s[end+1]
		if c == '-' && phoneWord(s, end+1) {
			return false // "815-Fax": a number and the kind of line it is
		}
		return isLetter(d) || isDigit(d) || d == '_'
	}
	return false
}

// atNoAddress reports whether s[end] is an '@' that makes no address of the run before it
// ("192.168.2.1@eth0", an address and its interface): the run's last word is then its own.
func atNoAddress(s []byte, end, floor int) bool {
	if s[end] != '@' {
		return false
	}
	_, _, ok := email(s, end, floor)
	return !ok
}

// phoneWords name the kind of a phone line when written after its number ("416 60 039
// office", "3660170548-Fax").
var phoneWords = newWordSet([]string{"fax", "office", "mobile", "cell", "home", "work", "tel", "phone"})

// phoneWord reports whether s[i:] starts with one of phoneWords as a whole word.
func phoneWord(s []byte, i int) bool {
	j := i
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	return j > i && (j == len(s) || !isDigit(s[j]) && s[j] != '_' && s[j] != '@') && phoneWords.hasFold(s[i:j])
}

// phoneWordAfter reports whether one of phoneWords follows a number ending at s[end], after a
// space, a '-' or " (" ("781 1704 office", "063-Office", "555 1234 (home)").
func phoneWordAfter(s []byte, end int) bool {
	if end < len(s) && (s[end] == ' ' || s[end] == '-') {
		end++
	}
	if end < len(s) && s[end] == '(' {
		end++
	}
	return phoneWord(s, end)
}

// partOfWord reports whether the number at s[i] is part of what stands right before it: a
// word, an amount or a version (leftBad), unless that is a label of what the number may be
// (gluedLabel), a magnetic stripe's format code (trackOne) or a value found right before it
// (afterMatch).
func partOfWord(s []byte, i, floor int) bool {
	return i > floor && leftBad[s[i-1]] && !trackOne(s, i) && !gluedLabel(s, i, floor) && !afterMatch(s, i, floor) && !signed(s, i, floor)
}

// signed reports whether s[i] follows a sign: up to two of '-' and '+' after white space,
// the start, or punctuation that opens a value ("see -4111…", "x=-078-05-1123", "(+…"), not
// after a letter, a digit or '_' ("id-4111…", "q=x+4111…" with a form's '+' for a space).
func signed(s []byte, i, floor int) bool {
	k := i
	for k > floor && i-k < 2 && (s[k-1] == '-' || s[k-1] == '+') {
		k--
	}
	return k < i && (k == floor || !leftBad[s[k-1]])
}

// gluedLabel reports whether the number at s[i] is written onto a label of what it may be
// ("card_4111…", "PAN4111…", "SSN078-05-1120", "tel.+1415…", "ccNumber4111…"): the letters
// before it, with at most one '_', '.', '-' or '#' between, end in a word that labels a card,
// an SSN or a phone number. Such a number is judged as one standing apart; letters that
// label nothing ("ID4111…", "ref ABC-4111…") still make it part of a word.
func gluedLabel(s []byte, i, floor int) bool {
	k := i
	if k > floor && (s[k-1] == '_' || s[k-1] == '.' || s[k-1] == '-' || s[k-1] == '#') {
		k--
	}
	ws := k
	for ws > floor && isLetter(s[ws-1]) {
		ws--
	}
	if ws == k || ws > floor && isDigit(s[ws-1]) {
		return false
	}
	w := s[ws:k]
	last := lastCamelWord(w)
	if last > 0 && numberWords.hasFold(w[last:]) { // "ccNumber", "phoneNo"
		w = w[:last]
		last = lastCamelWord(w)
	}
	return labelsIn(w[last:])&(labelCard|labelSSN|labelPhone) != 0 || cardNames.hasFold(w[last:])
}

// lastCamelWord returns where the last word of the camelCase name w starts.
func lastCamelWord(w []byte) int {
	last := len(w) - 1
	for last > 0 && !(isLowerASCII(w[last-1]) && isUpperASCII(w[last])) {
		last--
	}
	return last
}

// numberWords end a camelCase label ("ccNumber", "phoneNo").
var numberWords = newWordSet([]string{"number", "num", "no", "nr"})

// cardNames label a card number glued to them, beside "card" (labelsIn).
var cardNames = newWordSet([]string{"cc", "ccn", "ccnum", "pan", "cardno", "cardnum", "cardnumber", "creditcard"})

// afterMatch reports whether one byte joins the number at s[i] to a value found right
// before it ("[EMAIL]-4111…", "[PHONE]_4111…"): what it is glued to is no word, amount or
// version, and once the value is masked the number stands apart.
func afterMatch(s []byte, i, floor int) bool {
	c := s[i-1]
	return (floor > 0 && i-1 == floor || redactionBefore(s, i-1)) && (c == '-' || c == '_' || c == '.' || c == '+')
}

// redactionBefore reports whether s[:end] ends with a redaction ("[EMAIL]"): a value masked
// there, by a reading before this one, is a value found right before end.
func redactionBefore(s []byte, end int) bool {
	if end < 3 || s[end-1] != ']' {
		return false
	}
	for _, r := range redactions {
		if r != "" && bytes.HasSuffix(s[:end], []byte(r)) {
			return true
		}
	}
	return false
}

// signApart reports whether the '+' at s[i] stands apart from a word: at the start, right
// after a value found, or after a byte that is no letter or digit.
func signApart(s []byte, i, floor int) bool {
	return i == 0 || i == floor || !isLetter(s[i-1]) && !isDigit(s[i-1])
}

// currencyCode reports whether an ISO 4217 code of a currency cards are charged in most
// ("USD", "EUR", ...), in capitals, stands right before s[i] as a word of its own.
func currencyCode(s []byte, i int) bool {
	if i < 3 || i > 3 && isLetter(s[i-4]) {
		return false
	}
	c := s[i-3 : i]
	for _, b := range c {
		if !isUpperASCII(b) {
			return false
		}
	}
	return currencyCodes.hasFold(c)
}

var currencyCodes = newWordSet([]string{"usd", "eur", "gbp", "jpy", "cny", "chf", "cad", "aud", "nzd", "hkd", "sgd",
	"sek", "nok", "dkk", "pln", "czk", "huf", "inr", "brl", "mxn", "zar", "krw", "try", "ils", "aed", "sar", "rub"})

// trackOne reports whether the digits at s[i] are the card number of a magnetic stripe's
// track 1 ("%B4111111111111111^DOE/JANE^2812…"): after its format code 'B' (and the start
// sentinel '%', or nothing of a word) and before its field separator '^'.
func trackOne(s []byte, i int) bool {
	if i == 0 || s[i-1] != 'B' || i >= 2 && (isLetter(s[i-2]) || isDigit(s[i-2])) {
		return false
	}
	k := i
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	return k-i >= cardMinDigits && k-i <= cardMaxDigits && k < len(s) && s[k] == '^'
}

// number reads the run at s[i], records the matches in it and returns where scanning resumes.
func (sc *scanner) number(s []byte, i int, floor *int) int {
	sc.mixedTried = 0
	if s[i] != '+' && s[i] != '(' { // fast path: a lone group too short to be anything
		k := i
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k-i < minBareDigits && (k == len(s) || !runJoin[s[k]] && s[k] != '(' && (s[k] != '\t' || callPrefix(s[i:k]) == 0)) &&
			!sc.labelledShort(s, i, k-i, *floor) && (k-i != 8 || !sc.ssnWithoutZero(s, i, k, *floor)) {
			if sepThenDigit(s, k) {
				before, f0 := len(sc.matches), *floor
				end := sc.loose(s, i, k, k, floor)
				sc.beforeLoose(s, i, f0, before)
				return end
			}
			return k
		}
	}
	before := len(sc.matches)
	end, plus := sc.parseRun(s, i)
	sc.signed = plus && signApart(s, i, *floor)
	gs := sc.groups
	if len(gs) == 0 {
		return i + 1
	}
	lo, hi := 0, len(gs)
	// A byte right before the run that ends a match is replaced with it: the run starts there
	// ("a@b.com4111111111111111").
	if partOfWord(s, i, *floor) {
		lo = nextWord(gs, 0)
	}
	// A phone number's extension ("x4587", " ext. 12", ";ext=12") after the run's last word
	// belongs to a phone number ending there; the last word is then a phone number's or
	// nothing's, as it would be with a letter right after it.
	ext := extension(s, end)
	phoneOnly := len(gs)
	addrEnd := -1 // the end of an address whose local part is the last word of a value
	if rightBad(s, end) && !atNoAddress(s, end, *floor) {
		hi = lastWord(gs)
		if ext > 0 && !rightBad(s, ext) {
			phoneOnly, hi = hi, len(gs)
		}
		// A value whose last word starts an address's local part ("4111 1111 1111 1111@x.org",
		// "… 1111xA AT x DOT org") is masked with the address: given to the address alone,
		// the last word left the rest of the card (or phone number, or SSN) in clear.
		if hi > lo && hi < len(gs) {
			if e, ok := addressAt(s, gs[hi].ds); ok && sc.valueThroughLastWord(s, i, lo, plus, *floor) {
				addrEnd, hi, phoneOnly = e, len(gs), len(gs)
			}
		}
	} else if w := lastWord(gs); w > 0 && localPartAt(s, gs[w].ds) {
		hi = w // "... 0!@x.org": the last word starts an address, and goes with its redaction
		// Unless a value ends with it ("4111 1111 1111 1111 [at] x.org"), as above.
		if w > lo && sc.valueThroughLastWord(s, i, lo, plus, *floor) {
			addrEnd, _ = addressAt(s, gs[w].ds)
			hi, phoneOnly = len(gs), len(gs)
		}
	}
	// A number after '$', '@' or a currency's code is an amount or a version, unless its first
	// word is a card ("$4111111111111111", "pay@4111…", "USD4111…"): no amount or version has
	// a card's length and check digit.
	amount := lo > 0 && (s[i-1] == '$' || s[i-1] == '@' || currencyCode(s, i)) && sc.enabled[detCard]
	if amount {
		if e, ok := sc.firstCard(hi, phoneOnly, floor); ok {
			lo, amount = e, false
		}
	}
	// A run that goes on with another separator ("415 555 - 0132") may be one value with
	// its separators mixed: read so, it is taken whole before its first groups are read
	// alone (under a label, "415 555" is a short national number and "0132" was left).
	if lo == 0 && !plus && len(gs) >= 2 && gs[0].ts == i && !gs[0].paren && sepThenDigit(s, end) {
		if r, ok := sc.mixedRun(s, i, floor); ok {
			return r
		}
		sc.mixedTried, sc.mixedFloor = i+1, *floor // the loose reading need not ask again
	}
	floor0, judged := *floor, len(sc.matches) // before the words [lo, hi)
	first := sc.words(s, i, lo, hi, phoneOnly, ext, plus, floor, &end)
	if m := len(sc.matches) - 1; addrEnd > 0 && m >= judged && sc.matches[m].end == gs[len(gs)-1].te {
		sc.matches[m].end, *floor = addrEnd, addrEnd
		end = max(end, addrEnd) // scanning resumes after the address, which the match took
	}
	// Once the run's first match is masked, the words before it are a run of their own, and
	// masking the output again judges them so ("call 00000 0100000.0000"): they are judged
	// so now, and what they hold is masked with the rest. The first word after a '$' is
	// judged as a card again, up to that match ("$4111 1111 1111 1111 4111 …").
	if first > lo {
		later := slices.Clone(sc.matches[judged:])
		sc.matches = sc.matches[:judged]
		sc.groups = gs[:first]
		f, from := floor0, lo
		if amount {
			if e, ok := sc.firstCard(first, first, &f); ok {
				from = max(lo, e)
			}
		}
		sc.words(s, i, from, first, first, 0, plus, &f, nil)
		// As words they hold nothing: they are read loosely up to the match, as masking the
		// output again reads them once the match is its redaction ("30 20 20 31 30 30 31
		// 01000000 00X00000": fourteen digits in pairs before a phone number).
		sc.groups = gs[:first]
		if lim := later[0].start; len(sc.matches) == before && lo == 0 && !plus && gs[0].ts == i && !gs[0].paren && sc.mayBeLoose(s[:lim], gs[0].de) {
			sc.loose(s[:lim], i, gs[0].de, lim, &f)
		}
		sc.groups = gs
		sc.matches = append(sc.matches, later...)
	}
	// After a '+' the run is read loosely from its first digit: looseInternational takes the
	// sign with the number ("+44 - 20 - 7946 - 0958").
	if start := gs[0].ts; len(sc.matches) == before && (start == i || plus && start == i+1) && !gs[0].paren && sc.mayBeLoose(s, gs[0].de) {
		f0 := *floor
		end = sc.loose(s, start, gs[0].de, end, floor)
		if !plus {
			sc.beforeLoose(s, i, f0, before)
		}
		return end
	}
	// The words after the run's last match are a run of their own once it is masked, and
	// masking the output again reads them loosely ("010000 0000 37828224 6310005"): they are
	// read so now, a last word that other punctuation joins on to more digits too
	// ("… 37828224!6310005", found by FuzzStream).
	if len(sc.matches) > before {
		last := sc.matches[len(sc.matches)-1].end
		r := 0
		for r < len(gs) && gs[r].ds < last {
			r++
		}
		if r > 0 && (r < len(gs)-1 || r == len(gs)-1 && sepThenDigit(s, gs[r].de)) && gs[r].sep == ' ' && !gs[r].paren {
			sc.groups = gs[r:]
			if sc.mayBeLoose(s, gs[r].de) {
				end = max(end, sc.loose(s, gs[r].ds, gs[r].de, end, floor))
			}
			sc.groups = gs
		}
	}
	return end
}

// beforeLoose reads again, as a text of their own, the digits right before a value the loose
// reading found at s[i] (the matches from index before on), when a separator alone stands
// between them: read with it, they were one more group of its run ("5955\n55555555\n44444
// 11111111" with two spaces: the last line's first group went with the lines before), and
// once the value is masked they are a run that ends there, as masking the output again
// reads them (found by FuzzDecoders). floor is where the scan stood before the value.
func (sc *scanner) beforeLoose(s []byte, i, floor, before int) {
	if len(sc.matches) == before || sc.matches[before].start != i {
		return
	}
	j := i
	for j > floor && looseSep[s[j-1]] {
		j--
	}
	if j == i || j == floor || !isDigit(s[j-1]) {
		return
	}
	start := j
	for start > floor && (isDigit(s[start-1]) || looseSep[s[start-1]]) {
		start--
	}
	later := slices.Clone(sc.matches[before:])
	sc.matches = sc.matches[:before]
	sub, f := s[:j], floor
	for k := start; k < j; {
		if isDigit(sub[k]) {
			k = max(k+1, sc.number(sub, k, &f))
		} else {
			k++
		}
	}
	sc.matches = append(sc.matches, later...)
}

// firstCard records a card the run's words [0, hi) start with that ends by word upto, moves
// floor past it and returns its end word.
func (sc *scanner) firstCard(hi, upto int, floor *int) (int, bool) {
	gs := sc.groups
	e, ok := sc.card(0, hi, *floor)
	if !ok || e > upto {
		return 0, false
	}
	sc.matches = append(sc.matches, match{gs[0].ts, gs[e-1].te, detCard})
	*floor = gs[e-1].te
	return e, true
}

// words tries the detectors on the words [lo, hi) of the run at s[i] (sc.groups), records
// the matches and returns the word the first one starts at (-1 for none). A phone number
// that ends the run takes the extension ending at ext, and end moves to it.
func (sc *scanner) words(s []byte, i, lo, hi, phoneOnly, ext int, plus bool, floor *int, end *int) int {
	gs, first := sc.groups, -1
	for w := lo; w < hi; {
		sc.skip = 0
		if e, det, ok := sc.matchAt(s, w, hi, plus && w == 0, *floor); ok && (e <= phoneOnly || det == detPhone) {
			start := gs[w].ts
			if w == 0 && plus {
				start = i
			}
			stop := gs[e-1].te
			if e == len(gs) && det == detPhone && ext > 0 {
				stop, *end = ext, ext
			}
			sc.matches = append(sc.matches, match{start, stop, det})
			*floor = stop
			if first < 0 {
				first = w
			}
			w = e
			continue
		}
		if sc.skip > w {
			w = sc.skip
			continue
		}
		w = nextWord(gs, w)
	}
	return first
}

// extension returns the end of a phone extension written at s[i], right after a number run:
// 'x' and one to six digits ("x4587"), or an optional space, "ext" (any case, optionally
// with '.' and a space) and the digits ("ext. 12"), or ";ext=" and the digits (RFC 3966); 0
// when there is none. "x 2" (a product) is not one.
func extension(s []byte, i int) int {
	j := i
	switch {
	case j+5 < len(s) && s[j] == ';' && string(s[j+1:j+5]) == "ext=":
		j += 5
	default:
		if j < len(s) && s[j] == ' ' {
			j++
		}
		switch {
		case j+3 <= len(s) && lower(s[j]) == 'e' && lower(s[j+1]) == 'x' && lower(s[j+2]) == 't':
			j += 3
			if j < len(s) && s[j] == '.' {
				j++
			}
			if j < len(s) && s[j] == ' ' {
				j++
			}
		case j < len(s) && lower(s[j]) == 'x':
			j++
		default:
			return 0
		}
	}
	k := j
	for k < len(s) && k-j < 7 && isDigit(s[k]) {
		k++
	}
	if k == j || k-j > 6 || (k < len(s) && (isLetter(s[k]) || s[k] == '_')) {
		return 0
	}
	return k
}

// ssnWithoutZero reports whether the eight digits s[i:k] are an SSN that lost its leading
// zero (spreadsheets and integer columns drop it) under an SSN label.
func (sc *scanner) ssnWithoutZero(s []byte, i, k, floor int) bool {
	if k-i != 8 || !sc.enabled[detSSN] || s[i] == '0' || (k < len(s) && isDigit(s[k])) {
		return false
	}
	var d [9]byte
	d[0] = '0'
	copy(d[1:], s[i:k])
	return isSSN(d[:]) && sc.labels(s, i, floor)&labelSSN != 0
}

// labelledShort reports whether a lone group of n digits at s[i], too short for a bare
// number, may be a national number after a phone label (see labelledNational): a phone key,
// or a label word before it on the line, with a space right before the digits as labels are
// written ("call 8999", "tel: 20123"). It is asked of every short number, so it looks back
// only in that case.
func (sc *scanner) labelledShort(s []byte, i, n, floor int) bool {
	if n < minLabelledPhone || !sc.enabled[detPhone] {
		return false
	}
	if sc.keyLabels()&labelPhone != 0 {
		return true
	}
	return i > 0 && s[i-1] == ' ' && sc.labels(s, i, floor)&labelPhone != 0
}

// nextWord returns the index of the first group of the word after the one starting at w.
func nextWord(gs []group, w int) int {
	for w++; w < len(gs) && gs[w].sep != ' '; w++ {
	}
	return w
}

// lastWord returns the index of the first group of the run's last word.
func lastWord(gs []group) int {
	w := len(gs) - 1
	for w > 0 && gs[w].sep != ' ' {
		w--
	}
	return w
}

// wordEnd reports whether a word ends after group e-1 (e is a word boundary below hi).
func wordEnd(gs []group, e, hi int) bool {
	return e == hi || (e < hi && gs[e].sep == ' ')
}

// matchAt tries the detectors on the words starting at group w (and ending at or before hi).
// It returns the end group of the match.
func (sc *scanner) matchAt(s []byte, w, hi int, plus bool, floor int) (int, detector, bool) {
	if plus {
		if sc.enabled[detPhone] {
			if e, ok := sc.e164(w, hi); ok {
				return e, detPhone, true
			}
		}
		// No phone number: a sign before an SSN does not hide it ("+078-05-1123"), unless the
		// '+' joins it to a word (a form-encoded space, "q=ssn+078-05-1120", which the layers
		// read).
		if sc.enabled[detSSN] && sc.signed {
			if e, ok := sc.ssn(s, w, hi, floor); ok {
				return e, detSSN, true
			}
		}
		// No phone number: a sign before a card number does not hide it ("+4111…"), unless
		// the '+' joins it to a word (a form-encoded space, "q=card+4111…", which the
		// layers read).
		if sc.enabled[detCard] && sc.signed {
			if e, ok := sc.card(w, hi, floor); ok {
				return e, detCard, true
			}
		}
		return 0, 0, false
	}
	if sc.enabled[detIP] {
		if e, ok := sc.ipv4(w, hi); ok {
			return e, detIP, true
		}
	}
	if sc.enabled[detSSN] {
		if e, ok := sc.ssn(s, w, hi, floor); ok {
			return e, detSSN, true
		}
	}
	if sc.enabled[detCard] {
		if e, ok := sc.card(w, hi, floor); ok {
			return e, detCard, true
		}
	}
	if sc.enabled[detPhone] {
		if e, ok := sc.phone(s, w, hi, floor); ok {
			return e, detPhone, true
		}
	}
	return 0, 0, false
}

// collect copies the digits of groups [w, e) into sc.digits and returns them, or false when
// there are more digits than any detector accepts.
func (sc *scanner) collect(s []byte, w, e int) ([]byte, bool) {
	d := sc.digits[:0]
	for _, g := range sc.groups[w:e] {
		if len(d)+g.len() > len(sc.digits) {
			return nil, false
		}
		d = append(d, s[g.ds:g.de]...)
	}
	return d, true
}

// labels returns the label bits that apply to a bare number starting at s[start]: those of the
// JSON key, and those of the words in the labelWindow bytes before it on the same line (never
// before floor or across a ']', so a redaction such as "[SSN]" is no label). A number that
// starts its line also takes the labels of a line before it that ends in ':' ("Phone:" above
// the number, as forms and contact cards lay it out).
func (sc *scanner) labels(s []byte, start, floor int) uint8 {
	bits := sc.keyLabels()
	from := labelFrom(s, start, floor)
	if from > floor && s[from-1] == '\n' && blank(s[from:start]) {
		bits |= labelLine(s, from-1, floor)
	}
	return bits | labelsIn(s[from:start])
}

// labelFrom is where the label window before s[end] starts: labelWindow bytes back, never
// before floor, nor before the line's start or a ']'.
func labelFrom(s []byte, end, floor int) int {
	if end <= floor {
		return end // nothing of this reading stands before end
	}
	from := max(end-labelWindow, floor)
	for k := end - 1; k >= from; k-- {
		if s[k] == ']' || s[k] == '\n' {
			return k + 1
		}
	}
	return from
}

// labelLine returns the labels of the line ending at s[end] (a '\n') when it ends in ':'.
func labelLine(s []byte, end, floor int) uint8 {
	e := end
	for e > floor && (s[e-1] == ' ' || s[e-1] == '\t' || s[e-1] == '\r') {
		e--
	}
	if e == floor || s[e-1] != ':' {
		return 0
	}
	return labelsIn(s[labelFrom(s, e, floor):e])
}

// blank reports whether b holds only spaces and tabs.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// ssn matches "AAA-GG-SSSS" or "AAA.GG.SSSS" as one word, and "AAA GG SSSS" as a run of its
// own; with an SSN label nearby also nine bare digits, or nine digits in groups joined by
// '-', '.' or a space in any mix (splitSSN).
func (sc *scanner) ssn(s []byte, w, hi, floor int) (int, bool) {
	gs := sc.groups
	g := gs[w]
	if g.paren {
		return sc.splitSSN(s, w, hi, floor)
	}
	if g.len() == 3 && w+3 <= hi && wordEnd(gs, w+3, hi) &&
		(gs[w+1].sep == '-' || gs[w+1].sep == '.' || gs[w+1].sep == ' ' && w == 0 && sc.spacedAlone(s, w+3, hi)) &&
		gs[w+2].sep == gs[w+1].sep && !gs[w+1].paren && !gs[w+2].paren &&
		gs[w+1].len() == 2 && gs[w+2].len() == 4 {
		d, _ := sc.collect(s, w, w+3)
		if isSSN(d) && (gs[w+1].sep != ' ' || !sc.phoneRather(s, w, hi, floor)) {
			return w + 3, true
		}
	}
	if e, ok := sc.splitSSN(s, w, hi, floor); ok {
		return e, true
	}
	switch {
	case g.len() == 9 && wordEnd(gs, w+1, hi):
		if isSSN(s[g.ds:g.de]) && sc.labels(s, g.ts, floor)&labelSSN != 0 {
			return w + 1, true
		}
	case g.len() == 8 && wordEnd(gs, w+1, hi):
		if sc.ssnWithoutZero(s, g.ds, g.de, floor) {
			return w + 1, true
		}
	case g.len() == 3 && w+3 <= hi && wordEnd(gs, w+1, hi) && wordEnd(gs, w+2, hi) && wordEnd(gs, w+3, hi) &&
		!gs[w+1].paren && !gs[w+2].paren && gs[w+1].len() == 2 && gs[w+2].len() == 4:
		d, _ := sc.collect(s, w, w+3)
		if isSSN(d) && sc.labels(s, g.ts, floor)&labelSSN != 0 {
			return w + 3, true
		}
	}
	return 0, false
}

// spacedAlone reports whether spaced 3-2-4 digits ending at group e (of words up to hi) are
// their run's last: nothing follows them, or what follows starts an address's local part,
// which goes with its redaction ("001 01 0001 00@0.AA", found by FuzzStream).
func (sc *scanner) spacedAlone(s []byte, e, hi int) bool {
	return e == len(sc.groups) || e == hi && localPartAt(s, sc.groups[e].ds)
}

// phoneRather reports whether spaced 3-2-4 digits at group w read as a phone number rather
// than an SSN: they are a national number in some plans ("372 12 3456" in Tajikistan), so
// under a phone label, or as a number of a region the engine was given, they are one.
func (sc *scanner) phoneRather(s []byte, w, hi, floor int) bool {
	if sc.labels(s, sc.groups[w].ts, floor)&(labelPhone|labelWeakPhone) != 0 {
		return true
	}
	if len(sc.regions) == 0 {
		return false
	}
	_, ok := sc.regional(s, w, hi)
	return ok
}

// splitSSN matches, under an SSN label, nine digits that are an SSN in groups joined by '-',
// '.' or a space in any mix ("078-051123", "07805 1123", "078-05 1123", "0 7 8 0 5 1 1 2 3"):
// the label says what the number is, whatever its grouping.
func (sc *scanner) splitSSN(s []byte, w, hi, floor int) (int, bool) {
	gs := sc.groups
	n := 0
	for e := w; e < hi; e++ {
		if gs[e].paren && e > w || e > w && gs[e].sep == 0 && !gs[e-1].paren {
			return 0, false // "(078) 05-1123": the area in parentheses, as a phone's
		}
		if n += gs[e].len(); n >= 9 {
			if n > 9 || e == w || !wordEnd(gs, e+1, hi) {
				return 0, false
			}
			d, _ := sc.collect(s, w, e+1)
			return e + 1, isSSN(d) && sc.labels(s, gs[w].ts, floor)&labelSSN != 0
		}
	}
	return 0, false
}

// card matches 12-19 digits with a known IIN and a valid Luhn digit (one bare group: any IIN
// after the word "card"): bare, one word of groups
// joined by '-', or single-group words joined by spaces. Separated groups have 3-9 digits, the
// first 4-6, as printed cards do (19 digits are printed 4-4-4-7, 4-6-9 and 4-4-4-4-3). Of a
// run of spaced groups the whole run is taken, or a prefix of it followed only by an expiry
// date ("4111 1111 1111 1111 12 29", "... 1229"). A run of card-shaped groups that is not a
// card is skipped whole (sc.skip), so no shorter number inside it is taken for a card or a
// phone: a mistyped card number is left alone, not masked in part.
func (sc *scanner) card(w, hi, floor int) (int, bool) {
	gs := sc.groups
	g := gs[w]
	if g.paren || g.len() > cardMaxDigits {
		return 0, false
	}
	e := nextWord(gs, w)
	if e > hi {
		return 0, false
	}
	s := sc.src
	if e-w > 1 { // one word of groups joined by dashes (or dots, as some print them), used whole
		return sc.joinedCard(w, e, floor)
	}
	if g.len() >= cardMinDigits {
		d := s[g.ds:g.de]
		// After the word "card", a Luhn-valid number of a card's length is one whatever its
		// IIN: an issuer's range this table lacks, or a test generator's.
		return e, isCard(d) || (luhn(d) && sc.labels(s, g.ts, floor)&labelCard != 0)
	}
	if g.len() > 9 {
		return 0, false
	}
	// Space-separated single-group words.
	last, total := w, 0
	for k := w; k < hi && total <= cardMaxDigits+6; k++ {
		x := gs[k]
		if x.paren || (k > w && (x.sep != ' ' || x.len() > 9)) || !wordEnd(gs, k+1, hi) {
			break
		}
		total += x.len()
		last = k + 1
	}
	if g.len() >= 4 && g.len() <= 6 {
		if e, ok := sc.spacedCard(w, last); ok {
			return e, true
		}
		if last-w >= 3 && total >= cardMinDigits && total <= cardMaxDigits {
			sc.skip = last
		}
	}
	// Under a card label, any split of a card's digits ("card 4111 1111 1111 111 1").
	if last-w >= 2 && total >= cardMinDigits && sc.labels(s, g.ts, floor)&labelCard != 0 {
		return last, sc.luhnWhole(w, last)
	}
	return 0, false
}

// spacedCard returns the end of the longest card the space-separated words [w, last) of the
// run start with: all of them, or the words up to an expiry date that ends them, or a card
// in a card's printed groups whatever follows it ("4111 1111 1111 1111 123", its security
// code after it).
func (sc *scanner) spacedCard(w, last int) (int, bool) {
	gs, s := sc.groups, sc.src
	for e := last; e > w+1; e-- {
		if gs[e-1].len() < 3 && !fours(gs[w:e-1]) || e < last && !expiry(s, gs[e:last], gs[w].ds, gs[e-1].de) && !printedCard(gs[w:e]) {
			continue
		}
		if d, ok := sc.collect(s, w, e); ok && len(d) >= cardMinDigits && isCard(d) {
			return e, true
		}
	}
	return 0, false
}

// luhnWhole reports whether the groups [w, e), split any way, are a Luhn-valid number of a
// card's length: a card under a card label, whatever its IIN. Under the label a run is
// judged whole, never its first groups ("card no. 6479 0577 3998 9370" is a 16-digit number
// with a wrong check digit, not a 12-digit one and more).
func (sc *scanner) luhnWhole(w, e int) bool {
	d, ok := sc.collect(sc.src, w, e)
	return ok && len(d) >= cardMinDigits && len(d) <= cardMaxDigits && luhn(d)
}

// joinedCard judges the groups [w, e) of one word joined by dashes (or dots, as some print
// them): a card whole, or a card in a card's printed groups that the word goes on after
// ("4111-1111-1111-1111-123"), or under a card label the word whole split any way.
func (sc *scanner) joinedCard(w, e, floor int) (int, bool) {
	gs, s := sc.groups, sc.src
	g := gs[w]
	sep := gs[w+1].sep
	if sep != '-' && sep != '.' {
		return 0, false
	}
	printed, total := g.len() >= 4 && g.len() <= 6, g.len()
	for k, x := range gs[w+1 : e] {
		if x.sep != sep || x.paren || x.len() > 9 {
			return 0, false
		}
		printed = printed && (x.len() >= 3 || w+1+k == e-1 && fours(gs[w:e-1]))
		total += x.len()
	}
	if total < cardMinDigits {
		return 0, false // a date, a version, a phone number: fewer digits than any card
	}
	if d, ok := sc.collect(s, w, e); printed && ok && isCard(d) {
		return e, true
	}
	for p := e - 1; p > w+2; p-- {
		if d, ok := sc.collect(s, w, p); printedCard(gs[w:p]) && ok && isCard(d) {
			return p, true
		}
	}
	if g.len() <= 9 && total <= cardMaxDigits && sc.labels(s, g.ts, floor)&labelCard != 0 {
		return e, sc.luhnWhole(w, e) // under a card label, all its groups split any way
	}
	return 0, false
}

// printedCard reports whether gs are a card's printed groups that more digits may follow:
// four or more of four digits, maybe with a shorter one last, or Amex's 4-6-5 and Diners
// Club's 4-6-4. Three groups of four, a 12-digit Maestro number, are as often the start of a
// longer run of fours ("1234 5678 9012 3456 7890"), and are a card only whole.
func printedCard(gs []group) bool {
	if len(gs) >= 4 && fours(gs) || len(gs) >= 5 && fours(gs[:len(gs)-1]) && gs[len(gs)-1].len() < 4 {
		return true
	}
	return len(gs) == 3 && gs[0].len() == 4 && gs[1].len() == 6 && (gs[2].len() == 5 || gs[2].len() == 4)
}

// valueThroughLastWord reports whether the words of the run at s[i] (sc.groups) from lo hold
// a value that ends with the run's last word, and leaves the matches as they were.
func (sc *scanner) valueThroughLastWord(s []byte, i, lo int, plus bool, floor int) bool {
	gs, before := sc.groups, len(sc.matches)
	sc.words(s, i, lo, len(gs), len(gs), 0, plus, &floor, nil)
	ok := len(sc.matches) > before && sc.matches[len(sc.matches)-1].end == gs[len(gs)-1].te
	sc.matches, sc.skip = sc.matches[:before], 0
	return ok
}

// fours reports whether gs are at least three groups of four digits, after which a card
// number may end in a short group ("6203 2493 6286 12" is a 14-digit UnionPay number).
func fours(gs []group) bool {
	if len(gs) < 3 {
		return false
	}
	for _, g := range gs {
		if g.len() != 4 {
			return false
		}
	}
	return true
}

// expiry reports whether the groups are an expiry date written after a card number of the
// digits s[from:to]: "MM YY", "MM YYYY" or "MM/YY", or "MMYY" after a number of more than twelve digits
// (twelve digits and four more are one sixteen-digit number, not a Maestro number and a date).
func expiry(s []byte, gs []group, from, to int) bool {
	month := func(g group) bool { m := prefix(s[g.ds:], 2); return m >= 1 && m <= 12 }
	switch len(gs) {
	case 1: // "MMYY", or "MM" of "MM/YY"
		return (gs[0].len() == 4 && to-from > 12+3*2 || gs[0].len() == 2 && gs[0].te < len(s) && s[gs[0].te] == '/') && month(gs[0])
	case 2:
		return gs[0].len() == 2 && month(gs[0]) && (gs[1].len() == 2 || gs[1].len() == 4)
	}
	return false
}

// e164 matches an international number: '+', a country code not starting with 0, 8-15 digits
// in all, grouped freely. Numbers with country code 1 must be NANP numbers of exactly 11
// digits. Of several word-aligned lengths the longest that fits is taken.
func (sc *scanner) e164(w, hi int) (int, bool) {
	gs, s := sc.groups, sc.src
	if s[gs[w].ds] == '0' {
		return 0, false
	}
	return sc.international(w, hi, 0)
}

// international matches the digits of groups from w on, after skip leading digits (an
// international call prefix "00"), as an E.164 number (see e164): a country calling code and
// a national number of a length its plan uses (countryLengths). The trunk prefix some write
// in parentheses after the country code ("+41 (0)96 471 07 95") is not part of the number.
// A dotted run needs at least three groups, so "+37.774929" (a latitude) is no number; an
// ungrouped run of fewer than nine digits must be of the longest length its plan uses, so
// "+49301234" (a score) is none while "+2908999" (Saint Helena) is one. After
// '+1' any ten digits with a valid area code are taken: the '+' says it is a phone number,
// whatever the exchange.
func (sc *scanner) international(w, hi, skip int) (int, bool) {
	gs, s := sc.groups, sc.src
	best, total, dots := 0, -skip, false
	var buf [e164MaxDigits + 4]byte
	d := buf[:0]
	for k := w; k < hi; k++ {
		g := gs[k]
		dots = dots || g.sep == '.'
		if g.paren && g.len() == 1 && s[g.ds] == '0' && (k == w+1 || k == w+2 && skip == gs[w].len()) {
			continue // "(0)" after the country code, with the call prefix apart or not
		}
		total += g.len()
		if total > e164MaxDigits {
			break
		}
		d = append(d, s[g.ds:g.de]...)
		if !wordEnd(gs, k+1, hi) || total < e164MinDigits || (k == w && skip > 0) || (dots && k-w < 2) {
			continue
		}
		n := d[skip:]
		if n[0] == '1' {
			if dialled(n, skip == 0) {
				return k + 1, true
			}
			continue
		}
		if dialled(n, skip == 0) && (k > w || len(n) >= 9 || longestInternational(n)) {
			best = k + 1
		}
	}
	return best, best > 0
}

// dialled reports whether n, the digits after '+' (signed) or a call prefix, are an
// international number: country code 1 and a NANP number of ten digits (after '+' any
// exchange, the '+' saying it is a phone number), or a number of a length its country
// calling code's plan uses. After a call prefix, which many numbers start with ("0040 0440
// 1162 4" in an account number), the national number must also be one of a region of the
// code (planned).
func dialled(n []byte, signed bool) bool {
	if len(n) > 0 && n[0] == '1' {
		return len(n) == 11 && n[1] >= '2' && (signed || isNANP(n[1:]))
	}
	return validInternational(n) && (signed || planned(n))
}

// callPrefix returns how many of the digits d, a run's first group, are an international
// call prefix, the '+' of a number dialled: "00" alone or before a country code ("0044"),
// or the NANP's "011" and Australia's "0011" alone; 0 for none.
func callPrefix(d []byte) int {
	switch {
	case string(d) == "011":
		return 3
	case string(d) == "0011":
		return 4
	case len(d) >= 2 && len(d) <= 5 && d[0] == '0' && d[1] == '0' && (len(d) == 2 || d[2] != '0'):
		return 2
	}
	return 0
}

// phone matches national formats: NANP numbers written "(415) 555-0132", "415-555-0132",
// "415.555.0132", "415 555 0132", optionally after a "1" country code; numbers with a trunk
// prefix 0 in two to five groups of 10-11 digits ("020 7946 0958", "01 23 45 67 89");
// international numbers after the call prefix 00 ("0044 20 7946 0958"); and,
// with a phone label nearby, 10 bare NANP digits (11 with a leading 1).
func (sc *scanner) phone(s []byte, w, hi, floor int) (int, bool) {
	if e, ok := sc.nanp(w, hi); ok {
		return e, true
	}
	if e, ok := sc.trunk(w, hi); ok {
		return e, true
	}
	gs := sc.groups
	g := gs[w]
	if !g.paren && wordEnd(gs, w+1, hi) {
		d := s[g.ds:g.de]
		if (len(d) == 10 && isNANP(d)) || (len(d) == 11 && d[0] == '1' && isNANP(d[1:])) {
			return w + 1, sc.labels(s, g.ts, floor)&(labelPhone|labelWeakPhone) != 0
		}
	}
	e, ok := sc.labelledNational(s, w, hi, floor)
	if ok || len(sc.regions) == 0 {
		return e, ok
	}
	if e, ok := sc.regional(s, w, hi); ok {
		sc.skip = 0
		return e, true
	}
	return 0, false
}

// regional matches, with no label, a national number of a region the engine was given
// (WithPhoneRegions): a whole number run of two to six groups, 6 to 14 digits in all, that is
// a valid number of one of the plans, or of one group of 9 to 14 digits that is one written
// with its plan's national prefix ("0612345678"; with no prefix, one group is as often an id).
// A run that holds no one else's number is judged: not
// after '/' or '#'; one one-digit group at most, and not the last ("978-0-306-40615-7" is an
// ISBN); dotted in three groups or more, not
// thousands ("12.500.000"); not a date, a US ZIP+4 code ("94103-1234") nor two years ("2024
// 2025"). A NANP-shaped
// run nanp refused is taken when a plan of the engine's regions says it is one.
func (sc *scanner) regional(s []byte, w, hi int) (int, bool) {
	gs := sc.groups
	if gs[w].ts > 0 && (s[gs[w].ts-1] == '/' || s[gs[w].ts-1] == '#') {
		return 0, false
	}
	if w == 0 && hi == len(gs) && hi-w >= 2 && hi-w <= 6 {
		if e, ok := sc.regionalRun(s, w, hi); ok {
			return e, true
		}
	}
	// One group, a word of its own, is taken only with the plan's national prefix
	// ("0612345678"), also beside others ("0612345678 0612345678", which is no one number).
	if g := gs[w]; !g.paren && (w == 0 || g.sep == ' ') && wordEnd(gs, w+1, hi) && g.len() <= 14 &&
		prefixedOf(sc.regions, s[g.ds:g.de]) {
		return w + 1, true
	}
	return 0, false
}

// regionalRun is regional's reading of a whole run of two to six groups as one number.
func (sc *scanner) regionalRun(s []byte, w, hi int) (int, bool) {
	gs := sc.groups
	var buf [14]byte // 13 digits and a national prefix
	d := buf[:0]
	dots, thousands, singles := false, true, 0
	for k := w; k < hi; k++ {
		g := gs[k]
		if len(d)+g.len() > len(buf) || (k > w && g.len() == 1 && (k == hi-1 || singles > 0)) {
			return 0, false
		}
		if g.len() == 1 {
			singles++
		}
		d = append(d, s[g.ds:g.de]...)
		dots = dots || g.sep == '.'
		thousands = thousands && (k == w || g.len() == 3)
	}
	two := hi-w == 2
	if len(d) < 6 || (dots && (hi-w < 3 || thousands)) || dateShaped(gs[w:hi]) ||
		(two && gs[w].len() == 5 && gs[w+1].len() == 4 && gs[w+1].sep == '-') ||
		(two && yearShaped(s[gs[w].ds:gs[w].de]) && yearShaped(s[gs[w+1].ds:gs[w+1].de])) {
		return 0, false
	}
	return hi, nationalOf(sc.regions, d)
}

// labelledNational matches, after a phone label ("phone:", "tel", "call", a phoneNumber
// key), a national number in the form of its own plan: 4 to 13 digits (14 after a trunk
// prefix 0) in one to six groups at the start of a number run, the longest such run of whole
// words, that is neither a date ("2024-01-15", "15.01.2024"),
// a version (dots and a one-digit group) nor NANP-shaped (nanp judges those) nor after a
// '/' or '#'. libphonenumber's metadata has
// national numbers of four to six digits in the plans of small territories ("8999", "20 123",
// "712 345"); such a short run is taken only as a whole number run (never the end or the
// start of a longer one: "0800 1234567890", "3 81234"), in groups of two or more digits
// joined by spaces or '-', of five digits or more unless it is one group of four that is
// not a year, so "12.50", "10-20" and "2024" stay. A NANP-shaped run nanp refused is skipped whole: no
// shorter number inside it is taken ("call 800 123 4567" is not masked as "800 [PHONE]").
func (sc *scanner) labelledNational(s []byte, w, hi, floor int) (int, bool) {
	gs := sc.groups
	if w > 0 {
		return 0, false // a national number starts its run, right after its label
	}
	longest := 13
	if s[gs[w].ds] == '0' {
		longest = 14 // and a trunk prefix
	}
	best, digits, total, short, dots, single := 0, 0, 0, true, false, false
	for k := w; k < hi && k < w+6; k++ {
		g := gs[k]
		total += g.len()
		if total > longest {
			break
		}
		short = short && g.len() >= 2 && !g.paren && (k == w || g.sep == ' ' || g.sep == '-')
		dots, single = dots || g.sep == '.', single || g.len() == 1
		if dots && single {
			break // a version ("10.0.19041.1"); dotted numbers are written in pairs or more
		}
		if !wordEnd(gs, k+1, hi) || dateShaped(gs[w:k+1]) {
			continue
		}
		if total >= 7 || (short && k+1 == len(gs) && (total >= 5 || (k == w && !yearShaped(s[g.ds:g.de])))) && total >= minLabelledPhone {
			best, digits = k+1, total
		}
	}
	if best == 0 {
		return 0, false
	}
	if nanpShaped(s, gs[w:best]) {
		sc.skip = best
		return 0, false
	}
	label := labelPhone
	if digits >= 7 {
		label |= labelWeakPhone // "call" further back labels a number this long, not a short one
	}
	if (gs[w].ts > 0 && (s[gs[w].ts-1] == '/' || s[gs[w].ts-1] == '#')) ||
		(sc.labels(s, gs[w].ts, floor)&label == 0 && (best < hi || !phoneWordAfter(s, gs[best-1].de))) {
		return 0, false
	}
	return best, true
}

// minLabelledPhone is the fewest digits of a national number taken after a phone label.
const minLabelledPhone = 4

// yearShaped reports four digits that read as a year from 1900 to 2099.
func yearShaped(d []byte) bool {
	return len(d) == 4 && ((d[0] == '1' && d[1] == '9') || (d[0] == '2' && d[1] == '0'))
}

// nanpShaped reports whether groups are laid out as a NANP number (3-3-4, with an optional
// leading country code 1), which nanp alone judges: one it refused ("123-456-7890") stays
// refused. A leading 8 is the trunk prefix of other plans ("8 801 123 4567").
func nanpShaped(s []byte, gs []group) bool {
	if len(gs) == 4 && gs[0].len() == 1 && s[gs[0].ds] == '1' {
		gs = gs[1:]
	}
	return len(gs) == 3 && gs[0].len() == 3 && gs[1].len() == 3 && gs[2].len() == 4
}

// dateShaped reports whether groups are laid out as a calendar date: 4-2-2 or 2-2-4 digits.
func dateShaped(gs []group) bool {
	if len(gs) != 3 {
		return false
	}
	a, b, c := gs[0].len(), gs[1].len(), gs[2].len()
	return (a == 4 && b == 2 && c == 2) || (a == 2 && b == 2 && (c == 4 || c == 2) && gs[1].sep != ' ')
}

// nanp matches the written NANP forms (see phone). After "(415)" any separator may follow.
func (sc *scanner) nanp(w, hi int) (int, bool) {
	gs, s := sc.groups, sc.src
	a := w
	if !gs[w].paren && gs[w].len() == 1 && s[gs[w].ds] == '1' {
		a = w + 1 // country code 1
	}
	if a+3 > hi {
		return 0, false
	}
	ga, ge, gl := gs[a], gs[a+1], gs[a+2]
	if ga.len() != 3 || ge.len() != 3 || gl.len() != 4 || ge.paren || gl.paren || !wordEnd(gs, a+3, hi) {
		return 0, false
	}
	if !ga.paren {
		if ge.sep == 0 || (ge.sep != ' ' && gl.sep != ge.sep) {
			return 0, false
		}
		if a > w && ga.sep != ge.sep && ga.sep != ' ' {
			return 0, false
		}
	}
	var d [10]byte
	copy(d[0:3], s[ga.ds:ga.de])
	copy(d[3:6], s[ge.ds:ge.de])
	copy(d[6:10], s[gl.ds:gl.de])
	return a + 3, isNANP(d[:])
}

// trunk matches national numbers with a trunk prefix 0, and international numbers written
// with the call prefix 00 instead of '+' in two or more groups ("0044 20 7946 0958").
func (sc *scanner) trunk(w, hi int) (int, bool) {
	gs, s := sc.groups, sc.src
	g := gs[w]
	if g.len() < 2 || s[g.ds] != '0' {
		return 0, false
	}
	// A call prefix standing alone ("00", "011", "0011") is one anywhere but right after a
	// '+' ("+00 …" is no number dialled from abroad); "0044" may stand anywhere. Once what
	// is before it in its run is masked, it starts a run of its own, as a second pass reads.
	if skip := callPrefix(s[g.ds:g.de]); skip > 0 && (skip < g.len() || g.ts == 0 || s[g.ts-1] != '+') {
		if e, ok := sc.international(w, hi, skip); ok || s[g.ds+1] == '0' {
			return e, ok
		}
	} else if s[g.ds+1] == '0' {
		return 0, false // "000…", "0001 6316 34": no national number starts so
	}
	var sep byte
	best, total := 0, g.len()
	for k := w + 1; k < hi && k < w+5; k++ {
		x := gs[k]
		if x.paren || x.len() < 2 {
			break
		}
		if !(k == w+1 && g.paren) { // after "(020)" any separator may follow
			if sep == 0 {
				sep = x.sep
			}
			if x.sep != sep || sep == 0 {
				break
			}
		}
		total += x.len()
		if total > 11 {
			break
		}
		if total >= 10 && wordEnd(gs, k+1, hi) {
			best = k + 1
		}
	}
	return best, best > 0
}
