package mask

import "unicode/utf8"

// This file holds the date-of-birth detector: a calendar date is a date of birth only when a
// label says so (a JSON key such as "dob" or "birthDate", or "date of birth:" just before it),
// since every other date in a response (created_at, shipped_on) is not personal data.

// Date bounds: years outside them are not birth dates of living people.
const (
	minBirthYear = 1900
	maxBirthYear = 2100
)

// date reads a calendar date at s[i] (a digit) and returns its end: YYYY-MM-DD, YYYY/MM/DD,
// YYYY.MM.DD, DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, DD-MM-YYYY (day and month of one or two
// digits, a two-digit year after them), or YYYYMMDD. The separators must agree. A date may
// be followed by a time ("1990-04-12T00:00:00Z"), which is left in place.
func date(s []byte, i int) (int, bool) {
	a := runOf(s, i, &digitSet, 9)
	n := a - i
	if n == 8 { // YYYYMMDD
		y, m, d := prefix(s[i:], 4), prefix(s[i+4:], 2), prefix(s[i+6:], 2)
		return a, validDate(y, m, d)
	}
	if a >= len(s) || (n != 1 && n != 2 && n != 4) {
		return 0, false
	}
	sep := s[a]
	if sep != '-' && sep != '/' && sep != '.' {
		return 0, false
	}
	b := runOf(s, a+1, &digitSet, 5)
	if b-(a+1) < 1 || b-(a+1) > 2 || b >= len(s) || s[b] != sep {
		return 0, false
	}
	c := runOf(s, b+1, &digitSet, 5)
	m1, m2, last := prefix(s[i:], n), prefix(s[a+1:], b-(a+1)), c-(b+1)
	switch {
	case n == 4 && (last == 1 || last == 2): // year first
		return c, validDate(m1, m2, prefix(s[b+1:], last))
	case n <= 2 && (last == 4 || last == 2):
		y := prefix(s[b+1:], last)
		if last == 2 {
			y += 1900
		}
		// Day first or month first: either reading must be a valid date.
		return c, validDate(y, m2, m1) || validDate(y, m1, m2)
	}
	return 0, false
}

var digitSet = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	return t
}()

func validDate(y, m, d int) bool {
	if y < minBirthYear || y > maxBirthYear || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	return d <= days[m]
}

// dob reports a labelled date of birth at s[i], and where it starts: at s[i], or at the
// month's name before it ("April 12, 1990"). The date must stand as a word: no letter,
// digit or '.' before it, and after it only the end, a non-word byte or a 'T' starting a time.
func (sc *scanner) dob(s []byte, i, floor int) (int, int, bool) {
	if i > 0 && (leftBad[s[i-1]] || s[i-1] == '/') {
		return 0, 0, false
	}
	end, ok := date(s, i)
	if !ok {
		// Under its label only: a date with its month as a word, or its parts spaced.
		start, end, ok := wordDate(s, i, floor)
		if !ok || wordByte[s[end-1]] && end < len(s) && (wordByte[s[end]] || s[end] == '.' && end+1 < len(s) && isDigit(s[end+1])) {
			return 0, 0, false
		}
		return start, end, sc.labels(s, start, floor)&labelDOB != 0
	}
	if end < len(s) && (wordByte[s[end]] && !(s[end] == 'T' && end+1 < len(s) && isDigit(s[end+1])) ||
		((s[end] == '-' || s[end] == '/' || s[end] == '.') && end+1 < len(s) && isDigit(s[end+1]))) {
		return 0, 0, false
	}
	return i, end, sc.labels(s, i, floor)&labelDOB != 0
}

