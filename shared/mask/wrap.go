package mask

import "bytes"

// This file reads a value that text wrapped at a line's width broke across a line break
// ("call 415 555\n0132", "Amex 3782 822463\n10005", a mail body or a terminal wrapping): each
// line break between digits is read once more in a window of the text around it, with the
// break and the white space around it as one space, and a value found across it is masked
// whole. The scan as written reads a run of groups only with the separator it started with.

// wrapWindow is how much of the text on either side of a line break the reading takes: a
// value's groups on one line.
const wrapWindow = 64

// wrapMatches appends to out the values found across the line breaks between digits in s
// with a group of digits on either side of them (a number alone on each line is no value's
// groups), but for a break whose digits on both sides the scan as written masked already,
// or after which a value it found starts (a log's next line starting with an address).
func (st *state) wrapMatches(s []byte, out []markupMatch) []markupMatch {
	ms, k := st.sc.matches, 0 // in order: the matches not ended before the break
	for p := bytes.IndexByte(s, '\n'); p >= 0; {
		a := p
		for a > 0 && (s[a-1] == ' ' || s[a-1] == '\t' || s[a-1] == '\r') {
			a--
		}
		b := p + 1
		for b < len(s) && (s[b] == ' ' || s[b] == '\t') {
			b++
		}
		for k < len(ms) && ms[k].end < a {
			k++
		}
		if a > 0 && isDigit(s[a-1]) && b < len(s) && isDigit(s[b]) && b-a <= maxLooseSpace && (groupBefore(s, a) || groupAfter(s, b)) &&
			!(overlaps(ms[k:], a-1, a) && overlaps(ms[k:], b, b+1)) && !startsAt(ms[k:], b) {
			out = st.unwrapAt(s, a, b, out)
		}
		next := bytes.IndexByte(s[p+1:], '\n')
		if next < 0 {
			break
		}
		p += 1 + next
	}
	return out
}

// unwrapAt scans the window around the line break s[a:b] with the break as one space and
// appends what it finds across the break, as spans of s. A value the window's edge may have
// cut is left to the scan as written.
func (st *state) unwrapAt(s []byte, a, b int, out []markupMatch) []markupMatch {
	lo, hi := max(0, a-wrapWindow), min(len(s), b+wrapWindow)
	w := append(append(append(st.wrapped[:0], s[lo:a]...), ' '), s[b:hi]...)
	st.wrapped = w
	at := a - lo // the space in w
	for _, m := range st.scanAgain(w) {
		if m.start >= at || m.end <= at+1 || m.start == 0 && lo > 0 || m.end == len(w) && hi < len(s) {
			continue
		}
		out = append(out, markupMatch{lo + m.start, b + m.end - (at + 1), m.det, bytes.Clone(w[m.start:m.end]), true})
	}
	return out
}

// overlaps reports whether one of ms (in order of their starts) overlaps s[start:end].
func overlaps(ms []match, start, end int) bool {
	for _, m := range ms {
		if m.start >= end {
			return false
		}
		if start < m.end {
			return true
		}
	}
	return false
}

// startsAt reports whether one of ms (in order of their starts) starts at s[i].
func startsAt(ms []match, i int) bool {
	for _, m := range ms {
		if m.start >= i {
			return m.start == i
		}
	}
	return false
}

// groupBefore reports whether the digits ending at s[a] follow another group of digits
// across one space, dash or dot ("415 555" before the break).
func groupBefore(s []byte, a int) bool {
	i := a
	for i > 0 && isDigit(s[i-1]) {
		i--
	}
	return i >= 2 && (s[i-1] == ' ' || s[i-1] == '-' || s[i-1] == '.') && isDigit(s[i-2])
}

// groupAfter reports whether the digits starting at s[b] are followed by another group of
// digits across one space, dash or dot ("1111 1111" after the break).
func groupAfter(s []byte, b int) bool {
	i := b
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i+1 < len(s) && (s[i] == ' ' || s[i] == '-' || s[i] == '.') && isDigit(s[i+1])
}
