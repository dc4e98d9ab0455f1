package mask

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

// dob reports a labelled date of birth at s[i]. The date must stand as a word: no letter,
// digit or '.' before it, and after it only the end, a non-word byte or a 'T' starting a time.
func (sc *scanner) dob(s []byte, i, floor int) (int, bool) {
	if i > 0 && (leftBad[s[i-1]] || s[i-1] == '/') {
		return 0, false
	}
	end, ok := date(s, i)
	if !ok {
		return 0, false
	}
	if end < len(s) && (wordByte[s[end]] && !(s[end] == 'T' && end+1 < len(s) && isDigit(s[end+1])) ||
		((s[end] == '-' || s[end] == '/' || s[end] == '.') && end+1 < len(s) && isDigit(s[end+1]))) {
		return 0, false
	}
	return end, sc.labels(s, i, floor)&labelDOB != 0
}