// monthNames are the months' names, lower case: English first, also read by its first three
// letters (and September by "Sept"), then Spanish, French, German, Portuguese, Italian and
// Dutch, read whole (with and without their accents).
var monthNames = [12][]string{
	{"january", "enero", "janvier", "januar", "j\xc3\xa4nner", "janeiro", "gennaio", "januari"},
	{"february", "febrero", "f\xc3\xa9vrier", "fevrier", "februar", "fevereiro", "febbraio", "februari"},
	{"march", "marzo", "mars", "m\xc3\xa4rz", "maerz", "mar\xc3\xa7o", "marco", "maart"},
	{"april", "abril", "avril", "aprile"},
	{"may", "mayo", "mai", "maio", "maggio", "mei"},
	{"june", "junio", "juin", "juni", "junho", "giugno"},
	{"july", "julio", "juillet", "juli", "julho", "luglio"},
	{"august", "agosto", "ao\xc3\xbbt", "aout", "augustus"},
	{"september", "septiembre", "setiembre", "septembre", "setembro", "settembre"},
	{"october", "octubre", "octobre", "oktober", "outubro", "ottobre"},
	{"november", "noviembre", "novembre", "novembro"},
	{"december", "diciembre", "d\xc3\xa9cembre", "decembre", "dezember", "dezembro", "dicembre"},
}

// monthKey is the index in monthsBy of a word starting with the bytes a, b: its first two
// letters' in lower case, the second 26 when it is no ASCII letter ("märz"); -1 when the
// first is none.
func monthKey(a, b byte) int {
	a, b = lower(a), lower(b)
	if a < 'a' || a > 'z' {
		return -1
	}
	k := 26
	if b >= 'a' && b <= 'z' {
		k = int(b - 'a')
	}
	return int(a-'a')*27 + k
}

// monthName is one name of month m (1 to 12); en marks the English one, also read by its
// first letters.
type monthName struct {
	m    int
	name string
	en   bool
}

// monthsBy lists the months' names by monthKey, so a word is compared with the few that
// start as it does.
var monthsBy = func() (t [26 * 27][]monthName) {
	for m, names := range monthNames {
		for i, n := range names {
			k := monthKey(n[0], n[1])
			t[k] = append(t[k], monthName{m + 1, n, i == 0})
		}
	}
	return t
}()

// monthAt returns the month (1 to 12) whose name or abbreviation is the word at s[i], any
// case, and the word's end (after a '.' that ends an abbreviation); 0 for none.
func monthAt(s []byte, i int) (int, int) {
	if i+3 > len(s) {
		return 0, 0
	}
	k := monthKey(s[i], s[i+1])
	if k < 0 || len(monthsBy[k]) == 0 {
		return 0, 0
	}
	e := i
	for e < len(s) && (isLetter(s[e]) || s[e] >= utf8.RuneSelf) {
		e++
	}
	w := s[i:e]
	if len(w) < 3 {
		return 0, 0
	}
	for _, c := range monthsBy[k] {
		if c.en {
			if len(w) <= len(c.name) && hasPrefixFold(w, c.name[:len(w)]) && (len(w) == 3 || len(w) == len(c.name) || c.m == 9 && len(w) == 4) {
				if len(w) < len(c.name) && e < len(s) && s[e] == '.' {
					e++
				}
				return c.m, e
			}
			continue
		}
		if len(w) == len(c.name) && hasPrefixFold(w, c.name) {
			return c.m, e
		}
	}
	return 0, 0
}

// datePart is one part of a date written in words: a number (with its ordinal suffix or a
// '.' after a day) or a month's name.
type datePart struct {
	n, digits int // the number, and how many digits it was written with (0 for a name)
	month     bool
	end       int
}

// readDatePart reads the part of a date at s[i].
func readDatePart(s []byte, i int) (datePart, bool) {
	if i >= len(s) {
		return datePart{}, false
	}
	if isLetter(s[i]) {
		m, e := monthAt(s, i)
		return datePart{n: m, month: true, end: e}, m > 0
	}
	e := runOf(s, i, &digitSet, 5)
	if n := e - i; n == 0 || n == 3 || n > 4 {
		return datePart{}, false
	}
	p := datePart{n: prefix(s[i:], e-i), digits: e - i}
	if p.digits <= 2 && e+1 < len(s) {
		for _, suf := range []string{"st", "nd", "rd", "th", "er"} { // "er": French "1er"
			if hasPrefixFold(s[e:], suf) && (e+2 == len(s) || !isLetter(s[e+2])) {
				e += 2
				break
			}
		}
	}
	p.end = e
	return p, true
}

// dateSep returns the end of the separator between two parts of a date at s[i]: a space or
// two, '-', '/' or '.' alone, or ',' or '.' and a space; i for none.
func dateSep(s []byte, i int) int {
	j := i
	switch {
	case j < len(s) && (s[j] == '-' || s[j] == '/') && j+1 < len(s) && s[j+1] != ' ':
		return j + 1
	case j < len(s) && (s[j] == ',' || s[j] == '.'):
		j++
	}
	k := j
	for k < len(s) && k-j < 2 && s[k] == ' ' {
		k++
	}
	if k == j && (j == i || s[i] == ',') {
		return i
	}
	return k
}

// dateConnectors join a date's parts in words: "12 de abril de 1990" (Spanish, Portuguese),
// "12th of April 1990", "12 di aprile 1990".
var dateConnectors = [...]string{"de", "del", "of", "di"}

// dateConnector returns the end of a connector word and the space after it at s[i]; i for
// none.
func dateConnector(s []byte, i int) int {
	for _, c := range dateConnectors {
		if hasWord(s, i, c) && i+len(c) < len(s) && s[i+len(c)] == ' ' {
			return i + len(c) + 1
		}
	}
	return i
}

// wordDate reads a date whose month is a name, or whose parts are spaced, at s[i] (a digit)
// or with the month's name before it: "April 12, 1990", "12 April 1990", "12-Apr-1990",
// "1990 April 12", "12th April 1990", "12 04 1990", "1990 04 12". It returns where it
// starts and ends. Numeric dates joined by '-', '/' or '.' are date's.
func wordDate(s []byte, i, floor int) (int, int, bool) {
	start := i
	// "April 12, 1990": a month's name and a space or two before the day.
	b := i
	for b > floor && i-b < 2 && s[b-1] == ' ' {
		b--
	}
	if b < i {
		w := b
		for w > floor && (isLetter(s[w-1]) || s[w-1] == '.') && b-w < 10 {
			w--
		}
		if w < b && (w == floor || !isLetter(s[w-1]) && !isDigit(s[w-1])) {
			if m, e := monthAt(s, w); m > 0 && e == b {
				start = w
			}
		}
	}
	var parts [3]datePart
	j := start
	spaced, joined := true, false
	for k := range parts {
		p, ok := readDatePart(s, j)
		if !ok {
			return 0, 0, false
		}
		parts[k] = p
		if k == 2 {
			break
		}
		n := dateSep(s, p.end)
		if n == p.end {
			return 0, 0, false
		}
		spaced = spaced && s[p.end] == ' '
		if c := dateConnector(s, n); c > n && s[p.end] == ' ' {
			n, joined = c, true // "12 de abril de 1990", "12th of April 1990"
		}
		j = n
	}
	var y, m, d, words int
	for _, p := range parts {
		switch {
		case p.month:
			m, words = p.n, words+1
		case p.digits == 4:
			y = p.n
		}
	}
	if words > 1 || y == 0 || joined && words == 0 {
		return 0, 0, false // a connector joins a month's name to its day or year
	}
	switch {
	case words == 1 && parts[0].month: // April 12, 1990
		d = parts[1].n
		if parts[1].digits == 4 || parts[2].digits != 4 {
			return 0, 0, false
		}
	case words == 1 && parts[1].month: // 12 April 1990, 1990-Apr-12
		d = parts[0].n
		if parts[0].digits == 4 {
			d = parts[2].n
		}
	case words == 1:
		return 0, 0, false
	case !spaced:
		return 0, 0, false // numeric with '-', '/' or '.': date's
	case parts[0].digits == 4: // 1990 04 12
		m, d = parts[1].n, parts[2].n
	case parts[2].digits == 4: // 12 04 1990, day or month first
		if !validDate(y, parts[1].n, parts[0].n) && !validDate(y, parts[0].n, parts[1].n) {
			return 0, 0, false
		}
		return start, parts[2].end, true
	default:
		return 0, 0, false
	}
	return start, parts[2].end, validDate(y, m, d)
}
